"""The compatibility matrix as data: parsed from TOML, validated, immutable (cloud room, pure).

No I/O: callers hand in the TOML text (from the repository file or the cloud store's copy).
Errors name the key that is wrong, e.g. `components.edge-agent.releases[0].versions`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from shared.errors import InvalidInput

MATRIX_FORMAT = 1
COMPONENTS = ("cloud", "replication", "edge-agent", "edge-projection", "pos-ui")
TIERS = ("cloud", "edge")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class MatrixInvalid(InvalidInput):
    """The matrix file does not follow the matrix format; the message names the key."""


@dataclass(frozen=True)
class Release:
    """A range of a component's versions with what they speak and need."""

    versions: SpecifierSet
    proto_majors: Mapping[str, int]
    requires: Mapping[str, SpecifierSet]


@dataclass(frozen=True)
class Component:
    name: str
    tier: str
    required: bool
    releases: tuple[Release, ...]


@dataclass(frozen=True)
class SkewRule:
    """`component` (edge) against `against` (cloud): never newer, at most N minors behind."""

    component: str
    against: str
    never_newer: bool
    max_minor_lag: int | None


@dataclass(frozen=True)
class Matrix:
    version: int
    components: Mapping[str, Component]
    skew: tuple[SkewRule, ...]
    sha256: str
    text: str

    def edge_components(self) -> list[str]:
        return sorted(n for n, c in self.components.items() if c.tier == "edge")

    def cloud_components(self) -> list[str]:
        return sorted(n for n, c in self.components.items() if c.tier == "cloud")


def _get(obj: Mapping[str, Any], key: str, kind: type, where: str, default: Any = ...) -> Any:
    if key not in obj:
        if default is not ...:
            return default
        raise MatrixInvalid(f"compatibility matrix: {where}.{key} is missing".replace(": .", ": "))
    value = obj[key]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise MatrixInvalid(
            f"compatibility matrix: {where}.{key} must be a {kind.__name__}".replace(": .", ": ")
        )
    return value


def _spec(text: object, where: str) -> SpecifierSet:
    if not isinstance(text, str) or not text.strip():
        raise MatrixInvalid(f"compatibility matrix: {where} must be a range like '>=1.0,<2.0'")
    try:
        return SpecifierSet(text)
    except InvalidSpecifier as exc:
        raise MatrixInvalid(
            f"compatibility matrix: {where} = {text!r} is not a version range like '>=1.0,<2.0'"
        ) from exc


def _no_extra(obj: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise MatrixInvalid(f"compatibility matrix: unknown key(s) {', '.join(extra)} in {where}")


def parse_matrix(text: str) -> Matrix:
    """Parse and validate matrix TOML; raise `MatrixInvalid` naming the wrong key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MatrixInvalid(f"compatibility matrix is not valid TOML: {exc}") from exc
    _no_extra(doc, {"format", "version", "components", "skew"}, "the top level")
    fmt = _get(doc, "format", int, "")
    if fmt != MATRIX_FORMAT:
        raise MatrixInvalid(
            f"compatibility matrix format {fmt} is not supported (this cloud reads {MATRIX_FORMAT})"
        )
    version = _get(doc, "version", int, "")
    if version < 1:
        raise MatrixInvalid("compatibility matrix: version must be 1 or more")
    raw_components = _get(doc, "components", dict, "")
    components: dict[str, Component] = {}
    for name, raw in raw_components.items():
        where = f"components.{name}"
        if not _NAME.fullmatch(name) or not isinstance(raw, dict):
            raise MatrixInvalid(f"compatibility matrix: {where} is not a component table")
        _no_extra(raw, {"tier", "required", "releases"}, where)
        tier = _get(raw, "tier", str, where)
        if tier not in TIERS:
            raise MatrixInvalid(f"compatibility matrix: {where}.tier must be one of {TIERS}")
        required = _get(raw, "required", bool, where, False)
        releases: list[Release] = []
        for i, rel in enumerate(_get(raw, "releases", list, where)):
            rwhere = f"{where}.releases[{i}]"
            if not isinstance(rel, dict):
                raise MatrixInvalid(f"compatibility matrix: {rwhere} must be a table")
            _no_extra(rel, {"versions", "proto_majors", "requires"}, rwhere)
            majors = _get(rel, "proto_majors", dict, rwhere, {})
            for package, major in majors.items():
                if not isinstance(major, int) or isinstance(major, bool) or major < 0:
                    raise MatrixInvalid(
                        f"compatibility matrix: {rwhere}.proto_majors.{package} must be an integer"
                    )
            requires = {
                other: _spec(rng, f"{rwhere}.requires.{other}")
                for other, rng in _get(rel, "requires", dict, rwhere, {}).items()
            }
            releases.append(
                Release(_spec(rel.get("versions"), f"{rwhere}.versions"), dict(majors), requires)
            )
        if not releases:
            raise MatrixInvalid(f"compatibility matrix: {where}.releases must list a release")
        components[name] = Component(name, tier, required, tuple(releases))
    missing = [c for c in COMPONENTS if c not in components]
    if missing:
        raise MatrixInvalid(f"compatibility matrix: components.{missing[0]} is missing")
    for comp in components.values():
        for i, rel in enumerate(comp.releases):
            for other in rel.requires:
                if other not in components:
                    raise MatrixInvalid(
                        f"compatibility matrix: components.{comp.name}.releases[{i}].requires "
                        f"names unknown component {other!r}"
                    )
    skew: list[SkewRule] = []
    for i, raw in enumerate(_get(doc, "skew", list, "", [])):
        where = f"skew[{i}]"
        if not isinstance(raw, dict):
            raise MatrixInvalid(f"compatibility matrix: {where} must be a table")
        _no_extra(raw, {"component", "against", "never_newer", "max_minor_lag"}, where)
        comp_name = _get(raw, "component", str, where)
        against = _get(raw, "against", str, where)
        if components.get(comp_name) is None or components[comp_name].tier != "edge":
            raise MatrixInvalid(
                f"compatibility matrix: {where}.component must be an edge component"
            )
        if components.get(against) is None or components[against].tier != "cloud":
            raise MatrixInvalid(f"compatibility matrix: {where}.against must be a cloud component")
        lag = _get(raw, "max_minor_lag", int, where, None)
        if lag is not None and lag < 0:
            raise MatrixInvalid(f"compatibility matrix: {where}.max_minor_lag must be 0 or more")
        skew.append(SkewRule(comp_name, against, _get(raw, "never_newer", bool, where, True), lag))
    return Matrix(
        version=version,
        components=components,
        skew=tuple(skew),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        text=text,
    )
