"""Dependency conditions: from what the probes saw to Kubernetes-shaped conditions, keeping
lastTransitionTime when a status did not change, and listing the transitions for Events.

Operator room: pure; no I/O. Each message says what was expected and what was seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TEMPORAL_REACHABLE = "TemporalReachable"
NAMESPACE_READY = "NamespaceReady"
SEARCH_ATTRIBUTES_REGISTERED = "SearchAttributesRegistered"
WORKERS_POLLING = "WorkersPolling"
STORE_REACHABLE = "StoreReachable"
GATEWAY_SERVING = "GatewayServing"
READY = "Ready"
DEPENDENCIES: tuple[str, ...] = (
    TEMPORAL_REACHABLE,
    NAMESPACE_READY,
    SEARCH_ATTRIBUTES_REGISTERED,
    WORKERS_POLLING,
    STORE_REACHABLE,
    GATEWAY_SERVING,
)
ALL_TYPES: tuple[str, ...] = (*DEPENDENCIES, READY)


@dataclass(frozen=True)
class Check:
    """One probe's answer: ok or not, a CamelCase reason and a message for people."""

    ok: bool | None
    reason: str
    message: str


@dataclass(frozen=True)
class Pollers:
    """Who polls one task queue: how many pollers polled lately and with which build ids;
    `stale` pollers are still listed by Temporal but last polled over `freshness_seconds`
    ago (the most recent of them `stale_seconds` ago): a stopped worker."""

    count: int
    build_ids: tuple[str, ...]
    stale: int = 0
    stale_seconds: float | None = None
    freshness_seconds: float | None = None

    def describe(self, queue: str) -> str:
        text = f"{queue}: {self.count} poller(s), build ids {list(self.build_ids) or 'none'}"
        if self.stale:
            text += (
                f", {self.stale} stale poller(s) (last poll {self.stale_seconds or 0:.0f}s ago, "
                f"over the {self.freshness_seconds or 0:.0f}s bound)"
            )
        return text


@dataclass(frozen=True)
class TemporalReport:
    """What the Temporal probe saw; later parts are None when an earlier one failed."""

    reachable: Check
    namespace: Check | None = None
    registered_search_attributes: frozenset[str] | None = None
    pollers: Mapping[str, Pollers] | None = None


@dataclass(frozen=True)
class Observation:
    """Everything one check of a resource saw."""

    temporal: TemporalReport
    store: Check
    gateway: Check


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str
    last_transition_time: str
    observed_generation: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "lastTransitionTime": self.last_transition_time,
            "observedGeneration": self.observed_generation,
        }


@dataclass(frozen=True)
class Evaluation:
    conditions: tuple[Condition, ...]
    transitions: tuple[Condition, ...] = field(default=())
    build_ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def status_patch(self, generation: int) -> dict[str, Any]:
        return {
            "observedGeneration": generation,
            "conditions": [c.as_dict() for c in self.conditions],
            "workerBuildIds": {q: list(ids) for q, ids in self.build_ids.items()},
        }


def _status(ok: bool | None) -> str:
    return "Unknown" if ok is None else ("True" if ok else "False")


def _unknown_behind_temporal(report: TemporalReport) -> Check:
    return Check(None, "TemporalUnreachable", "not checked: " + report.reachable.message)


def _search_attributes(report: TemporalReport, expected: Sequence[str]) -> Check:
    if report.registered_search_attributes is None:
        return _unknown_behind_temporal(report)
    missing = sorted(set(expected) - report.registered_search_attributes)
    if missing:
        return Check(
            False,
            "SearchAttributesMissing",
            f"expected {sorted(expected)} registered; missing {missing} "
            "(temporal operator search-attribute create)",
        )
    return Check(True, "Registered", f"all of {sorted(expected)} are registered")


def _workers(
    report: TemporalReport, queues: Sequence[str], build_id: str
) -> tuple[Check, dict[str, tuple[str, ...]]]:
    if report.pollers is None:
        return _unknown_behind_temporal(report), {}
    seen = {q: report.pollers.get(q, Pollers(0, ())) for q in queues}
    build_ids = {q: p.build_ids for q, p in seen.items()}
    described = "; ".join(p.describe(q) for q, p in seen.items())
    idle = [q for q, p in seen.items() if p.count == 0]
    if idle:
        return (
            Check(False, "NoPollers", f"expected pollers on every declared queue; none on "
                  f"{', '.join(idle)} ({described})"),
            build_ids,
        )
    stale = [q for q, p in seen.items() if build_id not in p.build_ids]
    if stale:
        return (
            Check(False, "BuildIdNotPolling", f"expected build id {build_id} polling; not on "
                  f"{', '.join(stale)} ({described})"),
            build_ids,
        )
    return Check(True, "Polling", described), build_ids


def evaluate(
    observation: Observation,
    *,
    queues: Sequence[str],
    build_id: str,
    search_attributes: Sequence[str],
    previous: Sequence[Mapping[str, Any]],
    generation: int,
    now: datetime,
) -> Evaluation:
    """Conditions for `observation`; a condition keeps its lastTransitionTime unless its
    status changed, and `transitions` lists those whose status changed (or are new)."""
    temporal = observation.temporal
    workers, build_ids = _workers(temporal, queues, build_id)
    checks: dict[str, Check] = {
        TEMPORAL_REACHABLE: temporal.reachable,
        NAMESPACE_READY: temporal.namespace or _unknown_behind_temporal(temporal),
        SEARCH_ATTRIBUTES_REGISTERED: _search_attributes(temporal, search_attributes),
        WORKERS_POLLING: workers,
        STORE_REACHABLE: observation.store,
        GATEWAY_SERVING: observation.gateway,
    }
    failing = [t for t in DEPENDENCIES if checks[t].ok is not True]
    checks[READY] = (
        Check(False, "DependenciesNotReady", "not ready: " + ", ".join(failing))
        if failing
        else Check(True, "AllDependenciesReady", "every dependency condition is True")
    )
    before = {str(c.get("type")): c for c in previous}
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    conditions: list[Condition] = []
    transitions: list[Condition] = []
    for kind in ALL_TYPES:
        check = checks[kind]
        status = _status(check.ok)
        old = before.get(kind)
        changed = old is None or old.get("status") != status
        when = stamp if changed or old is None else str(old.get("lastTransitionTime", stamp))
        condition = Condition(kind, status, check.reason, check.message, when, generation)
        conditions.append(condition)
        if changed:
            transitions.append(condition)
    return Evaluation(tuple(conditions), tuple(transitions), build_ids)
