"""Composition root of the operator: kopf handlers around the Reconciler, the one place that
maps OperatorError to kopf's retries, and the settings that keep it calm.

Operator room: builds the KubeClient and LiveProbes adapters and a kopf registry; the CLI
(`commerce-cloud operator run`) runs it. What triggers what:
- the resource is created, its spec changes, or the operator (re)starts: reconcile children,
  then check conditions;
- a child (Deployment, HPA, Service, Ingress) labelled as ours changes or disappears: reconcile
  its owner (coalesced, so a burst of events makes at most one extra pass);
- every `checkIntervalSeconds` (or the operator's --check-interval): reconcile, then check.
Status writes do not retrigger anything: kopf reacts to spec, labels and annotations only.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import kopf

from cloud.operator.adapters.kube import KubeClient, KubeCredentials
from cloud.operator.adapters.probes import LiveProbes
from cloud.operator.children import CHILD_KINDS, MANAGED_BY, PROCESS_LABEL
from cloud.operator.crash_hook import crash_after_applies_from_env
from cloud.operator.errors import OperatorError
from cloud.operator.model import GROUP, PLURAL, VERSION, ResourceRef, parse_spec
from cloud.operator.reconciler import Reconciler

logger = logging.getLogger(__name__)

ANNOTATION_PREFIX = "commerce.ameide.io"
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class OperatorConfig:
    """How the operator runs; built by the CLI."""

    namespaces: tuple[str, ...] = ()
    """Namespaces to watch; empty means every namespace."""
    check_interval: float | None = None
    """Seconds between dependency checks, overriding each resource's checkIntervalSeconds."""
    probe_timeout: float = 5.0
    resync_seconds: float = 300.0
    """Seconds between full re-applies of every child (drift is repaired on child events)."""
    liveness_endpoint: str | None = None
    poller_freshness: float = 90.0
    """Seconds since a poller's last poll after which it no longer counts as polling."""


def backoff(retry: int) -> float:
    """Delay before retry number `retry` (0-based) of a failed reconcile: 1, 2, 4, ... 60 s."""
    return float(min(2**retry, MAX_BACKOFF_SECONDS))


async def _mapped(action: Awaitable[Any], retry: int) -> Any:
    """The one place that turns OperatorError into kopf's retry or give-up."""
    try:
        return await action
    except OperatorError as exc:
        if exc.retryable:
            raise kopf.TemporaryError(str(exc), delay=backoff(retry)) from exc
        raise kopf.PermanentError(str(exc)) from exc


@dataclass
class Coalescer:
    """Runs `action(key)` for kicks; kicks arriving while it runs make exactly one more pass."""

    action: Callable[[str, str], Awaitable[Any]]
    _running: set[tuple[str, str]] = field(default_factory=set)
    _dirty: set[tuple[str, str]] = field(default_factory=set)

    async def kick(self, namespace: str, name: str) -> None:
        key = (namespace, name)
        if key in self._running:
            self._dirty.add(key)
            return
        self._running.add(key)
        try:
            while True:
                self._dirty.discard(key)
                try:
                    await self.action(namespace, name)
                except OperatorError as exc:
                    # The interval pass retries; nothing is half-applied (apply is per child).
                    logger.warning("repairing children of %s/%s: %s", namespace, name, exc)
                if key not in self._dirty:
                    return
        finally:
            self._running.discard(key)


class CheckSerializer:
    """One dependency check at a time per resource, each on its freshest body, so two
    triggers never post the same transition twice."""

    def __init__(self, kube: KubeClient, reconciler: Reconciler) -> None:
        self._kube = kube
        self._reconciler = reconciler
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def check(self, namespace: str, name: str) -> None:
        lock = self._locks.setdefault((namespace, name), asyncio.Lock())
        async with lock:
            body = await self._kube.get_resource(namespace, name)
            if body is None or (body.get("metadata") or {}).get("deletionTimestamp"):
                return
            await self._reconciler.check(body)


def build_registry(
    config: OperatorConfig,
    credentials: KubeCredentials,
    login: kopf.ConnectionInfo,
) -> kopf.OperatorRegistry:
    """A kopf registry with every handler of the operator, wired to real adapters."""
    kube = KubeClient(credentials)
    reconciler = Reconciler(
        kube,
        LiveProbes(timeout=config.probe_timeout, poller_freshness=config.poller_freshness),
        after_apply=crash_after_applies_from_env(os.environ),
    )
    checks = CheckSerializer(kube, reconciler)
    repairs = Coalescer(reconciler.reconcile_named)
    registry = kopf.OperatorRegistry()

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        # Keep kopf's bookkeeping in annotations: status is ours (conditions) and the CRD's
        # schema does not carry kopf's fields.
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
            prefix=ANNOTATION_PREFIX
        )
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
            prefix=ANNOTATION_PREFIX, key="last-handled-configuration"
        )
        settings.posting.level = logging.WARNING
        settings.watching.server_timeout = 300
        settings.networking.request_timeout = 30

    @kopf.on.login(registry=registry)
    def log_in(**_: Any) -> kopf.ConnectionInfo:
        return login

    @kopf.on.cleanup(registry=registry)
    async def close(**_: Any) -> None:
        await kube.close()

    async def reconcile_and_check(body: kopf.Body, retry: int, **_: Any) -> None:
        ref = ResourceRef.from_body(body)
        await _mapped(reconciler.reconcile(body), retry)
        await _mapped(checks.check(ref.namespace, ref.name), retry)

    for decorator in (kopf.on.create, kopf.on.update, kopf.on.resume):
        decorator(GROUP, VERSION, PLURAL, registry=registry, backoff=MAX_BACKOFF_SECONDS)(
            reconcile_and_check
        )

    @kopf.daemon(GROUP, VERSION, PLURAL, registry=registry, cancellation_timeout=5.0)
    async def keep_checking(body: kopf.Body, stopped: kopf.DaemonStopped, **_: Any) -> None:
        ref = ResourceRef.from_body(body)
        last_resync = time.monotonic()
        while not stopped:
            try:
                interval = config.check_interval or parse_spec(
                    body.get("spec") or {}
                ).check_interval_seconds
            except OperatorError:
                interval = MAX_BACKOFF_SECONDS
            await stopped.wait(interval)
            if stopped:
                return
            try:
                # Child events repair drift at once; a full pass now and then covers a missed
                # event without re-applying every child on every check.
                if time.monotonic() - last_resync >= config.resync_seconds:
                    last_resync = time.monotonic()
                    await repairs.kick(ref.namespace, ref.name)
                await checks.check(ref.namespace, ref.name)
            except OperatorError as exc:
                logger.warning("checking %s/%s: %s", ref.namespace, ref.name, exc)

    async def child_changed(event: kopf.RawEvent, body: kopf.Body, **_: Any) -> None:
        owner = body.metadata.labels.get(PROCESS_LABEL)
        if owner and event.get("type") in ("MODIFIED", "DELETED"):
            await repairs.kick(body.metadata.namespace or "", owner)

    for kind in CHILD_KINDS:
        group, _, version = kind.api_version.rpartition("/")
        kopf.on.event(
            group,
            version,
            kind.plural,
            registry=registry,
            labels={"app.kubernetes.io/managed-by": MANAGED_BY, PROCESS_LABEL: kopf.PRESENT},
        )(child_changed)
    return registry


def credentials_from(info: kopf.ConnectionInfo) -> KubeCredentials:
    """The adapter's credentials from what kopf's login found."""
    ca_data = info.ca_data.encode() if isinstance(info.ca_data, str) else info.ca_data
    if ca_data and b"-----BEGIN" not in ca_data:
        ca_data = base64.b64decode(ca_data)  # kubeconfig's certificate-authority-data
    return KubeCredentials(
        server=info.server,
        ca_path=str(info.ca_path) if info.ca_path else None,
        ca_data=ca_data,
        token=info.token,
        certificate_path=str(info.certificate_path) if info.certificate_path else None,
        private_key_path=str(info.private_key_path) if info.private_key_path else None,
        insecure=bool(info.insecure),
    )


def _login(settings: kopf.OperatorSettings) -> kopf.ConnectionInfo:
    info = kopf.login_with_kubeconfig(settings=settings) or kopf.login_with_service_account(
        settings=settings
    )
    if info is None:
        raise OperatorError(
            "no Kubernetes credentials: set KUBECONFIG (or --kubeconfig), or run in a pod with "
            "a service account"
        )
    return info


def kube_client() -> KubeClient:
    """A KubeClient logged in as the operator would be (for `operator status`)."""
    return KubeClient(credentials_from(_login(kopf.OperatorSettings())))


async def run_operator(config: OperatorConfig, stop: asyncio.Event | None = None) -> None:
    """Log in (kubeconfig, else the pod's service account) and run until `stop` is set or the
    process is signalled."""
    settings = kopf.OperatorSettings()
    info = _login(settings)
    registry = build_registry(config, credentials_from(info), info)
    await kopf.operator(
        registry=registry,
        settings=settings,
        standalone=True,
        clusterwide=not config.namespaces,
        namespaces=list(config.namespaces),
        stop_flag=stop,
        liveness_endpoint=config.liveness_endpoint,
    )
