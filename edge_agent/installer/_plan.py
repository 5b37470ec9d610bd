"""Installer room: what an install does, read from a verified bundle's manifest.

Pure: turns the manifest (a dict the bundle reader verified) into an `InstallPlan`. The steps
keep the manifest's order; each names its component, its payload file and its SHA-256, and
whether it can be undone. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edge_agent.installer._layout import check_bundle_id

EDGE_AGENT = "edge-agent"
EDGE_PROJECTION = "edge-projection"
POS_UI = "pos-ui"
STEP_KINDS = (EDGE_PROJECTION, EDGE_AGENT, POS_UI)


class PlanError(ValueError):
    """The manifest does not describe an install this agent can carry out."""


@dataclass(frozen=True)
class StepSpec:
    name: str  # one of STEP_KINDS
    payload: str  # file name inside the bundle
    sha256: str
    undoable: bool


@dataclass(frozen=True)
class InstallPlan:
    bundle_id: str
    steps: tuple[StepSpec, ...]
    components: Mapping[str, str]

    def step(self, name: str) -> StepSpec | None:
        return next((s for s in self.steps if s.name == name), None)

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]


def plan_from_manifest(manifest: Mapping[str, Any]) -> InstallPlan:
    """The plan of `manifest`; `PlanError` naming the field that is wrong."""
    bundle_id = manifest.get("bundle_id")
    if not isinstance(bundle_id, str):
        raise PlanError("manifest.bundle_id: missing or not a string")
    try:
        check_bundle_id(bundle_id)
    except ValueError as exc:
        raise PlanError(f"manifest.bundle_id: {exc}") from None
    raw_steps = manifest.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PlanError("manifest.steps: must list at least one step")
    steps: list[StepSpec] = []
    for index, raw in enumerate(raw_steps):
        where = f"manifest.steps[{index}]"
        if not isinstance(raw, Mapping):
            raise PlanError(f"{where}: must be an object")
        name = raw.get("name")
        if name not in STEP_KINDS:
            raise PlanError(
                f"{where}.name: {name!r} is not a step this agent can apply "
                f"(it knows {', '.join(STEP_KINDS)}); a newer agent may be needed first"
            )
        if any(s.name == name for s in steps):
            raise PlanError(f"{where}.name: step {name!r} appears twice")
        payload, sha256 = raw.get("payload"), raw.get("sha256")
        if not isinstance(payload, str) or not payload or "/" in payload or payload[0] == ".":
            raise PlanError(f"{where}.payload: must be a plain file name in the bundle")
        if not isinstance(sha256, str) or len(sha256) != 64:
            raise PlanError(f"{where}.sha256: must be 64 hex digits")
        steps.append(
            StepSpec(
                name=name,
                payload=payload,
                sha256=sha256.lower(),
                undoable=bool(raw.get("undoable", True)),
            )
        )
    if not any(s.name == EDGE_AGENT for s in steps):
        raise PlanError(f"manifest.steps: an install needs an {EDGE_AGENT!r} step")
    components = manifest.get("components", {})
    if not isinstance(components, Mapping):
        raise PlanError("manifest.components: must map component names to versions")
    return InstallPlan(
        bundle_id=bundle_id,
        steps=tuple(steps),
        components={str(k): str(v) for k, v in components.items()},
    )
