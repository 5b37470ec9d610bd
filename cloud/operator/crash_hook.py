"""Test-only crash hook: end the operator process abruptly (os._exit, no cleanup) right after
it applied the N-th child of one resource, so a test can prove that a restart mid-reconcile
converges with no duplicate children. Off unless the variable below is set.

Operator room: reads one environment variable at start; touches nothing else until it fires.

    COMMERCE_OPERATOR_TEST_CRASH_AFTER_APPLIES=<namespace>/<name>=<N>
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Mapping

from cloud.operator.errors import OperatorError
from cloud.operator.model import ResourceRef

logger = logging.getLogger(__name__)

CRASH_AFTER_APPLIES_ENV = "COMMERCE_OPERATOR_TEST_CRASH_AFTER_APPLIES"
CRASH_EXIT_CODE = 86
_SPEC = re.compile(r"^(?P<namespace>[^/=\s]+)/(?P<name>[^/=\s]+)=(?P<count>[1-9][0-9]*)$")


def crash_after_applies_from_env(
    environ: Mapping[str, str],
) -> Callable[[ResourceRef], None] | None:
    """The hook the variable asks for, or None when it is unset."""
    raw = environ.get(CRASH_AFTER_APPLIES_ENV, "").strip()
    if not raw:
        return None
    match = _SPEC.match(raw)
    if match is None:
        raise OperatorError(
            f"{CRASH_AFTER_APPLIES_ENV}={raw!r} is not <namespace>/<name>=<N> with N >= 1; "
            "fix it or unset it (it is a test hook)"
        )
    target = (match["namespace"], match["name"])
    limit = int(match["count"])
    applied = 0

    def after_apply(ref: ResourceRef) -> None:
        nonlocal applied
        if (ref.namespace, ref.name) != target:
            return
        applied += 1
        if applied >= limit:
            logger.warning(
                "test crash hook: exiting after %d applied children of %s/%s", applied, *target
            )
            for handler in logging.getLogger().handlers:
                handler.flush()
            sys.stderr.flush()
            os._exit(CRASH_EXIT_CODE)

    return after_apply
