"""A store's trading calendar as ops write it, checked the way the agent checks it.

Pure (no I/O): turns `--hours "mon-fri 08:00-21:00"` and `--closed 2026-12-25` into a
`TradingCalendar` message, or raises `InvalidInput` saying what was wrong and how to write it.
The rules are the agent's (`edge_agent/installer/_calendar.py`): ISO weekdays, "HH:MM" times,
a close of "24:00", a close earlier than the open running past midnight, "YYYY-MM-DD" dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from shared.errors import InvalidInput

__all__ = ["HOURS_SYNTAX", "check_calendar", "check_timezone", "parse_calendar", "render_hours"]

HOURS_SYNTAX = (
    'DAYS HH:MM-HH:MM, e.g. "mon-fri 08:00-21:00", "sat,sun 10:00-17:00" or "fri 18:00-02:00"'
)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check_timezone(timezone: str) -> str:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"timezone {timezone!r} is not an IANA time zone; use one like Europe/Amsterdam"
        ) from None
    return timezone


def _minutes(text: str, where: str, *, allow_24: bool) -> int:
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise InvalidInput(f"{where}: {text!r} is not HH:MM (e.g. 09:00)")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60 or (value == 24 * 60 and not allow_24):
        raise InvalidInput(f"{where}: {text!r} is not a time of day (00:00 to 23:59, or 24:00)")
    return value


_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day(text: str) -> int:
    """ISO weekday of 'mon' or 'monday' (any case); 0 when it is neither."""
    name = text.lower()
    if name in _DAYS:
        return _DAYS.index(name) + 1
    return _FULL.index(name) + 1 if name in _FULL else 0


def _days(text: str, where: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        start = _day(first.strip())
        end = _day(last.strip()) if dash else start
        if not start or not end or (dash and not last.strip()):
            raise InvalidInput(
                f"{where}: {part.strip()!r} is not a weekday or a range of them; use "
                f"{', '.join(_DAYS)} (e.g. mon-fri or sat,sun)"
            )
        if end < start:
            raise InvalidInput(f"{where}: {part.strip()!r} runs backwards; write it as mon-fri")
        days.extend(range(start, end + 1))
    return days


def check_calendar(calendar: store_site_pb2.TradingCalendar) -> store_site_pb2.TradingCalendar:
    """`calendar` when every field holds, else `InvalidInput` naming the field."""
    seen: set[tuple[int, int]] = set()
    for index, hours in enumerate(calendar.hours):
        where = f"trading_calendar.hours[{index}]"
        if not 1 <= hours.weekday <= 7:
            raise InvalidInput(f"{where}.weekday: {hours.weekday} is not 1 (Monday) to 7 (Sunday)")
        opens = _minutes(hours.opens, f"{where}.opens", allow_24=False)
        closes = _minutes(hours.closes, f"{where}.closes", allow_24=True)
        if opens == closes:
            raise InvalidInput(
                f"{where}: opens and closes at {hours.opens}; leave a closed day out"
            )
        if (hours.weekday, opens) in seen:
            raise InvalidInput(f"{where}: weekday {hours.weekday} opens at {hours.opens} twice")
        seen.add((hours.weekday, opens))
    for index, text in enumerate(calendar.closed_dates):
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                f"trading_calendar.closed_dates[{index}]: {text!r} is not a date (YYYY-MM-DD)"
            ) from None
    return calendar


def parse_calendar(hours: Sequence[str], closed: Sequence[str]) -> store_site_pb2.TradingCalendar:
    """The calendar of `--hours` specs and `--closed` dates (weekdays not named are closed)."""
    calendar = store_site_pb2.TradingCalendar()
    for spec in hours:
        where = f"--hours {spec!r}"
        days, _, span = spec.strip().rpartition(" ")
        opens, dash, closes = span.partition("-")
        if not days.strip() or not dash:
            raise InvalidInput(f"{where}: write it as {HOURS_SYNTAX}")
        for day in _days(days.strip(), where):
            calendar.hours.append(
                store_site_pb2.TradingHours(weekday=day, opens=opens, closes=closes)
            )
    for text in closed:
        try:
            calendar.closed_dates.append(dt.date.fromisoformat(text.strip()).isoformat())
        except ValueError:
            raise InvalidInput(f"--closed {text!r}: not a date; write it as YYYY-MM-DD") from None
    try:
        return check_calendar(calendar)
    except InvalidInput as exc:
        raise InvalidInput(f"{exc} (from {', '.join(repr(h) for h in hours)})") from None


def render_hours(calendar: store_site_pb2.TradingCalendar) -> list[str]:
    """One line per weekday that trades, e.g. 'mon 08:00-21:00'."""
    lines = [f"{_DAYS[h.weekday - 1]} {h.opens}-{h.closes}" for h in calendar.hours]
    return lines + [f"closed {d}" for d in calendar.closed_dates]
