"""Timeouts and retry policies of the rollout activities: the one place their failures are
mapped to retries.

Workflow room, pure: used by RolloutStoreFleet and RolloutSiteBatch. Activities raise a
non-retryable `ApplicationError` (types in `cloud.activities.rollout.REFUSALS`) for a business
refusal; anything else (the store or the command queue unreachable, a worker gone and its
heartbeat missed) is retried here, with bounds.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from cloud.activities.rollout import REFUSALS

# Store reads and writes (prepare, recheck, observe, facts).
STORE_TIMEOUT = timedelta(seconds=30)
STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=REFUSALS,
)

# One site's install or rollback waits for its store-closed window and for no open basket;
# a store trading now gets its next window within a day, so 25 h by default.
SITE_TIMEOUT = timedelta(hours=25)
# The installer heartbeats every poll (2 s) while it follows the agent's command; a worker
# that dies mid-install is noticed after this long and the install resumes on another worker
# (the command id is the same, so the agent never gets it twice).
SITE_HEARTBEAT_TIMEOUT = timedelta(seconds=30)
SITE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=5,
    non_retryable_error_types=REFUSALS,
)


def site_timeout(configured: timedelta) -> timedelta:
    """The start-to-close of one site's install or rollback (`install_timeout`, 0: 25 h)."""
    return configured if configured > timedelta(0) else SITE_TIMEOUT
