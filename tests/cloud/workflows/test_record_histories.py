"""Records the replay corpus of ProvisionStoreSite against the real dev server and a real agent.

Runs only with COMMERCE_RECORD_HISTORIES=1 (`make record-histories`); writes
tests/histories/provision_store_site/*.json and regenerates the broken copy in
tests/histories/broken/.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    RECONCILE_FLEET,
    ReplicationWorkflowServiceClient,
    StoreSiteWorkflowServiceClient,
)
from cloud.adapters.temporal_provisioning import TemporalProvisionRun
from cloud.services.realtime_policies import RealtimePolicyService
from shared.version import package_version
from tests.cloud.workflows.corpus import (
    HAPPY_PATH,
    NONDETERMINISTIC,
    PROVISION_STORE_SITE_DIR,
    REPLICATION_DIR,
    break_history,
    write_history,
)
from tests.support.stack import Stack, agent_log_tail, cloud_stack, enrolled_agent

logger = logging.getLogger(__name__)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.opt_in,
    pytest.mark.skipif(
        os.environ.get("COMMERCE_RECORD_HISTORIES") != "1",
        reason="records histories only with COMMERCE_RECORD_HISTORIES=1 (make record-histories)",
    ),
]

CHANNEL = "web-nl"
RESULT_TIMEOUT = 120.0


def _request(site_id: str, channel: str = CHANNEL) -> store_site_pb2.ProvisionStoreSiteInput:
    return store_site_pb2.ProvisionStoreSiteInput(
        site_id=site_id,
        sales_channel_id=channel,
        name=f"Store {site_id}",
        timezone="Europe/Amsterdam",
        agent_version=package_version(),
    )


async def _save(
    stack: Stack,
    raw: WorkflowHandle[object, object],
    scenario: str,
    directory: Path = PROVISION_STORE_SITE_DIR,
) -> Path:
    """Fetch the history of exactly the run `raw` started and write it to the corpus."""
    run = stack.client.get_workflow_handle(raw.id, run_id=raw.result_run_id)
    history = await run.fetch_history()
    path = directory / f"{scenario}.json"
    write_history(path, history.to_json())
    return path


def _failure_type(failure: WorkflowFailureError) -> str | None:
    cause: BaseException | None = failure.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.__cause__
    return cause.type if isinstance(cause, ApplicationError) else None


async def test_record_happy_path_rerun_and_invalid_request(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(stack.ops.channels.create, CHANNEL, "Web shop NL", [])

        # (a) happy path: a real agent enrolls and applies its configuration.
        request = _request("store-0001")
        handle = await stack.start(request)
        status = await stack.awaiting_enrollment(handle)
        assert status.step == store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT
        agent_dir = tmp_path / request.site_id
        async with enrolled_agent(stack, status, agent_dir):
            try:
                result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
            except BaseException:
                logger.error("agent log:\n%s", agent_log_tail(agent_dir))
                raise
        assert result.certificate_serial
        assert result.ready_fact_id.endswith("/StoreSiteReady")
        await _save(stack, handle.raw, "happy_path")

        # (c) a re-run for the ready site returns the existing result without the agent.
        again = await stack.start(request)
        assert again.raw.result_run_id != handle.raw.result_run_id
        existing = await asyncio.wait_for(again.result(), RESULT_TIMEOUT)
        assert existing.certificate_serial == result.certificate_serial
        assert [c.reason for c in existing.conditions] == ["AlreadyProvisioned"]
        await _save(stack, again.raw, "already_ready")

        # (d) an unknown channel: started directly, past the ops pre-check, so the workflow's
        # own validation is what refuses it.
        sites = StoreSiteWorkflowServiceClient(stack.client)
        invalid = await sites.start_provision_store_site(_request("store-0002", "no-such-channel"))
        with pytest.raises(WorkflowFailureError) as refused:
            await asyncio.wait_for(invalid.result(), RESULT_TIMEOUT)
        assert _failure_type(refused.value) == "UnknownSalesChannel"
        await _save(stack, invalid.raw, "unknown_channel")

    happy = json.loads(HAPPY_PATH.read_text())
    NONDETERMINISTIC.parent.mkdir(parents=True, exist_ok=True)
    NONDETERMINISTIC.write_text(json.dumps(break_history(happy), indent=2, sort_keys=True) + "\n")


async def test_record_configured_with_channel_policies(tmp_path: Path) -> None:
    # Recorded on its own (-k channel_policies): the configuration comes from BuildSiteConfig
    # (patch 2026-11-site-config-with-policies) and carries the channel's override.
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(stack.ops.channels.create, CHANNEL, "Web shop NL", [])
        store = stack.store
        policies = RealtimePolicyService(
            store.realtime_policies, store.sites, store.channels, store.commands
        )
        await asyncio.to_thread(
            policies.set, "channel", CHANNEL, "gift-card-redeem", "allow-within-limits", 300, 1000
        )
        handle = await stack.start(_request("store-0008"))
        status = await stack.awaiting_enrollment(handle)
        agent_dir = tmp_path / "store-0008"
        async with enrolled_agent(stack, status, agent_dir):
            try:
                result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
            except BaseException:
                logger.error("agent log:\n%s", agent_log_tail(agent_dir))
                raise
        assert result.ready_fact_id.endswith("/StoreSiteReady")
        await _save(stack, handle.raw, "configured_with_channel_policies")


async def test_record_enrollment_timeout(tmp_path: Path) -> None:
    # 0.001 h = 3.6 s: no agent ever enrolls, so the workflow times out and revokes the token.
    async with cloud_stack(tmp_path / "cloud", enrollment_timeout_hours=0.001) as stack:
        await asyncio.to_thread(stack.ops.channels.create, CHANNEL, "Web shop NL", [])
        handle = await stack.start(_request("store-0003"))
        with pytest.raises(WorkflowFailureError) as timed_out:
            await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
        assert _failure_type(timed_out.value) == "ProvisioningTimedOut"
        site = await asyncio.to_thread(stack.ops.sites.get, "store-0003")
        assert site.status != "ready"
        await _save(stack, handle.raw, "enrollment_timeout")


async def test_record_progress_followed_by_updates(tmp_path: Path) -> None:
    # Recorded on its own (-k progress) so the older histories stay as they were recorded.
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(stack.ops.channels.create, CHANNEL, "Web shop NL", [])
        request = _request("store-0004")
        handle = await stack.start(request)
        seen: list[int] = []
        run = TemporalProvisionRun(handle, request)
        status = await stack.provisioning.wait_for_step(
            run, store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT, lambda s: seen.append(s.step)
        )
        assert seen[-1] == store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT
        agent_dir = tmp_path / request.site_id
        async with enrolled_agent(stack, status, agent_dir):
            # Waiting for READY while the run is still going: answered when it gets there.
            ready = await asyncio.wait_for(
                stack.wait_for_step(handle, store_site_pb2.PROVISION_STEP_READY), RESULT_TIMEOUT
            )
            result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
        assert ready.step == store_site_pb2.PROVISION_STEP_READY
        assert result.certificate_serial
        path = await _save(stack, handle.raw, "progress_updates")
        names = {
            event["workflowExecutionUpdateAcceptedEventAttributes"]["acceptedRequest"]["input"][
                "name"
            ]
            for event in json.loads(path.read_text())["events"]
            if "workflowExecutionUpdateAcceptedEventAttributes" in event
        }
        assert names == {"WaitForProvisionStep"}


async def test_record_agent_refused_its_configuration(tmp_path: Path) -> None:
    # Recorded on its own (-k agent_refused): the agent refuses its configuration for good.
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(
            stack.ops.channels.create, "web-future", "Web Future", ["catalog", "holo-shelf"]
        )
        request = _request("store-0005", "web-future")
        handle = await stack.start(request)
        status = await stack.awaiting_enrollment(handle)
        agent_dir = tmp_path / request.site_id
        async with enrolled_agent(stack, status, agent_dir):
            with pytest.raises(WorkflowFailureError) as refused:
                await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
        assert _failure_type(refused.value) == "SiteCommandFailed"
        await _save(stack, handle.raw, "agent_refused")


async def test_record_reconcile_fleet_over_an_empty_fleet(tmp_path: Path) -> None:
    # Recorded on its own (-k reconcile_fleet).
    async with cloud_stack(tmp_path / "cloud") as stack:
        result = await stack.ops.fleet_through(stack.client).reconcile_now(3)
        assert result.sites_reconciled == 0
        raw = stack.client.get_workflow_handle(RECONCILE_FLEET.id_template)
        await _save(stack, raw, "reconcile_fleet_empty", REPLICATION_DIR)


async def test_record_replication_with_a_real_agent(tmp_path: Path) -> None:
    # Recorded on its own (-k replication_with): a downsync and an upsync. Its rebuild.json
    # (kept, replayed) is a rebuild from before agents carried it out: it ends with the
    # agent's UnknownAction; test_record_rebuild_with_a_real_agent records one carried out.
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(stack.ops.channels.create, CHANNEL, "Web shop NL", [])
        await asyncio.to_thread(stack.ops.data.publish_synthetic, 40, CHANNEL)
        request = _request("store-0006")
        handle = await stack.start(request)
        status = await stack.awaiting_enrollment(handle)
        agent_dir = tmp_path / request.site_id
        replication = stack.ops.replication_through(stack.client)
        runs = ReplicationWorkflowServiceClient(stack.client)
        async with enrolled_agent(stack, status, agent_dir):
            await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
            down = await asyncio.wait_for(replication.downsync(request.site_id), RESULT_TIMEOUT)
            assert {c.table: c.rows for c in down.checksums}["catalog"] == 40
            await _save(
                stack,
                runs.get_run_downsync_handle(f"run-downsync/{request.site_id}").raw,
                "downsync_in_sync",
                REPLICATION_DIR,
            )
            await asyncio.wait_for(replication.upsync(request.site_id), RESULT_TIMEOUT)
            await _save(
                stack,
                runs.get_run_upsync_handle(f"run-upsync/{request.site_id}").raw,
                "upsync_reconciled",
                REPLICATION_DIR,
            )


async def test_record_rebuild_with_a_real_agent(tmp_path: Path) -> None:
    # Recorded on its own (-k rebuild_with): a rebuild carried out and verified.
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(stack.ops.channels.create, CHANNEL, "Web shop NL", [])
        await asyncio.to_thread(stack.ops.data.publish_synthetic, 40, CHANNEL)
        request = _request("store-0007")
        handle = await stack.start(request)
        status = await stack.awaiting_enrollment(handle)
        agent_dir = tmp_path / request.site_id
        replication = stack.ops.replication_through(stack.client)
        runs = ReplicationWorkflowServiceClient(stack.client)
        async with enrolled_agent(stack, status, agent_dir):
            await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
            rebuilt = await asyncio.wait_for(
                replication.rebuild(request.site_id, "recovery drill"), RESULT_TIMEOUT
            )
            assert {c.table: c.rows for c in rebuilt.checksums}["catalog"] == 40
            await _save(
                stack,
                runs.get_rebuild_store_site_projection_handle(
                    f"rebuild-store-site-projection/{request.site_id}"
                ).raw,
                "rebuild_verified",
                REPLICATION_DIR,
            )


async def test_record_offline_operation_compensation(tmp_path: Path) -> None:
    # Recorded on its own (-k compensation): two stores spend one gift card offline; the
    # second store's redemption opens CompensateOfflineOperation, which an operator resolves.
    from ameide_core_proto.process.commerce.v1.workflows_temporal import (
        RealtimeWorkflowServiceClient,
    )
    from cloud.adapters.temporal_realtime import compensation_workflow_id
    from tests.e2e.realtime_scenario import (
        eventually,
        real_store,
        two_stores_spend_one_card_offline,
    )
    from tests.support.stack import cli

    realtime_dir = PROVISION_STORE_SITE_DIR.parent / "realtime"
    async with (
        cloud_stack(tmp_path / "cloud") as stack,
        real_store(stack, "store-a", tmp_path) as a,
        real_store(stack, "store-b", tmp_path) as b,
    ):
        await two_stores_spend_one_card_offline(a, b)
        [case] = await asyncio.to_thread(stack.store.realtime_cases.cases)
        handle = RealtimeWorkflowServiceClient(
            stack.client
        ).get_compensate_offline_operation_handle(compensation_workflow_id(case.exception_id))
        await eventually(  # the workflow has told the store before it is resolved
            lambda: f"compensation {case.exception_id} opened" in b.log(), 60, "notice at B"
        )
        done = await asyncio.to_thread(
            cli,
            stack,
            "realtime",
            "exceptions",
            "resolve",
            case.exception_id,
            "--resolution",
            "customer paid the rest in cash",
        )
        assert done.returncode == 0, done.stderr
        await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
        await _save(stack, handle.raw, "compensation_resolved", realtime_dir)
