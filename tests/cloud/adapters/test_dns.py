"""DNS checks of a claim against a real authoritative DNS (pebble-challtestsrv): each
misconfiguration a merchant makes ends in its condition, with expected and observed values."""

from __future__ import annotations

from cloud.adapters.dns import DnsResolver
from cloud.domains.challenge import challenge_name, challenge_value
from cloud.domains.evaluation import Evaluation, evaluate
from cloud.domains.records import DomainExpectations
from tests.support.challtestsrv import ChallTestSrv, ChallTestSrvClient

SECRET = b"0123456789abcdef0123456789abcdef"
TARGET = "edge.storefront.localhost"
GATEWAY = ["192.0.2.80", "2001:db8::80"]


def _expect(hostname: str) -> DomainExpectations:
    return DomainExpectations(
        hostname=hostname,
        challenge_name=challenge_name(hostname),
        challenge_value=challenge_value(SECRET, "tenant-a", "claim-1", hostname),
        cname_target=TARGET,
        gateway_addresses=GATEWAY,
        cdn_cidrs=["104.16.0.0/13"],
        cdn_cname_suffixes=["cdn.cloudflare.net"],
    )


async def _check(server: ChallTestSrv, expect: DomainExpectations) -> Evaluation:
    resolver = DnsResolver([server.dns_server], timeout_seconds=3)
    return evaluate(await resolver.observe(expect.hostname, expect.challenge_name), expect)


def _status(evaluation: Evaluation) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in evaluation.conditions}


def _message(evaluation: Evaluation, kind: str) -> str:
    return next(c.message for c in evaluation.conditions if c.type == kind)


async def test_cname_to_the_platform_and_the_txt_verify(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("ok-cname.shop.example")
    await dns_records.set_txt(expect.challenge_name, expect.challenge_value)
    await dns_records.set_cname(expect.hostname, TARGET)
    result = await _check(challtestsrv, expect)
    assert result.verified
    assert _status(result) == {
        "TXTMissing": ("False", "TXTFound"),
        "TXTMismatch": ("False", "TXTMatches"),
        "DNSTargetIncorrect": ("False", "CNAMEMatches"),
        "ProxyInterference": ("False", "NoProxy"),
        "PropagationPending": ("False", "RecordsVisible"),
        "Verified": ("True", "DNSVerified"),
    }


async def test_apex_addresses_of_the_gateway_verify(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("ok-apex.example")
    await dns_records.set_txt(expect.challenge_name, expect.challenge_value)
    await dns_records.set_a(expect.hostname, ["192.0.2.80"])
    await dns_records.set_aaaa(expect.hostname, ["2001:db8::80"])
    result = await _check(challtestsrv, expect)
    assert result.verified
    assert _status(result)["DNSTargetIncorrect"] == ("False", "AddressesMatch")


async def test_wrong_cname_is_dns_target_incorrect_with_both_values(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("wrong-cname.shop.example")
    await dns_records.set_txt(expect.challenge_name, expect.challenge_value)
    await dns_records.set_cname(expect.hostname, "old-host.elsewhere.example")
    result = await _check(challtestsrv, expect)
    assert not result.verified
    assert _status(result)["DNSTargetIncorrect"] == ("True", "WrongCNAME")
    message = _message(result, "DNSTargetIncorrect")
    assert f"expected CNAME wrong-cname.shop.example -> {TARGET}" in message
    assert "observed CNAME old-host.elsewhere.example" in message


async def test_an_address_outside_the_gateway_is_dns_target_incorrect(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("wrong-a.example")
    await dns_records.set_txt(expect.challenge_name, expect.challenge_value)
    await dns_records.set_a(expect.hostname, ["192.0.2.80", "198.51.100.7"])
    result = await _check(challtestsrv, expect)
    assert _status(result)["DNSTargetIncorrect"] == ("True", "WrongAddress")
    assert "198.51.100.7" in _message(result, "DNSTargetIncorrect")


async def test_no_routing_record_at_all(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("no-route.example")
    await dns_records.set_txt(expect.challenge_name, expect.challenge_value)
    result = await _check(challtestsrv, expect)
    assert _status(result)["DNSTargetIncorrect"] == ("True", "NoRoutingRecord")
    assert "observed no CNAME, A or AAAA record" in _message(result, "DNSTargetIncorrect")


async def test_missing_txt_says_which_record_to_add(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("no-txt.shop.example")
    await dns_records.set_cname(expect.hostname, TARGET)
    result = await _check(challtestsrv, expect)
    assert not result.verified
    status = _status(result)
    assert status["TXTMissing"] == ("True", "NoTXTRecord")
    assert status["PropagationPending"] == ("True", "RecordsNotVisible")
    message = _message(result, "TXTMissing")
    assert f'expected TXT _ameide-challenge.no-txt.shop.example "{expect.challenge_value}"' in (
        message
    )
    assert "observed no TXT record" in message


async def test_wrong_txt_shows_expected_and_observed(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("bad-txt.shop.example")
    other_tenant = challenge_value(SECRET, "tenant-b", "claim-1", expect.hostname)
    await dns_records.set_txt(expect.challenge_name, other_tenant)
    await dns_records.set_cname(expect.hostname, TARGET)
    result = await _check(challtestsrv, expect)
    assert not result.verified
    assert _status(result)["TXTMismatch"] == ("True", "WrongTXTValue")
    message = _message(result, "TXTMismatch")
    assert expect.challenge_value in message and other_tenant in message


async def test_a_cdn_cname_is_proxy_interference(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("cdn-cname.shop.example")
    await dns_records.set_txt(expect.challenge_name, expect.challenge_value)
    await dns_records.set_cname(expect.hostname, "cdn-cname.shop.example.cdn.cloudflare.net")
    result = await _check(challtestsrv, expect)
    assert _status(result)["ProxyInterference"] == ("True", "ProxyCNAME")
    assert "cdn.cloudflare.net" in _message(result, "ProxyInterference")
    assert not result.verified


async def test_a_cdn_address_is_proxy_interference(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("cdn-a.example")
    await dns_records.set_txt(expect.challenge_name, expect.challenge_value)
    await dns_records.set_a(expect.hostname, ["104.18.2.3"])
    result = await _check(challtestsrv, expect)
    assert _status(result)["ProxyInterference"] == ("True", "ProxyAddress")
    assert "104.18.2.3 is in the CDN/proxy range 104.16.0.0/13" in _message(
        result, "ProxyInterference"
    )


async def test_servfail_is_pending_and_decides_nothing(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("servfail.shop.example")
    await dns_records.set_cname(expect.hostname, TARGET)
    await dns_records.set_servfail(expect.challenge_name)
    result = await _check(challtestsrv, expect)
    assert result.unanswered and not result.verified
    status = _status(result)
    assert status["PropagationPending"] == ("True", "DNSUnanswered")
    assert status["TXTMissing"] == ("Unknown", "DNSUnanswered")
    assert "SERVFAIL" in _message(result, "PropagationPending")


async def test_an_unreachable_server_is_a_timeout_not_a_missing_record() -> None:
    expect = _expect("timeout.example")
    resolver = DnsResolver(["127.0.0.1:9"], timeout_seconds=1)
    observation = await resolver.observe(expect.hostname, expect.challenge_name)
    assert observation.txt.status in {"timeout", "servfail", "error"}
    assert evaluate(observation, expect).unanswered


async def test_the_platform_target_may_itself_sit_in_a_cdn_range(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    expect = _expect("behind-platform-cdn.shop.example")
    await dns_records.set_txt(expect.challenge_name, expect.challenge_value)
    await dns_records.set_cname(expect.hostname, TARGET)
    await dns_records.set_a(TARGET, ["104.16.9.9"])
    result = await _check(challtestsrv, expect)
    assert result.verified
    assert _status(result)["ProxyInterference"] == ("False", "NoProxy")
