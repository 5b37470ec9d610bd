from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from cloud.store import tables
from cloud.store.engine import make_engine
from cloud.store.migrate import upgrade_to_head
from shared.errors import ConfigError


def test_sqlite_file_gets_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "cloud.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert path.parent.is_dir()
    finally:
        engine.dispose()


def test_sqlite_enforces_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    try:
        with pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY"), engine.begin() as conn:
            conn.execute(
                tables.sites.insert().values(
                    site_id="store-1",
                    sales_channel_id="missing",
                    name="n",
                    timezone="UTC",
                    agent_version="1",
                    status="provisioning",
                    generation=1,
                    conditions=[],
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        engine.dispose()


def test_timestamps_come_back_in_utc_and_naive_ones_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    berlin = datetime(2025, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    try:
        with engine.begin() as conn:
            conn.execute(
                tables.sales_channels.insert().values(
                    channel_id="c", name="C", streams=["s"], created_at=berlin
                )
            )
            stored = conn.execute(sa.select(tables.sales_channels.c.created_at)).scalar_one()
        assert stored == berlin
        assert stored.tzinfo is UTC
        with pytest.raises(sa.exc.StatementError, match="naive datetime"), engine.begin() as conn:
            conn.execute(
                tables.sales_channels.insert().values(
                    channel_id="d", name="D", streams=[], created_at=datetime(2025, 1, 1)
                )
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["mysql://db/x", "not a url"])
def test_unsupported_urls_are_refused_with_the_supported_forms(url: str) -> None:
    with pytest.raises(ConfigError, match=r"sqlite:///path/to/cloud.db"):
        make_engine(url)
