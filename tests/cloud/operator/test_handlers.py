"""The one retry mapping of the operator, its backoff, and the coalescing of child events."""

from __future__ import annotations

import asyncio

import kopf
import pytest

from cloud.operator.errors import InvalidResource, KubeRejected, KubeUnavailable
from cloud.operator.handlers import Coalescer, _mapped, backoff


async def _raise(exc: Exception) -> None:
    raise exc


async def test_retryable_errors_become_temporary_with_growing_delay() -> None:
    with pytest.raises(kopf.TemporaryError) as first:
        await _mapped(_raise(KubeUnavailable("API server did not answer")), retry=0)
    with pytest.raises(kopf.TemporaryError) as later:
        await _mapped(_raise(KubeUnavailable("API server did not answer")), retry=10)
    assert (first.value.delay, later.value.delay) == (1.0, 60.0)
    assert "did not answer" in str(first.value)


@pytest.mark.parametrize(
    "error", [KubeRejected("HTTP 422 spec.replicas", 422), InvalidResource("spec.image: missing")]
)
async def test_refusals_are_permanent(error: Exception) -> None:
    with pytest.raises(kopf.PermanentError) as refused:
        await _mapped(_raise(error), retry=0)
    assert str(error) in str(refused.value)


def test_backoff_doubles_up_to_a_minute() -> None:
    assert [backoff(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]


async def test_a_burst_of_child_events_makes_at_most_one_more_pass() -> None:
    passes: list[tuple[str, str]] = []
    gate = asyncio.Event()

    async def reconcile(namespace: str, name: str) -> None:
        passes.append((namespace, name))
        await gate.wait()

    coalescer = Coalescer(reconcile)
    first = asyncio.create_task(coalescer.kick("shop", "commerce"))
    await asyncio.sleep(0)
    burst = [asyncio.create_task(coalescer.kick("shop", "commerce")) for _ in range(20)]
    await asyncio.gather(*burst)  # they return at once: a pass is running
    gate.set()
    await first
    assert passes == [("shop", "commerce"), ("shop", "commerce")]
