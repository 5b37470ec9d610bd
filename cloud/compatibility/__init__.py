"""The compatibility matrix: versioned data (`matrix.toml`) and the pure rules over it.

Cloud room, pure: parses text it is given and answers questions; the store's copy and the
packaged file are read by the callers (`cloud.compat`, the CLI, publishing, rollouts).
"""

from __future__ import annotations

from importlib.resources import files

from cloud.compatibility._model import (
    COMPONENTS,
    MATRIX_FORMAT,
    Component,
    Matrix,
    MatrixInvalid,
    Release,
    SkewRule,
    parse_matrix,
)
from cloud.compatibility._rules import (
    BundleVersions,
    CloudVersions,
    IncompatibleBundle,
    Refusal,
    Verdict,
    check_agent,
    check_bundle,
    check_transition,
)


def packaged_matrix_text() -> str:
    """The matrix file shipped with this build (`cloud/compatibility/matrix.toml`)."""
    return files(__package__).joinpath("matrix.toml").read_text(encoding="utf-8")


__all__ = [
    "COMPONENTS",
    "MATRIX_FORMAT",
    "BundleVersions",
    "CloudVersions",
    "Component",
    "IncompatibleBundle",
    "Matrix",
    "MatrixInvalid",
    "Refusal",
    "Release",
    "SkewRule",
    "Verdict",
    "check_agent",
    "check_bundle",
    "check_transition",
    "packaged_matrix_text",
    "parse_matrix",
]
