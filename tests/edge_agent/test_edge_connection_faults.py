"""Real processes: a frozen or replaced gateway, and stopping an agent with work in flight.

The gateway runs as its own process (tests/edge_agent/real_gateway.py) so it can be frozen
with SIGSTOP; the agent is a real `commerce-edge run` process, read through
`commerce-edge status --json` as an operator would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud.config import CloudConfig
from edge_agent.transport import Keepalive
from tests.edge_agent.edge_fake_gateway import site_config_command
from tests.edge_agent.edge_support import SITE, running_client
from tests.edge_agent.real_gateway import CloudSide, enroll_at, gateway_process, running_gateway
from tests.support.stack import agent_log_tail, agent_process, agent_status, eventually

# The agent's bounds for these tests: a silent stream is dropped after 3 s, an unanswered
# HTTP/2 ping after 2 + 2 s. Detection is asserted within a generous functional bound.
FAST_DETECTION = {
    "COMMERCE_EDGE_SILENCE_TIMEOUT_SECONDS": "3",
    "COMMERCE_EDGE_KEEPALIVE_TIME_SECONDS": "2",
    "COMMERCE_EDGE_KEEPALIVE_TIMEOUT_SECONDS": "2",
    "COMMERCE_EDGE_RPC_TIMEOUT_SECONDS": "3",
    "COMMERCE_EDGE_RECONNECT_MAX_SECONDS": "1",
}
DETECTION_BOUND = 20.0


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


@contextlib.asynccontextmanager
async def started_gateway(config: CloudConfig, log: Path) -> AsyncIterator[subprocess.Popen[bytes]]:
    with gateway_process(config, log) as proc:
        await eventually(
            lambda: proc.poll() is not None or _port_open(config.control_port), timeout=60
        )
        assert proc.poll() is None, log.read_text()[-3000:]
        yield proc


@contextlib.contextmanager
def frozen(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGCONT)


async def wait_state(data_dir: Path, wanted: Any, timeout: float) -> dict[str, Any]:
    """Poll `commerce-edge status --json` until `wanted(status)`; return that status."""
    seen: list[dict[str, Any]] = []

    async def check() -> bool:
        status = await agent_status(data_dir)
        seen.append(status)
        return bool(wanted(status))

    try:
        await eventually(check, timeout=timeout, interval=0.3)
    except AssertionError as exc:
        last = seen[-1] if seen else None
        raise AssertionError(f"{exc}; last status {last}\n{agent_log_tail(data_dir)}") from exc
    return seen[-1]


def connected(status: dict[str, Any]) -> bool:
    return bool(status["connection_state"] == "connected")


@pytest.fixture
async def cloud_side(tmp_path: Path) -> AsyncIterator[CloudSide]:
    side = await asyncio.to_thread(
        CloudSide.under,
        tmp_path / "cloud",
        heartbeat_interval_seconds=1,
        gateway_min_agent_ping_interval_seconds=1,
    )
    try:
        yield side
    finally:
        await asyncio.to_thread(side.close)


async def test_frozen_gateway_is_noticed_and_the_agent_reconnects_when_it_runs_again(
    cloud_side: CloudSide, tmp_path: Path
) -> None:
    agent_dir = tmp_path / "store"
    async with started_gateway(cloud_side.config, tmp_path / "gateway.log") as gateway:
        await enroll_at(cloud_side, agent_dir, SITE)
        async with agent_process(agent_dir, FAST_DETECTION):
            await wait_state(agent_dir, connected, 30)
            with frozen(gateway):
                down = await wait_state(agent_dir, lambda s: not connected(s), DETECTION_BOUND)
                assert down["last_error"], down
                # Queued while the gateway is frozen: delivered once it runs again.
                await asyncio.to_thread(
                    cloud_side.enqueue, site_config_command("cmd-1", SITE, generation=2), SITE
                )
            status = await wait_state(
                agent_dir, lambda s: connected(s) and s["config_generation"] == 2, 60
            )
            assert status["healthy"] is True
            await eventually(lambda: cloud_side.command("cmd-1").status == "completed", 30)


async def test_keepalive_alone_notices_a_frozen_gateway(
    cloud_side: CloudSide, tmp_path: Path
) -> None:
    """With the stream's silence bound out of the way, HTTP/2 pings find the frozen peer."""
    agent_dir = tmp_path / "store"
    async with started_gateway(cloud_side.config, tmp_path / "gateway.log") as gateway:
        await enroll_at(cloud_side, agent_dir, SITE)
        async with running_client(
            agent_dir, silence_timeout_seconds=600, keepalive=Keepalive(2, 2)
        ) as (client, projection):
            await asyncio.wait_for(client.connected.wait(), 10)
            with frozen(gateway):
                await eventually(
                    lambda: projection.connection_state().state != "connected",
                    timeout=DETECTION_BOUND,
                )
            error = projection.connection_state().last_error
            assert error is not None and "ping timeout" in error, error


async def test_agent_reconnects_to_another_gateway_on_the_same_address(
    cloud_side: CloudSide, tmp_path: Path
) -> None:
    agent_dir = tmp_path / "store"
    log = tmp_path / "gateway.log"
    async with started_gateway(cloud_side.config, log) as first:
        await enroll_at(cloud_side, agent_dir, SITE)
        async with agent_process(agent_dir, FAST_DETECTION):
            await wait_state(agent_dir, connected, 30)
            with frozen(first):
                await wait_state(agent_dir, lambda s: not connected(s), DETECTION_BOUND)
                first.kill()
                first.wait(timeout=30)
            await asyncio.to_thread(
                cloud_side.enqueue, site_config_command("cmd-2", SITE, generation=3), SITE
            )
            async with started_gateway(cloud_side.config, log):
                await wait_state(
                    agent_dir, lambda s: connected(s) and s["config_generation"] == 3, 60
                )
                await eventually(lambda: cloud_side.command("cmd-2").status == "completed", 30)


# --- stopping with work in flight ----------------------------------------------------------


@contextlib.contextmanager
def database_locked(agent_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds an exclusive lock on the agent's SQLite database until the
    block ends (a backup tool or a stuck reader would do the same)."""
    script = (
        "import sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(agent_dir / "state" / "edge.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        proc.wait(timeout=30)


async def test_first_sigterm_lets_the_command_in_flight_finish_and_report(
    cloud: CloudSide, real_gateway: object, tmp_path: Path
) -> None:
    agent_dir = tmp_path / "store"
    await enroll_at(cloud, agent_dir, SITE)
    async with agent_process(agent_dir, {"COMMERCE_EDGE_DRAIN_TIMEOUT_SECONDS": "30"}) as agent:
        await wait_state(agent_dir, connected, 30)
        with database_locked(agent_dir) as lock:
            await asyncio.to_thread(
                cloud.enqueue, site_config_command("cmd-slow", SITE, generation=5), SITE
            )
            await eventually(lambda: cloud.command("cmd-slow").status == "delivered", 10)
            # The frame reached the agent, which now waits on disk. (The agent's SQLite busy
            # timeout is 5 s: the lock goes well before that.)
            await eventually(
                lambda: (
                    "command cmd-slow (apply_site_config) received" in agent_log_tail(agent_dir)
                ),
                10,
            )
            agent.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            assert agent.returncode is None, agent_log_tail(agent_dir)  # still draining
            assert lock.poll() is None
        # The lock is gone: the command finishes, its result reaches the cloud, then it exits.
        assert await asyncio.wait_for(agent.wait(), 30) == 0, agent_log_tail(agent_dir)
    result = cloud.result("cmd-slow")
    assert result is not None and result.ok, agent_log_tail(agent_dir)
    assert result.site_config_applied.generation == 5


async def test_drain_deadline_ends_a_stop_that_cannot_finish(
    cloud_side: CloudSide, tmp_path: Path
) -> None:
    agent_dir = tmp_path / "store"
    slow = {
        **FAST_DETECTION,
        "COMMERCE_EDGE_RPC_TIMEOUT_SECONDS": "120",  # a redial to a frozen gateway hangs
        "COMMERCE_EDGE_DRAIN_TIMEOUT_SECONDS": "2",
    }
    async with started_gateway(cloud_side.config, tmp_path / "gateway.log") as gateway:
        await enroll_at(cloud_side, agent_dir, SITE)
        async with agent_process(agent_dir, slow) as agent:
            await wait_state(agent_dir, connected, 30)
            with frozen(gateway):
                await wait_state(agent_dir, lambda s: s["connection_state"] == "connecting", 30)
                agent.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(agent.wait(), 20)
    log = agent_log_tail(agent_dir, 8000)
    assert code == 1, log
    assert "drain deadline of 2 s passed with work in flight (control stream)" in log


async def test_second_sigterm_exits_at_once(cloud_side: CloudSide, tmp_path: Path) -> None:
    agent_dir = tmp_path / "store"
    slow = {
        **FAST_DETECTION,
        "COMMERCE_EDGE_RPC_TIMEOUT_SECONDS": "120",
        "COMMERCE_EDGE_DRAIN_TIMEOUT_SECONDS": "120",
    }
    async with started_gateway(cloud_side.config, tmp_path / "gateway.log") as gateway:
        await enroll_at(cloud_side, agent_dir, SITE)
        async with agent_process(agent_dir, slow) as agent:
            await wait_state(agent_dir, connected, 30)
            with frozen(gateway):
                await wait_state(agent_dir, lambda s: s["connection_state"] == "connecting", 30)
                agent.send_signal(signal.SIGTERM)
                await eventually(
                    lambda: "signal again to exit now" in agent_log_tail(agent_dir), 10
                )
                assert agent.returncode is None  # draining: it would wait up to 120 s
                agent.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(agent.wait(), 10)
    assert code == -signal.SIGTERM


async def test_gateway_notices_a_frozen_agent_and_takes_it_back(tmp_path: Path) -> None:
    side = await asyncio.to_thread(
        CloudSide.under,
        tmp_path / "cloud",
        heartbeat_interval_seconds=1,
        gateway_keepalive_time_seconds=1,
        gateway_keepalive_timeout_seconds=2,
        gateway_min_agent_ping_interval_seconds=1,
    )
    agent_dir = tmp_path / "store"
    try:
        async with running_gateway(side) as gateway:
            await enroll_at(side, agent_dir, SITE)
            async with agent_process(agent_dir, FAST_DETECTION) as agent:
                await eventually(lambda: gateway.sessions.connected(SITE), timeout=30)
                os.kill(agent.pid, signal.SIGSTOP)
                try:
                    # Unanswered pings end the session: the site shows as disconnected.
                    await eventually(
                        lambda: not gateway.sessions.connected(SITE), timeout=DETECTION_BOUND
                    )
                finally:
                    os.kill(agent.pid, signal.SIGCONT)
                await eventually(lambda: gateway.sessions.connected(SITE), timeout=60)
                await wait_state(agent_dir, connected, 60)
    finally:
        await asyncio.to_thread(side.close)
