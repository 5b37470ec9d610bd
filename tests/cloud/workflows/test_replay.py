"""Replays the recorded history corpus against today's workflow code, in the SDK sandbox.

A failure here means a workflow change alters the commands old runs emitted: guard the change
with `workflow.patched(...)` (see cloud/workflows/store_site.py) or re-record on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from tests.cloud.workflows.corpus import (
    BROKEN_ACTIVITY,
    BROKEN_SUFFIX,
    HAPPY_PATH,
    HISTORIES_DIR,
    NONDETERMINISTIC,
    break_history,
    corpus_files,
    corpus_id,
    load_history,
    registered_workflows,
    workflow_type,
    workflow_type_name,
)


def _replayer() -> Replayer:
    # The default runner is the sandbox, as in the worker.
    return Replayer(workflows=registered_workflows())


def test_corpus_is_present() -> None:
    assert corpus_files(), f"no recorded histories under {HISTORIES_DIR}; run make record-histories"


@pytest.mark.parametrize("path", corpus_files(), ids=corpus_id)
async def test_history_replays(path: Path) -> None:
    result = await _replayer().replay_workflow(load_history(path), raise_on_replay_failure=False)
    assert result.replay_failure is None, (
        f"{path} no longer replays: {result.replay_failure!r}. If the workflow change is "
        "intended, wrap it in workflow.patched(...); re-record only for unreleased workflows."
    )


async def test_nondeterministic_history_fails_replay() -> None:
    history = load_history(NONDETERMINISTIC)
    with pytest.raises(NondeterminismError) as failure:
        await _replayer().replay_workflow(history)
    assert BROKEN_ACTIVITY + BROKEN_SUFFIX in str(failure.value)


def test_broken_history_is_the_happy_path_with_one_change() -> None:
    # Re-recording regenerates the broken copy; this keeps the two from drifting apart.
    happy = json.loads(HAPPY_PATH.read_text())
    assert json.loads(NONDETERMINISTIC.read_text()) == break_history(happy)
    assert break_history(happy) != happy


def test_every_registered_workflow_type_has_a_history() -> None:
    registered = {workflow_type_name(cls) for cls in registered_workflows()}
    recorded = {workflow_type(json.loads(path.read_text())) for path in corpus_files()}
    missing = registered - recorded
    assert not missing, (
        f"workflow types without a recorded history: {sorted(missing)}; add a scenario to "
        "tests/cloud/workflows/test_record_histories.py and run make record-histories"
    )
