from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from cloud.store import tables
from cloud.store.engine import make_engine
from cloud.store.migrate import alembic_config, upgrade_to_head


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Factory of URLs of empty databases on one backend."""
    if request.param == "sqlite":
        counter = iter(range(1000))
        return lambda: f"sqlite:///{tmp_path / f'db{next(counter)}' / 'cloud.db'}"
    factory: Callable[[], str] = request.getfixturevalue("postgres_database")
    return factory


def _diff(url: str, metadata: sa.MetaData) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_migrations_produce_exactly_the_table_metadata(fresh_url: Callable[[], str]) -> None:
    url = fresh_url()
    upgrade_to_head(url)
    assert _diff(url, tables.metadata) == []


def test_the_schema_comparison_can_fail(fresh_url: Callable[[], str]) -> None:
    url = fresh_url()
    upgrade_to_head(url)
    changed = sa.MetaData(naming_convention=tables.NAMING_CONVENTION)
    for table in tables.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["sites"].append_column(sa.Column("extra", sa.Integer, nullable=True))
    assert [d[0] for d in _diff(url, changed)] == ["add_column"]


def _head_revision() -> str:
    """The one head of the migration scripts (several heads would fail here, as they should)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def test_upgrade_is_idempotent_and_records_the_revision(fresh_url: Callable[[], str]) -> None:
    url = fresh_url()
    upgrade_to_head(url)
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
                (_head_revision(),)
            ]
    finally:
        engine.dispose()


def test_processes_starting_together_migrate_once(fresh_url: Callable[[], str]) -> None:
    url = fresh_url()
    script = (
        "import sys; from cloud.store.migrate import upgrade_to_head; upgrade_to_head(sys.argv[1])"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], errors
    assert _diff(url, tables.metadata) == []


def test_threads_of_one_process_migrate_one_at_a_time(fresh_url: Callable[[], str]) -> None:
    url = fresh_url()
    barrier = threading.Barrier(3)
    failures: list[BaseException] = []

    def migrate() -> None:
        barrier.wait()
        try:
            upgrade_to_head(url)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _diff(url, tables.metadata) == []
