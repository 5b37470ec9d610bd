"""Installing a bundle with a real agent process and the real gateway (mTLS on loopback).

The agent really restarts onto the new build (it execs the base build, which applies the
journal and execs the release's code); the cloud's stored result of the install command and
`commerce-edge status` say what a user would check.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.composition.fleet_assembly import fleet_versions, trusted_keys_dir
from cloud.gateway.server import EdgeGateway
from tests.edge_agent.edge_process import agent_log, agent_process
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.installer.bundles import (
    Publisher,
    build_release,
    make_publisher,
    tamper_payload,
)
from tests.edge_agent.real_gateway import CloudSide
from tests.support.stack import edge, eventually

BUNDLE = "2026.11.1"


def install_command(command_id: str, bundle_id: str = BUNDLE) -> edge_pb2.Command:
    return edge_pb2.Command(
        command_id=command_id, install_bundle=edge_pb2.InstallBundleCommand(bundle_id=bundle_id)
    )


async def result_of(cloud: CloudSide, command_id: str, data_dir: Path) -> edge_pb2.CommandResult:
    found: list[edge_pb2.CommandResult] = []

    def arrived() -> bool:
        result = cloud.result(command_id)
        if result is not None:
            found.append(result)
        return bool(found)

    try:
        await eventually(arrived, timeout=90, interval=0.2)
    except AssertionError:
        raise AssertionError(f"no result; agent log:\n{agent_log(data_dir)[-6000:]}") from None
    return found[0]


def started_versions(data_dir: Path) -> list[str]:
    """The agent version of each start in the log, in order."""
    return re.findall(r"commerce-edge (\S+) starting as site", agent_log(data_dir))


def process_env(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (item.decode(errors="replace").partition("=") for item in raw if item)
    return {key: value for key, _, value in pairs}


def status(data_dir: Path) -> dict[str, object]:
    out = edge("status", "--json", data_dir=data_dir)
    return dict(json.loads(out.stdout))


def has_release_notes(data_dir: Path) -> bool:
    with sqlite3.connect(data_dir / "state" / "edge.db") as conn:
        rows = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'release_notes'"
        ).fetchone()
    return bool(rows[0])


def publisher(data_dir: Path) -> Publisher:
    return make_publisher(data_dir.parent / "trusted")


NO_UI = {
    "edge_agent/health/server.py": (
        'app.router.add_get("/pos-ui/", self._pos_ui_index)',
        'app.router.add_get("/no-ui/", self._pos_ui_index)',
    )
}


def env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "COMMERCE_EDGE_HEALTH_ADDRESS": "127.0.0.1:0",
        "COMMERCE_EDGE_BUNDLE_DIR": str(data_dir.parent / "bundles"),
        "COMMERCE_EDGE_TRUSTED_KEYS_DIR": str(data_dir.parent / "trusted"),
        "COMMERCE_EDGE_INSTALL_GATE_TIMEOUT_SECONDS": "20",
        **extra,
    }


def publish(cloud: CloudSide, archive: Path, public_pem: Path) -> str:
    """Publish `archive` in the cloud as `commerce-cloud bundles publish` does; its SHA-256."""
    keys = trusted_keys_dir(cloud.config)
    keys.mkdir(parents=True, exist_ok=True)
    shutil.copy(public_pem, keys / "publisher.pem")
    fleet_versions(cloud.config, cloud.store).publish(archive, "test")
    return hashlib.sha256(archive.read_bytes()).hexdigest()


async def test_agent_downloads_restarts_onto_the_new_build_and_records_it(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    key = publisher(site_dir)
    archive = build_release(site_dir.parent / "published", BUNDLE, key, version="0.1.1")
    sha256 = await asyncio.to_thread(publish, cloud, archive, key.public_pem)
    async with agent_process(site_dir, env(site_dir)) as proc:
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        command = install_command("install-1")
        command.install_bundle.sha256 = sha256
        command.install_bundle.size = archive.stat().st_size
        await asyncio.to_thread(cloud.enqueue, command, SITE)
        result = await result_of(cloud, "install-1", site_dir)
        assert result.outcome == edge_pb2.COMMAND_OUTCOME_SUCCEEDED, result
        report = result.bundle_install
        assert report.outcome == edge_pb2.BUNDLE_INSTALL_OUTCOME_INSTALLED
        assert (report.current_bundle, report.last_known_good) == (BUNDLE, BUNDLE)
        assert report.previous_bundle == "base"
        # the same process (exec), now running the release's code at the release's version
        assert started_versions(site_dir) == ["0.1.0", "0.1.1"]
        assert process_env(proc.pid).get("COMMERCE_EDGE_RELEASE") == BUNDLE
        assert os.readlink(site_dir / "releases" / "current") == BUNDLE
        assert has_release_notes(site_dir)  # the bundle's projection migration ran
        shown = await asyncio.to_thread(status, site_dir)
        assert shown["current_bundle"] == BUNDLE
        assert shown["last_known_good"] == BUNDLE
        assert shown["last_install"] == f"{BUNDLE}: installed"
        # downloaded over the control connection (none was copied onto the server), and the
        # archive removed once installed
        assert f"bundle {BUNDLE} downloaded ({archive.stat().st_size} bytes)" in agent_log(site_dir)
        assert not (site_dir.parent / "bundles").exists()
        assert not list((site_dir / "downloads").iterdir())
        assert proc.returncode is None
    # started again (as systemd would), the agent runs the release that is current
    async with agent_process(site_dir, env(site_dir)):
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        await eventually(lambda: started_versions(site_dir)[-1:] == ["0.1.1"])
        assert started_versions(site_dir) == ["0.1.0", "0.1.1", "0.1.1"]


async def test_new_build_failing_its_health_gate_is_rolled_back_and_reported(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    # This build serves no POS UI on loopback, so its health gate cannot pass.
    build_release(
        site_dir.parent / "bundles", BUNDLE, publisher(site_dir), version="0.1.1", patch=NO_UI
    )
    async with agent_process(
        site_dir, env(site_dir, COMMERCE_EDGE_INSTALL_GATE_TIMEOUT_SECONDS="3")
    ) as proc:
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        await asyncio.to_thread(cloud.enqueue, install_command("install-2"), SITE)
        result = await result_of(cloud, "install-2", site_dir)
        assert result.outcome == edge_pb2.COMMAND_OUTCOME_FAILED_PERMANENT, result
        assert result.reason == "InstallRolledBack"
        report = result.bundle_install
        assert report.outcome == edge_pb2.BUNDLE_INSTALL_OUTCOME_ROLLED_BACK
        assert report.failed_step == "health-gate"
        assert "POS UI is not served" in report.message
        assert report.previous_bundle == "base"
        assert report.current_bundle == "base"
        # old build, the new one on trial, the old one again
        assert started_versions(site_dir) == ["0.1.0", "0.1.1", "0.1.0"]
        assert not (site_dir / "releases" / "current").exists()
        assert not (site_dir / "releases" / BUNDLE).exists()
        assert not has_release_notes(site_dir)  # the migration was undone
        shown = await asyncio.to_thread(status, site_dir)
        assert shown["current_bundle"] == "base"
        assert "rolled back at health-gate" in str(shown["last_install"])
        assert proc.returncode is None


async def test_sigkill_of_the_build_on_trial_leaves_the_old_release_running(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    # The new build never passes its gate in time (no UI), and is killed while on trial.
    build_release(
        site_dir.parent / "bundles", BUNDLE, publisher(site_dir), version="0.1.1", patch=NO_UI
    )
    async with agent_process(
        site_dir, env(site_dir, COMMERCE_EDGE_INSTALL_GATE_TIMEOUT_SECONDS="120")
    ) as proc:
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        await asyncio.to_thread(cloud.enqueue, install_command("install-3"), SITE)
        await eventually(lambda: started_versions(site_dir)[-1:] == ["0.1.1"], 60)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    async with agent_process(site_dir, env(site_dir)):  # as systemd restarts it
        result = await result_of(cloud, "install-3", site_dir)
        assert result.bundle_install.outcome == edge_pb2.BUNDLE_INSTALL_OUTCOME_ROLLED_BACK
        assert result.bundle_install.failed_step == "health-gate"
        assert "stopped before it passed its health gate" in result.bundle_install.message
        assert not has_release_notes(site_dir)
        assert started_versions(site_dir) == ["0.1.0", "0.1.1", "0.1.0"]
        shown = await asyncio.to_thread(status, site_dir)
        assert shown["current_bundle"] == "base"


async def test_tampered_untrusted_or_unsafe_bundles_are_refused_and_nothing_is_installed(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    bundles = site_dir.parent / "bundles"
    trusted = publisher(site_dir)
    tampered = build_release(bundles, "2026.11.2", trusted, version="0.1.1")
    tamper_payload(tampered, ".whl")
    stranger = make_publisher(site_dir.parent / "not-trusted")
    build_release(bundles, "2026.11.3", stranger, version="0.1.1")
    build_release(
        bundles, "2026.11.4", trusted, version="0.1.1", wheel_entries={"../escape.py": "x = 1"}
    )
    expected = {
        "2026.11.2": "altered after signing",
        "2026.11.3": "none of which is trusted",
        "2026.11.4": "points outside the release",
    }
    async with agent_process(site_dir, env(site_dir)) as proc:
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        for bundle_id, says in expected.items():
            command_id = f"install-{bundle_id}"
            await asyncio.to_thread(cloud.enqueue, install_command(command_id, bundle_id), SITE)
            result = await result_of(cloud, command_id, site_dir)
            assert result.outcome == edge_pb2.COMMAND_OUTCOME_FAILED_PERMANENT, result
            assert result.reason == "BundleRejected"
            assert says in result.message and "nothing installed" in result.message, result
            assert not (site_dir / "releases" / bundle_id).exists()
        assert not [p.name for p in (site_dir / "releases").iterdir()]
        assert started_versions(site_dir) == ["0.1.0"]
        assert proc.returncode is None
