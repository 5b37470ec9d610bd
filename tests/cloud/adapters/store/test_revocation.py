"""Revoking a site and recording its StoreSiteRevoked fact happen in one transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from cloud.adapters.store import CloudStore, NewFact, SiteRecord, StoreError
from shared.errors import InvalidInput
from tests.cloud.adapters.store.builders import NOW


def _fact(site_id: str) -> NewFact:
    return NewFact(
        fact_id=f"site/{site_id}/revoked",
        fact_type="StoreSiteRevoked",
        subject=f"site/{site_id}",
        occurred_at=NOW,
        workflow_id="",
        run_id="",
        payload=b"\x0a\x01x",
    )


def _refuse_fact_inserts(store: CloudStore) -> None:
    """Make the database itself refuse every insert into the fact log (a real failure)."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse_fact() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'fact log refuses writes'; END $$"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_fact BEFORE INSERT ON process_facts "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_fact()"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_fact BEFORE INSERT ON process_facts "
                    "BEGIN SELECT RAISE(ABORT, 'fact log refuses writes'); END"
                )
            )


def test_revocation_writes_its_fact_with_it(store: CloudStore, site: SiteRecord) -> None:
    revoked = store.sites.revoke(
        site.site_id, "stolen server", "ops:alice", fact=_fact(site.site_id), at=NOW
    )
    assert revoked.status == "revoked"
    facts = store.facts.tail(subject=f"site/{site.site_id}")
    assert [(f.fact_id, f.fact_type, f.occurred_at) for f in facts] == [
        (f"site/{site.site_id}/revoked", "StoreSiteRevoked", NOW)
    ]
    # A second revocation changes nothing and appends no second fact.
    assert store.sites.revoke(site.site_id, "again", "ops:bob", fact=_fact(site.site_id)) == (
        revoked
    )
    assert len(store.facts.tail(subject=f"site/{site.site_id}")) == 1


def test_failed_fact_write_leaves_the_site_unrevoked(
    store: CloudStore, site: SiteRecord, issue_token: Callable[..., str]
) -> None:
    token_id = issue_token()
    _refuse_fact_inserts(store)
    with pytest.raises(StoreError):
        store.sites.revoke(site.site_id, "stolen server", "ops:alice", fact=_fact(site.site_id))
    after = store.sites.get(site.site_id)
    assert after is not None and after.status == site.status and after.generation == 1
    token = store.tokens.get(token_id)
    assert token is not None and token.revoked_at is None
    assert store.audit.list(subject=site.site_id) == []
    assert store.facts.tail() == []


def test_naive_times_are_refused_before_anything_is_written(
    store: CloudStore, site: SiteRecord
) -> None:
    naive = NewFact(**{**_fact(site.site_id).__dict__, "occurred_at": NOW.replace(tzinfo=None)})
    with pytest.raises(InvalidInput, match="has no timezone"):
        store.sites.revoke(site.site_id, "stolen server", "ops:alice", fact=naive)
    after = store.sites.get(site.site_id)
    assert after is not None and after.status != "revoked"
