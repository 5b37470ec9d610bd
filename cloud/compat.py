"""Compatibility rules between the cloud and store sites (the compatibility matrix's hook).

Pure policy: no I/O. Today it knows the oldest agent version the cloud accepts; the
fleet compatibility matrix fills in proto majors and component versions later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from packaging.version import InvalidVersion, Version

from shared.errors import InvalidInput


class IncompatibleVersion(InvalidInput):
    """A site declares a version the cloud does not support."""


def parse_version(text: str, what: str = "agent version") -> Version:
    """Parse a PEP 440 / semantic version, with an error that says what was expected."""
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise InvalidInput(f"{what} {text!r} is not a version like '1.4.0'") from exc


class CompatibilityPolicy(Protocol):
    """Decides whether a site may join with the versions it declares."""

    def check_agent(self, agent_version: str) -> None: ...


@dataclass(frozen=True)
class MinimumAgentVersion:
    """Accept agents at or above `minimum`."""

    minimum: str

    def check_agent(self, agent_version: str) -> None:
        declared = parse_version(agent_version)
        if declared < parse_version(self.minimum, "minimum agent version"):
            raise IncompatibleVersion(
                f"agent version {agent_version} is older than the oldest supported "
                f"{self.minimum}; install a newer commerce-edge package on the store server"
            )
