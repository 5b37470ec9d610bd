"""The pure rules of RolloutStoreFleet: how a ring is cut into steps, when a step halts."""

from __future__ import annotations

import pytest

from cloud.workflows.rollout import MAX_STEP_SITES, plan_steps, should_halt

SITES = [f"s{n}" for n in range(10)]


@pytest.mark.parametrize(
    ("canary", "step", "sizes"),
    [
        (1, 3, [1, 3, 3, 3]),
        (2, 0, [2, 8]),
        (0, 4, [1, 4, 4, 1]),  # at least one canary
        (50, 3, [10]),  # a canary set as large as the ring: one step
    ],
)
def test_steps_cover_the_ring_in_order_canaries_first(
    canary: int, step: int, sizes: list[int]
) -> None:
    steps = plan_steps(SITES, canary, step)
    assert [len(s) for s in steps] == sizes
    assert [site for s in steps for site in s] == SITES


def test_no_step_is_larger_than_the_bound() -> None:
    ring = [f"s{n:05d}" for n in range(2 * MAX_STEP_SITES + 7)]
    steps = plan_steps(ring, 5, 0)
    assert max(len(s) for s in steps) == MAX_STEP_SITES
    assert [site for s in steps for site in s] == ring


@pytest.mark.parametrize(
    ("failed", "reached", "ratio", "minimum", "halts"),
    [
        (1, 1, 0.0, 1, True),  # one failed canary of one
        (1, 10, 0.2, 1, False),  # 10 % of the step, under 20 %
        (3, 10, 0.2, 1, True),
        (1, 2, 0.2, 2, False),  # 50 %, but under the minimum count
        (2, 4, 0.2, 2, True),
        (0, 0, 0.0, 0, False),  # nobody reached (all offline): nothing to judge
    ],
)
def test_a_step_halts_past_the_ratio_and_the_minimum_count(
    failed: int, reached: int, ratio: float, minimum: int, halts: bool
) -> None:
    assert should_halt(failed, reached, ratio, minimum) is halts
