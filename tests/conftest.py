"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from tests.support.postgres import postgres_database, postgres_server, postgres_url

__all__ = ["postgres_database", "postgres_server", "postgres_url"]
