"""The operator's service: make a CommerceProcess's children match its spec (apply, prune) and
check its dependencies into conditions with Events on transitions.

Operator room: receives the KubeApi and DependencyProbes ports; builds no adapter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloud.operator.children import (
    CHILD_KINDS,
    PROCESS_LABEL,
    gateway_health_address,
    render,
)
from cloud.operator.conditions import Check, Evaluation, Observation, TemporalReport, evaluate
from cloud.operator.errors import OperatorError
from cloud.operator.model import CommerceProcessSpec, ResourceRef, parse_spec
from cloud.operator.ports import DependencyProbes, KubeApi, TemporalTarget

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileReport:
    applied: tuple[str, ...]
    pruned: tuple[str, ...]
    seconds: float


class Reconciler:
    """Children and conditions of CommerceProcess resources."""

    def __init__(
        self,
        kube: KubeApi,
        probes: DependencyProbes,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        after_apply: Callable[[ResourceRef], None] | None = None,
    ) -> None:
        """`after_apply` is called after each child is applied (a test hook; None in use)."""
        self._kube = kube
        self._probes = probes
        self._clock = clock
        self._after_apply = after_apply
        self._rendered_tls_keys: dict[tuple[str, str], frozenset[str] | None] = {}

    async def _tls_keys(self, ref: ResourceRef, spec: CommerceProcessSpec) -> frozenset[str] | None:
        """The keys of the Temporal TLS Secret (so containers are told only of files that
        exist), or None when none is named or it does not exist yet."""
        if not spec.temporal.tls_secret_name:
            return None
        found = await self._kube.get_secret(ref.namespace, spec.temporal.tls_secret_name)
        return None if found is None else frozenset(found)

    async def reconcile(self, body: Mapping[str, Any]) -> ReconcileReport:
        """Apply every child the spec implies and delete owned children it no longer implies.
        Idempotent: applying an unchanged child writes nothing, so a restart converges."""
        started = time.monotonic()
        ref = ResourceRef.from_body(body)
        spec = parse_spec(body.get("spec") or {})
        tls_keys = await self._tls_keys(ref, spec)
        wanted = render(ref, spec, tls_keys)
        applied: list[str] = []
        for manifest in wanted:
            await self._kube.apply(manifest)
            applied.append(f"{manifest['kind']}/{manifest['metadata']['name']}")
            if self._after_apply is not None:
                self._after_apply(ref)
        keep = {(m["kind"], m["metadata"]["name"]) for m in wanted}
        pruned: list[str] = []
        selector = f"{PROCESS_LABEL}={ref.name}"
        for kind in CHILD_KINDS:
            for name in await self._kube.list_names(kind, ref.namespace, selector):
                if (kind.kind, name) not in keep:
                    await self._kube.delete(kind, ref.namespace, name)
                    pruned.append(f"{kind.kind}/{name}")
        self._rendered_tls_keys[(ref.namespace, ref.name)] = tls_keys
        report = ReconcileReport(tuple(applied), tuple(pruned), time.monotonic() - started)
        logger.log(
            logging.INFO if pruned else logging.DEBUG,
            "reconciled %s/%s: %d applied, pruned %s",
            ref.namespace, ref.name, len(applied), pruned or "none",
        )
        return report

    async def reconcile_named(self, namespace: str, name: str) -> ReconcileReport | None:
        """Reconcile the resource `namespace/name` if it still exists (a child changed)."""
        body = await self._kube.get_resource(namespace, name)
        if body is None or (body.get("metadata") or {}).get("deletionTimestamp"):
            return None
        return await self.reconcile(body)

    async def check(self, body: Mapping[str, Any]) -> Evaluation:
        """Probe every dependency, write the conditions to status and post an Event for each
        condition whose status changed."""
        ref = ResourceRef.from_body(body)
        spec = parse_spec(body.get("spec") or {})
        if spec.temporal.tls_secret_name and self._rendered_tls_keys.get(
            (ref.namespace, ref.name), ()
        ) != await self._tls_keys(ref, spec):
            # The TLS Secret appeared or changed its keys since the children were rendered:
            # the containers must be told of the files it now holds.
            await self.reconcile(body)
        observation = await self.observe(ref, spec)
        previous = (body.get("status") or {}).get("conditions") or []
        evaluation = evaluate(
            observation,
            queues=spec.task_queues,
            build_id=spec.version,
            search_attributes=spec.temporal.search_attributes,
            previous=previous,
            generation=ref.generation,
            now=self._clock(),
        )
        await self._kube.patch_status(ref, evaluation.status_patch(ref.generation))
        for condition in evaluation.transitions:
            type_ = "Normal" if condition.status == "True" else "Warning"
            try:
                await self._kube.post_event(
                    ref,
                    type_,
                    f"{condition.type}{condition.status}",
                    f"{condition.type} is {condition.status} ({condition.reason}): "
                    f"{condition.message}",
                )
            except OperatorError as exc:
                # The status already says it; a lost Event must not undo the check.
                logger.warning("event for %s/%s not recorded: %s", ref.namespace, ref.name, exc)
        return evaluation

    async def observe(self, ref: ResourceRef, spec: CommerceProcessSpec) -> Observation:
        target, problem = await self._temporal_target(ref, spec)
        if problem is not None:
            temporal = TemporalReport(reachable=problem)
        else:
            assert target is not None
            temporal = await self._probes.temporal(target, spec.task_queues)
        return Observation(
            temporal=temporal,
            store=await self._store(ref, spec),
            gateway=await self._probes.gateway(gateway_health_address(ref, spec)),
        )

    async def _temporal_target(
        self, ref: ResourceRef, spec: CommerceProcessSpec
    ) -> tuple[TemporalTarget | None, Check | None]:
        t = spec.temporal
        tls: Mapping[str, bytes] = {}
        api_key: str | None = None
        if t.tls_secret_name:
            found = await self._kube.get_secret(ref.namespace, t.tls_secret_name)
            if found is None:
                return None, _missing_secret(ref, t.tls_secret_name, "spec.temporal.tlsSecretName")
            tls = found
        if t.api_key_secret_name:
            found = await self._kube.get_secret(ref.namespace, t.api_key_secret_name)
            if found is None or "api-key" not in found:
                return None, _missing_secret(
                    ref, t.api_key_secret_name, "spec.temporal.apiKeySecretName (key api-key)"
                )
            api_key = found["api-key"].decode().strip()
        target = TemporalTarget(
            address=t.address,
            namespace=t.namespace,
            tls_ca=tls.get("ca.crt"),
            tls_cert=tls.get("tls.crt"),
            tls_key=tls.get("tls.key"),
            api_key=api_key,
        )
        return target, None

    async def _store(self, ref: ResourceRef, spec: CommerceProcessSpec) -> Check:
        key = spec.store.url_secret
        data = await self._kube.get_secret(ref.namespace, key.name)
        if data is None or key.key not in data:
            return _missing_secret(ref, key.name, f"spec.store.urlSecret (key {key.key})")
        return await self._probes.store(data[key.key].decode().strip())


def _missing_secret(ref: ResourceRef, name: str, field: str) -> Check:
    return Check(
        False,
        "SecretMissing",
        f"expected Secret {ref.namespace}/{name} named by {field}; it does not exist or lacks "
        "the key",
    )
