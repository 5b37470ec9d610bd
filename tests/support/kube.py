"""Test support: a real Kubernetes API server on loopback (etcd from Debian `etcd-server`,
kube-apiserver built by `make kube-bins`), with a kubeconfig and a small client for tests.

Starts etcd and kube-apiserver once per session in a temporary directory with self-made
serving certificates, static token auth (an admin token) and RBAC on, and the controller
manager's garbage collector when that binary is there. Pods never run: there is no kubelet.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import ipaddress
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from cloud.temporal.cli_binary import default_cache_dir
from tests.support.servers import require, require_tool

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "commerce-test-admin-token"
FIELD_MANAGER = "commerce-tests"

_PLURALS = {
    "Namespace": ("v1", "namespaces", False),
    "ServiceAccount": ("v1", "serviceaccounts", True),
    "Secret": ("v1", "secrets", True),
    "Service": ("v1", "services", True),
    "Event": ("v1", "events", True),
    "Deployment": ("apps/v1", "deployments", True),
    "HorizontalPodAutoscaler": ("autoscaling/v2", "horizontalpodautoscalers", True),
    "Ingress": ("networking.k8s.io/v1", "ingresses", True),
    "ClusterRole": ("rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "CustomResourceDefinition": (
        "apiextensions.k8s.io/v1", "customresourcedefinitions", False,
    ),
    "CommerceProcess": ("commerce.ameide.io/v1alpha1", "commerceprocesses", True),
}


def kube_version() -> str:
    """The k8s.io/kubernetes version tools/kube/go.mod pins (the binaries' cache key)."""
    text = (ROOT / "tools/kube/go.mod").read_text()
    found = re.search(r"^require k8s.io/kubernetes (v\S+)$", text, re.M)
    assert found, "tools/kube/go.mod names no k8s.io/kubernetes version"
    return found.group(1)


def kube_binary(name: str) -> Path | None:
    path = default_cache_dir() / "bin" / f"{name}-{kube_version()}"
    return path if os.access(path, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed_ca(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "commerce-test-kube-ca")])
    now = dt.datetime.now(dt.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    serving_key = ec.generate_private_key(ec.SECP256R1())
    serving = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(name)
        .public_key(serving_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName("kubernetes.default.svc"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    ca_path = directory / "ca.crt"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "serving.crt").write_bytes(serving.public_bytes(serialization.Encoding.PEM))
    (directory / "serving.key").write_bytes(
        serving_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (directory / "sa.key").write_bytes(
        sa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (directory / "sa.pub").write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return ca_path, directory / "serving.crt"


@dataclass
class KubeCluster:
    """A running API server and a client for tests (admin token unless told otherwise)."""

    server: str
    ca_path: Path
    kubeconfig: Path
    directory: Path
    has_controller_manager: bool

    def client(self, token: str = ADMIN_TOKEN) -> httpx.Client:
        return httpx.Client(
            base_url=self.server,
            verify=ssl.create_default_context(cafile=str(self.ca_path)),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def write_kubeconfig(self, path: Path, token: str) -> Path:
        ca = base64.b64encode(self.ca_path.read_bytes()).decode()
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "test", "cluster": {"server": self.server,
                                             "certificate-authority-data": ca}}
            ],
            "users": [{"name": "test", "user": {"token": token}}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
            "current-context": "test",
        }
        path.write_text(yaml.safe_dump(config))
        return path

    # A small typed-less client: enough for tests to apply manifests and read objects.

    @staticmethod
    def path(kind: str, namespace: str | None = None, name: str | None = None) -> str:
        api_version, plural, namespaced = _PLURALS[kind]
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{plural}"
        return f"{base}/{name}" if name else base

    def apply(self, manifest: Mapping[str, Any], token: str = ADMIN_TOKEN) -> httpx.Response:
        meta = manifest["metadata"]
        with self.client(token) as http:
            return http.patch(
                self.path(manifest["kind"], meta.get("namespace"), meta["name"]),
                params={"fieldManager": FIELD_MANAGER, "force": "true"},
                content=yaml.safe_dump(dict(manifest)),
                headers={"Content-Type": "application/apply-patch+yaml"},
            )

    def apply_file(self, path: Path) -> list[dict[str, Any]]:
        applied = []
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            response = self.apply(doc)
            assert response.status_code < 300, f"{path}: {doc['kind']}: {response.text}"
            applied.append(response.json())
            if doc["kind"] == "CustomResourceDefinition":
                self.wait_established(doc["metadata"]["name"])
        return applied

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        with self.client() as http:
            response = http.get(self.path(kind, namespace, name))
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return dict(response.json())

    def list(self, kind: str, namespace: str | None, selector: str = "") -> list[dict[str, Any]]:
        with self.client() as http:
            response = http.get(
                self.path(kind, namespace), params={"labelSelector": selector} if selector else {}
            )
        response.raise_for_status()
        return list(response.json()["items"])

    def delete(self, kind: str, namespace: str | None, name: str) -> int:
        with self.client() as http:
            return http.delete(self.path(kind, namespace, name)).status_code

    def wait_established(self, crd: str, timeout: float = 60) -> None:
        """Newly created CRDs answer 404 for a moment: wait for Established and NamesAccepted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.get("CustomResourceDefinition", None, crd) or {}
            states = {
                c["type"]: c["status"]
                for c in (found.get("status") or {}).get("conditions") or []
            }
            if states.get("Established") == "True" and states.get("NamesAccepted") == "True":
                return
            time.sleep(0.2)
        raise AssertionError(f"CRD {crd} not established within {timeout}s: {states}")

    def service_account_token(self, namespace: str, name: str) -> str:
        """A token for a service account (TokenRequest), to act with exactly its RBAC."""
        with self.client() as http:
            response = http.post(
                f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
                json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                      "spec": {"expirationSeconds": 7200}},
            )
        assert response.status_code == 201, response.text
        return str(response.json()["status"]["token"])


def _wait_http(url: str, verify: ssl.SSLContext | bool, token: str | None,
               proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{url} exited {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            response = httpx.get(url, verify=verify, headers=headers, timeout=2)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code} {response.text[:300]}"
        except httpx.HTTPError as exc:
            last = str(exc)
        time.sleep(0.3)
    tail = log.read_text()[-4000:]
    raise AssertionError(f"{url} not healthy within {timeout}s ({last}):\n{tail}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def kube_cluster(directory: Path) -> Iterator[KubeCluster]:
    """etcd + kube-apiserver (+ controller manager's GC when built) under `directory`."""
    etcd = require_tool("etcd", "etcd-server")
    apiserver = kube_binary("kube-apiserver")
    if apiserver is None:
        require(
            f"kube-apiserver {kube_version()}",
            f"run `make kube-bins` (builds it with Go into {default_cache_dir()}/bin)",
        )
    ca_path, _ = _self_signed_ca(directory)
    tokens = directory / "tokens.csv"
    tokens.write_text(f'{ADMIN_TOKEN},admin,admin-uid,"system:masters"\n')
    procs: list[subprocess.Popen[bytes]] = []
    try:
        client_port, peer_port = free_port(), free_port()
        etcd_log = directory / "etcd.log"
        with etcd_log.open("wb") as out:
            procs.append(subprocess.Popen(
                [str(etcd), "--name", "test", "--data-dir", str(directory / "etcd"),
                 "--listen-client-urls", f"http://127.0.0.1:{client_port}",
                 "--advertise-client-urls", f"http://127.0.0.1:{client_port}",
                 "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
                 "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
                 "--initial-cluster", f"test=http://127.0.0.1:{peer_port}",
                 "--unsafe-no-fsync", "--log-level", "warn"],
                stdout=out, stderr=subprocess.STDOUT,
            ))
        _wait_http(f"http://127.0.0.1:{client_port}/health", False, None, procs[0], etcd_log, 60)
        port = free_port()
        api_log = directory / "kube-apiserver.log"
        with api_log.open("wb") as out:
            procs.append(subprocess.Popen(
                [str(apiserver),
                 f"--etcd-servers=http://127.0.0.1:{client_port}",
                 "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
                 f"--secure-port={port}",
                 f"--cert-dir={directory / 'certs'}",
                 f"--tls-cert-file={directory / 'serving.crt'}",
                 f"--tls-private-key-file={directory / 'serving.key'}",
                 f"--client-ca-file={ca_path}",
                 f"--token-auth-file={tokens}",
                 "--authorization-mode=RBAC",
                 "--service-account-issuer=https://kubernetes.default.svc",
                 f"--service-account-key-file={directory / 'sa.pub'}",
                 f"--service-account-signing-key-file={directory / 'sa.key'}",
                 "--service-cluster-ip-range=10.96.0.0/24",
                 "--endpoint-reconciler-type=none",
                 "--disable-admission-plugins=ServiceAccount",
                 "--v=0"],
                stdout=out, stderr=subprocess.STDOUT,
            ))
        server = f"https://127.0.0.1:{port}"
        verify = ssl.create_default_context(cafile=str(ca_path))
        _wait_http(f"{server}/readyz", verify, ADMIN_TOKEN, procs[1], api_log, 120)
        cluster = KubeCluster(server, ca_path, directory / "admin.kubeconfig", directory, False)
        cluster.write_kubeconfig(cluster.kubeconfig, ADMIN_TOKEN)
        manager = kube_binary("kube-controller-manager")
        if manager is not None:
            manager_log = directory / "kube-controller-manager.log"
            with manager_log.open("wb") as out:
                procs.append(subprocess.Popen(
                    [str(manager), f"--kubeconfig={cluster.kubeconfig}",
                     "--controllers=garbagecollector", "--leader-elect=false",
                     f"--secure-port={free_port()}", "--bind-address=127.0.0.1",
                     f"--cert-dir={directory / 'kcm-certs'}",
                     "--use-service-account-credentials=false"],
                    stdout=out, stderr=subprocess.STDOUT,
                ))
            cluster.has_controller_manager = True
        yield cluster
    finally:
        for proc in reversed(procs):
            _stop(proc)


@pytest.fixture(scope="session")
def kube() -> Iterator[KubeCluster]:
    """A real API server for the session; tests use their own namespaces."""
    directory = Path(tempfile.mkdtemp(prefix="commerce-kube-"))
    try:
        with kube_cluster(directory) as cluster:
            yield cluster
    finally:
        shutil.rmtree(directory, ignore_errors=True)
