"""The nginx gateway adapter against a real nginx and a real storefront upstream: a route is
served with its certificate (checked from outside with SNI), changes are batched into one
reload, a refused config leaves the previous one live, and nginx being down is retryable."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cloud.adapters.https_probe import probe_https
from cloud.adapters.nginx_gateway import NginxGateway, NginxSettings
from cloud.domains.gateway import (
    GatewayConfigRejected,
    GatewayNotServing,
    GatewayRoute,
    GatewayUnavailable,
)
from shared.errors import InvalidInput
from tests.support.nginx import NginxHome, Storefront, running_nginx, running_storefront


def self_signed(hostname: str) -> tuple[str, bytes, str]:
    """(certificate PEM, key PEM, serial hex) for `hostname`."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key_pem,
        format(cert.serial_number, "x"),
    )


def route(hostname: str, storefront: Storefront) -> tuple[GatewayRoute, str]:
    cert, key, serial = self_signed(hostname)
    return GatewayRoute(hostname, cert, key, storefront.url), serial


@pytest.fixture
def nginx() -> Iterator[NginxHome]:
    with running_nginx() as home:
        yield home


@pytest.fixture
async def storefront() -> AsyncIterator[Storefront]:
    async with running_storefront("acme-shoes") as running:
        yield running


def gateway_for(home: NginxHome) -> NginxGateway:
    return NginxGateway(
        NginxSettings(
            main_config=home.config,
            sites_dir=home.sites_dir,
            certs_dir=home.certs_dir,
            https_listen=f"127.0.0.1:{home.https_port}",
            binary=home.binary,
            prefix=home.prefix,
            pid_file=home.pid_file,
        )
    )


async def serving(home: NginxHome, hostname: str, serial: str, attempts: int = 50) -> str:
    """The storefront's answer once the gateway presents `serial` for `hostname`."""
    last = ""
    for _ in range(attempts):
        try:
            seen = await probe_https(hostname, "127.0.0.1", home.https_port)
        except GatewayNotServing as error:
            last = str(error)
        else:
            if seen.certificate_serial_hex == serial and seen.status == 200:
                return seen.body
            last = f"serial {seen.certificate_serial_hex} status {seen.status}"
        await asyncio.sleep(0.1)
    raise AssertionError(f"{hostname} not served with {serial}: {last}")


async def refused_handshake(home: NginxHome, hostname: str, attempts: int = 50) -> None:
    """Wait until the gateway refuses TLS for `hostname` (reloaded workers took over)."""
    for _ in range(attempts):
        try:
            await probe_https(hostname, "127.0.0.1", home.https_port)
        except GatewayNotServing:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{hostname} is still served after its route was removed")


async def test_a_route_is_served_with_its_certificate_and_reaches_the_storefront(
    nginx: NginxHome, storefront: Storefront
) -> None:
    gateway = gateway_for(nginx)
    shop, serial = route("shop.acme-shoes.test", storefront)

    await gateway.change(upserts=[shop])

    assert await serving(nginx, shop.hostname, serial) == storefront.answer_for(shop.hostname)
    assert gateway.served_hostnames() == [shop.hostname]
    assert oct((nginx.certs_dir / f"{shop.hostname}.key").stat().st_mode & 0o777) == "0o600"

    renewed, new_serial = route(shop.hostname, storefront)
    await gateway.change(upserts=[renewed])
    assert await serving(nginx, shop.hostname, new_serial) == storefront.answer_for(shop.hostname)

    await gateway.change(removals=[shop.hostname])
    await refused_handshake(nginx, shop.hostname)
    assert gateway.served_hostnames() == []


async def test_many_concurrent_changes_share_few_reloads(
    nginx: NginxHome, storefront: Storefront
) -> None:
    gateway = gateway_for(nginx)
    routes = [route(f"shop{i}.batch.test", storefront) for i in range(20)]

    await asyncio.gather(*(gateway.change(upserts=[r]) for r, _ in routes))

    assert gateway.reloads <= 2, "20 hostnames must not mean 20 reloads"
    for shop, serial in routes:
        assert await serving(nginx, shop.hostname, serial) == storefront.answer_for(shop.hostname)


async def test_a_refused_config_keeps_the_previous_one_live_and_says_why(
    nginx: NginxHome, storefront: Storefront
) -> None:
    gateway = gateway_for(nginx)
    good, serial = route("good.refused.test", storefront)
    await gateway.change(upserts=[good])
    broken = GatewayRoute("good.refused.test", "not a certificate", good.key_pem, storefront.url)
    other_broken = GatewayRoute("new.refused.test", "garbage", good.key_pem, storefront.url)
    fine, fine_serial = route("fine.refused.test", storefront)

    with pytest.raises(GatewayConfigRejected) as refused:
        await gateway.change(upserts=[broken])
    results = await asyncio.gather(
        gateway.change(upserts=[other_broken]),
        gateway.change(upserts=[fine]),
        return_exceptions=True,
    )

    assert "good.refused.test.crt" in str(refused.value)
    assert "previous one stays live" in str(refused.value)
    assert not refused.value.retryable
    assert isinstance(results[0], GatewayConfigRejected)
    assert results[1] is None, "a good change batched with a bad one still goes live"
    assert await serving(nginx, good.hostname, serial) == storefront.answer_for(good.hostname)
    assert await serving(nginx, fine.hostname, fine_serial)
    assert (nginx.certs_dir / "good.refused.test.crt").read_text() == good.fullchain_pem
    assert gateway.served_hostnames() == ["fine.refused.test", "good.refused.test"]


async def test_nginx_not_running_is_retryable_and_heals_when_it_is_back(
    nginx: NginxHome, storefront: Storefront
) -> None:
    gateway = gateway_for(nginx)
    shop, serial = route("shop.down.test", storefront)
    nginx.stop()

    with pytest.raises(GatewayUnavailable) as down:
        await gateway.change(upserts=[shop])

    assert down.value.retryable
    assert "not running" in str(down.value)
    assert gateway.served_hostnames() == [], "nothing half-written while nginx was down"

    await asyncio.to_thread(nginx.start)
    await gateway.change(upserts=[shop])
    assert await serving(nginx, shop.hostname, serial) == storefront.answer_for(shop.hostname)


async def test_a_fault_while_applying_answers_every_caller_and_changes_nothing(
    nginx: NginxHome, storefront: Storefront
) -> None:
    gateway = gateway_for(nginx)
    good, serial = route("good.fault.test", storefront)
    await gateway.change(upserts=[good])
    # A caller's bug: the key as text. Writing it fails inside the gateway's thread with an
    # error that is neither a gateway error nor an OSError.
    faulty = GatewayRoute("faulty.fault.test", good.fullchain_pem, "key as text", storefront.url)  # type: ignore[arg-type]
    other, other_serial = route("other.fault.test", storefront)

    results = await asyncio.wait_for(
        asyncio.gather(
            gateway.change(upserts=[faulty]),
            gateway.change(upserts=[other]),
            return_exceptions=True,
        ),
        timeout=30,
    )

    assert all(isinstance(r, GatewayUnavailable) for r in results), results
    assert "TypeError" in str(results[0]) and "retried" in str(results[0])
    assert gateway.served_hostnames() == ["good.fault.test"], "nothing half-written"
    assert not (nginx.certs_dir / "faulty.fault.test.crt").exists()
    await gateway.change(upserts=[other])
    assert await serving(nginx, other.hostname, other_serial)
    assert await serving(nginx, good.hostname, serial) == storefront.answer_for(good.hostname)


@pytest.mark.parametrize(
    ("hostname", "upstream"),
    [
        ("Shop.Example.test", "http://127.0.0.1:8080"),
        ("shop.example.test; include /etc/passwd", "http://127.0.0.1:8080"),
        ("shop.example.test", "http://127.0.0.1:8080; return 200"),
        ("shop.example.test", "ftp://127.0.0.1"),
    ],
)
def test_routes_that_would_inject_config_are_refused(hostname: str, upstream: str) -> None:
    cert, key, _ = self_signed("shop.example.test")
    with pytest.raises(InvalidInput):
        GatewayRoute(hostname, cert, key, upstream)


async def test_a_change_answers_once_its_route_is_served(
    nginx: NginxHome, storefront: Storefront
) -> None:
    """`change` returns after the reloaded workers took over: the very first request after it
    gets the new route, with no retry."""
    gateway = gateway_for(nginx)
    for round_ in range(3):
        shop, serial = route(f"shop{round_}.takeover.test", storefront)
        await gateway.change(upserts=[shop])
        seen = await probe_https(shop.hostname, "127.0.0.1", nginx.https_port)
        assert (seen.certificate_serial_hex, seen.status) == (serial, 200)
