"""Faults of ProvisionDomainMapping with the worker in its own process: SIGKILL after the CA
issued the certificate and before the gateway is wired; on restart the workflow finishes
without ordering a second certificate. nginx is down meanwhile, so wiring cannot happen before
the kill; bringing it back is the "heals when nginx is back" half of the fault.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import conditions_pb2, domains_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import DomainWorkflowServiceClient
from cloud.adapters.https_probe import probe_https
from cloud.adapters.store import CloudStore
from cloud.composition.runtime import running_cloud
from cloud.config import CloudConfig
from cloud.domains.certificates import CERT_ISSUED
from cloud.domains.records import ExpectedRecord, NewDomainClaim, audit_subject
from tests.support.challtestsrv import ChallTestSrv, ChallTestSrvClient
from tests.support.domain_mapping import GATEWAY, domains_overrides, mapping_overrides
from tests.support.nginx import running_nginx, running_storefront
from tests.support.pebble import running_pebble
from tests.support.stack import cloud_config, cloud_env, eventually

pytestmark = pytest.mark.usefixtures("temporal_cli")

BIN = Path(sys.executable).parent


def _worker_env(config: CloudConfig) -> dict[str, str]:
    env = cloud_env(config)
    env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{config.temporal_dev_port}"
    return env


def _start_worker(config: CloudConfig, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(BIN / "commerce-cloud"), "worker"],
            env=_worker_env(config),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _verified_claim(store: CloudStore, hostname: str) -> None:
    now = datetime.now(UTC)
    claim = NewDomainClaim(
        claim_id="claim-fault-1",
        tenant_id="tenant-a",
        hostname=hostname,
        storefront_id="tenant-a-web",
        challenge_name=f"_ameide-challenge.{hostname}",
        challenge_value="ameide-verify=seeded",
        expected_records=[ExpectedRecord(hostname, "A", GATEWAY, "route")],
        created_by="ops:test",
        workflow_id=f"verify-domain-claim/{hostname}",
    )
    store.domain_claims.claim(claim, now)
    store.domain_claims.mark_verified(claim.claim_id, now, actor="ops:test")


@pytest.mark.timeout(420)
async def test_sigkill_between_finalize_and_wiring_orders_no_second_certificate(
    tmp_path: Path, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    hostname = "killed.acme-shoes.example"
    await dns_records.set_a(hostname, [GATEWAY])
    with (
        running_nginx() as nginx,
        running_pebble(dns_server=challtestsrv.dns_server, http01_port=nginx.http_port) as pebble,
    ):
        async with running_storefront() as storefront:
            config = cloud_config(
                tmp_path / "cloud",
                domains=domains_overrides(challtestsrv),
                domain_mapping=mapping_overrides(challtestsrv, pebble, nginx, storefront),
            )
            async with running_cloud(config, worker=False, gateway=False) as running:
                store = await asyncio.to_thread(CloudStore.open, config.store_url)
                await asyncio.to_thread(_verified_claim, store, hostname)
                # HTTP-01 needs the webroot served; take nginx away only after issuance, by
                # stopping it as soon as the certificate is in the store.
                log = tmp_path / "worker.log"
                first = _start_worker(config, log)
                try:
                    client = DomainWorkflowServiceClient(running.client)
                    handle = await client.start_provision_domain_mapping(
                        domains_pb2.ProvisionDomainMappingInput(
                            tenant_id="tenant-a", storefront_id="tenant-a-web", hostname=hostname
                        )
                    )

                    def issued() -> bool:
                        rows = store.domain_certificates.for_hostname(hostname)
                        return any(r.state == CERT_ISSUED for r in rows)

                    async def issued_async() -> bool:
                        if issued():
                            nginx.stop()
                            return True
                        return False

                    await eventually(issued_async, timeout=120, interval=0.05)
                    # Wiring now fails (nginx is down) and retries; kill the worker meanwhile.
                    await asyncio.sleep(1.5)
                    assert first.poll() is None, log.read_text()[-3000:]
                    os.kill(first.pid, signal.SIGKILL)
                    first.wait(timeout=10)
                finally:
                    if first.poll() is None:
                        first.kill()
                        first.wait(timeout=10)
                assert nginx.served_hostnames_on_disk() == [], "nothing half-wired"

                await asyncio.to_thread(nginx.start)
                second = _start_worker(config, log)
                try:
                    result = await asyncio.wait_for(handle.result(), timeout=300)
                finally:
                    second.send_signal(signal.SIGTERM)
                    try:
                        second.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        second.kill()
                        second.wait(timeout=10)

                serving = {c.type: c.reason for c in result.conditions if c.status == TRUE}
                assert serving.get("Serving") == "CertificateServed", result
                rows = store.domain_certificates.for_hostname(hostname)
                assert [r.serial_hex for r in rows] == [result.certificate_serial]
                actions = [r.action for r in store.audit.list(audit_subject(hostname))]
                assert actions.count("domain.certificate_issued") == 1
                seen = await probe_https(hostname, GATEWAY, nginx.https_port)
                assert seen.certificate_serial_hex == result.certificate_serial
                assert seen.body == storefront.answer_for(hostname)
                await asyncio.to_thread(store.close)


TRUE = conditions_pb2.CONDITION_STATUS_TRUE
