"""The manifest format: what a reader accepts, and errors that name the wrong field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import shared.bundles
from shared.bundles import ManifestInvalid, parse_manifest

_GOOD: dict[str, Any] = {
    "format": 1,
    "bundle_id": "2026.11.1",
    "components": {"edge-agent": "0.2.0", "pos-ui": "1.4.0"},
    "proto_majors": {"ameide_core_proto.process.commerce": 1},
    "steps": [
        {
            "name": "edge-agent",
            "component": "edge-agent",
            "kind": "wheel",
            "undoable": True,
            "files": [{"path": "edge-agent/a.whl", "sha256": "ab" * 32, "size": 10}],
        }
    ],
}


def _with(path: str, value: object) -> bytes:
    doc = copy.deepcopy(_GOOD)
    *parents, last = path.split(".")
    node: Any = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return json.dumps(doc).encode()


_DELETE = object()


def test_a_good_manifest_round_trips_to_the_same_canonical_bytes() -> None:
    manifest = parse_manifest(json.dumps(_GOOD).encode())
    assert parse_manifest(manifest.canonical_bytes()) == manifest
    assert manifest.total_size() == 10


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("format", 2, "manifest.format: 2 is not supported"),
        ("bundle_id", "../x", "invalid bundle id"),
        ("components.edge-agent", "latest", r"components.edge-agent: version 'latest'"),
        ("steps", [], "at least one step"),
        ("steps.0.kind", "shell", "steps\\[0\\].kind: 'shell' is not one of"),
        ("steps.0.component", "cloud", "has no version in manifest.components"),
        ("steps.0.undoable", "yes", "steps\\[0\\].undoable: must be bool"),
        ("steps.0.files.0.path", "../../etc/passwd", "is not a relative path"),
        ("steps.0.files.0.path", "/abs", "is not a relative path"),
        ("steps.0.files.0.sha256", "XYZ", "64 lowercase hex"),
        ("steps.0.files.0.size", -1, "must not be negative"),
        ("proto_majors.ameide_core_proto.process.commerce", True, None),
        ("bundle_id", _DELETE, "'bundle_id' is missing"),
        ("extra", 1, "unknown field\\(s\\) extra"),
    ],
)
def test_a_wrong_field_is_named(path: str, value: object, message: str | None) -> None:
    if message is None:  # a dotted key: set it directly
        doc = copy.deepcopy(_GOOD)
        doc["proto_majors"]["ameide_core_proto.process.commerce"] = value
        data, message = json.dumps(doc).encode(), "proto_majors"
    else:
        data = _with(path, value)
    with pytest.raises(ManifestInvalid, match=message) as err:
        parse_manifest(data)
    assert err.value.retryable is False


def test_not_json_is_refused() -> None:
    with pytest.raises(ManifestInvalid, match="not UTF-8 JSON"):
        parse_manifest(b"\xff{")


def test_exported_names_are_pinned() -> None:
    assert set(shared.bundles.__all__) == {
        name for name in dir(shared.bundles) if not name.startswith("_")
    } - {"annotations"}
