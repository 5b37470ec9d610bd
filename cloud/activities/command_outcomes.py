"""The one place that turns a store agent's answer to a command into a Temporal outcome.

Activity room, pure: reads a `CommandResult`, returns it or builds the `ApplicationError` that
fails the waiting activity. Used by the activity (an answer already stored) and by the
gateway's Temporal adapter (an answer arriving now), so both fail in exactly the same way.

    succeeded           -> the activity completes with the result
    failed, retryable   -> ApplicationError(type=SiteCommandRetryable, non_retryable=False):
                           Temporal retries the activity, which delivers the same command id again
    failed, permanent   -> ApplicationError(type=SiteCommandFailed, non_retryable=True) whose
                           message is the agent's and whose details are (reason, message)

Agents older than outcomes send only `ok`/`error`: `ok` is success, anything else permanent
(what they meant, since they recorded every failure as final).
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from ameide_core_proto.process.commerce.v1 import edge_pb2

SITE_COMMAND_FAILED = "SiteCommandFailed"
"""ApplicationError type of a command the agent refused for good."""
SITE_COMMAND_RETRYABLE = "SiteCommandRetryable"
"""ApplicationError type of a command the agent could not carry out yet."""

SUCCEEDED = edge_pb2.COMMAND_OUTCOME_SUCCEEDED
FAILED_RETRYABLE = edge_pb2.COMMAND_OUTCOME_FAILED_RETRYABLE
FAILED_PERMANENT = edge_pb2.COMMAND_OUTCOME_FAILED_PERMANENT


def outcome_of(result: edge_pb2.CommandResult) -> edge_pb2.CommandOutcome:
    """The result's outcome, reading `ok` for agents that predate outcomes."""
    if result.outcome != edge_pb2.COMMAND_OUTCOME_UNSPECIFIED:
        return result.outcome
    return SUCCEEDED if result.ok else FAILED_PERMANENT


def reason_of(result: edge_pb2.CommandResult) -> str:
    """Machine-readable reason of a failure ("AgentRefused" when an old agent gave none)."""
    return result.reason or ("" if outcome_of(result) == SUCCEEDED else "AgentRefused")


def message_of(result: edge_pb2.CommandResult) -> str:
    """What the agent said went wrong, for people."""
    return result.message or result.error or "the agent gave no reason"


def is_final(result: edge_pb2.CommandResult) -> bool:
    """Whether this answer closes the command (a retryable failure leaves it open)."""
    return bool(outcome_of(result) != FAILED_RETRYABLE)


def command_failure(result: edge_pb2.CommandResult) -> ApplicationError | None:
    """The failure to fail the waiting activity with, or None when the command succeeded."""
    outcome = outcome_of(result)
    if outcome == SUCCEEDED:
        return None
    message = message_of(result)
    reason = reason_of(result)
    if outcome == FAILED_RETRYABLE:
        return ApplicationError(
            f"the store agent could not carry out command {result.command_id} yet "
            f"({reason}): {message}",
            reason,
            message,
            type=SITE_COMMAND_RETRYABLE,
            non_retryable=False,
        )
    return ApplicationError(message, reason, message, type=SITE_COMMAND_FAILED, non_retryable=True)


def settle(result: edge_pb2.CommandResult) -> edge_pb2.CommandResult:
    """Return a successful result; raise the failure of any other."""
    failure = command_failure(result)
    if failure is not None:
        raise failure
    return result
