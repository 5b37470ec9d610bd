"""Measurements of this machine and of processes on it (for the bench table)."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import platform
import resource
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench._errors import BenchFailed

logger = logging.getLogger(__name__)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


# --- the machine and the process limits -------------------------------------------------------


def raise_fd_limit() -> int:
    """Raise the soft open-files limit to the hard one (children inherit it); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _proc_field(path: str, key: str) -> str | None:
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip() == key:
                return value.strip()
    return None


def machine_info() -> dict[str, Any]:
    """CPU model, cores, memory, Python and OS of this machine."""
    mem_kb = _proc_field("/proc/meminfo", "MemTotal")
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} (Linux {platform.release()})"
    return {
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor(),
        "cores": os.cpu_count() or 0,
        "memory_gb": round(int(mem_kb.split()[0]) / 1024 / 1024, 1) if mem_kb else None,
        "python": platform.python_version(),
        "os": os_name,
    }


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    """Resident memory of `pid` from /proc (VmRSS, or VmHWM for the peak), in MB."""
    value = _proc_field(f"/proc/{pid}/status", key)
    if value is None:
        raise BenchFailed(f"cannot read {key} of process {pid}; did the cloud process exit?")
    return int(value.split()[0]) / 1024.0


def established_connections(port: int) -> int:
    """TCP connections in ESTABLISHED state whose local port is `port` (server side)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "01":
                    count += 1
    return count


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports free right now (all held open while choosing)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
