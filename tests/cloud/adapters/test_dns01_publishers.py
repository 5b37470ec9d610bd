"""The RFC 2136 publisher against a real BIND primary: TSIG-signed updates set and clear the
TXT answer of a delegated ACME name; a wrong key is refused and says to check it."""

from __future__ import annotations

from collections.abc import Iterator

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from cloud.adapters.challenge_solvers import delegation_target
from cloud.adapters.dns01_publishers import DnsPublishError, Rfc2136Publisher
from tests.support.bind import NamedServer, running_named


@pytest.fixture(scope="module")
def named() -> Iterator[NamedServer]:
    with running_named() as server:
        yield server


def _txt(server: NamedServer, name: str) -> list[str]:
    query = dns.message.make_query(name, dns.rdatatype.TXT)
    answer = dns.query.tcp(query, "127.0.0.1", port=server.port, timeout=5)
    return [
        b"".join(rdata.strings).decode()
        for rrset in answer.answer
        for rdata in rrset
        if rrset.rdtype == dns.rdatatype.TXT
    ]


def test_tsig_signed_updates_set_and_clear_the_delegated_txt(named: NamedServer) -> None:
    publisher = Rfc2136Publisher(
        named.zone,
        "127.0.0.1",
        named.port,
        tsig_name=named.tsig_name,
        tsig_secret=named.tsig_secret,
    )
    name = delegation_target("shop.example.com", named.zone)

    publisher.set_txt(name, "first-validation")
    publisher.set_txt(name, "second-validation")
    assert _txt(named, name) == ["second-validation"], "set replaces, never piles up"

    publisher.clear_txt(name)
    assert _txt(named, name) == []


def test_a_wrong_tsig_key_is_refused_and_not_retried(named: NamedServer) -> None:
    publisher = Rfc2136Publisher(
        named.zone,
        "127.0.0.1",
        named.port,
        tsig_name=named.tsig_name,
        tsig_secret="d3JvbmcgcGFzc3dvcmQgZm9yIGEgdHNpZyBrZXkh",
    )
    with pytest.raises(DnsPublishError) as refused:
        publisher.set_txt(delegation_target("shop.example.com", named.zone), "x")
    assert not refused.value.retryable
    assert "TSIG" in str(refused.value)
