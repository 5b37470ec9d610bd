"""Opening hours as ops write them become the calendar the agent reads, or a clear refusal."""

from __future__ import annotations

import pytest

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from cloud.trading_calendar import check_calendar, check_timezone, parse_calendar, render_hours
from edge_agent.installer import calendar_from_proto
from shared.errors import InvalidInput


def test_day_ranges_lists_and_past_midnight_spans() -> None:
    calendar = parse_calendar(
        ["mon-wed 08:00-21:00", "Friday,sat 18:00-02:00", "sun 10:00-24:00"], ["2026-12-25"]
    )
    assert [(h.weekday, h.opens, h.closes) for h in calendar.hours] == [
        (1, "08:00", "21:00"),
        (2, "08:00", "21:00"),
        (3, "08:00", "21:00"),
        (5, "18:00", "02:00"),
        (6, "18:00", "02:00"),
        (7, "10:00", "24:00"),
    ]
    assert list(calendar.closed_dates) == ["2026-12-25"]
    assert render_hours(calendar)[-2:] == ["sun 10:00-24:00", "closed 2026-12-25"]
    # the agent accepts what the cloud accepts
    assert calendar_from_proto("Europe/Amsterdam", calendar).configured


@pytest.mark.parametrize(
    ("hours", "closed", "says"),
    [
        (["mon-fri 8-21"], [], "'8' is not HH:MM"),
        (["thursday-tue 08:00-21:00"], [], "runs backwards"),
        (["mon 07:00-08:00", "mon 07:00-09:00"], [], "opens at 07:00 twice"),
        (["mon 08:00-21:00"], ["25/12/2026"], "--closed '25/12/2026': not a date"),
    ],
)
def test_refusals_name_what_was_wrong(hours: list[str], closed: list[str], says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_calendar(hours, closed)


def test_a_calendar_given_as_a_message_is_checked_field_by_field() -> None:
    bad = store_site_pb2.TradingCalendar(
        hours=[store_site_pb2.TradingHours(weekday=8, opens="08:00", closes="09:00")]
    )
    with pytest.raises(InvalidInput, match=r"hours\[0\].weekday: 8 is not 1"):
        check_calendar(bad)
    with pytest.raises(InvalidInput, match="not an IANA time zone"):
        check_timezone("Europe/Nowhere")
