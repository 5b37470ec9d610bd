"""Command outcomes: the one place that decides what a handled command reports to the cloud.

Succeeded, failed-retryable (not recorded; the same command id is applied again when
redelivered) or failed-permanent (recorded; a redelivery gets the same answer). A failure's
outcome follows the `retryable` flag of its `AgentError` (see the tree in `edge_agent.errors`);
anything else is a defect of the agent and permanent. The legacy fields stay consistent for
older clouds: `ok` is true exactly on success and `error` repeats `message`. Pure; no I/O.
"""

from __future__ import annotations

from ameide_core_proto.process.commerce.v1 import edge_pb2, sync_pb2
from edge_agent.errors import AgentError

SUCCEEDED = edge_pb2.COMMAND_OUTCOME_SUCCEEDED
FAILED_RETRYABLE = edge_pb2.COMMAND_OUTCOME_FAILED_RETRYABLE
FAILED_PERMANENT = edge_pb2.COMMAND_OUTCOME_FAILED_PERMANENT

INTERNAL_ERROR = "InternalError"
UNCLASSIFIED = "Unclassified"
"""Reason of a failure recorded by an agent version that did not classify failures yet."""


def succeeded(
    command_id: str,
    *,
    site_config_applied: edge_pb2.SiteConfigApplied | None = None,
    replication_status: sync_pb2.ReplicationStatus | None = None,
    bundle_install: edge_pb2.BundleInstallReport | None = None,
) -> edge_pb2.CommandResult:
    """The result of a command that was carried out, with what it did."""
    return edge_pb2.CommandResult(
        command_id=command_id,
        ok=True,
        outcome=SUCCEEDED,
        site_config_applied=site_config_applied,
        replication_status=replication_status,
        bundle_install=bundle_install,
    )


def failed(command_id: str, error: BaseException) -> edge_pb2.CommandResult:
    """The result of a command that failed with `error`, classified."""
    if isinstance(error, AgentError):
        outcome = FAILED_RETRYABLE if error.retryable else FAILED_PERMANENT
        reason, message = error.reason, str(error)
    else:
        # Not an error the agent knows: a defect, which the same command would hit again.
        outcome, reason = FAILED_PERMANENT, INTERNAL_ERROR
        message = (
            f"the agent failed unexpectedly ({type(error).__name__}: {error}); report this "
            "to the agent's maintainers with the agent log"
        )
    return edge_pb2.CommandResult(
        command_id=command_id,
        ok=False,
        error=message,
        outcome=outcome,
        reason=reason,
        message=message,
    )


def is_final(result: edge_pb2.CommandResult) -> bool:
    """Whether the result is the command's answer for good (recorded, resent on redelivery)."""
    return result.outcome in (SUCCEEDED, FAILED_PERMANENT)


def with_outcome(result: edge_pb2.CommandResult) -> edge_pb2.CommandResult:
    """A result recorded by an agent that predates outcomes, completed: every result an
    agent of that age recorded was final, so `ok` false means permanent."""
    if result.outcome != edge_pb2.COMMAND_OUTCOME_UNSPECIFIED:
        return result
    completed = edge_pb2.CommandResult()
    completed.CopyFrom(result)
    completed.outcome = SUCCEEDED if result.ok else FAILED_PERMANENT
    if not result.ok:
        completed.reason = UNCLASSIFIED
        completed.message = result.error
    return completed
