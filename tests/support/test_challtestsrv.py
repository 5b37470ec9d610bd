"""Tests of the challtestsrv fixture: records set through its API are what DNS answers."""

from __future__ import annotations

import dns.asyncquery
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from tests.support.challtestsrv import (
    ChallTestSrv,
    ChallTestSrvClient,
    ChallTestSrvError,
    running_challtestsrv,
)


async def _ask(
    server: ChallTestSrv, name: str, rdtype: str, *, tcp: bool = False
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    if tcp:
        return await dns.asyncquery.tcp(query, server.dns_address, port=server.dns_port, timeout=5)
    return await dns.asyncquery.udp(query, server.dns_address, port=server.dns_port, timeout=5)


def _answers(response: dns.message.Message, rdtype: str) -> list[str]:
    wanted = dns.rdatatype.from_text(rdtype)
    return sorted(
        rd.to_text() for rrset in response.answer if rrset.rdtype == wanted for rd in rrset
    )


async def test_each_record_type_is_answered_then_cleared(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    await dns_records.set_txt("_ameide-challenge.fixture.example.com", "token-1")
    await dns_records.set_a("fixture.example.com", ["192.0.2.10", "192.0.2.11"])
    await dns_records.set_aaaa("fixture.example.com.", ["2001:db8::10"])
    await dns_records.set_cname("www.fixture.example.com", "edge.platform.test")
    await dns_records.set_caa(
        "fixture.example.com", [("issue", "pebble.ca"), ("iodef", "mailto:x@y.z")]
    )

    txt = await _ask(challtestsrv, "_ameide-challenge.fixture.example.com.", "TXT")
    assert _answers(txt, "TXT") == ['"token-1"']
    a = await _ask(challtestsrv, "fixture.example.com.", "A", tcp=True)
    assert _answers(a, "A") == ["192.0.2.10", "192.0.2.11"]
    aaaa = await _ask(challtestsrv, "fixture.example.com.", "AAAA")
    assert _answers(aaaa, "AAAA") == ["2001:db8::10"]
    cname = await _ask(challtestsrv, "www.fixture.example.com.", "CNAME")
    assert _answers(cname, "CNAME") == ["edge.platform.test."]
    caa = await _ask(challtestsrv, "fixture.example.com.", "CAA")
    assert _answers(caa, "CAA") == ['0 iodef "mailto:x@y.z"', '0 issue "pebble.ca"']

    await dns_records.clear_all()
    for name, rdtype in [
        ("_ameide-challenge.fixture.example.com.", "TXT"),
        ("fixture.example.com.", "A"),
        ("fixture.example.com.", "AAAA"),
        ("www.fixture.example.com.", "CNAME"),
        ("fixture.example.com.", "CAA"),
    ]:
        response = await _ask(challtestsrv, name, rdtype)
        assert response.rcode() == dns.rcode.NOERROR
        assert _answers(response, rdtype) == [], (name, rdtype)


async def test_servfail_is_answered_until_cleared(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    await dns_records.set_a("broken.example.com", ["192.0.2.20"])
    await dns_records.set_servfail("broken.example.com")
    assert (await _ask(challtestsrv, "broken.example.com.", "A")).rcode() == dns.rcode.SERVFAIL
    await dns_records.clear_servfail("broken.example.com")
    healed = await _ask(challtestsrv, "broken.example.com.", "A")
    assert _answers(healed, "A") == ["192.0.2.20"]


async def test_unknown_names_get_no_default_address(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    response = await _ask(challtestsrv, "never-set.example.com.", "A")
    assert _answers(response, "A") == []


async def test_a_refused_request_says_what_was_sent(dns_records: ChallTestSrvClient) -> None:
    with pytest.raises(ChallTestSrvError, match=r"/add-a .*HTTP 400"):
        await dns_records.set_a("", ["192.0.2.30"])


def test_stopping_the_server_removes_its_directory() -> None:
    with running_challtestsrv() as server:
        directory = server.log_path.parent
        assert server.log_path.exists()
    assert not directory.exists()
    assert server.process.returncode is not None
