"""What the operator's services need from the world, as Protocols; adapters/ implements them.

Operator room: declarations only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cloud.operator.children import ChildKind
from cloud.operator.conditions import Check, TemporalReport
from cloud.operator.model import ResourceRef


@dataclass(frozen=True)
class TemporalTarget:
    """How to reach one Temporal namespace (secrets already read)."""

    address: str
    namespace: str
    tls_ca: bytes | None = None
    tls_cert: bytes | None = None
    tls_key: bytes | None = None
    api_key: str | None = None


class KubeApi(Protocol):
    """The Kubernetes API as the operator uses it. Raises KubeUnavailable / KubeRejected."""

    async def apply(self, manifest: Mapping[str, Any]) -> Mapping[str, Any]:
        """Server-side apply `manifest` (create or update the fields the operator owns)."""
        ...

    async def list_names(self, kind: ChildKind, namespace: str, selector: str) -> list[str]:
        """Names of `kind` objects in `namespace` matching the label `selector`."""
        ...

    async def delete(self, kind: ChildKind, namespace: str, name: str) -> None:
        """Delete one object; a missing one is fine."""
        ...

    async def get_resource(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        """The CommerceProcess `namespace/name`, or None."""
        ...

    async def patch_status(self, ref: ResourceRef, status: Mapping[str, Any]) -> None:
        """Merge `status` into the resource's status subresource."""
        ...

    async def get_secret(self, namespace: str, name: str) -> Mapping[str, bytes] | None:
        """The decoded data of a Secret, or None when it does not exist."""
        ...

    async def post_event(self, ref: ResourceRef, type_: str, reason: str, message: str) -> None:
        """Record a Kubernetes Event on the resource."""
        ...


class DependencyProbes(Protocol):
    """Checks that the coordinator's dependencies answer. Never raise: they report."""

    async def temporal(
        self, target: TemporalTarget, task_queues: Sequence[str]
    ) -> TemporalReport: ...

    async def store(self, url: str) -> Check: ...

    async def gateway(self, address: str) -> Check: ...
