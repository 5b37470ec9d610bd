"""Fixtures for the Temporal tests: the real CLI binary and free loopback ports."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from cloud.temporal.cli_binary import default_cache_dir, resolve_temporal_cli


@pytest.fixture(scope="session")
def temporal_cli() -> Path:
    """The real Temporal CLI (no build attempted here; `make temporal-cli` builds it)."""
    cli = resolve_temporal_cli(default_cache_dir(), allow_build=False)
    if cli is None:
        pytest.skip("no Temporal CLI binary found; run `make temporal-cli` or set TEMPORAL_CLI")
    return cli


@pytest.fixture
def free_port() -> Callable[[], int]:
    """Return a function that hands out distinct free loopback ports."""
    handed_out: set[int] = set()

    def pick() -> int:
        while True:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port: int = probe.getsockname()[1]
            if port not in handed_out:
                handed_out.add(port)
                return port

    return pick
