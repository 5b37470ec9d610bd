"""Installer room: at start, a `current` release that cannot even start is left for one that can.

`commerce-edge run` (the base build) asks this after the journal is settled. A release on
trial is the journal's business (a trial build that dies is rolled back on the next start);
a committed release whose agent no longer imports or starts would otherwise have systemd
restart it in a loop. Instead the first release that does start is made current, in this
order: the last-known-good, the release before the broken one (kept on disk by the last
install), the base build. The last install's record says what happened (rolled back at step
"start"), so `commerce-edge status`, the health page and the cloud show it.

Blocking file I/O under the data dir; starting releases is left to `probe`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from edge_agent.installer import _files
from edge_agent.installer._layout import BASE_RELEASE, ReleaseLayout
from edge_agent.installer._recovery import ROLLED_BACK, StartDecision

logger = logging.getLogger(__name__)

START_STEP = "start"

Probe = Callable[[str], "str | None"]
"""Release id -> None when it starts, else why not."""


def _candidates(layout: ReleaseLayout, broken: str) -> list[str]:
    lkg = str((layout.last_known_good() or {}).get("bundle_id", ""))
    last = layout.last_install() or {}
    previous = str(last.get("previous", "")) if last.get("bundle_id") == broken else ""
    found: list[str] = []
    for bundle_id in (lkg, previous):
        usable = bundle_id and bundle_id not in (broken, BASE_RELEASE, *found)
        if usable and layout.is_staged(bundle_id):
            found.append(bundle_id)
    return found


def startable_release(
    layout: ReleaseLayout, decision: StartDecision, probe: Probe
) -> StartDecision:
    """`decision` when its release starts; else the fallback, made current and recorded."""
    if decision.trial or decision.release == BASE_RELEASE:
        return decision
    broken = decision.release
    failure = probe(broken)
    if failure is None:
        return decision
    logger.error("release %s cannot start (%s); falling back", broken, failure)
    fallback = BASE_RELEASE
    for bundle_id in _candidates(layout, broken):
        why = probe(bundle_id)
        if why is None:
            fallback = bundle_id
            break
        logger.error("release %s cannot start either (%s)", bundle_id, why)
    now = dt.datetime.now(dt.UTC).isoformat()
    # Recorded before `current` moves: a crash in between repeats all of it on the next start.
    _files.write_json_atomic(
        layout.last_install_path,
        {
            "bundle_id": broken,
            "command_id": "",
            "outcome": ROLLED_BACK,
            "failed_step": START_STEP,
            "message": f"release {broken} could not start ({failure}); running {fallback}",
            "previous": fallback,
            "finished_at": now,
        },
    )
    _files.write_json_atomic(
        layout.last_known_good_path, {"bundle_id": fallback, "recorded_at": now}
    )
    layout.switch_current(fallback)
    logger.error("release %s could not start; %s is current", broken, fallback)
    return StartDecision(fallback)


__all__ = ["START_STEP", "startable_release"]
