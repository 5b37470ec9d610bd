"""Named thread pools for the domain activities' blocking calls, one per kind of work.

Activity room: runs a synchronous port method in the pool of its kind and awaits it; touches
nothing else. Kinds are kept apart so a slow kind never queues the others: `store` (short
cloud store calls), `acme` (HTTPS to the CA, seconds each). nginx test-and-reload runs in the
gateway adapter's own thread. Sizes come from `[domain_mapping]` (`store_threads`,
`acme_threads`); the composition root builds the pools, one set per worker process.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

__all__ = ["BlockingPools"]

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class BlockingPools:
    """The thread pools blocking domain work runs in."""

    store_pool: ThreadPoolExecutor
    acme_pool: ThreadPoolExecutor

    @classmethod
    def sized(cls, *, store_threads: int = 8, acme_threads: int = 32) -> BlockingPools:
        return cls(
            store_pool=ThreadPoolExecutor(store_threads, thread_name_prefix="domain-store"),
            acme_pool=ThreadPoolExecutor(acme_threads, thread_name_prefix="acme"),
        )

    async def store(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` in the store pool."""
        return await _run(self.store_pool, fn, *args, **kwargs)

    async def acme(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` in the CA pool."""
        return await _run(self.acme_pool, fn, *args, **kwargs)

    def shutdown(self) -> None:
        self.store_pool.shutdown(wait=False, cancel_futures=True)
        self.acme_pool.shutdown(wait=False, cancel_futures=True)


async def _run(
    pool: ThreadPoolExecutor, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    call = functools.partial(fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(pool, call)
