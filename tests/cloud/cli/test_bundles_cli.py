"""`commerce-cloud compat` and `commerce-cloud bundles` as ops run them: the real console script
on a real cloud data directory (SQLite store, blob directory), real keys and archives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloud.compatibility import packaged_matrix_text
from tests.shared.bundles.conftest import Entry, rewrite_archive

BIN = Path(sys.executable).parent / "commerce-cloud"


class Ops:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data_dir = root / "cloud"
        payloads = root / "payloads"
        (payloads / "migrations").mkdir(parents=True)
        (payloads / "pos-ui").mkdir()
        (payloads / "migrations" / "0004_lanes.sql").write_text("ALTER TABLE items ADD lane;\n")
        (payloads / "pos-ui" / "index.html").write_text("<html>POS</html>\n")
        # A stand-in for the agent wheel: the CLI packs and hashes it, it never opens it.
        self.wheel = payloads / "ameide_commerce_process-0.1.0-py3-none-any.whl"
        self.wheel.write_bytes(b"PK\x05\x06" + bytes(18))
        self.payloads = payloads

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "200"}
        env.pop("COMMERCE_CLOUD_CONFIG", None)
        return subprocess.run(
            [str(BIN), "--data-dir", str(self.data_dir), *args],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr + done.stdout
        return done.stdout

    def keygen(self, name: str) -> tuple[Path, Path]:
        private, public = self.root / f"{name}.key", self.root / f"{name}.pem"
        self.ok("bundles", "keygen", str(private), str(public))
        return private, public

    def build(self, bundle_id: str, key: Path, *extra: str) -> Path:
        out = self.root / f"{bundle_id}.tar.gz"
        self.ok(
            "bundles", "build", "--bundle-id", bundle_id, "--key", str(key), "--out", str(out),
            "--agent-wheel", str(self.wheel), "--migrations", str(self.payloads / "migrations"),
            "--pos-ui", str(self.payloads / "pos-ui"), "--version", "pos-ui=1.0.0", *extra,
        )  # fmt: skip
        return out

    def published(self) -> list[str]:
        return [b["bundle_id"] for b in json.loads(self.ok("bundles", "list", "--json"))]

    def blobs(self) -> list[str]:
        blobs = self.data_dir / "bundles" / "blobs"
        return sorted(p.name for p in blobs.iterdir()) if blobs.exists() else []


@pytest.fixture
def ops(tmp_path: Path) -> Ops:
    return Ops(tmp_path)


def test_build_trust_check_publish_list_show(ops: Ops) -> None:
    key, public = ops.keygen("publisher")
    archive = ops.build("2026.11.1", key, "--version", "edge-projection=3.0.0")

    untrusted = ops.run("bundles", "publish", str(archive))
    assert untrusted.returncode == 2 and "no publisher key is trusted" in untrusted.stderr
    ops.ok("bundles", "trust", str(public))
    verdict = json.loads(ops.ok("compat", "check", str(archive), "--json"))
    assert verdict == {
        "allowed": True, "bundle_id": "2026.11.1", "from_bundle_id": None,
        "matrix_version": 1, "refusals": [],
    }  # fmt: skip
    assert "published" in ops.ok("bundles", "publish", str(archive))
    assert "already published" in ops.ok("bundles", "publish", str(archive))
    assert ops.published() == ["2026.11.1"]
    assert ops.blobs() == ["2026.11.1.tar.gz"]
    assert (ops.data_dir / "bundles" / "blobs" / "2026.11.1.tar.gz").read_bytes() == (
        archive.read_bytes()
    )
    shown = json.loads(ops.ok("bundles", "show", "2026.11.1", "--json"))
    steps = shown["manifest"]["steps"]
    assert [(s["name"], s["undoable"]) for s in steps] == [
        ("edge-agent", True), ("edge-projection", False), ("pos-ui", True),
    ]  # fmt: skip
    assert shown["manifest"]["components"]["edge-agent"] == "0.1.0"  # from the wheel's name
    table = ops.ok("bundles", "show", "2026.11.1")
    assert "edge-projection" in table and "static-site" in table


def test_publish_refuses_what_does_not_verify_and_stores_nothing(ops: Ops) -> None:
    key, public = ops.keygen("publisher")
    stranger, _ = ops.keygen("stranger")
    ops.ok("bundles", "trust", str(public))
    archive = ops.build("2026.11.1", key, "--version", "edge-projection=3.0.0")

    def swap_ui(entries: list[Entry]) -> list[Entry]:
        return [(i, b"<script>evil()</script>" if i.name.endswith("index.html") else d)
                for i, d in entries]  # fmt: skip

    tampered = rewrite_archive(archive, ops.root / "tampered.tar.gz", swap_ui)
    refused = ops.run("bundles", "publish", str(tampered))
    assert refused.returncode == 1
    assert "payload pos-ui/index.html does not match the signed manifest" in refused.stderr

    foreign = ops.build("2026.11.2", stranger, "--version", "edge-projection=3.0.0")
    refused = ops.run("bundles", "publish", str(foreign))
    assert refused.returncode == 1 and "none of which is trusted" in refused.stderr

    too_new = ops.build("2026.11.3", key, "--version", "edge-projection=9.0.0")
    refused = ops.run("bundles", "publish", str(too_new))
    assert refused.returncode == 2
    assert "refused by compatibility matrix version 1" in refused.stderr
    assert "unsupported-version: edge-projection 9.0.0" in refused.stderr
    assert ops.published() == [] and ops.blobs() == []


def test_compat_check_names_the_rule_for_a_downgrade_past_a_step_that_cannot_be_undone(
    ops: Ops,
) -> None:
    key, public = ops.keygen("publisher")
    ops.ok("bundles", "trust", str(public))
    ops.ok("bundles", "publish", str(ops.build("2026.11.2", key, "--version",
                                                "edge-projection=3.2.0")))  # fmt: skip
    older = ops.build("2026.11.1", key, "--version", "edge-projection=3.1.0")

    assert ops.run("compat", "check", str(older)).returncode == 0
    refused = ops.run("compat", "check", str(older), "--from", "2026.11.2")
    assert refused.returncode == 1
    assert "refused" in refused.stdout and "not-undoable-downgrade" in refused.stdout


def test_a_loaded_matrix_is_the_one_in_force(ops: Ops) -> None:
    assert json.loads(ops.ok("compat", "show", "--json"))["source"] == "shipped"
    assert "version 1 stored" in ops.ok("compat", "load")
    stricter = ops.root / "matrix.toml"
    stricter.write_text(
        packaged_matrix_text()
        .replace("version = 1\n", "version = 2\n", 1)
        .replace('versions = ">=1.0.0,<3.0.0"', 'versions = ">=2.0.0,<3.0.0"')
    )
    assert "version 2 stored" in ops.ok("compat", "load", str(stricter))
    shown = json.loads(ops.ok("compat", "show", "--json"))
    assert (shown["version"], shown["source"]) == (2, "store")
    older = ops.run("compat", "load")
    assert older.returncode == 1 and "older than the stored version 2" in older.stderr

    key, public = ops.keygen("publisher")
    ops.ok("bundles", "trust", str(public))
    archive = ops.build("2026.11.1", key, "--version", "edge-projection=3.0.0")
    refused = json.loads(ops.run("compat", "check", str(archive), "--json").stdout)
    assert refused["matrix_version"] == 2
    assert [(r["rule"], r["component"]) for r in refused["refusals"]] == [
        ("unsupported-version", "pos-ui")
    ]
