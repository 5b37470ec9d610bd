"""Brings a cloud store's schema to the newest Alembic revision, from code (no alembic.ini).

Store room: runs the migrations in `cloud/store/migrations/` against one database.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from cloud.store.engine import make_engine

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Alembic keeps its migration context in module globals, so one process migrates from one
# thread at a time; other processes are kept out by the database (see migrations/env.py).
_ALEMBIC_LOCK = threading.Lock()


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config for our migrations; `connection` is the one env.py migrates."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_engine(engine: sa.Engine) -> None:
    """Upgrade the database behind `engine` to head (safe when several processes race)."""
    with _ALEMBIC_LOCK, engine.connect() as connection:
        command.upgrade(alembic_config(connection), "head")
        if connection.in_transaction():
            connection.commit()
    logger.info("cloud store schema is at head (%s)", engine.url.render_as_string())


def upgrade_to_head(url: str) -> None:
    """Create or upgrade the cloud store at `url` to the newest schema."""
    engine = make_engine(url)
    try:
        upgrade_engine(engine)
    finally:
        engine.dispose()
