"""Installer room: carry an install's journal forward at start, commit it, or roll it back.

Runs in `commerce-edge run` before the daemon opens anything (and `commit` also in the new
build once its health gate passed). A start finds the journal in one of its phases and:

    ready         apply the steps in order (each recorded before and after), then trial
    applying      an apply was cut off: undo the started steps in reverse, keep the old release
    trial         first start of the new build: run it on trial; a second start means the
                  trial build died before passing its gate: roll back
    committing    finish: switch `current`, record last-known-good and the outcome
    rolling-back  finish undoing, record the outcome

`on_recorded(point)` is told each durable point as it is reached (logging; fault tests).
Blocking file I/O under the data dir.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_agent.installer import _files
from edge_agent.installer._journal import Journal, JournalFile, Phase
from edge_agent.installer._layout import BASE_RELEASE, ReleaseLayout
from edge_agent.installer._steps import StepFailed, apply_step, undo_step

logger = logging.getLogger(__name__)

INSTALLED = "installed"
ROLLED_BACK = "rolled-back"

Recorder = Callable[[str], None]


def _ignore(point: str) -> None:
    return None


@dataclass(frozen=True)
class StartDecision:
    """Which release this start runs, and whether it runs it on trial."""

    release: str  # a bundle id, or "base"
    trial: bool = False


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class Recovery:
    """The journal's state machine over one data dir."""

    def __init__(self, layout: ReleaseLayout, on_recorded: Recorder = _ignore) -> None:
        self.layout = layout
        self.journal = JournalFile(layout)
        self._on_recorded = on_recorded

    def _save(self, journal: Journal, point: str) -> None:
        self.journal.save(journal)
        self._on_recorded(point)

    def prepare_start(self) -> StartDecision:
        """Finish or undo whatever the journal says, then say which release to run."""
        for name in self.layout.clean_leftovers():
            logger.info("removed %s left by an interrupted install", name)
        journal = self.journal.load()
        if journal is None:
            return StartDecision(self.layout.current_release())
        logger.info("install of %s found in phase %s", journal.bundle_id, journal.phase)
        if journal.phase is Phase.READY:
            journal.phase = Phase.APPLYING
            self._save(journal, "applying")
            if not self._apply_steps(journal):
                return StartDecision(self.layout.current_release())
            journal.phase = Phase.TRIAL
            self._save(journal, "trial")
        elif journal.phase is Phase.APPLYING:
            step = journal.started[-1] if journal.started else "-"
            self.roll_back(journal, step, "the agent stopped while the steps were applied; undone")
            return StartDecision(self.layout.current_release())
        if journal.phase is Phase.TRIAL:
            if journal.trial_starts >= 1:
                self.roll_back(
                    journal,
                    "health-gate",
                    "the new build stopped before it passed its health gate",
                )
                return StartDecision(self.layout.current_release())
            journal.trial_starts += 1
            self._save(journal, "trial-started")
            return StartDecision(journal.bundle_id, trial=True)
        if journal.phase is Phase.COMMITTING:
            self.commit(journal)
        elif journal.phase is Phase.ROLLING_BACK:
            self.roll_back(journal, journal.failed_step, journal.message)
        return StartDecision(self.layout.current_release())

    def _apply_steps(self, journal: Journal) -> bool:
        for name in journal.steps:
            journal.started.append(name)
            self._save(journal, f"step-started:{name}")
            try:
                apply_step(self.layout, journal.bundle_id, name, journal.kinds.get(name, ""))
            except StepFailed as exc:
                logger.error("install of %s: %s", journal.bundle_id, exc)
                self.roll_back(journal, exc.step, exc.detail)
                return False
            self._on_recorded(f"step-applied:{name}")
        return True

    def begin_commit(self, journal: Journal) -> None:
        journal.phase = Phase.COMMITTING
        self._save(journal, "committing")
        self.commit(journal)

    def commit(self, journal: Journal) -> None:
        """Switch `current` to the new release, record it as last-known-good, end the install."""
        self.layout.switch_current(journal.bundle_id)
        self._on_recorded("current-switched")
        _files.write_json_atomic(
            self.layout.last_known_good_path,
            {"bundle_id": journal.bundle_id, "recorded_at": _now()},
        )
        self._on_recorded("last-known-good-recorded")
        _files.discard_tree(self.layout.backup_dir(journal.bundle_id))
        # Keep the new release and the one before it (to go back to by hand); older ones and
        # the downloaded archive go.
        for bundle_id in self.layout.releases():
            if bundle_id not in (journal.bundle_id, journal.previous):
                _files.discard_tree(self.layout.release_dir(bundle_id))
        (self.layout.downloads_dir / f"{journal.bundle_id}.bundle").unlink(missing_ok=True)
        self._finish(journal, INSTALLED, "", "")
        logger.info("release %s is current and last-known-good", journal.bundle_id)

    def request_roll_back(self, journal: Journal, step: str, message: str) -> None:
        """Record that the install must be undone (by the next start)."""
        journal.phase = Phase.ROLLING_BACK
        journal.failed_step = step
        journal.message = message
        self._save(journal, "rolling-back")

    def roll_back(self, journal: Journal, step: str, message: str) -> None:
        """Undo the started steps in reverse order; the previous release stays current."""
        if journal.phase is not Phase.ROLLING_BACK:
            self.request_roll_back(journal, step, message)
        for name in reversed(journal.started):
            if name in journal.undone:
                continue
            undo_step(self.layout, journal.bundle_id, name, journal.kinds.get(name, ""))
            journal.undone.append(name)
            self._save(journal, f"step-undone:{name}")
        if self.layout.current_release() != journal.previous:
            self.layout.switch_current(journal.previous)
        # Cleared before the journal ends, so a crash here repeats it on the next start.
        _files.discard_tree(self.layout.backup_dir(journal.bundle_id))
        if journal.bundle_id != journal.previous:
            _files.discard_tree(self.layout.release_dir(journal.bundle_id))
        (self.layout.downloads_dir / f"{journal.bundle_id}.bundle").unlink(missing_ok=True)
        self._finish(journal, ROLLED_BACK, journal.failed_step, journal.message)
        logger.error(
            "install of %s rolled back (step %s: %s); %s stays current",
            journal.bundle_id,
            journal.failed_step,
            journal.message,
            journal.previous,
        )

    def _finish(self, journal: Journal, outcome: str, step: str, message: str) -> None:
        record: dict[str, Any] = {
            "bundle_id": journal.bundle_id,
            "command_id": journal.command_id,
            "outcome": outcome,
            "failed_step": step,
            "message": message,
            "previous": journal.previous,
            "finished_at": _now(),
        }
        _files.write_json_atomic(self.layout.last_install_path, record)
        self._on_recorded(f"outcome-recorded:{outcome}")
        self.journal.clear()
        self._on_recorded("journal-cleared")


__all__ = ["BASE_RELEASE", "INSTALLED", "ROLLED_BACK", "Recovery", "StartDecision"]
