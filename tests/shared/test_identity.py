"""Site id and fingerprint rules, checked on generated input (hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import IdentityError, InvalidSiteId
from shared.identity import normalize_fingerprint, site_uri, validate_site_id

_VALID = re.compile(r"[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]")


@given(st.text(max_size=80))
def test_site_ids_are_accepted_exactly_when_they_follow_the_rules(text: str) -> None:
    expected = 3 <= len(text) <= 63 and _VALID.fullmatch(text) is not None
    if expected:
        assert validate_site_id(text) == text
        assert site_uri(text).endswith(":" + text)
    else:
        with pytest.raises(InvalidSiteId, match="invalid site id"):
            validate_site_id(text)


@given(st.from_regex(r"[a-z0-9]{1,20}(-[a-z0-9]{1,20}){0,2}", fullmatch=True))
def test_well_formed_site_ids_pass(site_id: str) -> None:
    if len(site_id) >= 3:
        assert validate_site_id(site_id) == site_id


@given(st.binary(min_size=32, max_size=32))
def test_fingerprints_normalize_from_every_written_form(digest: bytes) -> None:
    plain = digest.hex()
    colons = ":".join(plain[i : i + 2] for i in range(0, 64, 2)).upper()
    assert normalize_fingerprint(plain) == plain
    assert normalize_fingerprint(colons) == plain
    assert normalize_fingerprint("sha256:" + plain.upper()) == plain


@given(st.text(max_size=100))
def test_anything_else_is_not_a_fingerprint(text: str) -> None:
    cleaned = text.strip().lower().removeprefix("sha256:").replace(":", "")
    if re.fullmatch(r"[0-9a-f]{64}", cleaned):
        return
    with pytest.raises(IdentityError, match="not a SHA-256"):
        normalize_fingerprint(text)
