"""Trading calendar: inside or outside trading hours in the store's own time, across DST."""

from __future__ import annotations

import datetime as dt

import pytest

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from edge_agent.installer import CalendarError, TradingCalendar, calendar_from_proto

AMS = "Europe/Amsterdam"
UTC = dt.UTC


def calendar(
    hours: list[tuple[int, str, str]], closed: list[str] | None = None, zone: str = AMS
) -> TradingCalendar:
    proto = store_site_pb2.TradingCalendar(
        hours=[store_site_pb2.TradingHours(weekday=d, opens=o, closes=c) for d, o, c in hours],
        closed_dates=closed or [],
    )
    return calendar_from_proto(zone, proto)


WEEK = [(d, "09:00", "21:00") for d in range(1, 7)]  # Monday..Saturday, Sunday closed


def local(*args: int, zone: str = AMS) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(*args, tzinfo=ZoneInfo(zone))


def test_opening_hours_in_local_time() -> None:
    cal = calendar(WEEK)
    assert cal.is_trading(local(2026, 11, 23, 9, 0))  # Monday at opening
    assert cal.is_trading(local(2026, 11, 23, 20, 59))
    assert not cal.is_trading(local(2026, 11, 23, 8, 59))
    assert not cal.is_trading(local(2026, 11, 23, 21, 0))  # the close is outside
    assert not cal.is_trading(local(2026, 11, 29, 12, 0))  # Sunday: not listed, closed
    # the same instant given in UTC
    assert cal.is_trading(dt.datetime(2026, 11, 23, 8, 30, tzinfo=UTC))  # 09:30 CET


def test_closed_dates_close_the_whole_day() -> None:
    cal = calendar(WEEK, closed=["2026-12-25"])
    assert not cal.is_trading(local(2026, 12, 25, 12, 0))  # a Friday, closed for Christmas
    assert cal.is_trading(local(2026, 12, 24, 12, 0))


def test_a_span_past_midnight_belongs_to_the_day_it_opens() -> None:
    cal = calendar([(5, "18:00", "02:00")], closed=["2026-11-20"])  # Friday night
    assert cal.is_trading(local(2026, 11, 28, 1, 30))  # Saturday 01:30, Friday's span
    assert not cal.is_trading(local(2026, 11, 28, 2, 0))
    # a closed Friday closes its whole night, also after midnight
    assert not cal.is_trading(local(2026, 11, 21, 1, 0))


def test_spring_forward_keeps_the_wall_clock_hours() -> None:
    cal = calendar(WEEK)
    # Amsterdam moves from UTC+1 to UTC+2 on Sunday 2026-03-29.
    assert not cal.is_trading(dt.datetime(2026, 3, 27, 7, 30, tzinfo=UTC))  # Fri 08:30 CET
    assert cal.is_trading(dt.datetime(2026, 3, 30, 7, 30, tzinfo=UTC))  # Mon 09:30 CEST
    assert cal.next_opening(dt.datetime(2026, 3, 28, 21, 0, tzinfo=UTC)) == dt.datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )


def test_fall_back_night_is_an_hour_longer() -> None:
    # Saturday night 22:00 to 04:00; on 2026-10-25 03:00 CEST becomes 02:00 CET.
    cal = calendar([(6, "22:00", "04:00")])
    assert cal.is_trading(dt.datetime(2026, 10, 25, 2, 30, tzinfo=UTC))  # 03:30 CET
    assert not cal.is_trading(dt.datetime(2026, 10, 25, 3, 0, tzinfo=UTC))  # 04:00 CET
    assert cal.next_window(dt.datetime(2026, 10, 24, 21, 0, tzinfo=UTC)) == dt.datetime(
        2026, 10, 25, 3, 0, tzinfo=UTC
    )


def test_next_window_and_next_opening() -> None:
    cal = calendar(WEEK)
    monday_ten = local(2026, 11, 23, 10, 0)
    assert cal.next_window(monday_ten) == local(2026, 11, 23, 21, 0)
    assert cal.next_window(local(2026, 11, 23, 22, 0)) == local(2026, 11, 23, 22, 0)
    assert cal.next_opening(local(2026, 11, 23, 22, 0)) == local(2026, 11, 24, 9, 0)
    assert cal.next_opening(local(2026, 11, 28, 22, 0)) == local(2026, 11, 30, 9, 0)  # after Sun


def test_spans_that_touch_make_one_long_trading_stretch() -> None:
    cal = calendar([(1, "06:00", "24:00"), (2, "00:00", "03:00")])
    assert cal.next_window(local(2026, 11, 23, 12, 0)) == local(2026, 11, 24, 3, 0)


def test_a_store_open_around_the_clock_has_no_window() -> None:
    cal = calendar([(d, "00:00", "24:00") for d in range(1, 8)])
    assert cal.next_window(local(2026, 11, 23, 12, 0)) is None


@pytest.mark.parametrize(
    ("hours", "closed", "zone", "message"),
    [
        ([(8, "09:00", "17:00")], [], AMS, r"hours\[0\]\.weekday: 8"),
        ([(1, "25:00", "26:00")], [], AMS, r"hours\[0\]\.opens: '25:00' is not a time"),
        ([(1, "9", "17:00")], [], AMS, r"hours\[0\]\.opens: '9' is not HH:MM"),
        ([(1, "09:00", "09:00")], [], AMS, r"hours\[0\]: opens and closes at the same time"),
        (WEEK, ["25-12-2026"], AMS, r"closed_dates\[0\]: '25-12-2026' is not YYYY-MM-DD"),
        (WEEK, [], "Mars/Olympus", r"timezone: 'Mars/Olympus' is not an IANA time zone"),
    ],
)
def test_bad_calendars_are_refused_naming_the_field(
    hours: list[tuple[int, str, str]], closed: list[str], zone: str, message: str
) -> None:
    with pytest.raises(CalendarError, match=message):
        calendar(hours, closed, zone)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        calendar(WEEK).is_trading(dt.datetime(2026, 11, 23, 10, 0))
