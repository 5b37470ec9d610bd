"""Fleet rollouts as ops run them: check the request, start a ring's rollout, follow it, and
pause, resume, approve or abort it.

Service room: the Temporal side comes in as a port (`RolloutWorkflows`); the rules of a good
request live here so a bad one is refused before anything starts.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import rollout_pb2
from shared.bundles import ManifestInvalid, validate_bundle_id
from shared.errors import InvalidInput
from shared.naming import validate_channel_id, validate_site_id

__all__ = ["RolloutService", "RolloutWorkflows", "check_rollout_request", "validate_label"]

_RING = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class RolloutWorkflows(Protocol):
    async def start(self, request: rollout_pb2.RolloutStoreFleetInput) -> str: ...
    async def status(self, ring: str) -> rollout_pb2.RolloutStatus: ...
    async def result(self, ring: str) -> rollout_pb2.RolloutStoreFleetResult: ...
    async def pause(self, ring: str, reason: str) -> None: ...
    async def resume(self, ring: str) -> None: ...
    async def approve(self, ring: str, step: int) -> rollout_pb2.RolloutStatus: ...
    async def abort(self, ring: str, reason: str) -> rollout_pb2.RolloutStatus: ...


def validate_label(label: str) -> str:
    """A site label: 1 to 63 lowercase letters, digits and '-'."""
    if not _RING.fullmatch(label):
        raise InvalidInput(
            f"invalid label {label!r}: use 1 to 63 lowercase letters, digits and '-' "
            "(e.g. 'pilot' or 'region-north')"
        )
    return label


def _ring(ring: str) -> str:
    if not _RING.fullmatch(ring):
        raise InvalidInput(
            f"invalid ring name {ring!r}: use 1 to 63 lowercase letters, digits and '-' "
            "(e.g. 'pilot' or 'ring-2')"
        )
    return ring


def check_rollout_request(request: rollout_pb2.RolloutStoreFleetInput) -> None:
    """Refuse a malformed rollout request, naming the field."""
    _ring(request.ring)
    try:
        validate_bundle_id(request.bundle.bundle_id)
    except ManifestInvalid as exc:
        raise InvalidInput(str(exc)) from exc
    selector = request.selector
    if sum(map(bool, (selector.sales_channel_id, selector.site_ids, selector.label))) != 1:
        raise InvalidInput(
            "select the ring's sites with --channel, --label or --site (one of them)"
        )
    if selector.label:
        validate_label(selector.label)
    if selector.sales_channel_id:
        validate_channel_id(selector.sales_channel_id)
    for site_id in selector.site_ids:
        validate_site_id(site_id)
    if len(set(selector.site_ids)) != len(selector.site_ids):
        raise InvalidInput("--site lists a site twice")
    if not 0 <= request.max_failure_ratio <= 1:
        raise InvalidInput(f"max failure ratio {request.max_failure_ratio} is not between 0 and 1")
    for name, value in (
        ("canary size", request.canary_size),
        ("step size", request.step_size),
        ("minimum failures", request.min_failures),
        ("batch size (--batch-size)", request.batch_size),
        ("maximum replication lag (--max-replication-lag)", request.max_replication_lag),
        ("maximum new errors (--max-new-errors)", request.max_new_errors),
    ):
        if value < 0:
            raise InvalidInput(f"{name} {value} is negative")
    window = request.observe_for.ToTimedelta()
    every = request.observe_every.ToTimedelta()
    timeout = request.install_timeout.ToTimedelta()
    if window < timedelta(0) or every < timedelta(0) or timeout < timedelta(0):
        raise InvalidInput("the observation window, its interval and the install timeout are >= 0")
    if window > timedelta(0) and every >= window:
        raise InvalidInput(
            f"--observe-every {every} is not shorter than the observation window {window}: "
            "health must be read more than once per window (0s: a fifth of it)"
        )
    if timedelta(0) < timeout < timedelta(minutes=1):
        raise InvalidInput(
            f"--install-timeout {timeout} is shorter than a minute: an install waits for a "
            "store-closed window and a health gate (0s: 25 h)"
        )


class RolloutService:
    """Starts and steers rollouts."""

    def __init__(self, workflows: RolloutWorkflows) -> None:
        self._workflows = workflows

    async def start(self, request: rollout_pb2.RolloutStoreFleetInput) -> str:
        check_rollout_request(request)
        return await self._workflows.start(request)

    async def status(self, ring: str) -> rollout_pb2.RolloutStatus:
        return await self._workflows.status(_ring(ring))

    async def result(self, ring: str) -> rollout_pb2.RolloutStoreFleetResult:
        return await self._workflows.result(_ring(ring))

    async def pause(self, ring: str, reason: str) -> None:
        await self._workflows.pause(_ring(ring), reason)

    async def resume(self, ring: str) -> None:
        await self._workflows.resume(_ring(ring))

    async def approve(self, ring: str, step: int) -> rollout_pb2.RolloutStatus:
        return await self._workflows.approve(_ring(ring), step)

    async def abort(self, ring: str, reason: str) -> rollout_pb2.RolloutStatus:
        if not reason.strip():
            raise InvalidInput("say why the rollout is aborted (--reason)")
        return await self._workflows.abort(_ring(ring), reason)
