from __future__ import annotations

import socket
from pathlib import Path

import pytest

from cloud.adapters.store import CloudStore, StoreUnavailable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_open_creates_the_sqlite_file_and_reopens_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'cloud.db'}"
    with CloudStore.open(url) as store:
        store.channels.create("retail-eu", "Retail EU", ["catalog"])
    with CloudStore.open(url) as store:
        assert [c.channel_id for c in store.channels.list()] == ["retail-eu"]


def test_unreachable_database_is_reported_with_what_to_check() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/commerce"
    with pytest.raises(StoreUnavailable, match="check database_url"):
        CloudStore.open(url)
