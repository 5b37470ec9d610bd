"""Entry point of `commerce-cloud`: parses flags into a CloudConfig and dispatches commands."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ameide_core_proto.process.commerce.v1 import conditions_pb2, store_site_pb2
from cloud.cli.bundles import bundles as bundle_commands
from cloud.cli.bundles import compat as compat_commands
from cloud.cli.errors import handle_errors, run
from cloud.cli.operator import operator as operator_commands
from cloud.cli.output import console, emit_json, fail, jsonable, table, when
from cloud.cli.rollouts import rollouts as rollout_commands
from cloud.cli.site_calendar import calendar as site_calendar_command
from cloud.cli.site_health import health_json, health_rows
from cloud.cli.site_releases import last_install_cell, release_cell, release_rows, site_view
from cloud.composition.assembly import OpsServices, open_ops
from cloud.config import CloudConfig, load_cloud_config
from cloud.services import DataReport, DataService, Enrollment
from cloud.services.data import DEFAULT_BATCH
from cloud.services.sync_status import SiteSyncStatus
from cloud.trading_calendar import HOURS_SYNTAX, parse_calendar, render_hours
from shared.errors import CommerceError, InvalidInput
from shared.logging import configure_logging
from shared.version import package_version

Step = store_site_pb2.ProvisionStep


@click.group()
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML config file (default: $COMMERCE_CLOUD_CONFIG).",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Data directory (store, site CA, dev server).",
)
@click.option("--database-url", default=None, help="SQLAlchemy URL of the cloud store.")
@click.option("--log-level", default=None, help="Logging level (INFO, DEBUG, ...).")
@click.pass_context
def main(
    ctx: click.Context,
    config_file: Path | None,
    data_dir: Path | None,
    database_url: str | None,
    log_level: str | None,
) -> None:
    """Cloud coordinator of the commerce process: provisioning, facts, and the edge gateway."""
    try:
        config = load_cloud_config(
            config_file, data_dir=data_dir, database_url=database_url, log_level=log_level
        )
    except CommerceError as exc:
        fail(str(exc), 2)
    configure_logging(
        config.log_level if ctx.invoked_subcommand in ("serve", "worker", "gateway") else "WARNING"
    )
    ctx.obj = config


def _ops(ctx: click.Context) -> OpsServices:
    config: CloudConfig = ctx.obj
    ops = open_ops(config, actor=f"ops:{getpass.getuser()}")
    ctx.call_on_close(ops.close)
    return ops


# Processes


@main.command()
@click.pass_context
@handle_errors
def serve(ctx: click.Context) -> None:
    """Run Temporal (embedded unless TEMPORAL_ADDRESS), the worker and the edge gateway."""
    from cloud.composition.runtime import serve as serve_all

    run(serve_all(ctx.obj, worker=True, gateway=True))


@main.command()
@click.pass_context
@handle_errors
def worker(ctx: click.Context) -> None:
    """Run only the Temporal worker."""
    from cloud.composition.runtime import serve as serve_all

    run(serve_all(ctx.obj, worker=True, gateway=False))


@main.command()
@click.pass_context
@handle_errors
def gateway(ctx: click.Context) -> None:
    """Run only the edge gateway."""
    from cloud.composition.runtime import serve as serve_all

    run(serve_all(ctx.obj, worker=False, gateway=True))


# Channels


@main.group()
def channels() -> None:
    """Sales channels: each store site belongs to one."""


@channels.command("create")
@click.argument("channel_id")
@click.option("--name", default="", help="Display name.")
@click.option(
    "--stream",
    "streams",
    multiple=True,
    help="Down stream the channel publishes (repeat); default: catalog, prices, ...",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def channels_create(
    ctx: click.Context, channel_id: str, name: str, streams: tuple[str, ...], as_json: bool
) -> None:
    """Create a sales channel (idempotent for the same values)."""
    record = _ops(ctx).channels.create(channel_id, name, streams)
    if as_json:
        emit_json(record)
    else:
        console.print(f"channel [bold]{record.channel_id}[/bold] ready")


@channels.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def channels_list(ctx: click.Context, as_json: bool) -> None:
    """List sales channels."""
    records = _ops(ctx).channels.list()
    if as_json:
        emit_json(records)
        return
    table(
        "Sales channels",
        ["id", "name", "streams", "created"],
        [
            (r.channel_id, r.name, ", ".join(r.streams) or "(defaults)", when(r.created_at))
            for r in records
        ],
    )


# Sites


@main.group()
def sites() -> None:
    """Store sites: provision, inspect, revoke."""


def _print_enrollment(enrollment: Enrollment) -> None:
    console.print(
        f"\nEnroll the store server of [bold]{enrollment.site_id}[/bold] "
        f"(token valid until {when(enrollment.expires_at)}):\n"
    )
    console.print(f"  {enrollment.command}\n", highlight=False, soft_wrap=True)


def _conditions_rows(conditions: Any) -> list[tuple[str, str, str, str]]:
    return [
        (
            c.type,
            conditions_pb2.ConditionStatus.Name(c.status).removeprefix("CONDITION_STATUS_"),
            c.reason,
            c.message,
        )
        for c in conditions
    ]


@sites.command("provision")
@click.argument("site_id")
@click.option("--channel", "channel_id", required=True, help="Sales channel of the store.")
@click.option("--name", required=True, help="Display name of the store.")
@click.option("--timezone", required=True, help="IANA time zone, e.g. Europe/Amsterdam.")
@click.option("--agent-version", default=None, help="Agent version the store runs.")
@click.option("--hours", multiple=True, help=f"Opening hours, repeatable: {HOURS_SYNTAX}.")
@click.option("--closed", multiple=True, help="A date the store is closed (YYYY-MM-DD).")
@click.option("--wait/--no-wait", default=True, help="Wait until the store is ready.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def sites_provision(
    ctx: click.Context,
    site_id: str,
    channel_id: str,
    name: str,
    timezone: str,
    agent_version: str | None,
    hours: tuple[str, ...],
    closed: tuple[str, ...],
    wait: bool,
    as_json: bool,
) -> None:
    """Provision a store site and print the enrollment command for its server."""
    ops = _ops(ctx)
    request = store_site_pb2.ProvisionStoreSiteInput(
        site_id=site_id,
        sales_channel_id=channel_id,
        name=name,
        timezone=timezone,
        agent_version=agent_version or package_version(),
    )
    if hours or closed:
        if not hours:
            raise InvalidInput("--closed needs the opening hours too: give --hours")
        request.trading_calendar.CopyFrom(parse_calendar(hours, closed))

    provisioning = ops.provisioning
    provisioning.check_request(request)  # bad input is refused before Temporal is reached

    async def go() -> dict[str, Any]:
        run = await provisioning.start(request)
        with console.status("provisioning: validating", spinner="dots") as spinner:

            def show(status: store_site_pb2.ProvisionStoreSiteStatus) -> None:
                spinner.update(
                    f"provisioning {site_id}: "
                    f"{Step.Name(status.step).removeprefix('PROVISION_STEP_').lower()}"
                )

            status = await provisioning.wait_for_step(
                run, Step.PROVISION_STEP_AWAITING_ENROLLMENT, show
            )
        out: dict[str, Any] = {"site_id": site_id, "workflow_id": run.id}
        enrollment = await provisioning.enrollment(status)
        if enrollment is not None:
            out["enrollment"] = {
                "token": enrollment.token,
                "command": enrollment.command,
                "ca_fingerprint": enrollment.ca_fingerprint,
                "expires_at": enrollment.expires_at,
            }
            if not as_json:
                _print_enrollment(enrollment)
        if not wait and status.step < Step.PROVISION_STEP_READY:
            return out
        with console.status(f"waiting for {site_id} to enroll and apply its configuration"):
            result = await run.result()
        out["result"] = result
        return out

    out = run(go())
    if as_json:
        emit_json(out)
        return
    result = out.get("result")
    if result is not None:
        console.print(
            f"[green]site {site_id} is ready[/green] (certificate {result.certificate_serial})"
        )
        table(
            "Conditions",
            ["type", "status", "reason", "message"],
            _conditions_rows(result.conditions),
        )


def _print_replication(title: str, rows: list[tuple[str, str]], conditions: Any) -> None:
    table(title, ["field", "value"], rows)
    table("Conditions", ["type", "status", "reason", "message"], _conditions_rows(conditions))


@sites.command("downsync")
@click.argument("site_id")
@click.option("--stream", "streams", multiple=True, help="Only this stream (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def sites_downsync(
    ctx: click.Context, site_id: str, streams: tuple[str, ...], as_json: bool
) -> None:
    """Have the site pull the change log now, then compare its checksums with the cloud's."""
    replication = _ops(ctx).replication
    with console.status(f"downsync of {site_id}: pulling and comparing checksums"):
        result = run(replication.downsync(site_id, list(streams)))
    if as_json:
        emit_json(result)
        return
    _print_replication(
        f"Downsync of {site_id}",
        [("changes applied", str(result.changes_applied))]
        + [
            (f"{c.table}", f"seq {result.checkpoints.get(c.table, 0)}, {c.rows} rows")
            for c in result.checksums
        ],
        result.conditions,
    )


@sites.command("upsync")
@click.argument("site_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def sites_upsync(ctx: click.Context, site_id: str, as_json: bool) -> None:
    """Have the site push its outbox now, then reconcile per register and business day."""
    replication = _ops(ctx).replication
    with console.status(f"upsync of {site_id}: pushing and reconciling"):
        result = run(replication.upsync(site_id))
    if as_json:
        emit_json(result)
        return
    _print_replication(
        f"Upsync of {site_id}",
        [("records in the cloud", str(result.records_ingested))],
        result.conditions,
    )


@sites.command("rebuild")
@click.argument("site_id")
@click.option("--reason", required=True, help="Why (recovery, backfill); kept in the fact log.")
@click.option("--stream", "streams", multiple=True, help="Only this stream (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def sites_rebuild(
    ctx: click.Context, site_id: str, reason: str, streams: tuple[str, ...], as_json: bool
) -> None:
    """Have the site rebuild its projection from a snapshot plus the tail, then verify it."""
    replication = _ops(ctx).replication
    with console.status(f"rebuilding the projection of {site_id}"):
        result = run(replication.rebuild(site_id, reason, list(streams)))
    if as_json:
        emit_json(result)
        return
    _print_replication(
        f"Projection of {site_id} rebuilt",
        [("rows loaded", str(result.rows_loaded))]
        + [(c.table, f"{c.rows} rows") for c in result.checksums],
        result.conditions,
    )


def _minute(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _checksum_cell(status: SiteSyncStatus) -> str:
    if status.last_checksum is None:
        return "-"
    result = "match" if status.last_checksum.match else "MISMATCH"
    return f"{result} {_minute(status.last_checksum.at)}"


@sites.command("sync-status")
@click.argument("site_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def sites_sync_status(ctx: click.Context, site_id: str | None, as_json: bool) -> None:
    """How far each ready site (or SITE) is behind: applied seq vs head per stream, lag in
    changes and seconds, outbox depth, last upsync, last checksum result."""
    service = _ops(ctx).sync_status
    statuses = [service.site(site_id)] if site_id else service.ready()
    if as_json:
        emit_json([s.to_json() for s in statuses])
        return
    table(
        "Sync status (times UTC)",
        ["site", "lag", "outbox", "last upsync", "last checksum"],
        [
            (
                s.site_id,
                f"{s.lag_changes} changes / {s.lag_seconds:.0f} s",
                "-" if s.outbox_pending is None else s.outbox_pending,
                _minute(s.last_upsync_at),
                _checksum_cell(s),
            )
            for s in statuses
        ],
    )
    table(
        "Streams",
        ["site", "stream", "applied", "head", "lag"],
        [
            (
                s.site_id,
                lag.stream,
                "-" if lag.applied_seq is None else lag.applied_seq,
                lag.head_seq,
                f"{lag.lag_changes} changes / {lag.lag_seconds:.0f} s",
            )
            for s in statuses
            for lag in s.streams
        ],
    )
    if not statuses:
        console.print("no ready sites")


@sites.command("list")
@click.option("--status", default=None, help="Only sites in this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def sites_list(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List store sites."""
    service = _ops(ctx).sites
    records = service.list(status)
    releases = service.releases()
    if as_json:
        emit_json([site_view(r, releases.get(r.site_id)) for r in records])
        return
    table(
        "Store sites",
        ["site", "channel", "name", "status", "release", "last install", "last contact"],
        [
            (
                r.site_id,
                r.sales_channel_id,
                r.name,
                r.status,
                release_cell(releases.get(r.site_id)),
                last_install_cell(releases.get(r.site_id)),
                when(r.last_seen_at),
            )
            for r in records
        ],
    )


@sites.command("show")
@click.argument("site_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def sites_show(ctx: click.Context, site_id: str, as_json: bool) -> None:
    """Show one site with its conditions."""
    service = _ops(ctx).sites
    record = service.get(site_id)
    release = service.release(site_id)
    calendar = service.trading_calendar(site_id)
    health = service.health(site_id)
    if as_json:
        emit_json(
            {
                **site_view(record, release),
                "trading_calendar": jsonable(calendar),
                "health": health_json(health),
            }
        )
        return
    table(
        f"Site {record.site_id}",
        ["field", "value"],
        [
            ("channel", record.sales_channel_id),
            ("name", record.name),
            ("timezone", record.timezone),
            ("agent version", record.agent_version),
            ("status", record.status),
            ("certificate", record.certificate_serial),
            ("config generation", record.config_generation),
            ("last contact", when(record.last_seen_at)),
            ("created", when(record.created_at)),
            *release_rows(release),
            ("trading hours", "; ".join(render_hours(calendar)) if calendar else "-"),
            *health_rows(health),
        ],
    )
    table(
        "Conditions",
        ["type", "status", "reason", "message"],
        [
            (c.get("type"), c.get("status"), c.get("reason"), c.get("message"))
            for c in record.conditions
        ],
    )


@sites.command("revoke")
@click.argument("site_id")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def sites_revoke(ctx: click.Context, site_id: str, reason: str, as_json: bool) -> None:
    """Revoke a site: its certificates stop working at the gateway at once."""
    record = _ops(ctx).sites.revoke(site_id, reason, actor=f"ops:{getpass.getuser()}")
    if as_json:
        emit_json(record)
    else:
        console.print(f"site [bold]{site_id}[/bold] revoked; its agent is disconnected")


@sites.command("token")
@click.argument("site_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def sites_token(ctx: click.Context, site_id: str, as_json: bool) -> None:
    """Show the enrollment command of a site's current bootstrap token."""
    enrollment = _ops(ctx).sites.current_enrollment(site_id)
    if as_json:
        emit_json(
            {
                "site_id": site_id,
                "token": enrollment.token,
                "command": enrollment.command,
                "expires_at": enrollment.expires_at,
            }
        )
    else:
        _print_enrollment(enrollment)


# Facts


def _duration(text: str) -> timedelta:
    """'90s', '15m', '1h', '2d' -> timedelta; a clear error otherwise."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit():
        raise click.BadParameter(f"{text!r} is not a duration like 90s, 15m, 1h or 2d")
    return timedelta(seconds=int(number) * units[unit])


@main.group()
def fleet() -> None:
    """Reconcile every ready site: downsync checksums and upsync totals."""


@fleet.command("schedule")
@click.option("--every", default="1h", show_default=True, help="Time between passes.")
@click.option("--jitter", default="5m", show_default=True, help="Random delay of each start.")
@click.option("--concurrency", default=10, show_default=True, help="Sites at a time.")
@click.pass_context
@handle_errors
def fleet_schedule(ctx: click.Context, every: str, jitter: str, concurrency: int) -> None:
    """Create or change the Temporal Schedule that runs a pass (a running pass is never doubled)."""
    service = _ops(ctx).fleet
    run(service.schedule(_duration(every), _duration(jitter), concurrency))
    console.print(
        f"fleet reconciliation scheduled every {every} (jitter {jitter}, {concurrency} sites "
        "at a time, overlapping starts skipped)"
    )


@fleet.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def fleet_status(ctx: click.Context, as_json: bool) -> None:
    """Show the fleet schedule."""
    view = run(_ops(ctx).fleet.describe())
    if view is None:
        fail("no fleet schedule yet; create it with `commerce-cloud fleet schedule`", 3)
        return
    fields = {
        "every": str(view.every),
        "jitter": str(view.jitter),
        "concurrency": view.concurrency,
        "paused": view.paused,
        "overlap": view.overlap,
        "recent_runs": view.recent_runs,
    }
    if as_json:
        emit_json(fields)
        return
    table("Fleet schedule", ["field", "value"], fields.items())


@fleet.command("reconcile")
@click.option("--concurrency", default=10, show_default=True, help="Sites at a time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def fleet_reconcile(ctx: click.Context, concurrency: int, as_json: bool) -> None:
    """Run one pass now and wait for it."""
    with console.status("reconciling the fleet"):
        result = run(_ops(ctx).fleet.reconcile_now(concurrency))
    if as_json:
        emit_json(result)
        return
    table(
        "Fleet reconciliation",
        ["reconciled", "mismatched", "failed", "skipped"],
        [
            (
                result.sites_reconciled,
                result.sites_mismatched,
                result.sites_failed,
                result.sites_skipped,
            )
        ],
    )


@main.group()
def facts() -> None:
    """The process-fact log."""


@facts.command("tail")
@click.option("--after", default=0, help="Only facts after this sequence number.")
@click.option("--limit", default=50, help="At most this many facts.")
@click.option("--subject", default=None, help="Only facts about this subject (e.g. site/x).")
@click.option("--follow", is_flag=True, help="Keep printing new facts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_context
@handle_errors
def facts_tail(
    ctx: click.Context, after: int, limit: int, subject: str | None, follow: bool, as_json: bool
) -> None:
    """Print process facts, oldest first."""
    import time

    from google.protobuf.json_format import MessageToDict

    from ameide_core_proto.process.commerce.v1 import facts_pb2

    fact_log = _ops(ctx).facts
    cursor = after
    while True:
        records = fact_log.tail(cursor, limit, subject)
        if as_json:
            for r in records:
                fact = facts_pb2.ProcessFact.FromString(r.payload)
                emit_json(
                    {"seq": r.seq, **MessageToDict(fact, preserving_proto_field_name=True)},
                    line=True,
                )
        elif records or not follow:
            table(
                "Process facts",
                ["seq", "occurred", "type", "subject", "fact id"],
                [(r.seq, when(r.occurred_at), r.fact_type, r.subject, r.fact_id) for r in records],
            )
        if records:
            cursor = records[-1].seq
        if not follow:
            return
        time.sleep(1.0)


# Data


@main.group()
def data() -> None:
    """Upstream data for the change log: import JSON lines, generate a synthetic catalog."""


def _print_data_report(title: str, report: DataReport, as_json: bool) -> None:
    if as_json:
        emit_json(report)
        return
    table(
        title,
        ["stream", "changes", "head"],
        [
            (stream, count, report.heads.get(stream, "-"))
            for stream, count in sorted(report.per_stream.items())
        ],
    )
    console.print(
        f"{report.changes} changes, {report.appended} appended in {report.batches} batches"
        if report.batches
        else f"{report.changes} changes written"
    )


@data.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--batch-lines",
    default=DEFAULT_BATCH,
    show_default=True,
    help="Lines per transaction. The whole file is checked first; a bad line appends nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def data_import(ctx: click.Context, file: Path, batch_lines: int, as_json: bool) -> None:
    """Append the changes in FILE (one Change per line, protobuf JSON) to the change log.

    Running the same file again appends only the batches that did not land before."""
    _print_data_report("Imported", _ops(ctx).data.import_file(file, batch_lines), as_json)


@data.command("generate")
@click.option("--items", type=int, required=True, help="Catalog items (each with a price).")
@click.option("--channel", required=True, help="Sales channel the data is for.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write JSON lines here (- for stdout) instead of publishing to the change log.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def data_generate(
    ctx: click.Context, items: int, channel: str, out: Path | None, as_json: bool
) -> None:
    """A deterministic synthetic catalog with prices, promotions and customers."""
    if out is None:
        report = _ops(ctx).data.publish_synthetic(items, channel)
    elif str(out) == "-":
        DataService.check_synthetic(items, channel)
        DataService.write_synthetic(items, channel, sys.stdout)
        return
    else:
        DataService.check_synthetic(items, channel)
        with out.open("w", encoding="utf-8") as handle:
            report = DataService.write_synthetic(items, channel, handle)
    _print_data_report("Generated", report, as_json)


@main.command()
@click.option("--check", is_flag=True, help="Exit 0 once every demo step succeeded.")
@click.pass_context
@handle_errors
def demo(ctx: click.Context, check: bool) -> None:
    """Local stack with a real agent for a demo store: replication, real-time, domains, bundles."""
    from cloud.demo.stack import run_demo

    sys.exit(run(run_demo(ctx.obj, check=check)))


from cloud.cli.realtime import realtime  # noqa: E402  (registers on `main`, defined above)

main.add_command(realtime)
main.add_command(operator_commands)
main.add_command(compat_commands)
main.add_command(bundle_commands)
main.add_command(rollout_commands)
sites.add_command(site_calendar_command)


def entry() -> None:
    """The `commerce-cloud` console script: `main`, then an exit that skips interpreter teardown.

    The Temporal SDK's native runtime keeps threads that may call into Python while the
    interpreter shuts down, which aborts a short-lived client process at random
    (temporalio/sdk-python#300). Every command has closed what it opened by the time `main`
    returns (click's context teardown), so the process flushes its output and ends at once.
    """
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code or 0)


# Command groups kept in their own modules.
from cloud.cli import domain_mapping as _domain_mapping  # noqa: E402, F401  (domains provision|revoke)
from cloud.cli.domains import domains as _domains  # noqa: E402

main.add_command(_domains)
