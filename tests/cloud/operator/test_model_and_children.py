"""The resource's spec as the operator reads it, and the children it renders."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from cloud.config import load_cloud_config
from cloud.operator.children import TLS_MOUNT, render
from cloud.operator.errors import InvalidResource
from cloud.operator.model import ResourceRef, parse_spec
from cloud.temporal.connect import TemporalSettings, tls_config

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


def _container_env(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = manifest["spec"]["template"]["spec"]["containers"][0]["env"]
    return env


def _as_the_pod_sees_it(
    manifest: dict[str, Any], mount: Path, secrets: dict[str, dict[str, str]]
) -> dict[str, str]:
    """The container's environment as the kubelet would set it: secretKeyRefs resolved from
    `secrets`, and the Temporal TLS Secret's mount moved to `mount` (a real directory)."""
    pod = manifest["spec"]["template"]["spec"]
    [tls_mount] = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "temporal-tls"]
    assert tls_mount["mountPath"] == TLS_MOUNT and tls_mount["readOnly"] is True
    [volume] = [v for v in pod["volumes"] if v["name"] == "temporal-tls"]
    for key, value in secrets[volume["secret"]["secretName"]].items():
        (mount / key).write_text(value)
    resolved = {}
    for item in _container_env(manifest):
        if "valueFrom" in item:
            ref = item["valueFrom"]["secretKeyRef"]
            resolved[item["name"]] = secrets[ref["name"]][ref["key"]]
        else:
            resolved[item["name"]] = str(item["value"]).replace(TLS_MOUNT, str(mount))
    return resolved


@pytest.mark.parametrize("mtls", [True, False], ids=["mtls", "ca-only"])
def test_temporal_tls_and_api_key_reach_workers_and_gateway_as_commerce_cloud_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mtls: bool
) -> None:
    tls_secret = {"ca.crt": "CA PEM", "tls.crt": "CLIENT CERT PEM", "tls.key": "CLIENT KEY PEM"}
    if not mtls:
        tls_secret = {"ca.crt": "CA PEM"}
    secrets = {"temporal-tls": tls_secret, "temporal-api-key": {"api-key": "key-123"},
               "store": {"url": "postgresql+psycopg://u@db/commerce"}}
    spec = parse_spec(_spec(temporal={"address": "temporal.example:7233", "namespace": "shop",
                                      "tlsSecretName": "temporal-tls",
                                      "apiKeySecretName": "temporal-api-key"}))
    children = render(REF, spec, frozenset(tls_secret))
    deployments = [c for c in children if c["kind"] == "Deployment"]
    assert [d["metadata"]["name"] for d in deployments] == [
        "commerce-store-sites", "commerce-replication", "commerce-gateway"
    ]
    for deployment in deployments:
        mount = tmp_path / deployment["metadata"]["name"]
        mount.mkdir()
        environ = _as_the_pod_sees_it(deployment, mount, secrets)
        for name in [n for n in os.environ if n.startswith(("COMMERCE_CLOUD_", "TEMPORAL_"))]:
            monkeypatch.delenv(name)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        config = load_cloud_config()
        settings = TemporalSettings.from_cloud_config(config)
        assert (settings.address, settings.namespace) == ("temporal.example:7233", "shop")
        assert settings.api_key == "key-123"
        assert config.store_url == "postgresql+psycopg://u@db/commerce"
        tls = tls_config(settings)
        assert tls is not None
        assert tls.server_root_ca_cert == b"CA PEM"
        if mtls:
            assert (tls.client_cert, tls.client_private_key) == (
                b"CLIENT CERT PEM", b"CLIENT KEY PEM"
            )
        else:
            assert (tls.client_cert, tls.client_private_key) == (None, None)
            assert "COMMERCE_CLOUD_TEMPORAL_TLS_CERT_PATH" not in environ


def test_unknown_tls_secret_expects_every_file() -> None:
    """Before the Secret exists the containers are told of ca.crt, tls.crt and tls.key."""
    spec = parse_spec(_spec(temporal={"address": "t:7233", "tlsSecretName": "temporal-tls"}))
    names = {e["name"]: e.get("value") for e in _container_env(render(REF, spec)[0])}
    assert names["COMMERCE_CLOUD_TEMPORAL_TLS_CA_PATH"] == f"{TLS_MOUNT}/ca.crt"
    assert names["COMMERCE_CLOUD_TEMPORAL_TLS_CERT_PATH"] == f"{TLS_MOUNT}/tls.crt"
    assert names["COMMERCE_CLOUD_TEMPORAL_TLS_KEY_PATH"] == f"{TLS_MOUNT}/tls.key"


def test_storefront_ingress_class_declares_the_storefront_gateway() -> None:
    assert not [c for c in render(REF, parse_spec(_spec()))
                if "storefront" in c["metadata"]["name"]]
    spec = parse_spec(_spec(storefront={"ingressClassName": "public-nginx",
                                        "host": "edge.shop.example"}))
    storefront = {c["kind"]: c for c in render(REF, spec)
                  if c["metadata"]["name"] == "commerce-storefront"}
    assert sorted(storefront) == ["Deployment", "Ingress", "Service"]
    ingress = storefront["Ingress"]
    assert ingress["spec"]["ingressClassName"] == "public-nginx"
    backend = {"service": {"name": "commerce-storefront", "port": {"name": "https"}}}
    assert ingress["spec"]["defaultBackend"] == backend
    assert ingress["spec"]["rules"][0]["host"] == "edge.shop.example"
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-passthrough"] == (
        "true"
    )
    service_ports = {p["name"] for p in storefront["Service"]["spec"]["ports"]}
    assert "https" in service_ports
    selector = storefront["Service"]["spec"]["selector"]
    pod_labels = storefront["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert storefront["Deployment"]["spec"]["replicas"] == 2
    assert storefront["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "nginx:1.27"
    )
