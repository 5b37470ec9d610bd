"""Compatibility between the cloud and store sites, decided by the compatibility matrix.

Policy room: no I/O of its own. `MatrixCompatibility` asks a `MatrixSource` port for the
matrix in force (the cloud store's newest copy, else the file shipped with this build) and
answers with the pure rules of `cloud.compatibility`. ProvisionStoreSite's activity, the
provisioning service, bundle publishing and rollouts call it; the workflow never does, so
replacing the old minimum-version hook left the workflow's commands (and replay) unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from packaging.version import InvalidVersion, Version

from cloud.compatibility import (
    BundleVersions,
    CloudVersions,
    IncompatibleBundle,
    Matrix,
    Verdict,
    check_agent,
    check_bundle,
    check_transition,
    packaged_matrix_text,
    parse_matrix,
)
from shared.errors import InvalidInput

__all__ = [
    "CompatibilityPolicy",
    "IncompatibleBundle",
    "IncompatibleVersion",
    "MatrixCompatibility",
    "MatrixCopies",
    "MatrixSource",
    "StoredMatrixSource",
    "parse_version",
]


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


class MatrixSource(Protocol):
    """Hands out the compatibility matrix in force."""

    def matrix(self) -> Matrix: ...


class _StoredCopy(Protocol):
    @property
    def body(self) -> str: ...


class MatrixCopies(Protocol):
    """The cloud store's copies of the matrix (`CompatMatrixRepository`)."""

    def current(self) -> _StoredCopy | None: ...


@dataclass
class StoredMatrixSource:
    """The store's newest copy, or the matrix shipped with this build while it has none.

    Parsed once per stored version (the copy is re-read on every call: cheap, and a newly
    loaded version takes effect at once).
    """

    copies: MatrixCopies
    packaged: Callable[[], str] = packaged_matrix_text
    _cache: tuple[str, Matrix] | None = None

    def matrix(self) -> Matrix:
        stored = self.copies.current()
        text = stored.body if stored is not None else self.packaged()
        if self._cache is None or self._cache[0] != text:
            self._cache = (text, parse_matrix(text))
        return self._cache[1]


@dataclass(frozen=True)
class MatrixCompatibility:
    """The compatibility policy of a cloud running `cloud` versions, under the matrix."""

    source: MatrixSource
    cloud: CloudVersions
    # An extra floor from configuration (`min_agent_version`), on top of the matrix.
    minimum: str | None = None

    def check_agent(self, agent_version: str) -> None:
        declared = parse_version(agent_version)
        if self.minimum and declared < parse_version(self.minimum, "minimum agent version"):
            raise IncompatibleVersion(
                f"agent version {agent_version} is older than the oldest supported "
                f"{self.minimum} (min_agent_version); install a newer commerce-edge package "
                "on the store server"
            )
        verdict = check_agent(self.source.matrix(), agent_version, self.cloud)
        if not verdict.allowed:
            raise IncompatibleVersion(
                f"agent version {agent_version} is refused by compatibility matrix version "
                f"{verdict.matrix_version}: {'; '.join(verdict.reasons())}; install a "
                "commerce-edge package the matrix allows on the store server"
            )

    def bundle_verdict(self, bundle: BundleVersions) -> Verdict:
        return check_bundle(self.source.matrix(), bundle, self.cloud)

    def transition_verdict(self, current: BundleVersions | None, target: BundleVersions) -> Verdict:
        return check_transition(self.source.matrix(), current, target, self.cloud)
