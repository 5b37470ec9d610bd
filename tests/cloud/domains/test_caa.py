"""CAA pre-flight over answers a real DNS server gave (pebble-challtestsrv)."""

from __future__ import annotations

from cloud.adapters.dns import DnsResolver
from cloud.domains.caa import caa_names, check_caa
from tests.support.challtestsrv import ChallTestSrv, ChallTestSrvClient

CA = "pebble.test"
ACCOUNT = "https://pebble.test/my-account/1"


def _resolver(server: ChallTestSrv) -> DnsResolver:
    return DnsResolver([server.dns_server], timeout_seconds=3)


def test_the_climb_goes_from_the_name_to_the_top_level_domain() -> None:
    assert caa_names("a.shop.example.com") == [
        "a.shop.example.com",
        "shop.example.com",
        "example.com",
        "com",
    ]


async def test_no_caa_anywhere_allows_any_ca(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    hostname = "open.caa-none.example"
    decision = check_caa(hostname, await _resolver(challtestsrv).caa_sets(hostname), ca_domain=CA)
    assert decision.allowed and decision.decided
    assert decision.condition().status == "False"


async def test_a_parent_caa_naming_another_ca_blocks_and_says_what_to_add(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    await dns_records.set_caa("caa-other.example", [("issue", "letsencrypt.org")])
    hostname = "shop.caa-other.example"
    decision = check_caa(hostname, await _resolver(challtestsrv).caa_sets(hostname), ca_domain=CA)
    assert not decision.allowed
    assert decision.relevant_name == "caa-other.example"
    assert decision.blocking_records == ['caa-other.example. CAA 0 issue "letsencrypt.org"']
    assert decision.suggestion == 'caa-other.example. CAA 0 issue "pebble.test"'
    condition = decision.condition()
    assert (condition.type, condition.status, condition.reason) == (
        "CAABlocked",
        "True",
        "CAAForbidsCA",
    )
    assert "letsencrypt.org" in condition.message and "add" in condition.message


async def test_the_closest_set_wins_over_a_parent(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    await dns_records.set_caa("caa-near.example", [("issue", "letsencrypt.org")])
    await dns_records.set_caa("shop.caa-near.example", [("issue", CA)])
    hostname = "shop.caa-near.example"
    decision = check_caa(hostname, await _resolver(challtestsrv).caa_sets(hostname), ca_domain=CA)
    assert decision.allowed
    assert decision.relevant_name == "shop.caa-near.example"


async def test_account_and_method_parameters_are_enforced(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    await dns_records.set_caa(
        "caa-params.example",
        [("issue", f"{CA}; accounturi={ACCOUNT}; validationmethods=dns-01")],
    )
    answers = await _resolver(challtestsrv).caa_sets("caa-params.example")
    ok = check_caa(
        "caa-params.example",
        answers,
        ca_domain=CA,
        account_uri=ACCOUNT,
        validation_method="dns-01",
    )
    assert ok.allowed
    other_account = check_caa(
        "caa-params.example",
        answers,
        ca_domain=CA,
        account_uri="https://pebble.test/my-account/2",
        validation_method="dns-01",
    )
    assert not other_account.allowed and "allows only the ACME account" in other_account.message
    http = check_caa(
        "caa-params.example",
        answers,
        ca_domain=CA,
        account_uri=ACCOUNT,
        validation_method="http-01",
    )
    assert not http.allowed and "validation methods dns-01, not http-01" in http.message


async def test_iodef_only_allows_and_issuewild_applies_to_wildcards(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    await dns_records.set_caa(
        "caa-wild.example",
        [("iodef", "mailto:sec@caa-wild.example"), ("issuewild", ";"), ("issue", CA)],
    )
    answers = await _resolver(challtestsrv).caa_sets("caa-wild.example")
    assert check_caa("caa-wild.example", answers, ca_domain=CA).allowed
    wildcard = check_caa("*.caa-wild.example", answers, ca_domain=CA)
    assert not wildcard.allowed
    assert wildcard.blocking_records == ['caa-wild.example. CAA 0 issuewild ";"']


async def test_a_failed_lookup_is_undecided_not_allowed(
    challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    await dns_records.set_servfail("caa-broken.example")
    hostname = "shop.caa-broken.example"
    decision = check_caa(hostname, await _resolver(challtestsrv).caa_sets(hostname), ca_domain=CA)
    assert not decision.allowed and not decision.decided
    assert decision.condition().status == "Unknown"
    assert "SERVFAIL" in decision.message
