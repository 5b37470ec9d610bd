"""Store agents for the bench: real `commerce-edge` processes and in-process ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Protocol

from bench._cloud_process import dying_with_us, script_path, stop_process
from bench._errors import BenchFailed
from bench._installer import AnsweringInstaller, Failures
from cloud.services import Enrollment
from edge_agent.control import ControlClient
from edge_agent.identity import enroll
from edge_agent.projection import Projection
from shared.version import package_version

logger = logging.getLogger(__name__)


class Agent(Protocol):
    """One store server's agent: enroll with the token, then keep the control stream."""

    site_id: str
    data_dir: Path

    async def enroll(self, enrollment: Enrollment) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class SimulatedAgent:
    """An agent in this process: the agent's own `enroll` and `ControlClient`, own data dir."""

    def __init__(
        self, site_id: str, data_dir: Path, installer: AnsweringInstaller | None = None
    ) -> None:
        self.site_id = site_id
        self.data_dir = data_dir
        self._installer = installer
        self._stopping = asyncio.Event()
        self._projection: Projection | None = None
        self._task: asyncio.Task[None] | None = None

    async def enroll(self, enrollment: Enrollment) -> None:
        await enroll(
            data_dir=self.data_dir,
            cloud=enrollment.cloud_address,
            token=enrollment.token,
            ca_fingerprint=enrollment.ca_fingerprint,
            agent_version=package_version(),
        )

    async def start(self) -> None:
        self._projection = await Projection.open(self.data_dir)
        client = ControlClient(
            data_dir=self.data_dir,
            projection=self._projection,
            agent_version=package_version(),
            installer=self._installer,
            installed=self._installer.installed if self._installer is not None else None,
        )
        self._task = asyncio.create_task(client.run(self._stopping), name=f"agent-{self.site_id}")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), 10.0)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._projection is not None:
            await self._projection.close()


class ProcessAgent:
    """A real `commerce-edge enroll` + `commerce-edge run`, as an installer would run them."""

    def __init__(self, site_id: str, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.site_id = site_id
        self.data_dir = data_dir
        self._proc: asyncio.subprocess.Process | None = None
        self._env = {
            **os.environ,
            "COMMERCE_EDGE_HEALTH_ADDRESS": "",
            "COMMERCE_EDGE_POS_ADDRESS": "",
            **(env or {}),
        }

    @property
    def pid(self) -> int | None:
        """The running `commerce-edge run` process, if any."""
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def enroll(self, enrollment: Enrollment) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "enroll.log"
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                *dying_with_us(
                    [
                        script_path("commerce-edge"),
                        *enrollment.arguments,
                        "--data-dir",
                        str(self.data_dir),
                    ]
                ),
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
            code = await proc.wait()
        if code != 0:
            raise BenchFailed(f"commerce-edge enroll for {self.site_id} exited {code}; see {log}")

    async def start(self) -> None:
        with (self.data_dir / "agent.log").open("ab") as out:
            self._proc = await asyncio.create_subprocess_exec(
                *dying_with_us(
                    [script_path("commerce-edge"), "run", "--data-dir", str(self.data_dir)]
                ),
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )

    async def stop(self) -> None:
        if self._proc is not None:
            await stop_process(self._proc, 15.0)
            self._proc = None


class Fleet:
    """The agents of every site, real processes first; stops them all at the end."""

    def __init__(
        self,
        root: Path,
        real_agents: int,
        *,
        process_env: dict[str, str] | None = None,
        failures: Failures | None = None,
    ) -> None:
        """`process_env` goes to the real agents; with `failures`, the simulated ones answer
        install commands (`AnsweringInstaller`)."""
        self._root = root
        self._real = real_agents
        self._env = process_env
        self._failures = failures
        self.agents: list[Agent] = []

    def new_agent(self, index: int, site_id: str) -> Agent:
        data_dir = self._root / site_id
        agent: Agent
        if index < self._real:
            agent = ProcessAgent(site_id, data_dir, self._env)
        else:
            installer = (
                AnsweringInstaller(site_id, self._failures) if self._failures is not None else None
            )
            agent = SimulatedAgent(site_id, data_dir, installer)
        self.agents.append(agent)
        return agent

    async def stop(self) -> None:
        await asyncio.gather(*(agent.stop() for agent in self.agents), return_exceptions=True)


def fast_scratch() -> str | None:
    """Where simulated agents keep their files: tmpfs when there is one, so their fsyncs do
    not stand in for store-server disks and load the cloud's disk instead."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


# --- provisioning -----------------------------------------------------------------------------
