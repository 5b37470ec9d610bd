"""The bundle manifest: what a bundle holds, in which order its steps apply (shared room, pure).

A manifest is a JSON object, stored in the archive as `manifest.json` in its canonical form
(keys sorted, no spaces, UTF-8); the signature covers those exact bytes:

    {"format": 1, "bundle_id": "2026.11.1",
     "components": {"edge-agent": "0.2.0", "edge-projection": "3.0.0", "pos-ui": "1.4.0"},
     "proto_majors": {"ameide_core_proto.process.commerce": 1},
     "steps": [{"name": "edge-projection", "component": "edge-projection",
                "kind": "migrations", "undoable": false,
                "files": [{"path": "edge-projection/0004_add_lanes.sql",
                           "sha256": "<64 hex>", "size": 812}]}, ...]}

Steps apply in list order and are undone in reverse. File paths are relative to the archive's
`payloads/` directory. Imports only the standard library and the shared error tree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.bundles._errors import ManifestInvalid

MANIFEST_FORMAT = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
PAYLOAD_DIR = "payloads"

# Kinds the installer knows how to apply; anything else is refused at build and at read.
STEP_KINDS = ("wheel", "migrations", "static-site", "files")

_BUNDLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_VERSION = re.compile(r"^\d{1,6}\.\d{1,6}\.\d{1,6}([-+.][0-9A-Za-z.+-]{1,40})?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PATH_PART = re.compile(r"^[A-Za-z0-9_@+=,-][A-Za-z0-9._@+=,-]{0,254}$")
_MAX_PATH = 1024


def validate_bundle_id(bundle_id: object) -> str:
    """Return `bundle_id` when it is a valid bundle id, else raise `ManifestInvalid`."""
    if not isinstance(bundle_id, str) or not _BUNDLE_ID.fullmatch(bundle_id):
        raise ManifestInvalid(
            f"invalid bundle id {repr(bundle_id)[:80]}: use 1 to 64 letters, digits, '.', '_' "
            "and '-', starting with a letter or digit (e.g. '2026.11.1')"
        )
    return bundle_id


def validate_version(text: object, what: str) -> str:
    """Return `text` when it is a MAJOR.MINOR.PATCH version, else raise `ManifestInvalid`."""
    if not isinstance(text, str) or not _VERSION.fullmatch(text):
        raise ManifestInvalid(
            f"{what}: version {repr(text)[:80]} is not MAJOR.MINOR.PATCH (e.g. '1.4.0')"
        )
    return text


def validate_payload_path(path: object, what: str) -> str:
    """Return `path` when it is a safe relative path ('a/b.whl'), else raise `ManifestInvalid`."""
    if not isinstance(path, str) or not path or len(path) > _MAX_PATH:
        raise ManifestInvalid(f"{what}: path must be a non-empty string of at most {_MAX_PATH}")
    parts = path.split("/")
    if any(not _PATH_PART.fullmatch(part) for part in parts):
        raise ManifestInvalid(
            f"{what}: path {path[:200]!r} is not a relative path of plain names "
            "(letters, digits, '._-@+=,'; no '..', no leading '/', no empty parts)"
        )
    return path


@dataclass(frozen=True)
class PayloadFile:
    """One file of a step: where it is under `payloads/`, its SHA-256 (hex) and size."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Step:
    """One install step: a component's payload files and whether the step can be undone."""

    name: str
    component: str
    kind: str
    undoable: bool
    files: tuple[PayloadFile, ...]


@dataclass(frozen=True)
class Manifest:
    """A parsed, validated manifest."""

    bundle_id: str
    components: Mapping[str, str]
    proto_majors: Mapping[str, int]
    steps: tuple[Step, ...]
    format: int = MANIFEST_FORMAT

    def files(self) -> dict[str, PayloadFile]:
        """Every payload file by its path under `payloads/`."""
        return {f.path: f for step in self.steps for f in step.files}

    def total_size(self) -> int:
        """Sum of the payload sizes in bytes."""
        return sum(f.size for step in self.steps for f in step.files)

    def to_json(self) -> dict[str, Any]:
        """The manifest as a JSON-ready dict."""
        return {
            "format": self.format,
            "bundle_id": self.bundle_id,
            "components": dict(sorted(self.components.items())),
            "proto_majors": dict(sorted(self.proto_majors.items())),
            "steps": [
                {
                    "name": s.name,
                    "component": s.component,
                    "kind": s.kind,
                    "undoable": s.undoable,
                    "files": [
                        {"path": f.path, "sha256": f.sha256, "size": f.size} for f in s.files
                    ],
                }
                for s in self.steps
            ],
        }

    def canonical_bytes(self) -> bytes:
        """The bytes that are stored as `manifest.json` and signed."""
        return canonical_json(self.to_json())


def canonical_json(value: object) -> bytes:
    """JSON with sorted keys, no insignificant spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _expect(obj: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in obj:
        raise ManifestInvalid(f"{where}: '{key}' is missing")
    value = obj[key]
    if kind is int and isinstance(value, bool):
        raise ManifestInvalid(f"{where}.{key}: must be an integer, not {value!r}")
    if not isinstance(value, kind):
        raise ManifestInvalid(f"{where}.{key}: must be {kind.__name__}, not {type(value).__name__}")
    return value


def _no_extra(obj: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise ManifestInvalid(f"{where}: unknown field(s) {', '.join(extra)}")


def manifest_from_json(obj: object) -> Manifest:
    """Validate a JSON value as a manifest; the error names the field that is wrong."""
    if not isinstance(obj, dict):
        raise ManifestInvalid("manifest: must be a JSON object")
    _no_extra(obj, {"format", "bundle_id", "components", "proto_majors", "steps"}, "manifest")
    fmt = _expect(obj, "format", int, "manifest")
    if fmt != MANIFEST_FORMAT:
        raise ManifestInvalid(
            f"manifest.format: {fmt} is not supported (this build reads format "
            f"{MANIFEST_FORMAT}); upgrade the reader or rebuild the bundle"
        )
    bundle_id = validate_bundle_id(_expect(obj, "bundle_id", str, "manifest"))
    components: dict[str, str] = {}
    for name, version in _expect(obj, "components", dict, "manifest").items():
        if not _NAME.fullmatch(name):
            raise ManifestInvalid(f"manifest.components: invalid component name {name!r}")
        components[name] = validate_version(version, f"manifest.components.{name}")
    proto_majors: dict[str, int] = {}
    for package, major in _expect(obj, "proto_majors", dict, "manifest").items():
        if not isinstance(major, int) or isinstance(major, bool) or not 0 <= major < 1000:
            raise ManifestInvalid(f"manifest.proto_majors.{package}: must be an integer 0..999")
        proto_majors[package] = major
    raw_steps = _expect(obj, "steps", list, "manifest")
    if not raw_steps:
        raise ManifestInvalid("manifest.steps: a bundle needs at least one step")
    steps: list[Step] = []
    seen_steps: set[str] = set()
    seen_paths: set[str] = set()
    for i, raw in enumerate(raw_steps):
        where = f"manifest.steps[{i}]"
        if not isinstance(raw, dict):
            raise ManifestInvalid(f"{where}: must be an object")
        _no_extra(raw, {"name", "component", "kind", "undoable", "files"}, where)
        name = _expect(raw, "name", str, where)
        if not _NAME.fullmatch(name) or name in seen_steps:
            raise ManifestInvalid(f"{where}.name: {name!r} is not a unique lowercase name")
        seen_steps.add(name)
        component = _expect(raw, "component", str, where)
        if component not in components:
            raise ManifestInvalid(
                f"{where}.component: {component!r} has no version in manifest.components"
            )
        kind = _expect(raw, "kind", str, where)
        if kind not in STEP_KINDS:
            raise ManifestInvalid(f"{where}.kind: {kind!r} is not one of {', '.join(STEP_KINDS)}")
        undoable = _expect(raw, "undoable", bool, where)
        files: list[PayloadFile] = []
        for j, raw_file in enumerate(_expect(raw, "files", list, where)):
            fwhere = f"{where}.files[{j}]"
            if not isinstance(raw_file, dict):
                raise ManifestInvalid(f"{fwhere}: must be an object")
            _no_extra(raw_file, {"path", "sha256", "size"}, fwhere)
            path = validate_payload_path(_expect(raw_file, "path", str, fwhere), fwhere)
            if path in seen_paths:
                raise ManifestInvalid(f"{fwhere}.path: {path!r} appears twice")
            seen_paths.add(path)
            sha = _expect(raw_file, "sha256", str, fwhere)
            if not _SHA256.fullmatch(sha):
                raise ManifestInvalid(f"{fwhere}.sha256: must be 64 lowercase hex digits")
            size = _expect(raw_file, "size", int, fwhere)
            if size < 0:
                raise ManifestInvalid(f"{fwhere}.size: must not be negative")
            files.append(PayloadFile(path=path, sha256=sha, size=size))
        if not files:
            raise ManifestInvalid(f"{where}.files: a step needs at least one file")
        steps.append(Step(name, component, kind, undoable, tuple(files)))
    _check_path_prefixes(seen_paths)
    return Manifest(bundle_id, components, proto_majors, tuple(steps))


def _check_path_prefixes(paths: set[str]) -> None:
    # 'a' as a file and 'a/b' as another would need 'a' to be both a file and a directory.
    for path in paths:
        parts = path.split("/")
        for k in range(1, len(parts)):
            prefix = "/".join(parts[:k])
            if prefix in paths:
                raise ManifestInvalid(
                    f"manifest: {prefix!r} is a file but {path!r} uses it as a directory"
                )


def parse_manifest(data: bytes) -> Manifest:
    """Parse `manifest.json` bytes; raise `ManifestInvalid` naming what is wrong."""
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestInvalid(f"manifest.json is not UTF-8 JSON: {exc}") from exc
    return manifest_from_json(obj)
