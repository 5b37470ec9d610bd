"""Real-time operations benchmark: gift card redemptions through one real agent and one
gateway, connected; then with the cloud frozen (SIGSTOP) mid-load, the in-doubt scenario.

Bench room: runs the cloud as child processes (`commerce-cloud worker` + `gateway`, loopback,
temporary data dir), provisions one site whose agent is a real `commerce-edge run` process, and
drives its POS API (`PosService.DecideOperation`) with concurrent callers:

1. connected: `--ops` redemptions of 1 cent each; ops/s and latency percentiles;
2. cloud frozen mid-load: `--offline-ops` redemptions start, and once every caller has had two
   answers the gateway process is stopped (SIGSTOP) with requests in flight, so answers the
   gateway had decided (even committed) are cut off; those and the rest are decided by the
   store's offline policy once the deadline passes (`in_doubt`: the agent's count of
   operations whose answer was lost); then SIGCONT, and the agent settles everything;
3. double_applied: cents taken from the card in the cloud minus redemptions made; must be 0.
   The CPU each process used per connected redemption is in `detail.cpu_ms_per_op`; a second
   connected pass with `--few-callers` (8) gives the latency with little queueing.

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
from collections.abc import Callable
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
    "in_doubt": "> 0 (answers cut in flight)",
}


@dataclass(frozen=True)
class BenchOptions:
    ops: int = 5_000
    offline_ops: int = 300
    concurrency: int = 16
    deadline_seconds: float = 1.0
    few_callers: int = 8
    timeout_seconds: float = 900.0


def _redeem(op_id: str) -> realtime_pb2.RealtimeOperation:
    return realtime_pb2.RealtimeOperation(
        operation_id=op_id,
        kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM,
        gift_card_redeem=realtime_pb2.GiftCardRedeem(
            card_number=CARD, amount=records_pb2.Money(currency="EUR", minor_units=1)
        ),
    )


@dataclass
class _Answered:
    """One redemption as the POS saw it."""

    seconds: float
    decided_by: int


async def _drive(
    pos: Any,
    prefix: str,
    count: int,
    concurrency: int,
    on_answer: Callable[[int], None] = lambda answered: None,
) -> tuple[float, list[_Answered]]:
    """`count` redemptions by `concurrency` callers: (seconds, answers in answer order);
    `on_answer(n)` after the n-th answer."""
    queue = iter(range(count))
    answers: list[_Answered] = []

    async def caller() -> None:
        for n in queue:
            started = time.perf_counter()
            response = await pos.DecideOperation(
                pos_pb2.DecideOperationRequest(operation=_redeem(f"{prefix}-{n}"))
            )
            answers.append(_Answered(time.perf_counter() - started, response.decision.decided_by))
            on_answer(len(answers))

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return time.perf_counter() - started, answers


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (`/proc/<pid>/stat`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


async def _freeze_mid_load(
    pos: Any, cloud_pid: int, data_dir: Path, options: BenchOptions, delay: float
) -> tuple[list[_Answered], int]:
    """`--offline-ops` redemptions; once every caller has had two answers (all of them
    are mid-stream) and then `delay`, the gateway is stopped (SIGSTOP) with requests in
    flight: those it had read, decided or even committed lose their answer (in doubt). The
    rest wait for the deadline and are decided by the store's policy. SIGCONT once all are
    answered.
    Returns (answers, in-doubt operations in the agent's journal before the thaw)."""
    frozen = asyncio.Event()
    loop = asyncio.get_running_loop()

    def freeze() -> None:
        os.kill(cloud_pid, signal.SIGSTOP)
        frozen.set()

    def freeze_once(answered: int) -> None:
        # Answers come back in batches; `delay` (half the connected p50) after one, the
        # next requests are inside the gateway: read, queued, being written or answered.
        if answered == options.concurrency * 5 // 2:
            loop.call_later(delay, freeze)

    try:
        _, answers = await _drive(pos, "off", options.offline_ops, options.concurrency, freeze_once)
        if not frozen.is_set():
            raise BenchFailed(
                f"--offline-ops {options.offline_ops} ended before the freeze; use more than "
                f"--concurrency {options.concurrency}"
            )
        found = await asyncio.to_thread(read_journal, data_dir, "2000-01-01")
        in_doubt = found[1].in_doubt if found is not None else 0
    finally:
        os.kill(cloud_pid, signal.SIGCONT)
    return answers, in_doubt


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
        agent_pid = agent.pid
        assert agent_pid is not None, "the agent runs"
        cpu_before = (_cpu_seconds(agent_pid), _cpu_seconds(cloud.pid), _own_cpu_seconds())
        seconds, answered = await _drive(pos, "on", options.ops, options.concurrency)
        cpu_after = (_cpu_seconds(agent_pid), _cpu_seconds(cloud.pid), _own_cpu_seconds())
        load_after = os.getloadavg()[0]
        latencies = [a.seconds for a in answered]
        by_cloud = sum(a.decided_by == realtime_pb2.DECIDED_BY_CLOUD for a in answered)
        cpu_ms = [
            round((b - a) * 1000 / options.ops, 3)
            for a, b in zip(cpu_before, cpu_after, strict=True)
        ]

        few_ops = max(options.ops // 2, 1)
        console.log(f"{few_ops:,} redemptions, {options.few_callers} POS callers, connected")
        few_seconds, few = await _drive(pos, "few", few_ops, options.few_callers)
        few_latencies = [a.seconds for a in few]

        console.log(
            f"{options.offline_ops:,} redemptions; the gateway is frozen once they are under way"
        )
        offline_answers, in_doubt = await _freeze_mid_load(
            pos, cloud.pid, agent.data_dir, options, percentile(latencies, 50) / 2
        )
        offline = [
            a.seconds
            for a in offline_answers
            if a.decided_by == realtime_pb2.DECIDED_BY_STORE_POLICY
        ]
        if not offline:
            raise BenchFailed("the gateway froze but no redemption was decided by the store")
        console.log(f"gateway running again ({in_doubt} in doubt); waiting until settled")
        unsettled = await _settled(agent.data_dir, 120.0)
        made = 200 + options.ops + few_ops + options.offline_ops
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
        "in_doubt": in_doubt,
        "machine": machine_info(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "detail": {
            "ops": options.ops,
            "concurrency": options.concurrency,
            "deadline_ms": round(options.deadline_seconds * 1000),
            "decided_by_cloud": by_cloud,
            "few_callers": {
                "concurrency": options.few_callers,
                "ops": few_ops,
                "ops_per_s": round(few_ops / few_seconds),
                "latency_ms_p50": round(percentile(few_latencies, 50) * 1000, 2),
                "latency_ms_p99": round(percentile(few_latencies, 99) * 1000, 2),
            },
            "offline_ops": options.offline_ops,
            "offline_decided_by_cloud_before_freeze": len(offline_answers) - len(offline),
            "offline_decided_by_store": len(offline),
            "offline_decision_ms_p50": round(percentile(offline, 50) * 1000, 2),
            "offline_decision_ms_p99_over_deadline": round(
                percentile(offline, 99) * 1000 - options.deadline_seconds * 1000, 2
            ),
            "unsettled_after_resume": unsettled,
            "redemptions_made": made,
            "cents_taken_in_cloud": taken,
            "cloud_in_doubt_resolutions": redeem_stats.in_doubt_resolutions if redeem_stats else 0,
            "cpu_ms_per_op": dict(zip(("agent", "gateway", "pos_callers"), cpu_ms, strict=True)),
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
@click.option(
    "--few-callers",
    default=BenchOptions.few_callers,
    show_default=True,
    help="Callers of the second connected pass (--ops / 2 redemptions): latency with little "
    "queueing, in detail.few_callers.",
)
@click.option("--output", type=click.Path(path_type=Path), default=RESULT_PATH, show_default=True)
def main(
    ops: int,
    offline_ops: int,
    concurrency: int,
    deadline_seconds: float,
    few_callers: int,
    output: Path,
) -> None:
    """Gift card redemptions through one agent and one gateway; JSON to --output."""
    configure_logging("WARNING")
    console = Console()
    options = BenchOptions(ops, offline_ops, concurrency, deadline_seconds, few_callers)
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
