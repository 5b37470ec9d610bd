"""Edge agent errors: the agent's branch of the tree in `shared.errors`.

Every agent error says whether trying the same thing again can help (`retryable`) and names
itself for machines (`reason`); `edge_agent.control.outcomes` is the one place that turns them
into a command's outcome. Tree (reason, retryable)::

    CommerceError (shared.errors)
    ├── InvalidInput / ConfigError / IdentityError / TrustError / EnrollmentRefused (shared)
    └── AgentError                  the agent could not do what was asked
        ├── CloudUnreachable        the gateway could not be reached or answered too late
        ├── BatchTooLarge           the gateway refused a pushed batch as too large:
        │                           split it and push again (never the same batch again)
        ├── NotEnrolled             the agent has no site identity on this box yet
        ├── DrainTimedOut           a graceful stop gave up on work still in flight
        ├── ProjectionError         the local state database failed         DatabaseFailed  no
        │   ├── DatabaseBusy        locked by another connection too long   DatabaseBusy    yes
        │   ├── DiskFull            no space left for the database          DiskFull        yes
        │   ├── DatabaseIOError     the disk reported an I/O error          DatabaseIOError yes
        │   ├── DatabaseDamaged     the file is corrupt or not a database   DatabaseDamaged no
        │   ├── DatabaseNotWritable permissions, read-only mount, cannot open  ...NotWritable no
        │   └── SchemaTooNew        written by a newer agent release        SchemaTooNew    no
        ├── OutboxConflict          a record id reused for other content    OutboxConflict  no
        ├── PageRefused             a change page cannot be applied as sent PageRefused     no
        │   └── PageOutOfOrder      not the page after the checkpoint       PageOutOfOrder  yes
        └── CommandRejected         the command itself cannot be carried out                no
            ├── MissingCommandId    the command has no id                   MissingCommandId
            ├── WrongSite           addressed to another site               WrongSite
            ├── UnknownAction       an action this agent does not know      UnknownAction
            ├── MalformedCommand    the payload breaks the contract         MalformedCommand
            ├── UnsupportedStream   binds a stream this release cannot sync UnsupportedStream
            └── BundleRejected      the bundle is unsafe or not as promised BundleRejected
        ├── InstallDeferred         trading hours or open baskets: later    InstallDeferred yes
        ├── BundleUnavailable       the bundle could not be read or written BundleUnavailable yes
        ├── InstallBusy             another install is under way            InstallBusy     yes
        └── InstallRolledBack       a step or the health gate failed; undone InstallRolledBack no

`ProjectionError` itself is what an unexpected SQLite error becomes (a constraint or a misuse:
a defect, so the same command would fail the same way again).
"""

from __future__ import annotations

from typing import ClassVar

from shared.errors import CommerceError


class AgentError(CommerceError):
    """The agent could not do what was asked."""

    reason: ClassVar[str] = "AgentFailed"
    retryable: ClassVar[bool] = False


class CloudUnreachable(AgentError):
    """The cloud gateway could not be reached or did not answer in time."""

    reason = "CloudUnreachable"
    retryable = True


class BatchTooLarge(AgentError):
    """The gateway refused a pushed batch as larger than it accepts (RESOURCE_EXHAUSTED).

    Retryable only as "split and retry": the pusher halves the batch, and a batch of one
    record is refused for good (named on the health page), so the same call is never repeated.
    """

    reason = "BatchTooLarge"
    retryable = True


class NotEnrolled(AgentError):
    """This box has no site identity yet; `commerce-edge enroll` makes one."""

    reason = "NotEnrolled"


class ProjectionError(AgentError):
    """The local state database could not be read or written."""

    reason = "DatabaseFailed"


class DatabaseBusy(ProjectionError):
    """Another connection held the database lock for longer than the busy timeout."""

    reason = "DatabaseBusy"
    retryable = True


class DiskFull(ProjectionError):
    """The disk (or the database's size limit) has no room for the write."""

    reason = "DiskFull"
    retryable = True


class DatabaseIOError(ProjectionError):
    """The operating system reported an I/O error on the database file.

    Retryable: storage hiccups (a USB disk re-attaching, a transient EIO) clear up by
    themselves, and the cloud's command deadline bounds how long a lasting fault is retried.
    """

    reason = "DatabaseIOError"
    retryable = True


class DatabaseDamaged(ProjectionError):
    """The database file is corrupt or not a database; retrying cannot repair it."""

    reason = "DatabaseDamaged"


class DatabaseNotWritable(ProjectionError):
    """The database cannot be opened or written (permissions, read-only mount, missing dir)."""

    reason = "DatabaseNotWritable"


class SchemaTooNew(ProjectionError):
    """The database was written by a newer agent release; this one cannot read it safely."""

    reason = "SchemaTooNew"


class OutboxConflict(AgentError):
    """A sale, return or adjustment id was recorded before with different content."""

    reason = "OutboxConflict"


class PageRefused(AgentError):
    """A page of changes breaks the contract (bad encoding, wrong record type, bad seqs);
    nothing of it was applied, and the same page would be refused again."""

    reason = "PageRefused"


class PageOutOfOrder(PageRefused):
    """A page does not start at the stream's checkpoint (a gap or a page applied before);
    nothing of it was applied. Pulling again from the checkpoint gets the right page."""

    reason = "PageOutOfOrder"
    retryable = True


class CommandRejected(AgentError):
    """The command cannot be carried out as sent; delivering it again cannot help."""

    reason = "CommandRejected"


class MissingCommandId(CommandRejected):
    """The command carries no command id, so it cannot be applied exactly once."""

    reason = "MissingCommandId"


class WrongSite(CommandRejected):
    """The command is addressed to a different site than this agent's."""

    reason = "WrongSite"


class UnknownAction(CommandRejected):
    """The command's action is not one this agent version understands."""

    reason = "UnknownAction"


class MalformedCommand(CommandRejected):
    """The command's payload breaks the contract (e.g. a generation below 1)."""

    reason = "MalformedCommand"


class UnsupportedStream(CommandRejected):
    """The site configuration binds a replication stream this agent release cannot replicate."""

    reason = "UnsupportedStream"


class DrainTimedOut(AgentError):
    """A graceful stop passed its drain deadline with work in flight; the agent exited anyway.

    Nothing is lost: the cloud redelivers a command until its result arrives.
    """

    reason = "DrainTimedOut"


class BundleRejected(CommandRejected):
    """A bundle whose manifest, hashes or archive entries are not acceptable; nothing installed."""

    reason = "BundleRejected"


class InstallDeferred(AgentError):
    """The store trades now or a basket stayed open: the install waits for a later window."""

    reason = "InstallDeferred"
    retryable = True


class InstallBusy(AgentError):
    """Another install is under way on this store server."""

    reason = "InstallBusy"
    retryable = True


class InstallRolledBack(AgentError):
    """The install failed at a step or at its health gate; the previous release was restored."""

    reason = "InstallRolledBack"


class BundleUnavailable(AgentError):
    """The bundle could not be read or written now (a disk problem); trying later can help."""

    reason = "BundleUnavailable"
    retryable = True
