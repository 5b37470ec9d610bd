"""Fixtures for the Temporal tests: free loopback ports (`temporal_cli` is suite-wide)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest


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
