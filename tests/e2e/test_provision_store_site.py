"""ProvisionStoreSite end to end: real dev server, real gateway (mTLS), real agent processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError

from ameide_core_proto.process.commerce.v1 import conditions_pb2, store_site_pb2
from tests.support.stack import (
    agent_process,
    agent_status,
    cloud_stack,
    enroll_agent,
    eventually,
)

pytestmark = pytest.mark.usefixtures("temporal_cli")


async def _connected(agent_dir: Path) -> bool:
    return (await agent_status(agent_dir))["connection_state"] == "connected"


async def test_provisioning_end_to_end(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        handle, status = await stack.provision("store-0042")
        assert status.step == store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT
        # Asking to wait for no step at all is refused, saying what to pass.
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.wait_for_provision_step(store_site_pb2.WaitForProvisionStepRequest())
        assert "needs a provisioning step" in str(refused.value.cause)
        enrollment = stack.enrollment(status)
        assert enrollment.token.startswith("store-0042.")
        # Only the hash of the token is stored, never the token.
        token = stack.store.tokens.get(status.bootstrap_token_id)
        assert token is not None and enrollment.token not in repr(token)

        agent_dir = tmp_path / "store"
        enrolled = await enroll_agent(enrollment, agent_dir)
        assert enrolled.returncode == 0, enrolled.stderr
        async with agent_process(agent_dir):
            result = await handle.result()
            await eventually(lambda: _connected(agent_dir))
            status_json = await agent_status(agent_dir)

        assert result.site_id == "store-0042"
        assert result.certificate_serial == status_json["certificate_serial"]
        assert status_json["config_generation"] == 1
        assert {b.stream for b in result.bindings} >= {"catalog", "store-config", "sales"}
        ready = {c.type: c for c in result.conditions}["Ready"]
        assert ready.status == conditions_pb2.CONDITION_STATUS_TRUE

        site = stack.store.sites.get("store-0042")
        assert site is not None and site.status == "ready"
        assert site.certificate_serial == result.certificate_serial
        facts = stack.store.facts.tail(0, 100, "site/store-0042")
        assert [f.fact_type for f in facts] == ["StoreSiteReady"]
        assert facts[0].fact_id == result.ready_fact_id

        final = await handle.get_provision_status()
        assert final.step == store_site_pb2.PROVISION_STEP_READY
        # Waiting on a finished run answers with its last status at once.
        reached = await stack.wait_for_step(handle, store_site_pb2.PROVISION_STEP_READY)
        assert reached.step == store_site_pb2.PROVISION_STEP_READY
        # The wait for the token was answered by the workflow (an update), not by polling.
        history = await handle.raw.fetch_history()
        updates = [
            e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            for e in history.events
            if e.HasField("workflow_execution_update_accepted_event_attributes")
        ]
        assert updates == ["WaitForProvisionStep"]
        described = await handle.raw.describe()
        attrs = {k.name: v for k, v in described.typed_search_attributes}
        assert attrs["SiteId"] == "store-0042"
        assert attrs["SalesChannelId"] == "web-eu"

        # Same inputs again: the existing result, no new token, certificate or fact.
        again, _ = await stack.provision("store-0042")
        repeat = await again.result()
        assert repeat.certificate_serial == result.certificate_serial
        assert len(stack.store.facts.tail(0, 100, "site/store-0042")) == 1
        assert len(stack.store.certificates.for_site("store-0042")) == 1

        # Conflicting inputs fail clearly.
        with pytest.raises(WorkflowFailureError) as failure:
            conflict, _ = await stack.provision("store-0042", timezone="Europe/Berlin")
            await conflict.result()
        assert "timezone" in str(failure.value.cause)


async def test_enrollment_timeout_revokes_token(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud", enrollment_timeout_hours=2 / 3600) as stack:
        handle, status = await stack.provision("store-late")
        enrollment = stack.enrollment(status)
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert "did not enroll" in str(failure.value.cause)
        ended = await stack.wait_for_step(handle, store_site_pb2.PROVISION_STEP_READY)
        assert ended.step == store_site_pb2.PROVISION_STEP_FAILED
        site = stack.store.sites.get("store-late")
        assert site is not None and site.status == "timed_out"
        assert any(c["type"] == "ProvisioningTimedOut" for c in site.conditions)
        token = stack.store.tokens.get(status.bootstrap_token_id)
        assert token is not None and token.revoked_at is not None
        refused = await enroll_agent(enrollment, tmp_path / "store")
        assert refused.returncode != 0
        assert "revoked" in refused.stderr


async def test_agent_renews_its_certificate_over_mtls(tmp_path: Path) -> None:
    # Lifetime 15 s: the agent renews after two thirds (10 s) over the mTLS control port,
    # and keeps renewing; each renewal is a new certificate in the store.
    async with cloud_stack(tmp_path / "cloud", certificate_lifetime_days=15 / 86400) as stack:
        handle, status = await stack.provision("store-renew")
        agent_dir = tmp_path / "store"
        assert (await enroll_agent(stack.enrollment(status), agent_dir)).returncode == 0
        env = {"COMMERCE_EDGE_RENEW_CHECK_SECONDS": "1"}
        async with agent_process(agent_dir, extra_env=env):
            await handle.result()
            first = stack.store.certificates.for_site("store-renew")[0].serial

            async def connected_with_a_renewed_certificate() -> bool:
                status = await agent_status(agent_dir)
                issued = {c.serial for c in stack.store.certificates.for_site("store-renew")}
                return bool(
                    status["certificate_serial"] != first
                    and status["certificate_serial"] in issued
                    and status["connection_state"] == "connected"
                )

            await eventually(connected_with_a_renewed_certificate, timeout=60, interval=0.5)


async def test_site_that_never_comes_back_fails_by_the_command_timeout(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud", command_timeout_seconds=1) as stack:
        handle, status = await stack.provision("store-gone")
        agent_dir = tmp_path / "store"
        assert (await enroll_agent(stack.enrollment(status), agent_dir)).returncode == 0
        # The agent enrolled but never runs: the configuration command is never acknowledged.
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        final = await handle.get_provision_status()
        assert final.step == store_site_pb2.PROVISION_STEP_FAILED
        configured = {c.type: c for c in final.conditions}["Configured"]
        assert configured.reason == "AgentDidNotAcknowledge"
        site = stack.store.sites.get("store-gone")
        assert site is not None and site.status == "provisioning"
        assert stack.store.facts.tail(0, 10, "site/store-gone") == []


@pytest.mark.postgres
async def test_provisioning_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    """The production store path: the whole provisioning against a real PostgreSQL server."""
    async with cloud_stack(tmp_path / "cloud", database_url=postgres_url) as stack:
        assert stack.store.engine.dialect.name == "postgresql"
        handle, status = await stack.provision("store-pg")
        agent_dir = tmp_path / "store"
        assert (await enroll_agent(stack.enrollment(status), agent_dir)).returncode == 0
        async with agent_process(agent_dir):
            result = await handle.result()
        site = stack.store.sites.get("store-pg")
        assert site is not None and site.status == "ready"
        assert site.certificate_serial == result.certificate_serial
        assert [f.fact_type for f in stack.store.facts.tail(0, 10, "site/store-pg")] == [
            "StoreSiteReady"
        ]
