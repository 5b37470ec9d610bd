"""Installer room: a store's trading calendar, and whether a moment lies inside trading hours.

Pure (no I/O, no clock of its own): everything is computed in the store's own time zone with
`zoneinfo`, so opening hours keep their wall-clock meaning across daylight-saving changes.
A span whose close is earlier than its open runs past midnight and belongs to the day it opens
(a closed date closes that whole span).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ameide_core_proto.process.commerce.v1 import store_site_pb2

_HORIZON_DAYS = 15  # how far ahead `next_*` look (a calendar open every day has no window)


class CalendarError(ValueError):
    """The trading calendar is not valid; the message names the field."""


@dataclass(frozen=True)
class Span:
    weekday: int  # ISO 1..7
    opens: dt.time
    closes_minutes: int  # minutes after the open day's midnight; > 1440 runs past midnight


@dataclass(frozen=True)
class TradingCalendar:
    zone: ZoneInfo
    spans: tuple[Span, ...]
    closed_dates: frozenset[dt.date]

    @property
    def configured(self) -> bool:
        return bool(self.spans)

    def _spans_of(self, day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Trading spans that open on local `day`, as aware datetimes."""
        if day in self.closed_dates:
            return
        for span in self.spans:
            if span.weekday != day.isoweekday():
                continue
            midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.zone)
            start = dt.datetime.combine(day, span.opens, tzinfo=self.zone)
            close_wall = midnight.replace(tzinfo=None) + dt.timedelta(minutes=span.closes_minutes)
            end = close_wall.replace(tzinfo=self.zone)
            yield start, end

    def _around(self, at: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        local_day = at.astimezone(self.zone).date()
        for offset in range(-1, _HORIZON_DAYS):
            yield from self._spans_of(local_day + dt.timedelta(days=offset))

    def is_trading(self, at: dt.datetime) -> bool:
        """Whether the store trades at `at` (an aware datetime)."""
        _require_aware(at)
        instant = at.astimezone(dt.UTC)
        local_day = at.astimezone(self.zone).date()
        for offset in (-1, 0):
            for start, end in self._spans_of(local_day + dt.timedelta(days=offset)):
                if start.astimezone(dt.UTC) <= instant < end.astimezone(dt.UTC):
                    return True
        return False

    def next_opening(self, at: dt.datetime) -> dt.datetime | None:
        """The next moment after `at` at which trading starts (None: none in two weeks)."""
        _require_aware(at)
        instant = at.astimezone(dt.UTC)
        starts = [
            start.astimezone(dt.UTC)
            for start, _ in self._around(at)
            if start.astimezone(dt.UTC) > instant
        ]
        return min(starts) if starts else None

    def next_window(self, at: dt.datetime) -> dt.datetime | None:
        """`at` when the store is closed then; else the end of the span it trades in (when
        spans chain without a gap, the end of the chain). None: no window in two weeks."""
        _require_aware(at)
        moment = at.astimezone(dt.UTC)
        for _ in range(_HORIZON_DAYS * 4):
            if not self.is_trading(moment):
                return moment
            ends = [
                end.astimezone(dt.UTC)
                for start, end in self._around(moment)
                if start.astimezone(dt.UTC) <= moment < end.astimezone(dt.UTC)
            ]
            moment = max(ends)
        return None


def _require_aware(at: dt.datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("pass an aware datetime (with a time zone)")


def _parse_time(text: str, where: str, *, allow_24: bool) -> int:
    """Minutes after midnight of 'HH:MM'."""
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise CalendarError(f"{where}: {text!r} is not HH:MM (e.g. 09:00)")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60 or (value == 24 * 60 and not allow_24):
        raise CalendarError(f"{where}: {text!r} is not a time of day (00:00 to 23:59)")
    return value


def calendar_from_proto(timezone: str, proto: store_site_pb2.TradingCalendar) -> TradingCalendar:
    """Check and convert a site's calendar; `CalendarError` naming the field that is wrong."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(
            f"timezone: {timezone!r} is not an IANA time zone (e.g. Europe/Amsterdam)"
        ) from None
    spans: list[Span] = []
    for index, hours in enumerate(proto.hours):
        where = f"trading_calendar.hours[{index}]"
        if not 1 <= hours.weekday <= 7:
            raise CalendarError(f"{where}.weekday: {hours.weekday} is not 1 (Monday) to 7")
        opens = _parse_time(hours.opens, f"{where}.opens", allow_24=False)
        closes = _parse_time(hours.closes, f"{where}.closes", allow_24=True)
        if closes == opens:
            raise CalendarError(f"{where}: opens and closes at the same time; leave the day out")
        if closes < opens:
            closes += 24 * 60
        spans.append(Span(hours.weekday, dt.time(opens // 60, opens % 60), closes))
    closed: set[dt.date] = set()
    for index, text in enumerate(proto.closed_dates):
        try:
            closed.add(dt.date.fromisoformat(text))
        except ValueError:
            raise CalendarError(
                f"trading_calendar.closed_dates[{index}]: {text!r} is not YYYY-MM-DD"
            ) from None
    return TradingCalendar(zone=zone, spans=tuple(spans), closed_dates=frozenset(closed))
