"""How the ops CLI ends on an expected failure: one clear line and an exit code.

CLI room: the one mapping from failures to exit codes for every command group (2 for bad
input, 1 for a refusal or an unreachable Temporal; a group may add its own codes).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from cloud.cli.output import fail
from shared.errors import CommerceError, InvalidInput, NotFound

__all__ = ["cli_errors", "handle_errors", "run"]

T = TypeVar("T")

_TEMPORAL_UNREACHABLE = (
    "Temporal refused or could not be reached: {}; is `commerce-cloud serve` running (or "
    "TEMPORAL_ADDRESS set)?"
)


def cli_errors(
    also: Mapping[type[CommerceError], int] | None = None,
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A decorator printing expected failures as one line; `also` maps more refusals to codes
    (checked first, so a subclass of InvalidInput or CommerceError can have its own)."""
    extra = dict(also or {})

    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            try:
                return fn(*args, **kwargs)
            except CommerceError as exc:
                code = next((c for kind, c in extra.items() if isinstance(exc, kind)), None)
                if code is None:
                    code = 2 if isinstance(exc, (InvalidInput, NotFound)) else 1
                fail(str(exc), code)
            except WorkflowFailureError as exc:
                cause: BaseException | None = exc.cause
                while getattr(cause, "cause", None) is not None:
                    cause = getattr(cause, "cause")  # noqa: B009 (walks ApplicationError chains)
                fail(str(cause or exc), 1)
            except RPCError as exc:
                fail(_TEMPORAL_UNREACHABLE.format(exc), 1)

        return wrapper

    return decorate


handle_errors = cli_errors()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to completion."""
    return asyncio.run(coro)
