"""Smoke test of the rollout benchmark: a tiny run end to end, figures never judged."""

from __future__ import annotations

import pytest

from bench.rollout import run_bench

pytestmark = [pytest.mark.timeout(240), pytest.mark.usefixtures("temporal_cli")]


async def test_a_small_fleet_completes_and_the_halt_drill_rolls_back() -> None:
    figures = await run_bench(sites=40, rings=2, observe=1.0)
    assert set(figures) == {
        "sites", "rings", "seconds_to_complete", "max_history_events", "halt_seconds",
        "observe_seconds", "machine",
    }  # fmt: skip
    assert (figures["sites"], figures["rings"]) == (40, 2)
    assert isinstance(figures["max_history_events"], int) and figures["max_history_events"] > 0
