"""Installer room: what an install does, read from a verified bundle's manifest.

Pure: turns the manifest (`shared.bundles.Manifest`, signature and hashes already checked)
into an `InstallPlan`. Steps keep the manifest's order and are applied by kind:

    wheel        the agent build (component edge-agent): one pure wheel, unpacked to lib/
    migrations   projection schema changes (.sql, applied in path order in one transaction)
    static-site  the POS UI (component pos-ui): served on loopback from ui/
    files        other files, kept under files/<step>/

No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from edge_agent.installer._layout import check_bundle_id
from shared.bundles import Manifest

WHEEL = "wheel"
MIGRATIONS = "migrations"
STATIC_SITE = "static-site"
FILES = "files"
EDGE_AGENT = "edge-agent"
POS_UI = "pos-ui"


class PlanError(ValueError):
    """The manifest does not describe an install this agent can carry out."""


@dataclass(frozen=True)
class StepSpec:
    name: str
    kind: str
    component: str
    files: tuple[str, ...]  # paths under the bundle's payloads/
    undoable: bool


@dataclass(frozen=True)
class InstallPlan:
    bundle_id: str
    steps: tuple[StepSpec, ...]
    components: Mapping[str, str]

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]

    @property
    def kinds(self) -> dict[str, str]:
        return {s.name: s.kind for s in self.steps}


def plan_from_manifest(manifest: Manifest) -> InstallPlan:
    """The plan of `manifest`; `PlanError` naming the step that is wrong."""
    try:
        check_bundle_id(manifest.bundle_id)
    except ValueError as exc:
        raise PlanError(f"manifest.bundle_id: {exc}") from None
    steps: list[StepSpec] = []
    for index, step in enumerate(manifest.steps):
        where = f"manifest.steps[{index}] ({step.name})"
        files = tuple(f.path for f in step.files)
        if step.kind == WHEEL:
            if step.component != EDGE_AGENT or len(files) != 1 or not files[0].endswith(".whl"):
                raise PlanError(
                    f"{where}: a wheel step installs the {EDGE_AGENT} component from exactly "
                    "one .whl file"
                )
        elif step.kind == MIGRATIONS:
            if any(not f.endswith(".sql") for f in files):
                raise PlanError(f"{where}: migration files must be .sql")
        elif step.kind == STATIC_SITE:
            if not any(f.split("/", 1)[-1] == "index.html" for f in files):
                raise PlanError(f"{where}: the site has no index.html at its top")
        elif step.kind != FILES:
            raise PlanError(f"{where}: kind {step.kind!r} is not one this agent applies")
        steps.append(StepSpec(step.name, step.kind, step.component, files, step.undoable))
    if sum(1 for s in steps if s.kind == WHEEL) != 1:
        raise PlanError(f"manifest.steps: an install needs exactly one {EDGE_AGENT} wheel step")
    return InstallPlan(manifest.bundle_id, tuple(steps), dict(manifest.components))
