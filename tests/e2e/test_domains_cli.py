"""End to end: `commerce-cloud domains ...` as ops run it, against the real cloud stack
(dev server, worker) and a real authoritative DNS (pebble-challtestsrv)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.challtestsrv import ChallTestSrv, ChallTestSrvClient
from tests.support.stack import Stack, cli, cloud_stack, eventually

pytestmark = pytest.mark.usefixtures("temporal_cli")

TARGET = "edge.storefront.localhost"


@pytest.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, challtestsrv: ChallTestSrv
) -> AsyncIterator[Stack]:
    domains: dict[str, Any] = {
        "dns_resolvers": [challtestsrv.dns_server],
        "dns_timeout_seconds": 2,
        "cname_target": TARGET,
        "gateway_addresses": ["192.0.2.80"],
        "check_intervals_seconds": [1],
    }
    async with cloud_stack(tmp_path_factory.mktemp("cloud"), domains=domains) as s:
        yield s


async def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(cli, stack, "domains", *args)


async def test_claim_status_list_and_audit(stack: Stack, dns_records: ChallTestSrvClient) -> None:
    hostname = "shop.cli-one.example"
    claimed = await _cli(
        stack, "claim", "Shop.CLI-one.example.", "--tenant", "acme", "--storefront", "web", "--json"
    )
    assert claimed.returncode == 0, claimed.stderr
    claim = json.loads(claimed.stdout)
    assert claim["hostname"] == hostname and claim["state"] == "pending"
    txt = claim["expected_records"][0]
    assert (txt["name"], txt["type"]) == (f"_ameide-challenge.{hostname}", "TXT")
    await dns_records.set_cname(hostname, "wrong.elsewhere.example")

    async def checked() -> bool:
        done = await _cli(stack, "status", hostname, "--json")
        return done.returncode == 0 and json.loads(done.stdout)["checks"] >= 1

    await eventually(checked, timeout=60)
    shown = await _cli(stack, "status", hostname, "--json")
    status = json.loads(shown.stdout)
    records = {(r["type"]): r for r in status["records"]}
    assert records["TXT"]["value"] == txt["value"]
    assert records["TXT"]["answers_now"].startswith("no TXT record")
    assert records["CNAME"]["answers_now"] == "wrong.elsewhere.example"
    failing = {c["type"]: c["message"] for c in status["conditions"] if c["status"] == "True"}
    assert "TXTMissing" in failing and "DNSTargetIncorrect" in failing
    assert f"expected CNAME {hostname} -> {TARGET}" in failing["DNSTargetIncorrect"]
    assert status["next_check_at"]

    table = await _cli(stack, "status", hostname)
    assert table.returncode == 0
    assert "DNS answers now" in table.stdout and "TXTMissing" in table.stdout

    listed = json.loads((await _cli(stack, "list", "--tenant", "acme", "--json")).stdout)
    assert [c["hostname"] for c in listed] == [hostname]

    audit = json.loads((await _cli(stack, "audit", hostname, "--json")).stdout)
    assert audit[0]["action"] == "domain.claimed"
    assert any(r["action"] == "domain.checked" for r in audit)


async def test_refusals_say_what_was_wrong(stack: Stack, dns_records: ChallTestSrvClient) -> None:
    bad = await _cli(stack, "claim", "shop example.com", "--tenant", "acme", "--storefront", "w")
    assert bad.returncode == 2
    assert "contains whitespace" in bad.stderr

    suffix = await _cli(stack, "claim", "co.uk", "--tenant", "acme", "--storefront", "w")
    assert suffix.returncode == 2 and "public suffix" in suffix.stderr

    hostname = "taken.cli-two.example"
    first = await _cli(stack, "claim", hostname, "--tenant", "acme", "--storefront", "w")
    assert first.returncode == 0, first.stderr
    other = await _cli(stack, "claim", hostname, "--tenant", "globex", "--storefront", "w")
    assert other.returncode == 3
    assert "claimed by another tenant" in other.stderr

    missing = await _cli(stack, "status", "never-claimed.cli-two.example")
    assert missing.returncode == 2 and "no claim of" in missing.stderr
