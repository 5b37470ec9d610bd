"""Installer room: the install journal, the one record that says how far an install got.

Written with write-then-rename and fsync before each step starts and after it ends, so on the
next start the agent knows exactly what to finish or undo. Phases::

    ready        staged and quiet; the agent restarts to apply the steps
    applying     steps are being applied (a start that finds this was interrupted: undo)
    trial        steps applied; the new build runs and must pass its health gate
    committing   gate passed; switch `current`, record last-known-good (always finished)
    rolling-back undo the started steps in reverse order (always finished)

Blocking file I/O on `<data_dir>/releases/install-journal.json` only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from edge_agent.installer import _files
from edge_agent.installer._layout import ReleaseLayout


class Phase(StrEnum):
    READY = "ready"
    APPLYING = "applying"
    TRIAL = "trial"
    COMMITTING = "committing"
    ROLLING_BACK = "rolling-back"


@dataclass
class Journal:
    bundle_id: str
    previous: str  # the release that was current when the install began ("base" if none)
    command_id: str
    steps: list[str]  # in the manifest's order
    kinds: dict[str, str] = field(default_factory=dict)  # step -> kind
    phase: Phase = Phase.READY
    started: list[str] = field(default_factory=list)  # steps begun, in order
    undone: list[str] = field(default_factory=list)
    trial_starts: int = 0
    failed_step: str = ""
    message: str = ""
    checksums: dict[str, str] = field(default_factory=dict)  # stream -> digest before
    began_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())

    def to_dict(self) -> dict[str, Any]:
        value = asdict(self)
        value["phase"] = str(self.phase)
        return value

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Journal:
        value = dict(value)
        value["phase"] = Phase(value["phase"])
        return cls(**value)


class JournalFile:
    """Load, save and clear the journal; `on_saved` sees each phase/step as it is recorded."""

    def __init__(self, layout: ReleaseLayout) -> None:
        self._layout = layout

    def load(self) -> Journal | None:
        raw = _files.read_json(self._layout.journal_path)
        return None if raw is None else Journal.from_dict(raw)

    def save(self, journal: Journal) -> None:
        self._layout.ensure()
        _files.write_json_atomic(self._layout.journal_path, journal.to_dict())

    def clear(self) -> None:
        _files.remove_durably(self._layout.journal_path)
