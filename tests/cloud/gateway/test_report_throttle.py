"""The gateway writes a site's sync report when it moved or has gone stale, not on every pull."""

from __future__ import annotations

from cloud.gateway.sync_reports import ReportThrottle


def test_a_report_is_written_when_it_moves_or_goes_stale_and_per_site() -> None:
    throttle = ReportThrottle(refresh_seconds=30)
    assert throttle.due("store-1", (("catalog", 3),), now=100.0)
    assert not throttle.due("store-1", (("catalog", 3),), now=101.0)
    assert throttle.due("store-2", (("catalog", 3),), now=101.0)
    assert throttle.due("store-1", (("catalog", 4),), now=102.0)
    assert not throttle.due("store-1", (("catalog", 4),), now=131.0)
    assert throttle.due("store-1", (("catalog", 4),), now=132.0)


def test_a_failed_write_is_retried_on_the_next_report() -> None:
    throttle = ReportThrottle(refresh_seconds=30)
    assert throttle.due("store-1", 1, now=0.0)
    throttle.forget("store-1")
    assert throttle.due("store-1", 1, now=1.0)
