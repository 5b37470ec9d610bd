"""KubeApi over aiohttp: server-side apply, list, delete, status patches, secrets, Events.

Operator adapter room: talks to the Kubernetes API server only; maps aiohttp errors and HTTP
statuses to KubeUnavailable (retry) and KubeRejected (fix the request).
"""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from cloud.operator.children import CHILD_KINDS, MANAGED_BY, ChildKind
from cloud.operator.errors import KubeRejected, KubeUnavailable
from cloud.operator.model import API_VERSION, KIND, PLURAL, ResourceRef

FIELD_MANAGER = MANAGED_BY
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_KINDS = {k.kind: k for k in CHILD_KINDS}


@dataclass(frozen=True)
class KubeCredentials:
    """Where the API server is and how to authenticate (from a kubeconfig or the pod)."""

    server: str
    ca_path: str | None = None
    ca_data: bytes | None = None
    token: str | None = None
    certificate_path: str | None = None
    private_key_path: str | None = None
    insecure: bool = False


def _group_path(api_version: str) -> str:
    return "/api/v1" if api_version == "v1" else f"/apis/{api_version}"


def _kind_path(kind: ChildKind, namespace: str) -> str:
    return f"{_group_path(kind.api_version)}/namespaces/{namespace}/{kind.plural}"


def _resource_path(namespace: str, name: str = "") -> str:
    base = f"/apis/{API_VERSION}/namespaces/{namespace}/{PLURAL}"
    return f"{base}/{name}" if name else base


class KubeClient:
    """The Kubernetes API for the operator; one aiohttp session, opened on first use."""

    def __init__(self, credentials: KubeCredentials, timeout: float = 15.0) -> None:
        self._credentials = credentials
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _ssl(self) -> ssl.SSLContext | bool:
        c = self._credentials
        if not c.server.startswith("https"):
            return False
        if c.insecure:
            return False
        context = ssl.create_default_context(
            cafile=c.ca_path, cadata=c.ca_data.decode() if c.ca_data else None
        )
        if c.certificate_path and c.private_key_path:
            context.load_cert_chain(c.certificate_path, c.private_key_path)
        return context

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            headers = {"Accept": "application/json"}
            if self._credentials.token:
                headers["Authorization"] = f"Bearer {self._credentials.token}"
            self._session = aiohttp.ClientSession(
                base_url=self._credentials.server.rstrip("/"),
                headers=headers,
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(ssl=self._ssl()),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        content_type: str = "application/json",
        missing_ok: bool = False,
    ) -> Any:
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": content_type} if data is not None else None
        try:
            async with self._open().request(
                method, path, data=data, params=params, headers=headers
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise KubeUnavailable(
                f"Kubernetes API server {self._credentials.server} did not answer {method} "
                f"{path}: {exc or type(exc).__name__}; retrying"
            ) from exc
        if status == 404 and missing_ok:
            return None
        if status in _RETRYABLE_STATUSES:
            raise KubeUnavailable(f"{method} {path}: HTTP {status} {_message(text)}; retrying")
        if status >= 400:
            raise KubeRejected(f"{method} {path} refused: HTTP {status} {_message(text)}", status)
        return json.loads(text) if text else None

    async def apply(self, manifest: Mapping[str, Any]) -> Mapping[str, Any]:
        kind = _KINDS[str(manifest["kind"])]
        meta = manifest["metadata"]
        path = f"{_kind_path(kind, meta['namespace'])}/{meta['name']}"
        result: Mapping[str, Any] = await self._call(
            "PATCH",
            path,
            body=manifest,
            params={"fieldManager": FIELD_MANAGER, "force": "true"},
            content_type="application/apply-patch+yaml",
        )
        return result

    async def list_names(self, kind: ChildKind, namespace: str, selector: str) -> list[str]:
        listed = await self._call(
            "GET", _kind_path(kind, namespace), params={"labelSelector": selector}
        )
        return [str(item["metadata"]["name"]) for item in listed.get("items", [])]

    async def delete(self, kind: ChildKind, namespace: str, name: str) -> None:
        await self._call(
            "DELETE",
            f"{_kind_path(kind, namespace)}/{name}",
            body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"},
            missing_ok=True,
        )

    async def get_resource(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        found: Mapping[str, Any] | None = await self._call(
            "GET", _resource_path(namespace, name), missing_ok=True
        )
        return found

    async def list_resources(self, namespace: str | None) -> list[Mapping[str, Any]]:
        path = _resource_path(namespace) if namespace else f"/apis/{API_VERSION}/{PLURAL}"
        listed = await self._call("GET", path)
        return list(listed.get("items", []))

    async def patch_status(self, ref: ResourceRef, status: Mapping[str, Any]) -> None:
        await self._call(
            "PATCH",
            f"{_resource_path(ref.namespace, ref.name)}/status",
            body={"status": status},
            content_type="application/merge-patch+json",
        )

    async def get_secret(self, namespace: str, name: str) -> Mapping[str, bytes] | None:
        found = await self._call(
            "GET", f"/api/v1/namespaces/{namespace}/secrets/{name}", missing_ok=True
        )
        if found is None:
            return None
        return {k: base64.b64decode(v) for k, v in (found.get("data") or {}).items()}

    async def post_event(self, ref: ResourceRef, type_: str, reason: str, message: str) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{ref.name}.", "namespace": ref.namespace},
            "involvedObject": {
                "apiVersion": API_VERSION,
                "kind": KIND,
                "name": ref.name,
                "namespace": ref.namespace,
                "uid": ref.uid,
            },
            "reason": reason,
            "message": message[:1024],
            "type": type_,
            "source": {"component": FIELD_MANAGER},
            "reportingComponent": FIELD_MANAGER,
            "reportingInstance": FIELD_MANAGER,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        await self._call("POST", f"/api/v1/namespaces/{ref.namespace}/events", body=event)


def _message(text: str) -> str:
    try:
        return str(json.loads(text).get("message", text))[:500]
    except (ValueError, AttributeError):
        return text[:500]
