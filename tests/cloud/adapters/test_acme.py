"""The ACME adapter against a real Pebble CA, real pebble-challtestsrv DNS and a real nginx
webroot: certificates are issued by HTTP-01 and by delegated DNS-01, and each failure the CA
reports ends in the class the one table gives it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from cloud.acme_outcomes import (
    ACMEOrderRefused,
    ACMERateLimited,
    MerchantActionRequired,
    TransientACMEError,
)
from cloud.adapters.acme import (
    DNS_01,
    HTTP_01,
    AcmeIssuer,
    AcmeSettings,
    new_account_key,
    new_certificate_key,
    poll_waits,
)
from cloud.adapters.challenge_solvers import (
    CHALLENGE_PATH,
    DelegatedDns01Solver,
    WebrootHttp01Solver,
    delegation_target,
)
from cloud.adapters.dns01_publishers import ChallTestSrvPublisher
from tests.support.acme_proxy import rate_limiting_proxy
from tests.support.challtestsrv import ChallTestSrv, ChallTestSrvClient
from tests.support.nginx import NginxHome, running_nginx
from tests.support.pebble import Pebble, running_pebble

PLATFORM_ZONE = "acme.platform.test"


@pytest.fixture(scope="module")
def nginx() -> Iterator[NginxHome]:
    with running_nginx() as home:
        yield home


@pytest.fixture(scope="module")
def pebble(challtestsrv: ChallTestSrv, nginx: NginxHome) -> Iterator[Pebble]:
    with running_pebble(dns_server=challtestsrv.dns_server, http01_port=nginx.http_port) as ca:
        yield ca


def issuer_for(
    directory_url: str, pebble: Pebble, nginx: NginxHome, challtestsrv: ChallTestSrv
) -> AcmeIssuer:
    settings = AcmeSettings(
        directory_url=directory_url,
        contact_email="ops@platform.test",
        verify=str(pebble.ca_bundle),
        order_deadline_seconds=60,
    )
    solvers = {
        HTTP_01: WebrootHttp01Solver(nginx.webroot),
        DNS_01: DelegatedDns01Solver(
            PLATFORM_ZONE, ChallTestSrvPublisher(challtestsrv.client.management_url)
        ),
    }
    return AcmeIssuer(settings, new_account_key(), solvers)


def _names(fullchain_pem: str) -> list[str]:
    leaf = x509.load_pem_x509_certificate(fullchain_pem.encode())
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return san.value.get_values_for_type(x509.DNSName)


async def test_http01_order_is_answered_from_the_gateway_webroot(
    pebble: Pebble, nginx: NginxHome, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    hostname = "shop-http.example.test"
    await dns_records.set_a(hostname, ["127.0.0.1"])
    issuer = issuer_for(pebble.directory_url, pebble, nginx, challtestsrv)
    orders: list[str] = []

    issued = await asyncio.to_thread(
        issuer.issue, hostname, key_pem=new_certificate_key(), on_order=orders.append
    )

    assert _names(issued.fullchain_pem) == [hostname]
    assert issued.not_after > dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert orders == [issued.order_url]
    assert list((nginx.webroot / CHALLENGE_PATH).iterdir()) == [], "challenge files removed"


async def test_resuming_a_finished_order_downloads_its_certificate_without_a_new_order(
    pebble: Pebble, nginx: NginxHome, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    hostname = "shop-resume.example.test"
    await dns_records.set_a(hostname, ["127.0.0.1"])
    issuer = issuer_for(pebble.directory_url, pebble, nginx, challtestsrv)
    key = new_certificate_key()
    first = await asyncio.to_thread(issuer.issue, hostname, key_pem=key)
    new_orders: list[str] = []

    again = await asyncio.to_thread(
        issuer.issue,
        hostname,
        key_pem=key,
        resume_order_url=first.order_url,
        on_order=new_orders.append,
    )

    assert again.serial_hex == first.serial_hex
    assert new_orders == []


async def test_dns01_by_cname_delegation_to_the_platform_zone(
    pebble: Pebble, nginx: NginxHome, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    hostname = "shop-dns.example.test"
    await dns_records.set_cname(
        f"_acme-challenge.{hostname}", delegation_target(hostname, PLATFORM_ZONE)
    )
    issuer = issuer_for(pebble.directory_url, pebble, nginx, challtestsrv)

    issued = await asyncio.to_thread(
        issuer.issue, hostname, key_pem=new_certificate_key(), method=DNS_01
    )

    assert _names(issued.fullchain_pem) == [hostname]


async def test_dns01_without_the_delegation_cname_asks_the_merchant_to_fix_dns(
    pebble: Pebble, nginx: NginxHome, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    hostname = "shop-nodelegation.example.test"
    issuer = issuer_for(pebble.directory_url, pebble, nginx, challtestsrv)

    with pytest.raises(MerchantActionRequired) as failure:
        await asyncio.to_thread(
            issuer.issue, hostname, key_pem=new_certificate_key(), method=DNS_01
        )

    assert not failure.value.retryable
    assert failure.value.problem_type in {"unauthorized", "dns"}
    assert hostname in str(failure.value)


async def test_a_hostname_pointing_elsewhere_fails_validation_without_half_state(
    pebble: Pebble, nginx: NginxHome, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    hostname = "shop-elsewhere.example.test"
    await dns_records.set_a(hostname, ["127.0.0.2"])  # nothing answers HTTP there
    issuer = issuer_for(pebble.directory_url, pebble, nginx, challtestsrv)

    with pytest.raises((MerchantActionRequired, TransientACMEError)) as failure:
        await asyncio.to_thread(issuer.issue, hostname, key_pem=new_certificate_key())

    assert failure.value.problem_type in {"connection", "unauthorized"}
    assert list((nginx.webroot / CHALLENGE_PATH).iterdir()) == []

    # The same issuer orders again afterwards (it asks the CA for its account anew).
    fixed = "shop-fixed.example.test"
    await dns_records.set_a(fixed, ["127.0.0.1"])
    issued = await asyncio.to_thread(issuer.issue, fixed, key_pem=new_certificate_key())
    assert _names(issued.fullchain_pem) == [fixed]


async def test_rate_limit_waits_until_the_cas_retry_after(
    pebble: Pebble, nginx: NginxHome, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    hostname = "shop-ratelimited.example.test"
    await dns_records.set_a(hostname, ["127.0.0.1"])
    async with rate_limiting_proxy(pebble) as proxy:
        issuer = issuer_for(proxy.directory_url, pebble, nginx, challtestsrv)
        proxy.rate_limit_orders = 120
        before = dt.datetime.now(dt.UTC)

        with pytest.raises(ACMERateLimited) as failure:
            await asyncio.to_thread(issuer.issue, hostname, key_pem=new_certificate_key())

        assert failure.value.retryable
        assert failure.value.reason == "RateLimited"
        assert before + dt.timedelta(seconds=110) < failure.value.retry_after
        assert failure.value.retry_after < before + dt.timedelta(seconds=300)
        assert failure.value.retry_after.isoformat() in str(failure.value)
        assert proxy.injected == 1

        proxy.rate_limit_orders = None
        issued = await asyncio.to_thread(issuer.issue, hostname, key_pem=new_certificate_key())
        assert _names(issued.fullchain_pem) == [hostname]


@pytest.mark.parametrize(
    ("reject_percent", "succeeds"),
    [(40, True), (100, False)],
    ids=["some-nonces-rejected", "every-nonce-rejected"],
)
async def test_rejected_nonces_are_retried_at_once_then_transient(
    challtestsrv: ChallTestSrv,
    nginx: NginxHome,
    dns_records: ChallTestSrvClient,
    tmp_path: Path,
    reject_percent: int,
    succeeds: bool,
) -> None:
    hostname = f"shop-nonce-{reject_percent}.example.test"
    await dns_records.set_a(hostname, ["127.0.0.1"])
    environment = {"PEBBLE_WFE_NONCEREJECT": str(reject_percent)}
    with running_pebble(
        dns_server=challtestsrv.dns_server, http01_port=nginx.http_port, environment=environment
    ) as flaky:
        issuer = issuer_for(flaky.directory_url, flaky, nginx, challtestsrv)
        if succeeds:
            issued = await asyncio.to_thread(issuer.issue, hostname, key_pem=new_certificate_key())
            assert _names(issued.fullchain_pem) == [hostname]
        else:
            with pytest.raises(TransientACMEError) as failure:
                await asyncio.to_thread(issuer.issue, hostname, key_pem=new_certificate_key())
            assert failure.value.retryable
            assert failure.value.problem_type == "badNonce"


async def test_revoke_at_the_ca_and_no_ari_on_this_ca(
    pebble: Pebble, nginx: NginxHome, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    hostname = "shop-revoke.example.test"
    await dns_records.set_a(hostname, ["127.0.0.1"])
    issuer = issuer_for(pebble.directory_url, pebble, nginx, challtestsrv)
    issued = await asyncio.to_thread(issuer.issue, hostname, key_pem=new_certificate_key())

    # Debian's Pebble 2.4 predates ARI: no suggested window, renewal falls back to 2/3.
    assert await asyncio.to_thread(issuer.renewal_window_start, issued.fullchain_pem) is None

    await asyncio.to_thread(issuer.revoke, issued.fullchain_pem)
    with pytest.raises(ACMEOrderRefused) as again:
        await asyncio.to_thread(issuer.revoke, issued.fullchain_pem)
    assert again.value.problem_type == "alreadyRevoked"
    assert not again.value.retryable


def test_polls_start_short_and_grow_to_a_ceiling() -> None:
    settings = AcmeSettings(
        directory_url="https://ca.test/dir",
        poll_first_seconds=0.1,
        poll_backoff=2.0,
        poll_max_seconds=1.0,
    )
    waits = poll_waits(settings)

    assert [round(next(waits), 3) for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
