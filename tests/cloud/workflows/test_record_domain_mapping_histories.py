"""Records the replay corpus of ProvisionDomainMapping and RevokeDomainMapping against the real
dev server, Pebble, pebble-challtestsrv and nginx.

Runs only with COMMERCE_RECORD_HISTORIES=1 (`make record-domain-mapping-histories`); writes
tests/histories/domain_mapping/*.json.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cloud.workflows.corpus import HISTORIES_DIR, write_history
from tests.support.challtestsrv import ChallTestSrv, ChallTestSrvClient
from tests.support.domain_mapping import (
    domains_overrides,
    mapping_overrides,
    provision,
    revoke,
    verified_claim,
)
from tests.support.nginx import running_nginx, running_storefront
from tests.support.pebble import running_pebble
from tests.support.stack import Stack, cloud_stack

pytestmark = [
    pytest.mark.slow,
    pytest.mark.opt_in,
    pytest.mark.skipif(
        os.environ.get("COMMERCE_RECORD_HISTORIES") != "1",
        reason="records histories only with COMMERCE_RECORD_HISTORIES=1 "
        "(make record-domain-mapping-histories)",
    ),
]

MAPPING_DIR = HISTORIES_DIR / "domain_mapping"


async def _save(stack: Stack, workflow_id: str, scenario: str) -> None:
    history = await stack.client.get_workflow_handle(workflow_id).fetch_history()
    write_history(MAPPING_DIR / f"{scenario}.json", history.to_json())


async def test_record_provision_serve_revoke_and_caa_blocked(
    tmp_path: Path, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    with (
        running_nginx() as nginx,
        running_pebble(dns_server=challtestsrv.dns_server, http01_port=nginx.http_port) as pebble,
    ):
        async with running_storefront() as storefront:
            overrides = {
                "domains": domains_overrides(challtestsrv),
                "domain_mapping": mapping_overrides(challtestsrv, pebble, nginx, storefront),
            }
            async with cloud_stack(tmp_path / "cloud", **overrides) as stack:
                served = "served.recorded.example"
                await verified_claim(stack, dns_records, served)
                result = await provision(stack, served)
                assert result.certificate_serial
                await _save(stack, f"provision-domain-mapping/{served}", "served")
                await revoke(stack, served)
                await _save(stack, f"revoke-domain-mapping/{served}", "revoked")

                blocked = "caa.recorded.example"
                await verified_claim(stack, dns_records, blocked)
                await dns_records.set_caa(blocked, [("issue", "ca.other.example")])
                result = await provision(stack, blocked)
                assert not result.certificate_serial
                await _save(stack, f"provision-domain-mapping/{blocked}", "caa_blocked")
