"""Test support: release bundles built from this source tree, unpacked as the agent reads them.

A bundle is `<bundle_dir>/<bundle_id>/manifest.json` plus its payloads: the agent build (a
wheel of this tree's `edge_agent`, `shared` and `ameide_core_proto` with its own version),
an optional projection migration and a POS UI site. `patch` rewrites files of the agent build
(to make a build that fails its health gate); `tamper` alters a payload after hashing.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("edge_agent", "shared", "proto/ameide_core_proto")
MIGRATION = "CREATE TABLE IF NOT EXISTS release_notes (id INTEGER PRIMARY KEY, note TEXT);"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def agent_wheel(path: Path, version: str, patch: dict[str, tuple[str, str]] | None = None) -> None:
    """A pure wheel of the agent at `version`; `patch` maps a file to (old, new) text."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for package in PACKAGES:
            root = REPO / package
            for file in sorted(root.rglob("*.py")):
                if "__pycache__" in file.parts:
                    continue
                name = file.relative_to(root.parent).as_posix()
                text = file.read_text()
                if patch and name in patch:
                    old, new = patch[name]
                    assert old in text, (name, old)
                    text = text.replace(old, new)
                wheel.writestr(name, text)
        dist = f"ameide_commerce_process-{version}.dist-info"
        wheel.writestr(
            f"{dist}/METADATA",
            f"Metadata-Version: 2.1\nName: ameide-commerce-process\nVersion: {version}\n",
        )
        wheel.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")


def build_bundle(
    bundle_dir: Path,
    bundle_id: str,
    *,
    version: str,
    ui_title: str = "POS",
    migration: str | None = MIGRATION,
    patch: dict[str, tuple[str, str]] | None = None,
    tamper: str | None = None,
    extra_ui_entries: dict[str, str] | None = None,
) -> Path:
    where = bundle_dir / bundle_id
    where.mkdir(parents=True)
    steps = []
    if migration is not None:
        (where / "projection.sql").write_text(migration)
        steps.append({"name": "edge-projection", "payload": "projection.sql", "undoable": True})
    agent_wheel(where / "agent.whl", version, patch)
    steps.append({"name": "edge-agent", "payload": "agent.whl", "undoable": True})
    with zipfile.ZipFile(where / "pos-ui.zip", "w") as ui:
        ui.writestr("index.html", f"<!doctype html><title>{ui_title}</title><h1>{bundle_id}</h1>")
        for name, text in (extra_ui_entries or {}).items():
            ui.writestr(name, text)
    steps.append({"name": "pos-ui", "payload": "pos-ui.zip", "undoable": True})
    for step in steps:
        step["sha256"] = _sha(where / str(step["payload"]))
    manifest = {
        "bundle_id": bundle_id,
        "components": {"edge-agent": version, "pos-ui": version},
        "steps": steps,
    }
    (where / "manifest.json").write_text(json.dumps(manifest, indent=2))
    if tamper:
        with (where / tamper).open("ab") as out:
            out.write(b"\0tampered")
    return where
