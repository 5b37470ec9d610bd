"""Fixtures for the cloud store repository tests: each test runs on a fresh SQLite file and
on a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cloud.adapters.store import CloudStore, SiteRecord
from tests.cloud.adapters.store.builders import NOW, token_hash


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cloud' / 'cloud.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[CloudStore]:
    with CloudStore.open(store_url) as opened:
        yield opened


@pytest.fixture
def site(store: CloudStore) -> SiteRecord:
    store.channels.create("retail-eu", "Retail EU", ["catalog", "prices"])
    return store.sites.create_or_get(
        "store-0042", "retail-eu", "Berlin Mitte", "Europe/Berlin", "1.2.0"
    )


@pytest.fixture
def issue_token(store: CloudStore, site: SiteRecord) -> Callable[..., str]:
    """Issue a token for the site; returns its token id (the plaintext is `secret-<id>`)."""

    def issue(token_id: str = "tok-1", expires_at: datetime = NOW + timedelta(hours=1)) -> str:
        store.tokens.issue(
            token_id, site.site_id, token_hash(f"secret-{token_id}"), "wf-provision", expires_at
        )
        return token_id

    return issue
