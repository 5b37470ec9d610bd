"""With no resolvers configured, checks ask each zone's own authoritative servers (found
through the bootstrap resolver), so a stale resolver copy never decides. Real NSD servers:
a "bootstrap" one holding a stale copy of the zone and delegating to the authoritative one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloud.adapters.dns import DnsResolver
from cloud.domains.evaluation import evaluate
from cloud.domains.records import DomainExpectations
from tests.support.nsd import NsdServer, free_port_on, running_nsd

BOOTSTRAP = "127.0.0.1"
AUTHORITATIVE = "127.0.0.2"
NOWHERE = "127.0.0.3"  # nothing listens there
TARGET = "edge.storefront.localhost"


def _zone(origin: str, ns_address: str, txt: str) -> str:
    return f"""$ORIGIN {origin}.
$TTL 60
@   IN SOA ns1.{origin}. hostmaster.{origin}. 1 60 60 600 60
@   IN NS  ns1.{origin}.
ns1 IN A   {ns_address}
shop IN CNAME {TARGET}.
_ameide-challenge.shop IN TXT "{txt}"
"""


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[NsdServer, NsdServer]]:
    port = free_port_on([BOOTSTRAP, AUTHORITATIVE])
    stale = {
        "auth.test": _zone("auth.test", AUTHORITATIVE, "stale-copy"),
        "dead.test": _zone("dead.test", NOWHERE, "stale-copy"),
    }
    fresh = {"auth.test": _zone("auth.test", AUTHORITATIVE, "ameide-verify=fresh")}
    with (
        running_nsd(BOOTSTRAP, port, stale) as bootstrap,
        running_nsd(AUTHORITATIVE, port, fresh) as authoritative,
    ):
        yield bootstrap, authoritative


def _resolver(bootstrap: NsdServer) -> DnsResolver:
    return DnsResolver(
        bootstrap=[bootstrap.server], authoritative_port=bootstrap.port, timeout_seconds=3
    )


async def test_the_zone_and_its_servers_are_found_through_the_bootstrap(
    servers: tuple[NsdServer, NsdServer],
) -> None:
    bootstrap, _ = servers
    zone, addresses = await _resolver(bootstrap).authoritative_servers(
        "_ameide-challenge.shop.auth.test"
    )
    assert (zone, addresses) == ("auth.test", [AUTHORITATIVE])


async def test_checks_see_the_authoritative_records_not_a_stale_copy(
    servers: tuple[NsdServer, NsdServer],
) -> None:
    bootstrap, authoritative = servers
    observation = await _resolver(bootstrap).observe(
        "shop.auth.test", "_ameide-challenge.shop.auth.test"
    )
    assert observation.txt.values == ['"ameide-verify=fresh"']
    assert observation.txt.detail == f"authoritative {authoritative.server}"
    assert observation.a.cname_chain == [TARGET]
    expect = DomainExpectations(
        hostname="shop.auth.test",
        challenge_name="_ameide-challenge.shop.auth.test",
        challenge_value="ameide-verify=fresh",
        cname_target=TARGET,
        gateway_addresses=[],
    )
    assert evaluate(observation, expect).verified


async def test_a_name_missing_from_the_zone_is_nxdomain(
    servers: tuple[NsdServer, NsdServer],
) -> None:
    bootstrap, _ = servers
    answer = await _resolver(bootstrap).lookup("_ameide-challenge.other.auth.test", "TXT")
    assert answer.status == "nxdomain"


async def test_unreachable_authoritative_servers_leave_the_question_unanswered(
    servers: tuple[NsdServer, NsdServer],
) -> None:
    bootstrap, _ = servers
    answer = await _resolver(bootstrap).lookup("_ameide-challenge.shop.dead.test", "TXT")
    assert answer.status in {"timeout", "servfail"}
    assert NOWHERE in answer.detail or "no answer" in answer.detail
