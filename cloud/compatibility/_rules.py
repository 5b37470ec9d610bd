"""Decisions of the compatibility matrix (cloud room, pure: no I/O, no clock).

Two questions, each answered with a `Verdict` that names every rule that refused:

- `check_bundle(matrix, bundle, cloud)`: may a store run this bundle against this cloud?
- `check_transition(matrix, current, target, cloud)`: may a site go from bundle X to bundle Y?

Rules (the `rule` of a `Refusal`):
    unknown-component       the bundle names a component the matrix does not know
    not-an-edge-component   a site bundle carries a cloud-tier component
    missing-component       the bundle lacks a component the matrix requires
    unsupported-version     a version lies in no release range of its component
    requires                a release needs another component in a range it is not in
    proto-major             a proto package major the cloud does not speak
    edge-newer-than-cloud   an edge component is newer (major.minor) than its cloud component
    major-skew              edge and cloud components are on different majors
    minor-lag               an edge component lags its cloud component by too many minors
    not-undoable-downgrade  a downgrade past a step the installed bundle marked not undoable
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

from cloud.compatibility._model import Matrix, Release
from shared.errors import InvalidInput


class IncompatibleBundle(InvalidInput):
    """The matrix refuses a bundle or a transition; the message lists every refusing rule."""


@dataclass(frozen=True)
class Refusal:
    rule: str
    component: str
    message: str


@dataclass(frozen=True)
class Verdict:
    """The matrix's answer: allowed, or every rule that refused."""

    matrix_version: int
    refusals: tuple[Refusal, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.refusals

    def reasons(self) -> list[str]:
        return [f"{r.rule}: {r.message}" for r in self.refusals]

    def raise_if_refused(self, what: str) -> None:
        if self.refusals:
            raise IncompatibleBundle(
                f"{what} is refused by compatibility matrix version {self.matrix_version}: "
                + "; ".join(self.reasons())
            )


@dataclass(frozen=True)
class BundleVersions:
    """What the matrix needs to know of a bundle: component versions, proto majors, and the
    components whose install step cannot be undone."""

    bundle_id: str
    components: Mapping[str, str]
    proto_majors: Mapping[str, int] = field(default_factory=dict)
    not_undoable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CloudVersions:
    """The versions of the cloud tier's components (cloud, replication)."""

    components: Mapping[str, str]


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _release(matrix: Matrix, component: str, version: Version) -> Release | None:
    comp = matrix.components[component]
    return next((r for r in comp.releases if r.versions.contains(version, prereleases=True)), None)


def _ranges(matrix: Matrix, component: str) -> str:
    return " or ".join(str(r.versions) for r in matrix.components[component].releases)


class _Check:
    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.refusals: list[Refusal] = []

    def refuse(self, rule: str, component: str, message: str) -> None:
        self.refusals.append(Refusal(rule, component, message))

    def verdict(self) -> Verdict:
        return Verdict(self.matrix.version, tuple(self.refusals))


def _check_versions(
    check: _Check, edge: Mapping[str, str], cloud: CloudVersions, proto_majors: Mapping[str, int]
) -> None:
    matrix = check.matrix
    everything: dict[str, Version] = {}
    for name, text in {**cloud.components, **edge}.items():
        parsed = _version(text)
        if parsed is None:
            check.refuse("unsupported-version", name, f"{name} {text!r} is not a version")
        else:
            everything[name] = parsed
    cloud_speaks: dict[str, set[int]] = {}
    for name, version in everything.items():
        if name not in matrix.components:
            continue
        release = _release(matrix, name, version)
        if release is None:
            oldest = min(
                (
                    s.version
                    for r in matrix.components[name].releases
                    for s in r.versions
                    if s.operator in (">=", ">", "==", "~=")
                ),
                key=Version,
                default=None,
            )
            hint = (
                f"older than the oldest supported {oldest}"
                if oldest is not None and version < Version(oldest)
                else "not in a supported range"
            )
            check.refuse(
                "unsupported-version",
                name,
                f"{name} {version} is {hint} ({_ranges(matrix, name)})",
            )
            continue
        if matrix.components[name].tier == "cloud":
            for package, major in release.proto_majors.items():
                cloud_speaks.setdefault(package, set()).add(major)
        for other, spec in sorted(release.requires.items()):
            have = everything.get(other)
            if have is not None and not spec.contains(have, prereleases=True):
                check.refuse(
                    "requires",
                    name,
                    f"{name} {version} needs {other} {spec}, and {other} is {have}",
                )
    for name, version in everything.items():
        if name in edge and name in matrix.components:
            release = _release(matrix, name, version)
            for package, major in sorted((release.proto_majors if release else {}).items()):
                if package in cloud_speaks and major not in cloud_speaks[package]:
                    check.refuse(
                        "proto-major",
                        name,
                        f"{name} {version} speaks {package} v{major}; the cloud speaks "
                        f"v{', v'.join(map(str, sorted(cloud_speaks[package])))}",
                    )
    for package, major in sorted(proto_majors.items()):
        if package in cloud_speaks and major not in cloud_speaks[package]:
            check.refuse(
                "proto-major",
                "bundle",
                f"the bundle speaks {package} v{major}; the cloud speaks "
                f"v{', v'.join(map(str, sorted(cloud_speaks[package])))}",
            )
    for rule in matrix.skew:
        mine, theirs = everything.get(rule.component), everything.get(rule.against)
        if mine is None or theirs is None:
            continue
        if mine.major != theirs.major:
            if rule.never_newer and mine.major > theirs.major:
                check.refuse(
                    "edge-newer-than-cloud",
                    rule.component,
                    f"{rule.component} {mine} is newer than {rule.against} {theirs}; "
                    f"upgrade the cloud first",
                )
            else:
                check.refuse(
                    "major-skew",
                    rule.component,
                    f"{rule.component} {mine} and {rule.against} {theirs} are on different majors",
                )
            continue
        if rule.never_newer and mine.minor > theirs.minor:
            check.refuse(
                "edge-newer-than-cloud",
                rule.component,
                f"{rule.component} {mine} is newer than {rule.against} {theirs}; "
                "upgrade the cloud first",
            )
        lag = theirs.minor - mine.minor
        if rule.max_minor_lag is not None and lag > rule.max_minor_lag:
            check.refuse(
                "minor-lag",
                rule.component,
                f"{rule.component} {mine} lags {rule.against} {theirs} by {lag} minor versions "
                f"(at most {rule.max_minor_lag}); install a newer bundle",
            )


def check_bundle(matrix: Matrix, bundle: BundleVersions, cloud: CloudVersions) -> Verdict:
    """May a store run `bundle` against a cloud running `cloud`?"""
    check = _Check(matrix)
    edge: dict[str, str] = {}
    for name, version in sorted(bundle.components.items()):
        comp = matrix.components.get(name)
        if comp is None:
            check.refuse(
                "unknown-component",
                name,
                f"{name} is not a component of the matrix ({', '.join(sorted(matrix.components))})",
            )
        elif comp.tier != "edge":
            check.refuse(
                "not-an-edge-component",
                name,
                f"{name} runs in the cloud; a site bundle carries only edge components",
            )
        else:
            edge[name] = version
    for name in matrix.edge_components():
        if matrix.components[name].required and name not in bundle.components:
            check.refuse("missing-component", name, f"the bundle must carry {name}")
    _check_versions(check, edge, cloud, bundle.proto_majors)
    return check.verdict()


def check_transition(
    matrix: Matrix, current: BundleVersions | None, target: BundleVersions, cloud: CloudVersions
) -> Verdict:
    """May a site running `current` (None: nothing recorded) go to `target`?"""
    verdict = check_bundle(matrix, target, cloud)
    check = _Check(matrix)
    check.refusals.extend(verdict.refusals)
    if current is not None:
        for name in sorted(current.not_undoable):
            have = _version(current.components.get(name, ""))
            want = _version(target.components.get(name, ""))
            if have is not None and want is not None and want < have:
                check.refuse(
                    "not-undoable-downgrade",
                    name,
                    f"{current.bundle_id} installed {name} {have} with a step that cannot be "
                    f"undone; {target.bundle_id} would take it back to {want}",
                )
    return check.verdict()


def check_agent(matrix: Matrix, agent_version: str, cloud: CloudVersions) -> Verdict:
    """May an agent of `agent_version` join this cloud (provisioning)?"""
    check = _Check(matrix)
    _check_versions(check, {"edge-agent": agent_version}, cloud, {})
    return check.verdict()
