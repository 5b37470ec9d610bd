"""The replay corpus: where recorded workflow histories live and how they are read and broken.

Test support for the workflow guardrail tests; touches files under tests/histories/ only.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.workflow import _Definition

from cloud.composition import worker

logger = logging.getLogger(__name__)

HISTORIES_DIR = Path(__file__).resolve().parents[2] / "histories"
BROKEN_DIR = HISTORIES_DIR / "broken"
PROVISION_STORE_SITE_DIR = HISTORIES_DIR / "provision_store_site"
REPLICATION_DIR = HISTORIES_DIR / "replication"
HAPPY_PATH = PROVISION_STORE_SITE_DIR / "happy_path.json"
NONDETERMINISTIC = BROKEN_DIR / "provision_store_site_nondeterministic.json"

# The activity whose scheduled event the broken history renames.
BROKEN_ACTIVITY = "IssueBootstrapToken"
BROKEN_SUFFIX = "Renamed"


def registered_workflows() -> list[type]:
    """The workflow classes the worker registers, built by the same generated function."""
    return worker.registered_workflows()


def workflow_type_name(cls: type) -> str:
    """The workflow type a registered class serves (the SDK keeps it on a private definition)."""
    name = _Definition.must_from_class(cls).name
    if name is None:
        raise ValueError(f"{cls.__name__} is a dynamic workflow; the corpus needs named types")
    return name


def corpus_files() -> list[Path]:
    """Every history that must replay: tests/histories/**/*.json except broken/."""
    return sorted(path for path in HISTORIES_DIR.rglob("*.json") if BROKEN_DIR not in path.parents)


def corpus_id(path: Path) -> str:
    """A readable test id: <workflow dir>/<scenario>."""
    return str(path.relative_to(HISTORIES_DIR).with_suffix(""))


def load_history(path: Path) -> WorkflowHistory:
    """Read a recorded history; its workflow id is the file's corpus id."""
    return WorkflowHistory.from_json(corpus_id(path), path.read_text())


def workflow_type(history: dict[str, Any]) -> str:
    """The workflow type named by the history's WorkflowExecutionStarted event."""
    first = history["events"][0]
    name: str = first["workflowExecutionStartedEventAttributes"]["workflowType"]["name"]
    return name


def write_history(path: Path, history_json: str) -> None:
    """Store a history as indented JSON so re-recordings diff readably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json.loads(history_json), indent=2, sort_keys=True) + "\n")
    logger.info("recorded %s", path)


def break_history(history: dict[str, Any]) -> dict[str, Any]:
    """A copy whose IssueBootstrapToken schedule event names another activity type.

    The workflow code still schedules IssueBootstrapToken there, so replay must report a
    non-determinism error.
    """
    broken = copy.deepcopy(history)
    for event in broken["events"]:
        attributes = event.get("activityTaskScheduledEventAttributes")
        if attributes and attributes["activityType"]["name"] == BROKEN_ACTIVITY:
            attributes["activityType"]["name"] = BROKEN_ACTIVITY + BROKEN_SUFFIX
            return broken
    raise ValueError(f"the history schedules no {BROKEN_ACTIVITY} activity to rename")
