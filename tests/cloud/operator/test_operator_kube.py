"""The operator against a real API server, a real Temporal dev server and real worker and
gateway processes: the deploy/ manifests apply, children appear and are repaired, bad
resources are refused at admission, and conditions follow what really answers."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloud.operator.children import TLS_MOUNT
from cloud.operator.crash_hook import CRASH_AFTER_APPLIES_ENV, CRASH_EXIT_CODE
from tests.support.kube import ROOT, KubeCluster, kube_binary
from tests.support.operator_env import (
    LONG_POLL_SECONDS,
    POLLER_FRESHNESS_SECONDS,
    SPARE_NAMESPACE,
    OperatorEnv,
    operator_env,
    wait_until,
    worker_process,
)
from tests.support.servers import require
from tests.support.stack import BIN

pytestmark = pytest.mark.timeout(300)

CHILDREN = [
    ("Deployment", "commerce-store-sites"),
    ("Deployment", "commerce-replication"),
    ("HorizontalPodAutoscaler", "commerce-replication"),
    ("Deployment", "commerce-gateway"),
    ("Service", "commerce-gateway"),
    ("Ingress", "commerce-gateway"),
]
DEPENDENCIES = [
    "TemporalReachable", "NamespaceReady", "SearchAttributesRegistered", "WorkersPolling",
    "StoreReachable", "GatewayServing", "Ready",
]


@pytest.fixture(scope="module")
async def env(kube: KubeCluster, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[
    OperatorEnv
]:
    async with operator_env(kube, tmp_path_factory.mktemp("operator")) as running:
        yield running


def _create(env: OperatorEnv, resource: dict[str, Any]) -> dict[str, Any]:
    response = env.kube.apply(resource)
    assert response.status_code < 300, response.text
    return dict(response.json())


def _children(env: OperatorEnv, namespace: str) -> list[tuple[str, str]]:
    """Every child in `namespace`, sorted; a duplicate would show twice."""
    found = []
    for kind in sorted({kind for kind, _ in CHILDREN}):
        for item in env.kube.list(kind, namespace, "commerce.ameide.io/process=commerce"):
            found.append((kind, item["metadata"]["name"]))
    return sorted(found)


def _all_true(env: OperatorEnv, namespace: str) -> bool:
    conditions = env.conditions(namespace)
    return all(conditions.get(t, {}).get("status") == "True" for t in DEPENDENCIES)


def _why(env: OperatorEnv, namespace: str) -> Any:
    return lambda: f"conditions: {env.conditions(namespace)}\noperator log:\n{env.operator.tail()}"


async def test_example_and_overlays_apply_to_a_real_api_server(
    env: OperatorEnv, tmp_path: Path
) -> None:
    # The base was applied by the fixture; the example resource is admitted as shipped.
    applied = await asyncio.to_thread(
        env.kube.apply_file, Path(__file__).parents[3] / "deploy/examples/commerceprocess.yaml"
    )
    assert [a["kind"] for a in applied] == ["Namespace", "Secret", "CommerceProcess"]
    crd = env.kube.get("CustomResourceDefinition", None, "commerceprocesses.commerce.ameide.io")
    assert crd is not None
    columns = [c["name"] for c in crd["spec"]["versions"][0]["additionalPrinterColumns"]]
    assert {"Ready", "Temporal", "Workers", "Version"} <= set(columns)


async def test_children_appear_owned_and_labelled_with_the_build_id(env: OperatorEnv) -> None:
    ns = env.namespace()
    created = _create(env, env.resource(ns))
    await wait_until(lambda: len(_children(env, ns)) == len(CHILDREN), 60,
                     "all six children", _why(env, ns))
    assert _children(env, ns) == sorted(CHILDREN)
    uid = created["metadata"]["uid"]
    for kind, name in CHILDREN:
        child = env.kube.get(kind, ns, name)
        assert child is not None
        owners = child["metadata"]["ownerReferences"]
        assert [(o["kind"], o["uid"], o["controller"]) for o in owners] == [
            ("CommerceProcess", uid, True)
        ]
    sites = env.kube.get("Deployment", ns, "commerce-store-sites") or {}
    assert sites["spec"]["replicas"] == 2
    labels = sites["spec"]["template"]["metadata"]["labels"]
    assert labels["commerce.ameide.io/task-queue"] == "commerce-store-sites"
    assert sites["metadata"]["annotations"]["commerce.ameide.io/build-id"] == env.build_id
    assert sites["spec"]["template"]["spec"]["containers"][0]["args"] == ["worker"]
    hpa = env.kube.get("HorizontalPodAutoscaler", ns, "commerce-replication") or {}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 3)
    replication = env.kube.get("Deployment", ns, "commerce-replication") or {}
    assert replication["metadata"]["annotations"]["commerce.ameide.io/build-id"] == env.build_id
    ingress = env.kube.get("Ingress", ns, "commerce-gateway") or {}
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-passthrough"] == (
        "true"
    )
    assert ingress["spec"]["rules"][0]["host"] == "gateway.shop.test"

    # Every dependency really answers: the resource becomes Ready, with Events saying so.
    await wait_until(lambda: _all_true(env, ns), 90, "every condition True", _why(env, ns))
    status = (env.kube.get("CommerceProcess", ns, "commerce") or {})["status"]
    assert status["observedGeneration"] == created["metadata"]["generation"]
    assert env.build_id in status["workerBuildIds"]["commerce-store-sites"]
    # Events are posted right after the status write that shows the transition.
    await wait_until(
        lambda: {"ReadyTrue", "WorkersPollingTrue", "TemporalReachableTrue"}
        <= {e["reason"] for e in env.kube.list("Event", ns)},
        30, "Events of the transitions to True", _why(env, ns),
    )


async def test_deleted_or_edited_child_is_repaired(env: OperatorEnv) -> None:
    ns = env.namespace()
    _create(env, env.resource(ns))
    await wait_until(lambda: env.kube.get("Deployment", ns, "commerce-store-sites"), 60,
                     "worker Deployment", _why(env, ns))
    before = (env.kube.get("Deployment", ns, "commerce-store-sites") or {})["metadata"]["uid"]
    assert env.kube.delete("Deployment", ns, "commerce-store-sites") == 200

    def recreated() -> bool:
        now = env.kube.get("Deployment", ns, "commerce-store-sites")
        return now is not None and now["metadata"]["uid"] != before

    await wait_until(recreated, 30, "the deleted Deployment recreated", _why(env, ns))

    # Someone scales a child by hand: the declared replicas come back.
    with env.kube.client() as http:
        response = http.patch(
            env.kube.path("Deployment", ns, "commerce-store-sites"),
            json={"spec": {"replicas": 7}},
            headers={"Content-Type": "application/merge-patch+json"},
        )
    assert response.status_code == 200, response.text
    await wait_until(
        lambda: (env.kube.get("Deployment", ns, "commerce-store-sites") or {})["spec"]["replicas"]
        == 2,
        30, "replicas repaired to 2", _why(env, ns),
    )


async def test_spec_change_rolls_children_and_prunes_a_removed_pool(env: OperatorEnv) -> None:
    ns = env.namespace()
    _create(env, env.resource(ns))
    await wait_until(lambda: len(_children(env, ns)) == len(CHILDREN), 60, "children",
                     _why(env, ns))
    await wait_until(lambda: _all_true(env, ns), 90, "Ready", _why(env, ns))
    changed = env.resource(
        ns, version="commerce-process@9.9.9",
        workerPools=[{"taskQueue": "commerce-store-sites", "replicas": 3}],
    )
    _create(env, changed)

    def rolled() -> bool:
        sites = env.kube.get("Deployment", ns, "commerce-store-sites") or {}
        template = sites.get("spec", {}).get("template", {}).get("metadata", {})
        return (
            sites.get("spec", {}).get("replicas") == 3
            and template.get("annotations", {}).get("commerce.ameide.io/build-id")
            == "commerce-process@9.9.9"
            and env.kube.get("Deployment", ns, "commerce-replication") is None
            and env.kube.get("HorizontalPodAutoscaler", ns, "commerce-replication") is None
        )

    await wait_until(rolled, 30, "children rolled to the new spec", _why(env, ns))
    # The hosts still poll with the old build id: WorkersPolling says so.
    await wait_until(
        lambda: env.conditions(ns).get("WorkersPolling", {}).get("reason") == "BuildIdNotPolling",
        30, "WorkersPolling False for the new build id", _why(env, ns),
    )
    message = env.conditions(ns)["WorkersPolling"]["message"]
    assert "commerce-process@9.9.9" in message and env.build_id in message
    assert env.conditions(ns)["Ready"]["status"] == "False"


@pytest.mark.parametrize(
    ("pools", "field", "words"),
    [
        ([{"taskQueue": "commerce-store-sites", "replicas": -1}],
         "spec.workerPools[0].replicas", "greater than or equal to 0"),
        ([{"taskQueue": "commerce-store-sites",
           "autoscaling": {"minReplicas": 5, "maxReplicas": 2}}],
         "spec.workerPools[0].autoscaling.maxReplicas", "must not be below minReplicas"),
        ([{"taskQueue": "commerce-payments", "replicas": 1}],
         "spec.workerPools[0].taskQueue", "Unsupported value"),
    ],
)
async def test_invalid_resource_is_refused_naming_the_field(
    env: OperatorEnv, pools: list[dict[str, Any]], field: str, words: str
) -> None:
    ns = env.namespace("bad")
    response = env.kube.apply(env.resource(ns, workerPools=pools))
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert field in message and words in message, message
    assert env.kube.get("CommerceProcess", ns, "commerce") is None
    assert env.kube.list("Deployment", ns) == []


async def test_no_worker_for_one_queue_names_it(env: OperatorEnv, tmp_path: Path) -> None:
    # In the spare namespace only the worker started here polls (the shared `serve` polls
    # every queue of the default namespace), and it polls commerce-store-sites alone.
    ns = env.namespace()
    pools = [
        {"taskQueue": "commerce-store-sites", "replicas": 1},
        {"taskQueue": "commerce-domains", "replicas": 1},
    ]
    resource = env.resource(ns, workerPools=pools)
    resource["spec"]["temporal"]["namespace"] = SPARE_NAMESPACE
    with worker_process(tmp_path / "worker", env.temporal.target, SPARE_NAMESPACE,
                        "commerce-store-sites"):
        _create(env, resource)

        def one_queue_polled() -> bool:
            polling = env.conditions(ns).get("WorkersPolling", {})
            return polling.get("reason") == "NoPollers" and re.search(
                r"commerce-store-sites: [1-9]", polling.get("message", "")
            ) is not None

        await wait_until(one_queue_polled, 60, "WorkersPolling False for commerce-domains only",
                         _why(env, ns))
        polling = env.conditions(ns)["WorkersPolling"]
        assert polling["status"] == "False"
        assert "none on commerce-domains" in polling["message"]
        assert re.search(
            rf"commerce-store-sites: [1-9]\d* poller\(s\), build ids "
            rf"\['{re.escape(env.build_id)}'\]",
            polling["message"],
        ), polling["message"]
        ready = env.conditions(ns)["Ready"]
        assert ready["status"] == "False" and "WorkersPolling" in ready["message"]
        assert env.conditions(ns)["TemporalReachable"]["status"] == "True"


async def test_temporal_loss_is_detected_and_recovery_seen(env: OperatorEnv) -> None:
    ns = env.namespace()
    _create(env, env.resource(ns))
    await wait_until(lambda: _all_true(env, ns), 90, "Ready", _why(env, ns))
    await env.temporal.stop()
    try:
        stopped = time.monotonic()
        await wait_until(
            lambda: env.conditions(ns).get("TemporalReachable", {}).get("status") == "False",
            15, "TemporalReachable False", _why(env, ns),
        )
        detected = time.monotonic() - stopped
        reachable = env.conditions(ns)["TemporalReachable"]
        assert env.temporal.target in reachable["message"], reachable
        assert reachable["reason"] == "FrontendUnreachable"
        assert env.conditions(ns)["Ready"]["status"] == "False"
        assert detected < 15
    finally:
        await env.temporal.start()
    await wait_until(
        lambda: env.conditions(ns).get("TemporalReachable", {}).get("status") == "True",
        60, "TemporalReachable True again", _why(env, ns),
    )
    reasons = [e["reason"] for e in env.kube.list("Event", ns)]
    assert "TemporalReachableFalse" in reasons


async def test_operator_killed_mid_reconcile_converges_without_duplicates(
    env: OperatorEnv,
) -> None:
    ns = env.namespace()
    # The test crash hook ends the operator (os._exit) right after it applied the second of
    # the six children, so the kill always lands mid-reconcile.
    env.operator.stop()
    env.operator.start({CRASH_AFTER_APPLIES_ENV: f"{ns}/commerce=2"})
    try:
        _create(env, env.resource(ns))
        code = await asyncio.to_thread(env.operator.wait_exit, 90)
    finally:
        env.operator.kill()  # only if the hook never fired
        env.operator.start()
    assert code == CRASH_EXIT_CODE, env.operator.tail()
    assert _children(env, ns) == sorted(CHILDREN[:2])
    await wait_until(lambda: len(_children(env, ns)) >= len(CHILDREN), 60,
                     "children after restart", _why(env, ns))
    await asyncio.sleep(3)  # a few check intervals: nothing more appears
    assert _children(env, ns) == sorted(CHILDREN)
    await wait_until(lambda: _all_true(env, ns), 90, "Ready after restart", _why(env, ns))


async def test_stopped_worker_is_noticed_within_the_poller_freshness_bound(
    env: OperatorEnv, tmp_path: Path
) -> None:
    """Temporal keeps listing a dead worker's pollers for minutes; the operator counts only
    pollers that polled within --poller-freshness, so WorkersPolling turns False soon."""
    ns = env.namespace()
    resource = env.resource(ns, workerPools=[{"taskQueue": "commerce-store-sites", "replicas": 1}])
    resource["spec"]["temporal"]["namespace"] = SPARE_NAMESPACE
    queue = "commerce-store-sites"
    with worker_process(tmp_path / "worker", env.temporal.target, SPARE_NAMESPACE,
                        queue) as worker:
        _create(env, resource)
        await wait_until(
            lambda: env.conditions(ns).get("WorkersPolling", {}).get("status") == "True", 90,
            "WorkersPolling True with the spare namespace's worker",
            lambda: f"{_why(env, ns)()}\nworker log:\n"
            + (tmp_path / "worker" / "worker.log").read_text(errors="replace")[-4000:],
        )
        worker.kill()  # as a node dies: the worker never tells Temporal it left
        worker.wait()
    # Functional bound: the freshness bound, a long poll and a few check intervals.
    bound = POLLER_FRESHNESS_SECONDS + LONG_POLL_SECONDS + 10
    await wait_until(
        lambda: env.conditions(ns).get("WorkersPolling", {}).get("status") == "False", bound,
        "WorkersPolling False after the worker stopped", _why(env, ns),
    )
    polling = env.conditions(ns)["WorkersPolling"]
    assert polling["reason"] == "NoPollers"
    assert f"none on {queue}" in polling["message"], polling["message"]
    # Temporal still listed the dead worker's poller: the bound is what noticed.
    assert "1 stale poller(s)" in polling["message"], polling["message"]
    assert (env.kube.get("CommerceProcess", ns, "commerce") or {})["status"]["workerBuildIds"][
        queue
    ] == []


async def test_storefront_gateway_gets_an_ingress_of_its_class(env: OperatorEnv) -> None:
    ns = env.namespace()
    storefront = {"ingressClassName": "storefront-nginx", "host": "edge.shop.test"}
    created = _create(env, env.resource(ns, storefront=storefront))
    await wait_until(lambda: env.kube.get("Ingress", ns, "commerce-storefront"), 60,
                     "the storefront Ingress", _why(env, ns))
    ingress = env.kube.get("Ingress", ns, "commerce-storefront") or {}
    assert ingress["spec"]["ingressClassName"] == "storefront-nginx"
    assert ingress["spec"]["defaultBackend"]["service"]["name"] == "commerce-storefront"
    assert ingress["spec"]["rules"][0]["host"] == "edge.shop.test"
    for kind in ("Deployment", "Service", "Ingress"):
        child = env.kube.get(kind, ns, "commerce-storefront")
        assert child is not None, kind
        assert child["metadata"]["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
    service = env.kube.get("Service", ns, "commerce-storefront") or {}
    assert "https" in {p["name"] for p in service["spec"]["ports"]}
    # The gateway's own Ingress keeps its class; the storefront's is separate.
    assert (env.kube.get("Ingress", ns, "commerce-gateway") or {})["spec"][
        "ingressClassName"
    ] == "nginx"

    # Without a storefront ingress class the storefront gateway is removed.
    _create(env, env.resource(ns))
    await wait_until(
        lambda: all(env.kube.get(kind, ns, "commerce-storefront") is None
                    for kind in ("Deployment", "Service", "Ingress")),
        30, "storefront children pruned", _why(env, ns),
    )


async def test_temporal_tls_and_api_key_secrets_reach_the_containers(env: OperatorEnv) -> None:
    ns = env.namespace()
    for name, data in (
        ("temporal-tls", {"ca.crt": "CA", "tls.crt": "CERT", "tls.key": "KEY"}),
        ("temporal-api-key", {"api-key": "key-123"}),
    ):
        applied = env.kube.apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                  "metadata": {"name": name, "namespace": ns},
                                  "stringData": data})
        assert applied.status_code < 300, applied.text
    resource = env.resource(ns)
    resource["spec"]["temporal"]["tlsSecretName"] = "temporal-tls"
    resource["spec"]["temporal"]["apiKeySecretName"] = "temporal-api-key"
    _create(env, resource)
    await wait_until(lambda: len(_children(env, ns)) == len(CHILDREN), 60, "children",
                     _why(env, ns))
    for name in ("commerce-store-sites", "commerce-replication", "commerce-gateway"):
        pod = (env.kube.get("Deployment", ns, name) or {})["spec"]["template"]["spec"]
        container = pod["containers"][0]
        variables = {e["name"]: e for e in container["env"]}
        assert variables["COMMERCE_CLOUD_TEMPORAL_TLS"]["value"] == "true"
        for var, key in (("CA_PATH", "ca.crt"), ("CERT_PATH", "tls.crt"),
                         ("KEY_PATH", "tls.key")):
            assert variables[f"COMMERCE_CLOUD_TEMPORAL_TLS_{var}"]["value"] == (
                f"{TLS_MOUNT}/{key}"
            ), name
        assert variables["COMMERCE_CLOUD_TEMPORAL_API_KEY"]["valueFrom"]["secretKeyRef"] == {
            "name": "temporal-api-key", "key": "api-key"
        }
        [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == TLS_MOUNT]
        [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert volume["secret"]["secretName"] == "temporal-tls"


async def test_a_tls_secret_created_later_re_renders_the_containers(env: OperatorEnv) -> None:
    ns = env.namespace()
    resource = env.resource(ns)
    resource["spec"]["temporal"]["tlsSecretName"] = "temporal-tls"
    _create(env, resource)

    def tls_variables() -> set[str]:
        found = env.kube.get("Deployment", ns, "commerce-gateway") or {}
        containers = found.get("spec", {}).get("template", {}).get("spec", {}).get(
            "containers", [{}]
        )
        return {e["name"] for e in containers[0].get("env", []) if "_TLS_" in e["name"]}

    # Not there yet: the containers expect every file a TLS Secret may hold.
    await wait_until(lambda: len(tls_variables()) == 3, 60, "three TLS path variables",
                     _why(env, ns))
    # It arrives holding only the CA (server TLS, no client certificate): one check later
    # the containers no longer point at client files that do not exist.
    applied = env.kube.apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                              "metadata": {"name": "temporal-tls", "namespace": ns},
                              "stringData": {"ca.crt": "CA"}})
    assert applied.status_code < 300, applied.text
    await wait_until(lambda: tls_variables() == {"COMMERCE_CLOUD_TEMPORAL_TLS_CA_PATH"}, 30,
                     "only the CA path left", lambda: f"{tls_variables()}\n{_why(env, ns)()}")


async def test_deleting_the_resource_deletes_its_children(env: OperatorEnv) -> None:
    if not env.kube.has_controller_manager:
        require("kube-controller-manager (garbage collector)", "run `make kube-bins`")
    ns = env.namespace()
    _create(env, env.resource(ns))
    await wait_until(lambda: len(_children(env, ns)) == len(CHILDREN), 60, "children",
                     _why(env, ns))
    assert env.kube.delete("CommerceProcess", ns, "commerce") == 200
    await wait_until(lambda: not _children(env, ns), 60, "children garbage-collected",
                     _why(env, ns))


async def test_operator_status_prints_the_conditions(env: OperatorEnv) -> None:
    ns = env.namespace()
    _create(env, env.resource(ns))
    await wait_until(lambda: _all_true(env, ns), 90, "Ready", _why(env, ns))
    command = [str(BIN / "commerce-cloud"), "operator", "status", "--kubeconfig",
               str(env.kube.kubeconfig)]
    as_json = await asyncio.to_thread(
        subprocess.run, [*command, "commerce", "-n", ns, "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert as_json.returncode == 0, as_json.stderr
    [summary] = json.loads(as_json.stdout)
    assert summary["name"] == "commerce" and summary["namespace"] == ns
    assert {c["type"]: c["status"] for c in summary["conditions"]} == dict.fromkeys(
        DEPENDENCIES, "True"
    )
    table = await asyncio.to_thread(
        subprocess.run, [*command, "commerce", "-n", ns], capture_output=True, text=True,
        timeout=60, env={**os.environ, "COLUMNS": "200"},
    )
    assert table.returncode == 0, table.stderr
    assert f"{ns}/commerce" in table.stdout and "WorkersPolling" in table.stdout
    # What `kubectl get cproc` prints: the printer columns, read through the Table API.
    with env.kube.client() as http:
        response = http.get(
            env.kube.path("CommerceProcess", ns, "commerce"),
            headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
        )
    assert response.status_code == 200, response.text
    shown = response.json()
    header = [c["name"] for c in shown["columnDefinitions"]]
    row = dict(zip(header, shown["rows"][0]["cells"], strict=False))
    assert (row["Version"], row["Ready"], row["Temporal"], row["Workers"]) == (
        env.build_id, "True", "True", "True"
    )
    missing = await asyncio.to_thread(
        subprocess.run, [*command, "nothing", "-n", ns], capture_output=True, text=True,
        timeout=60,
    )
    assert missing.returncode == 1
    assert f"no CommerceProcess {ns}/nothing" in missing.stderr


async def test_steady_resource_is_not_rewritten(env: OperatorEnv) -> None:
    """No reconcile storm: with nothing changing, checks every second write nothing."""
    ns = env.namespace()
    _create(env, env.resource(ns))
    await wait_until(lambda: _all_true(env, ns), 90, "Ready", _why(env, ns))
    await asyncio.sleep(2)  # let the first passes settle

    def versions() -> dict[str, str]:
        seen = {
            f"{kind}/{name}": (env.kube.get(kind, ns, name) or {})["metadata"]["resourceVersion"]
            for kind, name in CHILDREN
        }
        seen["resource"] = (env.kube.get("CommerceProcess", ns, "commerce") or {})["metadata"][
            "resourceVersion"
        ]
        seen["events"] = str(len(env.kube.list("Event", ns)))
        return seen

    before = versions()
    await asyncio.sleep(5)  # five check intervals of the test operator
    assert versions() == before


async def test_overlays_render_and_pass_server_side_validation(
    env: OperatorEnv, tmp_path: Path
) -> None:
    kubectl = kube_binary("kubectl")
    if kubectl is None:
        require("kubectl", "run `make kube-bins`")
    for overlay in ("embedded-dev", "production"):
        rendered = await asyncio.to_thread(
            subprocess.run,
            [str(kubectl), "kustomize", str(ROOT / "deploy/overlays" / overlay)],
            capture_output=True, text=True, timeout=60,
        )
        assert rendered.returncode == 0, rendered.stderr
        docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
        kinds = {d["kind"] for d in docs}
        assert {"CustomResourceDefinition", "ClusterRole", "Deployment"} <= kinds
        for doc in docs:
            meta = doc["metadata"]
            with env.kube.client() as http:
                response = http.patch(
                    env.kube.path(doc["kind"], meta.get("namespace"), meta["name"]),
                    params={"fieldManager": "commerce-tests", "force": "true", "dryRun": "All"},
                    content=yaml.safe_dump(doc),
                    headers={"Content-Type": "application/apply-patch+yaml"},
                )
            assert response.status_code < 300, f"{overlay} {doc['kind']}: {response.text}"
        if overlay == "embedded-dev":
            example = next(d for d in docs if d["kind"] == "CommerceProcess")
            assert example["spec"]["image"] == "commerce-cloud:dev"
            assert example["spec"]["checkIntervalSeconds"] == 5


async def test_the_operators_own_account_was_enough(env: OperatorEnv) -> None:
    """The operator ran all along with deploy/base's ServiceAccount token: its ClusterRole
    covers every call it made (no 403 anywhere in its log)."""
    log = env.operator.tail(10_000_000)
    assert env.operator.log.exists()
    # A status 403 as the API server or kopf report it; not a log line's milliseconds (",403")
    # nor a port or age that happens to contain the digits.
    status_403 = re.compile(r"(?<![\d,.:])403(?!\d)")
    forbidden = [line for line in log.splitlines()
                 if status_403.search(line) or "forbidden" in line.lower()]
    assert forbidden == [], "\n".join(forbidden[:10])


async def test_missing_secrets_are_named_in_the_conditions(env: OperatorEnv) -> None:
    ns = env.namespace()
    resource = env.resource(ns)
    resource["spec"]["temporal"]["apiKeySecretName"] = "temporal-api-key"
    resource["spec"]["store"]["urlSecret"] = {"name": "no-such-store", "key": "url"}
    _create(env, resource)
    await wait_until(lambda: env.conditions(ns).get("StoreReachable"), 60, "conditions",
                     _why(env, ns))
    conditions = env.conditions(ns)
    temporal, store = conditions["TemporalReachable"], conditions["StoreReachable"]
    assert (temporal["status"], temporal["reason"]) == ("False", "SecretMissing")
    assert f"{ns}/temporal-api-key" in temporal["message"]
    assert "spec.temporal.apiKeySecretName" in temporal["message"]
    assert (store["status"], store["reason"]) == ("False", "SecretMissing")
    assert "spec.store.urlSecret (key url)" in store["message"]
    assert conditions["GatewayServing"]["status"] == "True"
    # Children do not wait for secrets: they are applied and reference them by name.
    assert env.kube.get("Deployment", ns, "commerce-store-sites") is not None
