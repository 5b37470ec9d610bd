"""`commerce-edge`: enroll this store server, run the agent, show its status.

Entry point: builds config, configures logging, prints results; the work lives elsewhere.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.table import Table

from edge_agent import __version__
from edge_agent.cli.realtime import realtime as realtime_commands
from edge_agent.config import AgentConfig, load_agent_config
from edge_agent.daemon import AgentDaemon
from edge_agent.health import StatusReport, gather_status
from edge_agent.identity import enroll as enroll_site
from edge_agent.installer import (
    BASE_RELEASE,
    Recovery,
    ReleaseLayout,
    RunningRelease,
    exec_release,
    exec_restart,
    probe_release,
    running_release,
    startable_release,
)
from edge_agent.projection import Projection
from edge_agent.realtime.status import status_lines
from shared.errors import CommerceError, ConfigError, InvalidInput
from shared.logging import configure_logging

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

GC_FIRST_GENERATION_THRESHOLD = 50_000
"""Allocations between young-generation collections in `run` (the default is 700)."""
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _fail(message: str, code: int) -> None:
    click.echo(f"commerce-edge: error: {message}", err=True)
    sys.exit(code)


def _clean_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Expected errors become one line on stderr: exit 2 for bad input, 1 for the rest."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (InvalidInput, ConfigError) as exc:
            _fail(str(exc), EXIT_BAD_INPUT)
        except CommerceError as exc:
            _fail(str(exc), EXIT_FAILED)
        except KeyboardInterrupt:
            _fail("interrupted", EXIT_FAILED)
        raise AssertionError("unreachable")

    return wrapper


def _config(ctx: click.Context, **flags: Any) -> AgentConfig:
    overrides = {k: v for k, v in flags.items() if v is not None}
    if ctx.obj.get("log_level"):
        overrides["log_level"] = ctx.obj["log_level"]
    return load_agent_config(config_file=ctx.obj.get("config_file"), overrides=overrides)


_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Agent data directory (default /var/lib/commerce-edge).",
)


@click.group()
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="COMMERCE_EDGE_CONFIG",
    default=None,
    help="TOML config file (default /etc/commerce-edge/agent.toml when it exists).",
)
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR.")
@click.version_option(__version__, prog_name="commerce-edge")
@click.pass_context
def main(ctx: click.Context, config_file: Path | None, log_level: str | None) -> None:
    """The commerce store-server agent."""
    ctx.ensure_object(dict)
    ctx.obj["config_file"] = config_file
    ctx.obj["log_level"] = log_level


@main.command()
@click.option(
    "--cloud", required=True, metavar="HOST:PORT", help="The gateway's discovery address."
)
@click.option(
    "--token",
    required=True,
    envvar="COMMERCE_EDGE_BOOTSTRAP_TOKEN",
    help="One-time bootstrap token <site_id>.<token_id>.<secret>.",
)
@click.option(
    "--ca-fingerprint",
    required=True,
    metavar="SHA256",
    help="SHA-256 of the cloud's site CA, as shown when the site was provisioned.",
)
@_data_dir_option
@click.pass_context
@_clean_errors
def enroll(
    ctx: click.Context, cloud: str, token: str, ca_fingerprint: str, data_dir: Path | None
) -> None:
    """Enroll this store server: make its key, get its site certificate."""
    config = _config(ctx, data_dir=data_dir)
    configure_logging(config.log_level)
    outcome = asyncio.run(
        enroll_site(
            data_dir=config.data_dir,
            cloud=cloud,
            token=token,
            ca_fingerprint=ca_fingerprint,
            agent_version=config.agent_version,
            rpc_timeout=config.rpc_timeout_seconds,
        )
    )
    # The local database is made now, so a disk problem shows while the installer is here.
    asyncio.run(_prepare_database(config))
    table = Table(title=f"Enrolled as site {outcome.record.site_id}", show_header=False)
    table.add_row("Site", outcome.record.site_id)
    table.add_row("Certificate serial", outcome.certificate.serial_hex)
    table.add_row("Valid until", outcome.certificate.not_after.isoformat())
    table.add_row("Control endpoint", outcome.record.control_target())
    table.add_row("Identity files", str(outcome.paths.root))
    Console().print(table)
    click.echo("Next: start the agent (systemctl start commerce-edge, or commerce-edge run).")


async def _prepare_database(config: AgentConfig) -> None:
    projection = await Projection.open(
        config.data_dir, busy_timeout_seconds=config.database_busy_timeout_seconds
    )
    await projection.close()


@main.command()
@_data_dir_option
@click.pass_context
@_clean_errors
def run(ctx: click.Context, data_dir: Path | None) -> None:
    """Run the agent: keep the control stream to the cloud open."""
    config = _config(ctx, data_dir=data_dir)
    configure_logging(config.log_level)
    release = running_release()
    if release is None:
        # Started by systemd (or by hand): settle an install's journal, then run the release
        # it leaves current, replacing this process.
        layout = ReleaseLayout(config.data_dir)
        decision = Recovery(layout).prepare_start()
        decision = startable_release(layout, decision, lambda r: probe_release(layout, r))
        if decision.release != BASE_RELEASE:
            exec_release(layout, decision.release, trial=decision.trial)
        release = RunningRelease()
    # A downsync page makes tens of thousands of short-lived objects at once; with the
    # default first-generation threshold (700) the collector ran thousands of times per page
    # (about a fifth of the apply's CPU). Collections stay on, just less often.
    gc.set_threshold(GC_FIRST_GENERATION_THRESHOLD, 20, 20)
    daemon = AgentDaemon(config, release)
    try:
        asyncio.run(daemon.run())
    except asyncio.CancelledError:
        _fail("stopped by a second signal before in-flight work finished", EXIT_FAILED)
    if daemon.restart_requested:
        exec_restart()


@main.command()
@_data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
@_clean_errors
def status(ctx: click.Context, data_dir: Path | None, as_json: bool) -> None:
    """Show site identity, cloud endpoint, connection, applied configuration and replication."""
    config = _config(ctx, data_dir=data_dir)
    report = gather_status(config.data_dir)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        Console().print(_status_table(report))


def _status_table(report: StatusReport) -> Table:
    verdict = "[green]healthy[/green]" if report.healthy else "[red]needs attention[/red]"
    table = Table(title=f"commerce-edge status: {verdict}", show_header=False)
    days = f" ({report.certificate_days_left} days left)" if report.certificate_not_after else ""
    rows = [
        ("Site", report.site_id or "not enrolled"),
        ("Certificate serial", report.certificate_serial or "-"),
        ("Certificate expires", f"{report.certificate_not_after or '-'}{days}"),
        ("Cloud endpoint", report.cloud_endpoint or "-"),
        ("Connection", report.connection_state),
        ("Since", report.connection_since or "-"),
        ("Last contact", report.last_contact_at or "never"),
        ("Last error", report.last_error or "-"),
        ("Applied config generation", str(report.config_generation)),
        ("Release", report.current_bundle),
        ("Last known good", report.last_known_good or "-"),
        ("Last install", report.last_install or "-"),
    ]
    rows.append(
        ("Outbox pending", "-" if report.outbox_pending is None else str(report.outbox_pending))
    )
    rows += [("Outbox refused", f"[red]{rich_escape(why)}[/red]") for why in report.outbox_refused]
    if report.projection_rebuilt:
        rows.append(("Local database", rich_escape(report.projection_rebuilt)))
    rows += [
        (
            f"Stream {s.stream}",
            f"applied seq {s.applied_seq} of {s.head_seq}, {s.rows} rows"
            + (" (snapshot in progress)" if s.snapshot_in_progress else ""),
        )
        for s in report.streams
    ]
    if report.realtime is not None:
        rows += status_lines(report.realtime)
    if report.problem:
        rows.append(("Problem", f"[red]{report.problem}[/red]"))
    for name, value in rows:
        table.add_row(name, value)
    return table


main.add_command(realtime_commands)
