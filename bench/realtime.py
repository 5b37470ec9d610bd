"""Real-time operations benchmark: gift card redemptions through one real agent and one
gateway, connected; then with the cloud frozen (SIGSTOP) mid-load, the in-doubt scenario.

Bench room: runs the cloud as child processes (`commerce-cloud worker` + `gateway`, loopback,
temporary data dir), provisions one site whose agent is a real `commerce-edge run` process, and
drives its POS API (`PosService.DecideOperation`) with concurrent callers:

1. connected: `--ops` redemptions of 1 cent each; ops/s and latency percentiles;
2. cloud frozen: the gateway process is stopped (SIGSTOP) while `--offline-ops` redemptions
   run; each is decided by the store's offline policy once the deadline passes (requests the
   gateway had already read are in doubt); then SIGCONT, and the agent settles everything;
3. double_applied: cents taken from the card in the cloud minus redemptions made; must be 0.

Prints a table and writes JSON; asserts no timings. `python -m bench.realtime`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import click
import grpc
from rich.console import Console
from rich.table import Table

from ameide_core_proto.process.commerce.v1 import pos_pb2, pos_pb2_grpc, realtime_pb2, records_pb2
from bench._agents import ProcessAgent
from bench._cloud_process import CHANNEL, CloudProcess, bench_config
from bench._errors import BenchFailed
from bench._machine import free_ports, machine_info, percentile
from bench.provision import provision_site
from cloud.composition.assembly import open_ops
from cloud.temporal.connect import TemporalSettings, connect_client
from edge_agent.realtime.journal import read_journal
from shared.errors import CommerceError
from shared.logging import configure_logging

logger = logging.getLogger(__name__)

RESULT_PATH = Path(__file__).resolve().parent / "results" / "realtime.json"
SITE = "bench-store-rt"
CARD = "GC-BENCH"
START_BALANCE = 100_000_000
TARGETS = {
    "ops_per_s": ">= 1,000 ops/s",
    "latency_ms_p50": "< 20 ms",
    "latency_ms_p99": "< 100 ms",
    "offline_decision_ms_p99": "<= deadline + 50 ms",
    "double_applied": "0",
}


@dataclass(frozen=True)
class BenchOptions:
    ops: int = 5_000
    offline_ops: int = 300
    concurrency: int = 32
    deadline_seconds: float = 1.0
    timeout_seconds: float = 900.0


def _redeem(op_id: str) -> realtime_pb2.RealtimeOperation:
    return realtime_pb2.RealtimeOperation(
        operation_id=op_id,
        kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM,
        gift_card_redeem=realtime_pb2.GiftCardRedeem(
            card_number=CARD, amount=records_pb2.Money(currency="EUR", minor_units=1)
        ),
    )


async def _drive(
    pos: Any, prefix: str, count: int, concurrency: int
) -> tuple[float, list[float], list[realtime_pb2.RealtimeDecision]]:
    """`count` redemptions by `concurrency` callers: (seconds, latencies, decisions)."""
    queue = iter(range(count))
    latencies: list[float] = []
    decisions: list[realtime_pb2.RealtimeDecision] = []

    async def caller() -> None:
        for n in queue:
            started = time.perf_counter()
            response = await pos.DecideOperation(
                pos_pb2.DecideOperationRequest(operation=_redeem(f"{prefix}-{n}"))
            )
            latencies.append(time.perf_counter() - started)
            decisions.append(response.decision)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, decisions


async def _settled(data_dir: Path, timeout: float) -> int:
    """Wait until the agent has settled every offline decision; how many wait (0)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await asyncio.to_thread(read_journal, data_dir, "2000-01-01")
        waiting = found[1].unsettled if found is not None else 0
        if waiting == 0 or time.monotonic() > deadline:
            return waiting
        await asyncio.sleep(0.2)


async def run_benchmark(options: BenchOptions, console: Console) -> dict[str, Any]:
    async with asyncio.timeout(options.timeout_seconds), contextlib.AsyncExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="commerce-bench-realtime-"))
        stack.callback(shutil.rmtree, work, True)
        config = bench_config(work / "cloud")
        cloud = await stack.enter_async_context(CloudProcess(config, work / "cloud.log"))
        client = await connect_client(TemporalSettings.from_cloud_config(config))
        ops = await asyncio.to_thread(open_ops, config, actor="bench")
        stack.callback(ops.close)
        await asyncio.to_thread(ops.channels.create, CHANNEL, "Benchmark web shop", [])
        (pos_port,) = free_ports(1)
        agent = ProcessAgent(
            SITE,
            work / "agent",
            env={
                "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
                "COMMERCE_EDGE_LOG_LEVEL": "WARNING",
                "COMMERCE_EDGE_REALTIME_DEADLINE_SECONDS": str(options.deadline_seconds),
                "COMMERCE_EDGE_RECONNECT_MAX_SECONDS": "1",
            },
        )
        stack.push_async_callback(agent.stop)
        console.log(f"provisioning {SITE} with a real commerce-edge process")
        await provision_site(ops.provisioning_through(client), agent)
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}")
        stack.push_async_callback(channel.close, None)
        await asyncio.wait_for(channel.channel_ready(), 30)
        pos = cast(Any, pos_pb2_grpc).PosServiceStub(channel)
        load = realtime_pb2.RealtimeOperation(
            operation_id="bench-load",
            kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_LOAD,
            gift_card_load=realtime_pb2.GiftCardLoad(
                card_number=CARD,
                amount=records_pb2.Money(currency="EUR", minor_units=START_BALANCE),
            ),
        )
        await pos.DecideOperation(pos_pb2.DecideOperationRequest(operation=load))
        await _drive(pos, "warm", 200, options.concurrency)  # connections, caches

        console.log(f"{options.ops:,} redemptions, {options.concurrency} POS callers, connected")
        load_before = os.getloadavg()[0]
        seconds, latencies, decisions = await _drive(pos, "on", options.ops, options.concurrency)
        load_after = os.getloadavg()[0]
        by_cloud = sum(d.decided_by == realtime_pb2.DECIDED_BY_CLOUD for d in decisions)

        console.log(f"gateway frozen; {options.offline_ops:,} redemptions decided offline")
        os.kill(cloud.pid, signal.SIGSTOP)
        try:
            _, offline, offline_decisions = await _drive(
                pos, "off", options.offline_ops, options.concurrency
            )
        finally:
            os.kill(cloud.pid, signal.SIGCONT)
        by_store = sum(
            d.decided_by == realtime_pb2.DECIDED_BY_STORE_POLICY for d in offline_decisions
        )
        console.log("gateway running again; waiting until the agent has settled")
        unsettled = await _settled(agent.data_dir, 120.0)
        made = 200 + options.ops + options.offline_ops
        balance = await asyncio.to_thread(ops.store.realtime_cases.gift_card_balance, CARD)
        taken = START_BALANCE - (balance[1] if balance else START_BALANCE)
        stats = {s.kind: s for s in await asyncio.to_thread(ops.store.realtime_cases.stats)}
        redeem_stats = stats.get(realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM)

    return {
        "ops_per_s": round(options.ops / seconds),
        "latency_ms_p50": round(percentile(latencies, 50) * 1000, 2),
        "latency_ms_p99": round(percentile(latencies, 99) * 1000, 2),
        "offline_decision_ms_p99": round(percentile(offline, 99) * 1000, 2),
        "double_applied": taken - made,
        "machine": machine_info(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "detail": {
            "ops": options.ops,
            "concurrency": options.concurrency,
            "deadline_ms": round(options.deadline_seconds * 1000),
            "decided_by_cloud": by_cloud,
            "offline_ops": options.offline_ops,
            "offline_decided_by_store": by_store,
            "offline_decision_ms_p50": round(percentile(offline, 50) * 1000, 2),
            "offline_decision_ms_p99_over_deadline": round(
                percentile(offline, 99) * 1000 - options.deadline_seconds * 1000, 2
            ),
            "unsettled_after_resume": unsettled,
            "redemptions_made": made,
            "cents_taken_in_cloud": taken,
            "cloud_in_doubt_resolutions": redeem_stats.in_doubt_resolutions if redeem_stats else 0,
            "cloud_store_decisions": redeem_stats.store_decisions if redeem_stats else 0,
            "load_average_1m": [round(load_before, 2), round(load_after, 2)],
            "targets": TARGETS,
        },
    }


def report_table(result: dict[str, Any]) -> Table:
    table = Table(title="bench-realtime (figures for reference, not pass/fail)")
    for column in ("figure", "value", "target"):
        table.add_column(column)
    for key, target in TARGETS.items():
        table.add_row(key, str(result[key]), target)
    machine = result["machine"]
    table.add_row(
        "machine",
        f"{machine['cpu_model']}, {machine['cores']} cores, {machine['memory_gb']} GB",
        "",
    )
    return table


@click.command()
@click.option("--ops", default=BenchOptions.ops, show_default=True)
@click.option("--offline-ops", default=BenchOptions.offline_ops, show_default=True)
@click.option("--concurrency", default=BenchOptions.concurrency, show_default=True)
@click.option(
    "--deadline",
    "deadline_seconds",
    default=BenchOptions.deadline_seconds,
    show_default=True,
    help="The agent's realtime_deadline_seconds.",
)
@click.option("--output", type=click.Path(path_type=Path), default=RESULT_PATH, show_default=True)
def main(
    ops: int, offline_ops: int, concurrency: int, deadline_seconds: float, output: Path
) -> None:
    """Gift card redemptions through one agent and one gateway; JSON to --output."""
    configure_logging("WARNING")
    console = Console()
    options = BenchOptions(ops, offline_ops, concurrency, deadline_seconds)
    try:
        result = asyncio.run(run_benchmark(options, console))
    except (BenchFailed, CommerceError) as exc:
        console.print(f"[red]bench-realtime failed:[/red] {exc}")
        sys.exit(1)
    console.print(report_table(result))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {output}")


if __name__ == "__main__":
    main()
