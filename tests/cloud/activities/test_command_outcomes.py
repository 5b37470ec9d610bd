"""The one mapping from an agent's answer to a Temporal outcome, old agents included."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.activities.command_outcomes import (
    SITE_COMMAND_FAILED,
    SITE_COMMAND_RETRYABLE,
    command_failure,
    is_final,
    settle,
)


def test_success_completes_with_the_result() -> None:
    result = edge_pb2.CommandResult(
        command_id="c1", ok=True, outcome=edge_pb2.COMMAND_OUTCOME_SUCCEEDED
    )
    assert command_failure(result) is None
    assert settle(result) is result
    assert is_final(result)


def test_retryable_failure_is_a_retryable_activity_failure_and_leaves_the_command_open() -> None:
    result = edge_pb2.CommandResult(
        command_id="c1",
        outcome=edge_pb2.COMMAND_OUTCOME_FAILED_RETRYABLE,
        reason="DatabaseBusy",
        message="the local database is locked by another program",
        error="the local database is locked by another program",
    )
    failure = command_failure(result)
    assert isinstance(failure, ApplicationError)
    assert (failure.type, failure.non_retryable) == (SITE_COMMAND_RETRYABLE, False)
    assert "DatabaseBusy" in failure.message and "locked" in failure.message
    assert not is_final(result)
    with pytest.raises(ApplicationError):
        settle(result)


def test_permanent_failure_is_non_retryable_with_the_agents_message_and_reason() -> None:
    result = edge_pb2.CommandResult(
        command_id="c1",
        outcome=edge_pb2.COMMAND_OUTCOME_FAILED_PERMANENT,
        reason="WrongSite",
        message="site config is for site 'a' but this agent is site 'b'",
    )
    failure = command_failure(result)
    assert isinstance(failure, ApplicationError)
    assert (failure.type, failure.non_retryable) == (SITE_COMMAND_FAILED, True)
    assert failure.message == "site config is for site 'a' but this agent is site 'b'"
    assert failure.details[0] == "WrongSite"
    assert is_final(result)


@pytest.mark.parametrize(
    ("ok", "expected"),
    [(True, None), (False, SITE_COMMAND_FAILED)],
    ids=["old-agent-ok", "old-agent-failed"],
)
def test_agents_that_predate_outcomes_are_read_by_ok(ok: bool, expected: str | None) -> None:
    result = edge_pb2.CommandResult(command_id="c1", ok=ok, error="" if ok else "disk full")
    failure = command_failure(result)
    assert (failure.type if failure else None) == expected
    if failure is not None:
        assert failure.non_retryable and failure.message == "disk full"
        assert failure.details[0] == "AgentRefused"
