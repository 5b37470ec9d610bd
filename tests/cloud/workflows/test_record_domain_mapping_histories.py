"""Records the replay corpus of ProvisionDomainMapping and RevokeDomainMapping against the real
dev server, Pebble, pebble-challtestsrv and nginx.

Runs only with COMMERCE_RECORD_HISTORIES=1 (`make record-domain-mapping-histories`); writes
tests/histories/domain_mapping/*.json.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy

from ameide_core_proto.process.commerce.v1 import domains_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import DomainWorkflowServiceClient
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
from tests.support.stack import Stack, cloud_stack, eventually

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


async def test_record_renewal_started_renewed_and_stopped(
    tmp_path: Path, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    # Recorded on its own (-k renewal) so the older histories stay as they were recorded.
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
                hostname = "renewed.recorded.example"
                await verified_claim(stack, dns_records, hostname)
                await provision(stack, hostname)
                await _save(
                    stack, f"provision-domain-mapping/{hostname}", "served_then_renewal_started"
                )
                renewal_id = f"renew-domain-mapping/{hostname}"
                first = await stack.client.get_workflow_handle(renewal_id).describe()
                client = DomainWorkflowServiceClient(stack.client)
                await client.start_renew_domain_mapping(
                    domains_pb2.RenewDomainMappingInput(
                        tenant_id="tenant-a",
                        storefront_id="tenant-a-web",
                        hostname=hostname,
                        renew_now=True,
                    ),
                    id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
                )

                async def continued() -> bool:
                    latest = await stack.client.get_workflow_handle(renewal_id).describe()
                    return (
                        latest.run_id != first.run_id
                        and latest.history_length > 0
                        and (latest.status == WorkflowExecutionStatus.RUNNING)
                    )

                renewed_run = ""

                async def renewed() -> bool:
                    nonlocal renewed_run
                    async for run in stack.client.list_workflows(
                        f"WorkflowId = '{renewal_id}' AND ExecutionStatus = 'ContinuedAsNew'"
                    ):
                        renewed_run = run.run_id
                        return True
                    return False

                await eventually(continued, timeout=120)
                await eventually(renewed, timeout=60)
                history = await stack.client.get_workflow_handle(
                    renewal_id, run_id=renewed_run
                ).fetch_history()
                write_history(MAPPING_DIR / "renewed_now.json", history.to_json())
                await revoke(stack, hostname)
                await _save(stack, f"revoke-domain-mapping/{hostname}", "revoked_stops_renewal")


async def test_record_quick_steps_served_renewed_and_refused(
    tmp_path: Path, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    # Local store steps and heartbeat-checked waits (patch 2026-11-quick-steps). Recorded on
    # its own (-k quick_steps) so the older histories stay as they were recorded.
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
                hostname = "quick.recorded.example"
                await verified_claim(stack, dns_records, hostname)
                result = await provision(stack, hostname)
                assert result.certificate_serial
                await _save(stack, f"provision-domain-mapping/{hostname}", "quick_steps_served")
                renewal_id = f"renew-domain-mapping/{hostname}"
                first = await stack.client.get_workflow_handle(renewal_id).describe()
                client = DomainWorkflowServiceClient(stack.client)
                await client.start_renew_domain_mapping(
                    domains_pb2.RenewDomainMappingInput(
                        tenant_id="tenant-a",
                        storefront_id="tenant-a-web",
                        hostname=hostname,
                        renew_now=True,
                    ),
                    id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
                )
                renewed_run = ""

                async def renewed() -> bool:
                    nonlocal renewed_run
                    async for run in stack.client.list_workflows(
                        f"WorkflowId = '{renewal_id}' AND ExecutionStatus = 'ContinuedAsNew'"
                    ):
                        if run.run_id != first.run_id:
                            renewed_run = run.run_id
                            return True
                    return False

                await eventually(renewed, timeout=120)
                history = await stack.client.get_workflow_handle(
                    renewal_id, run_id=renewed_run
                ).fetch_history()
                write_history(MAPPING_DIR / "quick_steps_renewed_now.json", history.to_json())

                refused = "unclaimed.quick.recorded.example"
                result = await provision(stack, refused)
                assert not result.certificate_serial
                await _save(stack, f"provision-domain-mapping/{refused}", "quick_steps_refused")


async def test_record_local_serving_served(
    tmp_path: Path, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    # Wiring and the outside check as local activities (patch 2026-11-local-serving). Recorded
    # on its own (-k local_serving) so the older histories stay as they were recorded.
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
                hostname = "local-serving.recorded.example"
                await verified_claim(stack, dns_records, hostname)
                result = await provision(stack, hostname)
                assert result.certificate_serial
                await _save(stack, f"provision-domain-mapping/{hostname}", "local_serving_served")


async def test_record_renewal_by_activity_served(
    tmp_path: Path, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    # The renewal started by a local activity (patch 2026-11-renewal-by-activity). Recorded on
    # its own (-k renewal_by_activity) so the older histories stay as they were recorded.
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
                hostname = "renewal-activity.recorded.example"
                await verified_claim(stack, dns_records, hostname)
                result = await provision(stack, hostname)
                assert result.certificate_serial
                renewal = await stack.client.get_workflow_handle(
                    f"renew-domain-mapping/{hostname}"
                ).describe()
                assert renewal.status == WorkflowExecutionStatus.RUNNING
                await _save(
                    stack, f"provision-domain-mapping/{hostname}", "renewal_by_activity_served"
                )
