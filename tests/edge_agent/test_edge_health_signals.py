"""Health signals a real agent reports with its pulls, as the rollout's probe sees them.

Real `commerce-edge` process, the real edge gateway over mTLS on loopback (in this process,
without Temporal: commands are queued in the cloud store as the activities do) and the
production probe (`cloud.composition.rollout_wiring.store_site_health`)
reading the real cloud store.
A projection damaged behind the agent's back shows as a checksum mismatch that makes the
site unhealthy; a gateway that stops and comes back shows as control-stream errors.
`commerce-cloud sites show --json` shows the same report.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import subprocess
import uuid
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import edge_pb2, sync_pb2
from cloud.activities.rollout_messages import ObservedSites
from cloud.composition.rollout_wiring import store_site_health
from edge_agent.identity import load_identity
from tests.edge_agent.edge_process import agent_log
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.real_gateway import CloudSide, enroll_at, running_gateway
from tests.edge_agent.test_edge_replication_wire import (
    catalog_change,
    command_result,
    price_change,
    running_store,
)
from tests.support.stack import BIN, cloud_env, eventually

FAST_PULLS = {"COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": "1"}


async def _observe(cloud: CloudSide) -> ObservedSites:
    return await store_site_health(cloud.store).observe([SITE], "2026.11.1")


async def _ready(cloud: CloudSide, data_dir: Path) -> None:
    """The site as provisioning leaves it once its agent applied the configuration."""
    serial = (await asyncio.to_thread(load_identity, data_dir)).certificate.serial_hex
    await asyncio.to_thread(cloud.store.sites.mark_ready, SITE, serial, 1, [])


async def _downsync(cloud: CloudSide, heads: dict[str, int]) -> edge_pb2.CommandResult:
    command_id = f"down-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(
        cloud.enqueue,
        edge_pb2.Command(
            command_id=command_id,
            run_downsync=edge_pb2.RunDownsyncCommand(
                heads=[
                    sync_pb2.StreamCheckpoint(stream=s, applied_seq=seq)
                    for s, seq in sorted(heads.items())
                ]
            ),
        ),
        SITE,
    )
    return await command_result(cloud, command_id)


def _sites_show(cloud: CloudSide, *flags: str) -> str:
    done = subprocess.run(
        [str(BIN / "commerce-cloud"), "sites", "show", SITE, *flags],
        capture_output=True,
        text=True,
        timeout=120,
        env=cloud_env(cloud.config),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_damaged_projection_makes_the_site_unhealthy_with_the_stream_named(
    cloud: CloudSide, site_dir: Path
) -> None:
    appended = await asyncio.to_thread(
        cloud.store.changes.append,
        [catalog_change(f"{n:05d}") for n in range(40)]
        + [price_change(f"p{n}", f"{n:05d}", 100 + n) for n in range(40)],
    )
    async with running_store(cloud, site_dir, FAST_PULLS):
        await _ready(cloud, site_dir)
        first = await _downsync(cloud, dict(appended.heads))
        assert first.outcome == edge_pb2.COMMAND_OUTCOME_SUCCEEDED, first

        async def verified_clean() -> bool:
            signals = (await _observe(cloud)).signals.get(SITE)
            return signals is not None and bool(signals.checksums_verified_at)

        await eventually(verified_clean, timeout=30)
        clean = await _observe(cloud)
        assert SITE not in clean.unhealthy, clean
        assert clean.signals[SITE].checksum_mismatches == []
        assert clean.signals[SITE].replication_lag == 0
        assert clean.signals[SITE].status == "ready"
        assert clean.signals[SITE].outbox_pending == 0

        # Someone deletes a row from the store's database behind the running agent's back.
        conn = sqlite3.connect(site_dir / "state" / "edge.db")
        with conn:
            deleted = conn.execute("DELETE FROM catalog_items WHERE sku = '00007'").rowcount
        conn.close()
        assert deleted == 1
        second = await _downsync(cloud, dict(appended.heads))
        assert second.outcome == edge_pb2.COMMAND_OUTCOME_SUCCEEDED, second

        async def mismatch_seen() -> bool:
            signals = (await _observe(cloud)).signals.get(SITE)
            return signals is not None and signals.checksum_mismatches == ["catalog"]

        try:
            await eventually(mismatch_seen, timeout=30)
        except AssertionError:
            raise AssertionError(agent_log(site_dir)[-3000:]) from None
        damaged = await _observe(cloud)
        assert "catalog" in damaged.unhealthy[SITE], damaged
        assert "damaged" in damaged.unhealthy[SITE]

        shown = json.loads(await asyncio.to_thread(_sites_show, cloud, "--json"))
        assert shown["health"]["checksum_mismatches"] == ["catalog"]
        assert shown["health"]["replication_lag"] == 0
        table = await asyncio.to_thread(_sites_show, cloud)
        assert "MISMATCH in catalog" in table, table


async def test_a_stopped_gateway_shows_as_errors_once_the_agent_reports_again(
    cloud: CloudSide, data_dir: Path
) -> None:
    async with contextlib.AsyncExitStack() as outer:
        first = await outer.enter_async_context(running_gateway(cloud))
        await enroll_at(cloud, data_dir, SITE)
        store = await outer.enter_async_context(running_store(cloud, data_dir, FAST_PULLS))
        await _ready(cloud, data_dir)

        async def reported() -> bool:
            return SITE in (await _observe(cloud)).signals and bool(
                (await _observe(cloud)).signals[SITE].health_reported_at
            )

        await eventually(reported, timeout=30)
        before = (await _observe(cloud)).signals[SITE]
        assert before.error_counts.get("control", 0) == 0, before

        await first.stop(grace=0.5)
        await eventually(lambda: "control stream down" in agent_log(store.data_dir), timeout=30)
        await outer.enter_async_context(running_gateway(cloud))

        async def errors_seen() -> bool:
            signals = (await _observe(cloud)).signals.get(SITE)
            return signals is not None and signals.error_counts.get("control", 0) > 0

        try:
            await eventually(errors_seen, timeout=60)
        except AssertionError:
            raise AssertionError(agent_log(store.data_dir)[-3000:]) from None
        after = (await _observe(cloud)).signals[SITE]
        assert after.last_error.startswith("control: "), after
        # Errors are signals for the rollout to weigh; they alone do not make a site unhealthy.
        assert SITE not in (await _observe(cloud)).unhealthy
