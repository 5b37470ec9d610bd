"""Replication benchmark: downsync, change latency and upsync through a real agent process.

Bench room: measures the raw `sqlite3.executemany` anchor in this process, then runs the cloud
as child processes (`commerce-cloud worker` + `gateway`, loopback, temporary data dir, free
ports), provisions one site whose agent is a real `commerce-edge run` process (gRPC + mTLS on
loopback, POS API on a free loopback port) and drives it as upstream systems and a POS would:
`ChangePublishService.Publish` into the cloud, `PosService` on the agent. Reads the agent's
files read-only (projection checkpoints, outbox) and the cloud store through the ops services.
Prints a table and writes JSON; asserts no timings. `python -m bench.replication`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import click
import grpc
from rich.console import Console
from rich.table import Table

from ameide_core_proto.process.commerce.v1 import (
    pos_pb2,
    pos_pb2_grpc,
    records_pb2,
    sync_pb2,
    sync_pb2_grpc,
)
from bench._agents import ProcessAgent
from bench._anchor import catalog_price_records, raw_executemany
from bench._cloud_process import CHANNEL, CloudProcess, bench_config
from bench._errors import BenchFailed
from bench._machine import free_ports, machine_info, percentile, rss_mb
from bench.provision import provision_site
from cloud.composition.assembly import OpsServices, open_ops
from cloud.temporal.connect import TemporalSettings, connect_client
from edge_agent.control.sync_channel import SyncChannel
from edge_agent.outbox import read_outbox_pending
from edge_agent.projection import read_stream_states
from shared.errors import CommerceError
from shared.logging import configure_logging

logger = logging.getLogger(__name__)

RESULT_PATH = Path(__file__).resolve().parent / "results" / "replication.json"
SITE = "bench-store-001"
SCOPE = f"channel/{CHANNEL}"
BUSINESS_DAY = "2026-11-25"
PRICE_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # the synthetic catalog's effective_from
TARGETS = {
    "downsync_rows_per_s": ">= 100,000 rows/s",
    "downsync_vs_raw": ">= 0.4",
    "change_latency_ms_p50": "< 100 ms",
    "change_latency_ms_p99": "< 500 ms",
    "upsync_tx_per_s": ">= 5,000 tx/s",
    "upsync_duplicates": "0",
    "agent_peak_rss_mb": "< 150 MB",
}
WAIT_SECONDS = 30.0
"""Functional bound on one change becoming visible through the POS API."""


@dataclass(frozen=True)
class BenchOptions:
    """What to run."""

    rows: int = 1_000_000
    writes: int = 1_000
    sales: int = 100_000
    pos_concurrency: int = 64
    timeout_seconds: float = 3600.0


# --- the anchor -------------------------------------------------------------------------------


def measure_raw(rows: int, scratch: Path) -> float:
    """Seconds of the raw executemany anchor for `rows` catalog+price rows."""
    items, prices = catalog_price_records(rows)
    seconds = raw_executemany(scratch / "raw.db", items, prices)
    (scratch / "raw.db").unlink()
    del items, prices
    gc.collect()
    return seconds


# --- the agent's files, read-only -------------------------------------------------------------


def applied(data_dir: Path) -> dict[str, tuple[int, int]]:
    """stream -> (applied seq, rows) as the agent committed them."""
    return {s.stream: (s.applied_seq, s.rows) for s in read_stream_states(data_dir)}


def sent_batches(data_dir: Path) -> list[tuple[str, list[sync_pb2.UpstreamRecord]]]:
    """Every batch the agent sent, as it sent it (from its outbox, opened read-only)."""
    path = data_dir / "state" / "outbox.db"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        batches: dict[str, list[sync_pb2.UpstreamRecord]] = {}
        for batch_id, data in conn.execute(
            "SELECT batch_id, record FROM outbox WHERE sent_at IS NOT NULL ORDER BY position"
        ):
            batches.setdefault(batch_id, []).append(sync_pb2.UpstreamRecord.FromString(data))
        return list(batches.items())
    finally:
        conn.close()


def cloud_sales(ops: OpsServices) -> int:
    """Sales transactions the cloud's ingest holds for the site."""
    return sum(t.transactions for t in ops.store.ingest.register_day_totals(SITE))


# --- records as upstream and the POS send them ------------------------------------------------


def price_change(sku: str, minor_units: int) -> records_pb2.Change:
    price = records_pb2.Price(
        price_id=f"{CHANNEL}-{sku}",
        sku=sku,
        sales_channel_id=CHANNEL,
        unit_price=records_pb2.Money(currency="EUR", minor_units=minor_units),
    )
    price.effective_from.FromDatetime(PRICE_EPOCH)
    return records_pb2.Change(stream="prices", key=price.price_id, scope=SCOPE, price=price)


def _money(minor: int) -> records_pb2.Money:
    return records_pb2.Money(currency="EUR", minor_units=minor)


def bench_sale(n: int, items: int) -> records_pb2.SalesTransaction:
    """Sale `n`: 3 lines and 1 tender whose totals add up."""
    lines = []
    for number in range(1, 4):
        unit = 100 + (n * 7 + number) % 900
        lines.append(
            records_pb2.TransactionLine(
                line_number=number,
                sku=f"SKU-{(n * 3 + number) % items + 1:07d}",
                quantity=number,
                unit_price=_money(unit),
                discount=_money(0),
                tax=_money(0),
                line_total=_money(number * unit),
            )
        )
    total = sum(line.line_total.minor_units for line in lines)
    sale = records_pb2.SalesTransaction(
        transaction_id=f"bench-{n:08d}",
        receipt=records_pb2.ReceiptRef(
            site_id=SITE,
            register_id=f"till-{n % 8 + 1}",
            business_day=BUSINESS_DAY,
            receipt_number=f"R-{n:08d}",
        ),
        lines=lines,
        tenders=[records_pb2.Tender(tender_type="card", amount=_money(total))],
        total=_money(total),
    )
    sale.occurred_at.FromSeconds(1_764_000_000 + n)
    return sale


# --- phases -----------------------------------------------------------------------------------


@dataclass
class Downsync:
    seconds: float
    rows: int
    catalog_price_rows: int
    peak_rss_mb: float
    highest_sampled_rss_mb: float


async def downsync(agent: ProcessAgent, heads: dict[str, int]) -> Downsync:
    """Start the agent and wait until every stream's checkpoint reaches its head."""
    started = time.perf_counter()
    await agent.start()
    pid = agent.pid
    if pid is None:
        raise BenchFailed(f"commerce-edge run exited at once; see {agent.data_dir}/agent.log")
    highest = 0.0
    while True:
        if agent.pid is None:
            raise BenchFailed(f"commerce-edge run exited; see {agent.data_dir}/agent.log")
        highest = max(highest, rss_mb(pid))
        state = await asyncio.to_thread(applied, agent.data_dir)
        if all(state.get(stream, (0, 0))[0] >= head for stream, head in heads.items()):
            seconds = time.perf_counter() - started
            break
        await asyncio.sleep(0.05)
    return Downsync(
        seconds=seconds,
        rows=sum(rows for _seq, rows in state.values()),
        catalog_price_rows=sum(state[s][1] for s in ("catalog", "prices") if s in state),
        peak_rss_mb=rss_mb(pid, "VmHWM"),
        highest_sampled_rss_mb=highest,
    )


async def change_latencies(
    upstream: Any,
    pos: Any,
    writes: int,
    items: int,
) -> list[float]:
    """Seconds from each Publish of one price change until GetPrice returns the new price."""
    latencies = []
    for n in range(writes):
        sku = f"SKU-{n % items + 1:07d}"
        minor = 10_000 + n  # above every synthetic price: never the value already there
        started = time.perf_counter()
        await upstream.Publish(
            sync_pb2.PublishRequest(changes=[price_change(sku, minor)], publish_id=f"latency-{n}")
        )
        deadline = started + WAIT_SECONDS
        while True:
            got = await pos.GetPrice(pos_pb2.GetPriceRequest(sku=sku))
            if got.price.unit_price.minor_units == minor:
                latencies.append(time.perf_counter() - started)
                break
            if time.perf_counter() > deadline:
                raise BenchFailed(
                    f"price of {sku} not visible through the POS API {WAIT_SECONDS:.0f} s "
                    "after its publish; see the agent and cloud logs"
                )
            await asyncio.sleep(0.002)
    return latencies


@dataclass
class Upsync:
    seconds: float
    record_seconds: float
    cloud_sales: int


async def upsync(
    pos: Any,
    ops: OpsServices,
    sales: int,
    items: int,
    concurrency: int,
) -> Upsync:
    """Record `sales` through the POS API until the cloud holds all: `concurrency` callers,
    each with one `RecordSales` stream taking sales from a shared sequence."""
    numbers = iter(range(sales))
    answered = 0

    def requests() -> Iterator[pos_pb2.RecordSalesRequest]:
        for n in numbers:
            yield pos_pb2.RecordSalesRequest(sale=bench_sale(n, items))

    async def caller() -> None:
        nonlocal answered
        async for _ in pos.RecordSales(requests()):
            answered += 1

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(caller())
    recorded = time.perf_counter() - started
    if answered != sales:
        raise BenchFailed(f"RecordSales answered {answered:,} of {sales:,} sales")
    while True:
        held = await asyncio.to_thread(cloud_sales, ops)
        if held >= sales:
            return Upsync(time.perf_counter() - started, recorded, held)
        await asyncio.sleep(0.1)


async def outbox_drained(data_dir: Path) -> None:
    """Wait until the agent marked every outbox record sent (acknowledged by the cloud)."""
    while True:
        if await asyncio.to_thread(read_outbox_pending, data_dir) == 0:
            return
        await asyncio.sleep(0.1)


async def push_twice(data_dir: Path) -> tuple[int, int, int]:
    """Send every batch the agent sent once more, as the agent: (batches, ingested, dups)."""
    batches = await asyncio.to_thread(sent_batches, data_dir)
    channel = SyncChannel(data_dir)
    ingested = duplicates = 0
    try:
        stub = await channel.stub()
        for batch_id, records in batches:
            answer = await stub.PushRecords(
                sync_pb2.PushRecordsRequest(batch_id=batch_id, records=records)
            )
            ingested += answer.ingested
            duplicates += answer.duplicates
    finally:
        await channel.close()
    return len(batches), ingested, duplicates


# --- the run ----------------------------------------------------------------------------------


def _keep_on_failure(work: Path) -> Callable[..., bool]:
    def exit_(exc_type: type[BaseException] | None, *_: object) -> bool:
        if exc_type is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            logger.error("kept the cloud's and the agent's files for inspection: %s", work)
        return False

    return exit_


async def run_benchmark(options: BenchOptions, console: Console) -> dict[str, Any]:
    """Every phase against one cloud and one real agent; everything stopped on return."""
    if options.rows < 2 or options.writes < 1 or options.sales < 1:
        raise BenchFailed("--rows must be at least 2, --writes and --sales at least 1")
    items = options.rows // 2
    async with asyncio.timeout(options.timeout_seconds), contextlib.AsyncExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="commerce-bench-replication-"))
        stack.push(_keep_on_failure(work))
        console.log(f"raw sqlite3 executemany of {items * 2:,} rows")
        raw_seconds = await asyncio.to_thread(measure_raw, items * 2, work)

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
            },
        )
        stack.push_async_callback(agent.stop)  # the agent stops before the cloud does
        console.log(f"provisioning {SITE} with a real commerce-edge process")
        await provision_site(ops.provisioning_through(client), agent)
        await agent.stop()

        console.log(f"publishing the synthetic catalog of {items:,} items (untimed)")
        report = await asyncio.to_thread(ops.data.publish_synthetic, items, CHANNEL)
        heads = {stream: report.heads[stream] for stream in report.per_stream}

        console.log("initial downsync into the agent")
        down = await downsync(agent, heads)

        channel = grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}")
        stack.push_async_callback(channel.close, None)
        await asyncio.wait_for(channel.channel_ready(), 30)
        pos = cast(Any, pos_pb2_grpc).PosServiceStub(channel)
        publish_channel = grpc.aio.insecure_channel(f"127.0.0.1:{config.publish_port}")
        stack.push_async_callback(publish_channel.close, None)
        upstream = cast(Any, sync_pb2_grpc).ChangePublishServiceStub(publish_channel)

        console.log(f"{options.writes:,} single price changes, publish to POS API")
        latencies = await change_latencies(upstream, pos, options.writes, items)

        console.log(f"{options.sales:,} sales through the POS API to the cloud's ingest")
        up = await upsync(pos, ops, options.sales, items, options.pos_concurrency)
        await outbox_drained(agent.data_dir)
        await agent.stop()
        console.log("every batch the agent sent, pushed once more")
        batches, again_ingested, again_duplicates = await push_twice(agent.data_dir)
        held_after = await asyncio.to_thread(cloud_sales, ops)
        logger.info("cloud log: %s", cloud.log_path)

    raw_rate = items * 2 / raw_seconds
    down_rate = down.rows / down.seconds
    return {
        "raw_sqlite_rows_per_s": round(raw_rate),
        "downsync_rows_per_s": round(down_rate),
        "downsync_vs_raw": round(down_rate / raw_rate, 3),
        "change_latency_ms_p50": round(percentile(latencies, 50) * 1000, 1),
        "change_latency_ms_p99": round(percentile(latencies, 99) * 1000, 1),
        "upsync_tx_per_s": round(options.sales / up.seconds),
        "upsync_duplicates": held_after - options.sales,
        "agent_peak_rss_mb": round(down.peak_rss_mb, 1),
        "machine": machine_info(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "detail": {
            "rows": items * 2,
            "raw_seconds": round(raw_seconds, 3),
            "downsync_seconds": round(down.seconds, 3),
            "downsync_rows_applied": down.rows,
            "downsync_catalog_price_rows": down.catalog_price_rows,
            "downsync_heads": heads,
            "downsync_timed_from": "commerce-edge run started (process start, mTLS connect, "
            "pull, apply, checkpoint of every stream)",
            "agent_highest_sampled_rss_mb": round(down.highest_sampled_rss_mb, 1),
            "change_writes": len(latencies),
            "change_latency_ms_max": round(max(latencies) * 1000, 1),
            "sales": options.sales,
            "pos_concurrency": options.pos_concurrency,
            "upsync_seconds": round(up.seconds, 3),
            "pos_record_seconds": round(up.record_seconds, 3),
            "cloud_sales_before_replay": up.cloud_sales,
            "replayed_batches": batches,
            "replay_ingested": again_ingested,
            "replay_duplicates_reported": again_duplicates,
            "cloud_sales_after_replay": held_after,
            "targets": TARGETS,
        },
    }


# --- report -----------------------------------------------------------------------------------


def report_table(result: dict[str, Any]) -> Table:
    """The figures beside their targets (for reference, not pass/fail), and the machine."""
    detail = result["detail"]
    table = Table(title="Replication benchmark")
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")
    table.add_column("target")
    table.add_column("what")
    rows = [
        ("raw_sqlite_rows_per_s", f"{detail['rows']:,} rows, executemany, WAL, one txn"),
        (
            "downsync_rows_per_s",
            f"{detail['downsync_rows_applied']:,} rows in {detail['downsync_seconds']:.2f} s",
        ),
        ("downsync_vs_raw", ""),
        ("change_latency_ms_p50", f"{detail['change_writes']:,} single price changes"),
        ("change_latency_ms_p99", f"max {detail['change_latency_ms_max']:.1f} ms"),
        (
            "upsync_tx_per_s",
            f"{detail['sales']:,} sales over {detail['pos_concurrency']} RecordSales streams "
            f"in {detail['upsync_seconds']:.2f} s",
        ),
        (
            "upsync_duplicates",
            f"{detail['replayed_batches']} batches pushed twice; cloud holds "
            f"{detail['cloud_sales_after_replay']:,}",
        ),
        ("agent_peak_rss_mb", "VmHWM of commerce-edge run after the downsync"),
    ]
    for key, what in rows:
        value = result[key]
        shown = f"{value:,}" if isinstance(value, int) else f"{value}"
        table.add_row(key, shown, TARGETS.get(key, ""), what)
    machine = result["machine"]
    table.add_row(
        "machine",
        "",
        "",
        f"{machine['cpu_model']}, {machine['cores']} cores, {machine['memory_gb']} GB; "
        f"Python {machine['python']}; {machine['os']}",
    )
    return table


@click.command()
@click.option(
    "--rows",
    default=BenchOptions.rows,
    show_default=True,
    type=click.IntRange(2),
    help="Catalog+price rows (half items, half prices) of the initial downsync.",
)
@click.option(
    "--writes",
    default=BenchOptions.writes,
    show_default=True,
    type=click.IntRange(1),
    help="Single price changes timed to the POS API.",
)
@click.option(
    "--sales",
    default=BenchOptions.sales,
    show_default=True,
    type=click.IntRange(1),
    help="Sales recorded through the POS API and pushed to the cloud.",
)
@click.option(
    "--pos-concurrency",
    default=BenchOptions.pos_concurrency,
    show_default=True,
    type=click.IntRange(1),
    help="Concurrent POS callers recording sales.",
)
@click.option(
    "--timeout",
    "timeout_seconds",
    default=BenchOptions.timeout_seconds,
    show_default=True,
    type=click.FloatRange(1),
    help="Upper bound of the whole run.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=RESULT_PATH,
    show_default=True,
    help="Where the JSON result goes.",
)
@click.option("--log-level", default="WARNING", show_default=True, help="Logging level.")
def main(
    rows: int,
    writes: int,
    sales: int,
    pos_concurrency: int,
    timeout_seconds: float,
    output: Path,
    log_level: str,
) -> None:
    """Downsync, change latency and upsync through one real agent over mTLS on loopback."""
    configure_logging(log_level)
    options = BenchOptions(rows, writes, sales, pos_concurrency, timeout_seconds)
    console = Console()
    try:
        result = asyncio.run(run_benchmark(options, console))
    except TimeoutError:
        console.print(f"[red]error:[/red] the benchmark did not finish within {timeout_seconds} s")
        sys.exit(1)
    except CommerceError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)
    console.print(report_table(result))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"written {output}", highlight=False)


if __name__ == "__main__":
    main()
