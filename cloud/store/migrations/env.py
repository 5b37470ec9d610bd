"""Alembic environment: migrates the connection `cloud.store.migrate` hands over.

Store room: runs revision scripts against one database. Run from the command line with
`alembic -c cloud/store/alembic.ini ...` (the URL then comes from that file or
COMMERCE_CLOUD_DATABASE_URL).
"""

from __future__ import annotations

import logging
import os

import sqlalchemy as sa
from alembic import context

from cloud.store.engine import make_engine
from cloud.store.tables import metadata

logger = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every process that migrates.
_MIGRATION_LOCK_KEY = 523_0001


def _migrate(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLAlchemy emits BEGIN itself on SQLite (see engine.py), so DDL is transactional.
        transactional_ddl=True,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Processes starting together must not create the same tables twice.
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


def _run() -> None:
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported; run against a database")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = os.environ.get("COMMERCE_CLOUD_DATABASE_URL") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("set COMMERCE_CLOUD_DATABASE_URL or sqlalchemy.url in alembic.ini")
    engine = make_engine(url)
    try:
        with engine.connect() as own_connection:
            _migrate(own_connection)
            if own_connection.in_transaction():
                own_connection.commit()
    finally:
        engine.dispose()


_run()
