"""The domain activities' thread pools: a kind of blocking work that is stuck (a slow CA)
never holds up another kind (the store)."""

from __future__ import annotations

import asyncio
import threading

from cloud.activities.blocking import BlockingPools


async def test_store_calls_run_while_every_ca_thread_waits() -> None:
    pools = BlockingPools.sized(store_threads=1, acme_threads=2)
    release = threading.Event()
    try:
        stuck = [asyncio.ensure_future(pools.acme(release.wait, 60)) for _ in range(2)]

        answer = await asyncio.wait_for(pools.store(sum, [20, 22]), timeout=10)

        assert answer == 42
        assert not any(call.done() for call in stuck)
    finally:
        release.set()
    assert await asyncio.gather(*stuck) == [True, True]
    pools.shutdown()
