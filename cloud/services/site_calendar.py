"""Changing a store's trading calendar (and time zone) after provisioning.

Service room: works through the store ports it is given (sites, calendars, the command queue)
and builds the config with `SiteConfigs`, the one place configs are made; synchronous (call
from a thread in async code). The new calendar is stored under the next configuration
generation and sent to the agent as an `apply_site_config` command whose id is derived from
the site and that generation, so running the same change again re-sends the same command
instead of making another generation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ameide_core_proto.process.commerce.v1 import edge_pb2, store_site_pb2
from cloud.adapters.store.records import CommandRecord
from cloud.ports import CommandsPort, SiteCalendarsPort, SitesPort
from cloud.services.site_configs import SiteConfigs
from cloud.trading_calendar import check_timezone, parse_calendar
from shared.errors import CommerceError, InvalidInput, NotFound
from shared.naming import validate_site_id

__all__ = ["CalendarChange", "CalendarNotApplied", "SiteCalendarService", "config_command_id"]


class CalendarNotApplied(CommerceError):
    """The agent refused the new configuration, or has not applied it yet."""


def config_command_id(site_id: str, generation: int) -> str:
    return f"site/{site_id}/apply-site-config/{generation}"


@dataclass(frozen=True)
class CalendarChange:
    site_id: str
    timezone: str
    calendar: store_site_pb2.TradingCalendar
    generation: int
    command_id: str
    # True when this exact calendar was already stored: its command was sent again.
    resent: bool


class SiteCalendarService:
    """Stores a site's trading calendar and sends it to the site's agent."""

    def __init__(
        self,
        sites: SitesPort,
        calendars: SiteCalendarsPort,
        commands: CommandsPort,
        configs: SiteConfigs,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sites = sites
        self._calendars = calendars
        self._commands = commands
        self._configs = configs
        self._clock = clock

    def change(
        self,
        site_id: str,
        hours: Sequence[str],
        closed: Sequence[str],
        *,
        timezone: str | None,
        actor: str,
    ) -> CalendarChange:
        """Check everything first; then store the calendar and queue its configuration.

        Bad input (the site, the time zone, an hours spec or a date) is refused before
        anything is stored.
        """
        validate_site_id(site_id)
        site = self._sites.get(site_id)
        if site is None:
            raise NotFound(f"site {site_id} does not exist; see `commerce-cloud sites list`")
        if site.status != "ready":
            raise InvalidInput(
                f"site {site_id} is {site.status}, not ready: its agent has no configuration to "
                "change. Give the calendar when provisioning (`sites provision --hours ...`)"
            )
        if not hours:
            raise InvalidInput(
                "give the store's opening hours with --hours (repeatable), e.g. "
                '--hours "mon-fri 08:00-21:00" --hours "sat 09:00-17:00"'
            )
        zone = check_timezone(timezone or site.timezone)
        calendar = parse_calendar(hours, closed)
        stored = self._calendars.get(site_id)
        if stored is not None and stored.calendar == calendar and site.timezone == zone:
            generation = stored.config_generation
            resent = True
        else:
            # The site's generations are shared with every other config change (offline
            # policies): take the next one, so a newer config always wins on the agent.
            generation = self._sites.next_config_generation(site_id)
            if stored is not None and generation <= stored.config_generation:
                generation = stored.config_generation + 1
            resent = False
            self._calendars.set(site_id, calendar, zone, generation, actor, self._clock())
        config = self._configs.build_at(site_id, generation)
        command_id = config_command_id(site_id, generation)
        try:
            self._commands.enqueue(
                command_id,
                site_id,
                "apply_site_config",
                edge_pb2.Command(apply_site_config=config).SerializeToString(deterministic=True),
                b"",
            )
        except CommerceError as exc:
            raise CommerceError(
                f"the calendar of site {site_id} is stored as generation {generation} but could "
                f"not be queued for its agent ({exc}); run the same command again to send it"
            ) from exc
        return CalendarChange(site_id, zone, calendar, generation, command_id, resent)

    def outcome(self, command_id: str) -> CommandRecord | None:
        """The queued configuration command (finished once the agent answered)."""
        return self._commands.get(command_id)

    def calendar(self, site_id: str) -> store_site_pb2.TradingCalendar | None:
        stored = self._calendars.get(site_id)
        return None if stored is None else stored.calendar
