"""Smoke test of the rollout benchmark: a small fleet end to end (one real agent that really
installs, the rest simulated over the real protocol), figures never judged."""

from __future__ import annotations

import pytest

from bench.rollout import Options, run_bench

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("temporal_cli")]


async def test_a_small_fleet_completes_and_the_halt_drill_rolls_back() -> None:
    figures = await run_bench(
        Options(sites=12, rings=2, real_agents=1, canary=2, step=4, observe=1.0)
    )
    assert {
        "sites", "rings", "seconds_to_complete", "max_history_events", "halt_seconds",
        "observe_seconds", "machine",
    } <= set(figures)  # fmt: skip
    assert (figures["sites"], figures["rings"]) == (12, 2)
    assert (figures["real_agents"], figures["simulated_agents"]) == (1, 11)
    assert isinstance(figures["max_history_events"], int) and figures["max_history_events"] > 0
    assert figures["halt_seconds"] >= 0
