"""Test support: everything a CommerceProcess depends on, for real, beside a real API server:
a Temporal dev server, `commerce-cloud serve` (worker + gateway) on the host against it, and
`commerce-cloud operator run` authenticated as the operator's ServiceAccount from deploy/.

Pods never run (no kubelet), so the processes the Deployments describe run on the host; the
operator sees their pollers in Temporal and their gateway's discovery port for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloud.temporal.connect import worker_build_id
from cloud.temporal.devserver import DevServer
from tests.support.kube import ROOT, KubeCluster
from tests.support.servers import require_temporal_cli
from tests.support.stack import BIN, cloud_config, cloud_env, free_port

BASE = ROOT / "deploy" / "base"

LONG_POLL_SECONDS = 3
"""How long the test dev server holds an idle worker's poll (Temporal's default is a minute),
so a running worker's pollers are never older than this."""
POLLER_FRESHNESS_SECONDS = 10.0
"""The operator's --poller-freshness in these tests: a stopped worker stops counting after it."""
SPARE_NAMESPACE = "spare"
"""A second Temporal namespace, for workers a test may stop without touching the shared ones."""


class TunedDevServer(DevServer):
    """The dev server with a short long-poll expiry and a spare namespace."""

    def command(self, cli: Path) -> list[str]:
        return [
            *super().command(cli),
            "--namespace", SPARE_NAMESPACE,
            "--dynamic-config-value",
            f'matching.longPollExpirationInterval="{LONG_POLL_SECONDS}s"',
        ]  # fmt: skip


def apply_base(kube: KubeCluster) -> None:
    """The same manifests a cluster admin applies: namespace, CRD, RBAC, operator Deployment."""
    for name in ("namespace.yaml", "crd.yaml", "rbac.yaml", "operator.yaml"):
        kube.apply_file(BASE / name)


@dataclass
class OperatorProcess:
    """`commerce-cloud operator run` as a child process."""

    kubeconfig: Path
    log: Path
    check_interval: float = 1.0
    proc: subprocess.Popen[bytes] | None = None

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(BIN / "commerce-cloud"), "operator", "run", "--kubeconfig",
                 str(self.kubeconfig), "--check-interval", str(self.check_interval),
                 "--probe-timeout", "3", "--poller-freshness", str(POLLER_FRESHNESS_SECONDS)],
                stdout=out, stderr=subprocess.STDOUT,
                env={**{k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_")},
                     **(extra_env or {})},
            )

    def wait_exit(self, timeout: float) -> int:
        """The exit code once the process ended by itself."""
        assert self.proc is not None
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: no cleanup, as when a node dies mid-reconcile."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class OperatorEnv:
    kube: KubeCluster
    temporal: DevServer
    cloud_data: Path
    discovery_port: int
    operator: OperatorProcess
    build_id: str

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.cloud_data / 'cloud.db'}"

    def namespace(self, prefix: str = "shop") -> str:
        """A fresh namespace with the store URL Secret in it."""
        name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        applied = self.kube.apply({"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": name}})
        assert applied.status_code < 300, applied.text
        secret = self.kube.apply({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "commerce-store", "namespace": name},
            "stringData": {"url": self.store_url},
        })
        assert secret.status_code < 300, secret.text
        return name

    def resource(self, namespace: str, name: str = "commerce", **spec: Any) -> dict[str, Any]:
        """A CommerceProcess pointing at this environment's real dependencies."""
        body: dict[str, Any] = {
            "image": "commerce-cloud:test",
            "version": self.build_id,
            "temporal": {"address": self.temporal.target, "namespace": "default"},
            "store": {"urlSecret": {"name": "commerce-store", "key": "url"}},
            "workerPools": [
                {"taskQueue": "commerce-store-sites", "replicas": 2},
                {"taskQueue": "commerce-replication",
                 "autoscaling": {"minReplicas": 1, "maxReplicas": 3}},
            ],
            "gateway": {"replicas": 1, "host": "gateway.shop.test",
                        "ingressClassName": "nginx",
                        "healthAddress": f"127.0.0.1:{self.discovery_port}"},
            "checkIntervalSeconds": 1,
        }
        body.update(spec)
        return {"apiVersion": "commerce.ameide.io/v1alpha1", "kind": "CommerceProcess",
                "metadata": {"name": name, "namespace": namespace}, "spec": body}

    def conditions(self, namespace: str, name: str = "commerce") -> dict[str, dict[str, Any]]:
        found = self.kube.get("CommerceProcess", namespace, name) or {}
        return {c["type"]: c for c in (found.get("status") or {}).get("conditions", [])}


async def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, detail: Callable[[], str] = str
) -> Any:
    """Poll `predicate` (sync, run in a thread) until truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not seen within {timeout}s\n{detail()}")
        await asyncio.sleep(0.3)


@contextlib.contextmanager
def worker_process(
    data_dir: Path, temporal_target: str, namespace: str, task_queue: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`commerce-cloud worker` polling one task queue of `namespace`; stopped on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = cloud_config(data_dir, temporal_address=temporal_target,
                          temporal_namespace=namespace, worker_task_queues=[task_queue])
    with (data_dir / "worker.log").open("ab") as log:
        proc = subprocess.Popen([str(BIN / "commerce-cloud"), "worker"], stdout=log,
                                stderr=subprocess.STDOUT, env=cloud_env(config))
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def _serve(data_dir: Path, temporal_target: str) -> Iterator[int]:
    """`commerce-cloud serve` on the host against the dev server: worker + gateway."""
    config = cloud_config(data_dir, temporal_address=temporal_target)
    env = cloud_env(config)
    log = (data_dir / "serve.log").open("ab")
    proc = subprocess.Popen([str(BIN / "commerce-cloud"), "serve"], stdout=log,
                            stderr=subprocess.STDOUT, env=env)
    try:
        yield config.discovery_port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextlib.asynccontextmanager
async def operator_env(
    kube: KubeCluster, directory: Path, check_interval: float = 1.0
) -> AsyncIterator[OperatorEnv]:
    """Dev server + serve + the operator as its ServiceAccount, with deploy/base applied."""
    require_temporal_cli()
    await asyncio.to_thread(apply_base, kube)
    token = kube.service_account_token("commerce-system", "commerce-operator")
    kubeconfig = kube.write_kubeconfig(directory / "operator.kubeconfig", token)
    temporal = TunedDevServer(directory / "temporal", port=free_port(), ui=False)
    await temporal.start()
    cloud_data = directory / "cloud"
    cloud_data.mkdir()
    operator = OperatorProcess(kubeconfig, directory / "operator.log", check_interval)
    try:
        with _serve(cloud_data, temporal.target) as discovery_port:
            operator.start()
            try:
                yield OperatorEnv(kube, temporal, cloud_data, discovery_port, operator,
                                  worker_build_id())
            finally:
                operator.stop()
    finally:
        await temporal.stop()
