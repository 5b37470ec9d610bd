"""The resource's spec as the operator reads it, and the children it renders."""

from __future__ import annotations

from typing import Any

import pytest

from cloud.operator.children import render
from cloud.operator.errors import InvalidResource
from cloud.operator.model import ResourceRef, parse_spec

REF = ResourceRef(namespace="shop", name="commerce", uid="u-1", generation=3)


def _spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "image": "commerce-cloud:1",
        "version": "commerce-process@1.0.0",
        "temporal": {"address": "temporal:7233"},
        "store": {"urlSecret": {"name": "store"}},
        "workerPools": [
            {"taskQueue": "commerce-store-sites", "replicas": 2},
            {"taskQueue": "commerce-replication",
             "autoscaling": {"minReplicas": 2, "maxReplicas": 4}},
        ],
        "gateway": {"host": "gw.example.com"},
    }
    spec.update(overrides)
    return spec


def test_children_of_a_full_spec() -> None:
    children = render(REF, parse_spec(_spec()))
    assert [(c["kind"], c["metadata"]["name"]) for c in children] == [
        ("Deployment", "commerce-store-sites"),
        ("Deployment", "commerce-replication"),
        ("HorizontalPodAutoscaler", "commerce-replication"),
        ("Deployment", "commerce-gateway"),
        ("Service", "commerce-gateway"),
        ("Ingress", "commerce-gateway"),
    ]
    autoscaled = children[1]
    assert "replicas" not in autoscaled["spec"], "the HPA owns replicas"
    assert children[0]["spec"]["replicas"] == 2
    label = children[0]["metadata"]["labels"]["commerce.ameide.io/build-id"]
    assert label == "commerce-process_1.0.0"  # '@' is not allowed in label values
    secret_env = [e for e in children[0]["spec"]["template"]["spec"]["containers"][0]["env"]
                  if e["name"] == "COMMERCE_CLOUD_DATABASE_URL"]
    assert secret_env[0]["valueFrom"]["secretKeyRef"] == {"name": "store", "key": "url"}
    for worker, queue in ((children[0], "commerce-store-sites"),
                          (children[1], "commerce-replication")):
        env = {e["name"]: e.get("value")
               for e in worker["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["COMMERCE_CLOUD_WORKER_TASK_QUEUES"] == queue  # the pool polls its queue only


def test_no_ingress_without_a_host() -> None:
    kinds = [c["kind"] for c in render(REF, parse_spec(_spec(gateway={})))]
    assert "Ingress" not in kinds


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"workerPools": [{"taskQueue": "commerce-store-sites", "replicas": -1}]},
         "spec.workerPools.0.replicas"),
        ({"workerPools": [{"taskQueue": "nope", "replicas": 1}]}, "spec.workerPools.0"),
        ({"workerPools": [{"taskQueue": "commerce-domains",
                           "autoscaling": {"minReplicas": 3, "maxReplicas": 1}}]},
         "spec.workerPools.0.autoscaling"),
        ({"workerPools": []}, "spec.workerPools"),
    ],
)
def test_spec_the_operator_cannot_reconcile_names_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidResource) as refused:
        parse_spec(_spec(**overrides))
    assert str(refused.value).startswith(field), str(refused.value)
