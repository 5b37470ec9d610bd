"""`commerce-cloud sites calendar STORE --hours ... [--closed ...] [--tz ...]`.

CLI room: turns flags into a calendar change through `SiteCalendarService` over the opened
cloud store, waits (by default) until the store's agent applied the new configuration, and
prints the calendar or JSON.
"""

from __future__ import annotations

import getpass
import time

import click

from cloud.cli.output import console, emit_json, fail, table
from cloud.composition.assembly import open_ops
from cloud.config import CloudConfig
from cloud.services.site_calendar import CalendarChange, SiteCalendarService
from cloud.services.site_configs import SiteConfigs
from cloud.trading_calendar import HOURS_SYNTAX, render_hours
from shared.errors import CommerceError, InvalidInput, NotFound

__all__ = ["calendar"]

_POLL_SECONDS = 0.5



def _print(change: CalendarChange, state: str, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "site_id": change.site_id,
                "timezone": change.timezone,
                "config_generation": change.generation,
                "command_id": change.command_id,
                "hours": render_hours(change.calendar),
                "state": state,
            }
        )
        return
    table(
        f"Trading calendar of {change.site_id} ({change.timezone})",
        ["when", ""],
        [(line, "") for line in render_hours(change.calendar)],
    )
    console.print(f"configuration generation {change.generation}: {state}")


@click.command("calendar")
@click.argument("site_id")
@click.option(
    "--hours",
    "hours",
    multiple=True,
    help=f"Opening hours, repeatable: {HOURS_SYNTAX}. Weekdays not named are closed.",
)
@click.option("--closed", multiple=True, help="A date the store is closed, YYYY-MM-DD; repeatable.")
@click.option("--tz", "timezone", default=None, help="IANA time zone (default: the site's).")
@click.option("--wait/--no-wait", default=True, help="Wait until the store's agent applied it.")
@click.option("--timeout", type=float, default=None, help="Seconds to wait (command timeout).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def calendar(
    ctx: click.Context,
    site_id: str,
    hours: tuple[str, ...],
    closed: tuple[str, ...],
    timezone: str | None,
    wait: bool,
    timeout: float | None,
    as_json: bool,
) -> None:
    """Set a store's trading calendar: installs happen only outside these hours."""
    config: CloudConfig = ctx.obj
    ops = open_ops(config, actor=f"ops:{getpass.getuser()}")
    ctx.call_on_close(ops.close)
    store = ops.store
    configs = SiteConfigs(
        store.sites, store.channels, store.realtime_policies, store.site_calendars
    )
    service = SiteCalendarService(store.sites, store.site_calendars, store.commands, configs)
    try:
        change = service.change(
            site_id, hours, closed, timezone=timezone, actor=f"ops:{getpass.getuser()}"
        )
    except (InvalidInput, NotFound) as exc:
        fail(str(exc), 2)
    except CommerceError as exc:
        fail(str(exc), 1)
    if not wait:
        _print(change, "queued for the store's agent", as_json)
        return
    deadline = time.monotonic() + (timeout or config.command_timeout_seconds)
    record = service.outcome(change.command_id)
    while (record is None or not record.finished) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        record = service.outcome(change.command_id)
    if record is None or not record.finished:
        last = f" (last answer: {record.error})" if record is not None and record.error else ""
        fail(
            f"the calendar of site {site_id} is stored as configuration generation "
            f"{change.generation}, but the store's agent has not applied it yet{last}. It stays "
            "queued and is applied when the agent connects; run the same command again to wait "
            "for it (nothing is changed twice)",
            1,
        )
    if record.status != "completed":
        fail(
            f"the store's agent refused configuration generation {change.generation} of site "
            f"{site_id}: {record.error}. Correct the calendar and run the command again",
            1,
        )
    _print(change, "applied by the store's agent", as_json)
