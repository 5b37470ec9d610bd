"""The cloud under test, as its own `commerce-cloud serve` process on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from bench._errors import BenchFailed
from bench._machine import free_ports
from cloud.config import CloudConfig

logger = logging.getLogger(__name__)

CHANNEL = "bench-web"
AWAITING = store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT
CLOUD_START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
_SESSION_LINE = re.compile(r" cloud\.gateway\.control: site (\S+) (connected|disconnected)\b")
_READY_LINE = "commerce cloud running"


def dying_with_us(argv: Sequence[str]) -> list[str]:
    """`argv` under `setpriv --pdeathsig TERM` when available: the child gets SIGTERM if this
    process dies, so nothing outlives the bench. Not a preexec_fn: forking this process and
    running Python in the child while gRPC threads are busy aborts the child in gRPC core."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *argv] if setpriv else list(argv)


def script_path(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


async def stop_process(proc: asyncio.subprocess.Process, grace: float) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), grace)
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


# --- the cloud, in its own process ------------------------------------------------------------


def bench_config(data_dir: Path) -> CloudConfig:
    """A cloud on free loopback ports with its own data dir (never collides with a demo)."""
    dev, ui, discovery, enroll_port, control, publish = free_ports(6)
    return CloudConfig(
        data_dir=data_dir,
        temporal_dev_port=dev,
        temporal_ui_port=ui,
        temporal_ui=False,
        gateway_host="127.0.0.1",
        gateway_public_names=["127.0.0.1", "localhost"],
        discovery_port=discovery,
        enroll_port=enroll_port,
        control_port=control,
        publish_host="127.0.0.1",
        publish_port=publish,
        log_level="INFO",
    )


def child_environment(config: CloudConfig) -> dict[str, str]:
    """This process's environment without any cloud or Temporal setting, plus `config`'s."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("COMMERCE_CLOUD_", "TEMPORAL_"))
    }
    fields: dict[str, object] = {
        "temporal_dev_port": config.temporal_dev_port,
        "temporal_ui_port": config.temporal_ui_port,
        "temporal_ui": str(config.temporal_ui).lower(),
        "gateway_host": config.gateway_host,
        "gateway_public_names": ",".join(config.gateway_public_names),
        "discovery_port": config.discovery_port,
        "enroll_port": config.enroll_port,
        "control_port": config.control_port,
        "publish_host": config.publish_host,
        "publish_port": config.publish_port,
        "log_level": config.log_level,
    }
    env.update({f"COMMERCE_CLOUD_{name.upper()}": str(value) for name, value in fields.items()})
    return env


class _CloudChild:
    """One `commerce-cloud <role>` child process whose stderr log is read line by line."""

    def __init__(self, role: str, env: dict[str, str], config: CloudConfig, log_path: Path) -> None:
        self.role = role
        self.env = env
        self.config = config
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.streams: Counter[str] = Counter()
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *dying_with_us(
                [script_path("commerce-cloud"), "--data-dir", str(self.config.data_dir), self.role]
            ),
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read_log(), name=f"cloud-{self.role}-log")
        exited = asyncio.ensure_future(self.proc.wait())
        ready = asyncio.ensure_future(self._ready.wait())
        try:
            await asyncio.wait(
                {exited, ready}, timeout=CLOUD_START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            exited.cancel()
            ready.cancel()
        if not self._ready.is_set():
            await self.stop()
            raise BenchFailed(
                f"commerce-cloud {self.role} did not come up within {CLOUD_START_TIMEOUT:.0f} s "
                f"(exit code {self.proc.returncode}); see {self.log_path}"
            )
        logger.info("cloud %s process %d is up; log %s", self.role, self.proc.pid, self.log_path)

    async def stop(self) -> None:
        if self.proc is not None:
            await stop_process(self.proc, STOP_TIMEOUT)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._reader, 5.0)

    async def _read_log(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        with self.log_path.open("wb") as log:
            async for raw in self.proc.stderr:
                log.write(raw)
                line = raw.decode(errors="replace")
                match = _SESSION_LINE.search(line)
                if match is not None:
                    self.streams[match.group(1)] += 1 if match.group(2) == "connected" else -1
                elif _READY_LINE in line:
                    self._ready.set()


class CloudProcess:
    """The cloud under test as two children, the way it scales out: `commerce-cloud worker`
    (which starts the embedded dev server) and `commerce-cloud gateway` pointed at that dev
    server through TEMPORAL_ADDRESS. `pid` is the gateway's, so its RSS is the gateway's alone.

    Logs go to `log_path` (worker: `<log_path>.worker`); live sessions are counted from the
    lines the gateway writes when a stream opens and closes.
    """

    def __init__(
        self, config: CloudConfig, log_path: Path, extra_env: dict[str, str] | None = None
    ) -> None:
        self.config = config
        self.log_path = log_path
        env = {**child_environment(config), **(extra_env or {})}
        self._worker = _CloudChild("worker", env, config, log_path.with_suffix(".worker.log"))
        gateway_env = {**env, "TEMPORAL_ADDRESS": f"127.0.0.1:{config.temporal_dev_port}"}
        self._gateway = _CloudChild("gateway", gateway_env, config, log_path)

    @property
    def pid(self) -> int:
        """The gateway process."""
        assert self._gateway.proc is not None
        return self._gateway.proc.pid

    @property
    def worker_pid(self) -> int:
        assert self._worker.proc is not None
        return self._worker.proc.pid

    def sessions(self) -> int:
        """Sites with an open control stream, as the gateway logged them."""
        return sum(1 for open_streams in self._gateway.streams.values() if open_streams > 0)

    async def __aenter__(self) -> CloudProcess:
        await self._worker.start()
        try:
            await self._gateway.start()
        except BaseException:
            await self._worker.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        await self._gateway.stop()
        await self._worker.stop()

    async def wait_for_sessions(self, count: int, timeout: float) -> int:
        """Wait until `count` sessions are open (or `timeout`); return how many are."""
        deadline = time.monotonic() + timeout
        while self.sessions() < count and time.monotonic() < deadline:
            for child in (self._gateway, self._worker):
                if child.proc is not None and child.proc.returncode is not None:
                    raise BenchFailed(
                        f"the cloud {child.role} process exited; see {child.log_path}"
                    )
            await asyncio.sleep(0.2)
        return self.sessions()


# --- store agents -----------------------------------------------------------------------------
