"""Where a workflow's time went, read from its Temporal history.

Bench room: reads workflow histories through a Temporal client and turns them into durations:
per activity type the wait in the task queue (scheduled to started) and the run (started to
completed), and the workflow tasks' queue wait and processing time. Writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench._machine import percentile

WORKFLOW_TASK = "workflow task"


def _ms(later: float, earlier: float) -> float:
    return (later - earlier) * 1000.0


async def history_phases(client: Client, workflow_id: str) -> dict[str, list[float]]:
    """Durations in ms keyed "<activity type> queued|ran", "workflow task queued|ran" and
    "<workflow type> started to closed" (first to last event of the history)."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    scheduled: dict[int, tuple[str, float]] = {}
    started: dict[int, float] = {}
    out: dict[str, list[float]] = defaultdict(list)
    events = list(history.events)
    if events:
        workflow_type = events[0].workflow_execution_started_event_attributes.workflow_type.name
        first = events[0].event_time.ToMicroseconds() / 1e6
        last = events[-1].event_time.ToMicroseconds() / 1e6
        out[f"{workflow_type} started to closed"].append(_ms(last, first))
    for event in events:
        at = event.event_time.ToMicroseconds() / 1e6
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            scheduled[event.event_id] = (name, at)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs = event.activity_task_started_event_attributes
            name, at_scheduled = scheduled[attrs.scheduled_event_id]
            out[f"{name} queued"].append(_ms(at, at_scheduled))
            started[attrs.scheduled_event_id] = at
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attrs_c = event.activity_task_completed_event_attributes
            name, _ = scheduled[attrs_c.scheduled_event_id]
            out[f"{name} ran"].append(_ms(at, started[attrs_c.scheduled_event_id]))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            scheduled[event.event_id] = (WORKFLOW_TASK, at)
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            attrs_w = event.workflow_task_started_event_attributes
            _, at_scheduled = scheduled[attrs_w.scheduled_event_id]
            out[f"{WORKFLOW_TASK} queued"].append(_ms(at, at_scheduled))
            started[attrs_w.scheduled_event_id] = at
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            attrs_wc = event.workflow_task_completed_event_attributes
            out[f"{WORKFLOW_TASK} ran"].append(_ms(at, started[attrs_wc.scheduled_event_id]))
    return out


def merge(parts: Iterable[dict[str, list[float]]]) -> dict[str, list[float]]:
    merged: dict[str, list[float]] = defaultdict(list)
    for part in parts:
        for key, values in part.items():
            merged[key].extend(values)
    return merged


def summary(durations: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """p50, p99 and max (ms, one decimal) per key, keys sorted."""
    return {
        key: {
            "p50_ms": round(percentile(values, 50), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values), 1),
        }
        for key, values in sorted(durations.items())
        if values
    }
