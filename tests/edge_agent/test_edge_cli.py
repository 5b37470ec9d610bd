"""The `commerce-edge` command line against the real gateway: enroll as a real subprocess,
status for people and scripts, run and stop."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cloud.gateway.server import EdgeGateway
from edge_agent.cli.main import main
from edge_agent.identity import IdentityPaths, load_identity
from tests.edge_agent.edge_fake_gateway import site_config_command
from tests.edge_agent.edge_support import SITE, running_client
from tests.edge_agent.real_gateway import CloudSide
from tests.support.stack import eventually

COMMERCE_EDGE = str(Path(sys.executable).parent / "commerce-edge")


async def _cli(*args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_EDGE_")}
    proc = await asyncio.create_subprocess_exec(
        COMMERCE_EDGE,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_enroll_subprocess_enrolls_the_box(
    cloud: CloudSide, real_gateway: EdgeGateway, data_dir: Path
) -> None:
    token = await asyncio.to_thread(cloud.add_site, SITE)
    code, out, err = await _cli(
        "enroll",
        "--cloud",
        cloud.cloud_address,
        "--token",
        token,
        "--ca-fingerprint",
        f"sha256:{cloud.ca_fingerprint}",
        "--data-dir",
        str(data_dir),
    )
    assert code == 0, err
    assert SITE in out
    identity = load_identity(data_dir)
    assert identity.site_id == SITE
    assert [c.serial for c in cloud.store.certificates.for_site(SITE)] == [
        identity.certificate.serial_hex
    ]
    assert token.split(".")[2] not in out + err  # the token's secret is never echoed


async def test_enroll_subprocess_wrong_fingerprint_is_one_line_exit_1(
    cloud: CloudSide, real_gateway: EdgeGateway, data_dir: Path
) -> None:
    token = await asyncio.to_thread(cloud.add_site, SITE)
    code, _out, err = await _cli(
        "enroll",
        "--cloud",
        cloud.cloud_address,
        "--token",
        token,
        "--ca-fingerprint",
        "ab" * 32,
        "--data-dir",
        str(data_dir),
    )
    assert code == 1
    error_lines = [line for line in err.splitlines() if line.startswith("commerce-edge: error:")]
    assert len(error_lines) == 1
    assert "fingerprint" in error_lines[0]
    assert "Traceback" not in err
    assert cloud.store.certificates.for_site(SITE) == []  # nothing was sent


@pytest.mark.parametrize(
    ("token", "fingerprint"),
    [("not-a-token", "ab" * 32), (f"{SITE}.tok.secret", "not-hex")],
)
async def test_enroll_subprocess_bad_input_exits_2(
    cloud: CloudSide, real_gateway: EdgeGateway, data_dir: Path, token: str, fingerprint: str
) -> None:
    code, _out, err = await _cli(
        "enroll",
        "--cloud",
        cloud.cloud_address,
        "--token",
        token,
        "--ca-fingerprint",
        fingerprint,
        "--data-dir",
        str(data_dir),
    )
    assert code == 2, err
    assert err.startswith("commerce-edge: error:")
    assert "Traceback" not in err


async def test_run_unenrolled_says_what_to_do(data_dir: Path) -> None:
    code, _out, err = await _cli("run", "--data-dir", str(data_dir))
    assert code == 1
    assert "commerce-edge enroll" in err
    assert "Traceback" not in err


async def test_status_json_shows_identity_and_connection(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    enrolled = site_dir
    async with running_client(enrolled) as (client, _projection):
        await asyncio.wait_for(client.connected.wait(), 10)
        await asyncio.to_thread(cloud.enqueue, site_config_command("cmd-1", SITE, 11), SITE)
        await eventually(lambda: cloud.result("cmd-1") is not None, timeout=10)

        result = CliRunner().invoke(main, ["status", "--data-dir", str(enrolled), "--json"])
        assert result.exit_code == 0, result.output
        status = json.loads(result.output)
        identity = load_identity(enrolled)
        assert status["site_id"] == SITE
        assert status["certificate_serial"] == identity.certificate.serial_hex
        assert status["certificate_not_after"] == identity.certificate.not_after.isoformat()
        assert 29 < status["certificate_days_left"] <= 30
        assert status["cloud_endpoint"] == f"127.0.0.1:{cloud.config.control_port}"
        assert status["connection_state"] == "connected"
        assert status["last_contact_at"]
        assert status["config_generation"] == 11
        assert status["healthy"] is True

        table = CliRunner().invoke(main, ["status", "--data-dir", str(enrolled)])
        assert table.exit_code == 0
        assert SITE in table.output and "connected" in table.output


def test_status_of_an_unenrolled_box(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["status", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0
    status = json.loads(result.output)
    assert status["enrolled"] is False
    assert status["connection_state"] == "never-connected"
    assert "not enrolled" in status["problem"]
    assert not IdentityPaths.under(tmp_path).root.exists()


async def test_run_subprocess_stops_cleanly_on_sigterm(
    real_gateway: EdgeGateway, site_dir: Path
) -> None:
    enrolled = site_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_EDGE_")}
    env["COMMERCE_EDGE_HEALTH_ADDRESS"] = "127.0.0.1:0"
    env["COMMERCE_EDGE_POS_ADDRESS"] = "127.0.0.1:0"
    proc = await asyncio.create_subprocess_exec(
        COMMERCE_EDGE,
        "run",
        "--data-dir",
        str(enrolled),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=30)
        proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert "commerce-edge stopped" in err.decode()
    result = CliRunner().invoke(main, ["status", "--data-dir", str(enrolled), "--json"])
    assert json.loads(result.output)["connection_state"] == "stopped"
