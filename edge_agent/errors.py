"""Edge agent errors: the agent's branch of the tree in `shared.errors`.

Tree::

    CommerceError (shared.errors)
    ├── InvalidInput / ConfigError / IdentityError / TrustError / EnrollmentRefused (shared)
    └── AgentError                 the agent could not do what was asked
        ├── CloudUnreachable       the gateway could not be reached or answered too late
        ├── NotEnrolled            the agent has no site identity on this box yet
        ├── ProjectionError        the local state database failed
        └── DrainTimedOut          a graceful stop gave up on work still in flight
"""

from __future__ import annotations

from shared.errors import CommerceError


class AgentError(CommerceError):
    """The agent could not do what was asked."""


class CloudUnreachable(AgentError):
    """The cloud gateway could not be reached or did not answer in time."""


class NotEnrolled(AgentError):
    """This box has no site identity yet; `commerce-edge enroll` makes one."""


class ProjectionError(AgentError):
    """The local state database could not be read or written."""


class DrainTimedOut(AgentError):
    """A graceful stop passed its drain deadline with work in flight; the agent exited anyway.

    Nothing is lost: the cloud redelivers a command until its result arrives.
    """
