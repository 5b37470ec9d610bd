"""Installer room: applying and undoing each install step, in the manifest's order.

- `migrations`: back up the projection database (`state/edge.db`, SQLite backup API, written
  then renamed), then run the step's .sql files in one transaction. Undo puts the backup back
  (the projection is a replica: what it held before the install is correct).
- `wheel`, `static-site`, `files`: already staged in the release dir; they take effect when
  the agent restarts onto the release and `current` is switched, so applying checks they are
  complete and undoing has nothing to restore.

Runs only while no agent has the database open (at start, before the daemon). Blocking I/O on
`state/edge.db*` and `releases/`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from edge_agent.installer import _files
from edge_agent.installer._layout import ReleaseLayout
from edge_agent.installer._plan import FILES, MIGRATIONS, STATIC_SITE, WHEEL

_ABSENT = "absent"  # marker: there was no projection database to back up


class StepFailed(RuntimeError):
    """A step could not be applied; `step` names it."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"step {step} failed: {message}")
        self.step = step
        self.detail = message


def apply_step(layout: ReleaseLayout, bundle_id: str, name: str, kind: str) -> None:
    release = layout.release_dir(bundle_id)
    try:
        if kind == MIGRATIONS:
            _back_up_projection(layout, bundle_id, name)
            _migrate(layout.projection_db, sorted((release / "migrations" / name).glob("*.sql")))
        elif kind == WHEEL:
            if not (release / "lib" / "edge_agent" / "__init__.py").is_file():
                raise StepFailed(name, f"{release / 'lib'} holds no edge_agent package")
        elif kind == STATIC_SITE:
            if not (release / "ui" / "index.html").is_file():
                raise StepFailed(name, f"{release / 'ui'} has no index.html")
        elif kind != FILES:
            raise StepFailed(name, f"unknown step kind {kind!r}")
    except StepFailed:
        raise
    except (OSError, sqlite3.Error) as exc:
        raise StepFailed(name, str(exc)) from exc


def undo_step(layout: ReleaseLayout, bundle_id: str, name: str, kind: str) -> None:
    """Undo `name`; safe to repeat and safe after a step that was cut off part-way."""
    if kind == MIGRATIONS:
        _restore_projection(layout, bundle_id, name)


def _back_up_projection(layout: ReleaseLayout, bundle_id: str, step: str) -> None:
    backup_dir = layout.backup_dir(bundle_id) / step
    backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    backup = backup_dir / "edge.db"
    if backup.exists() or (backup_dir / _ABSENT).exists():
        return  # taken by an earlier attempt; the database has not changed since
    if not layout.projection_db.exists():
        (backup_dir / _ABSENT).touch()
        _files.fsync_dir(backup_dir)
        return
    tmp = backup_dir / ".edge.db.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    with (
        contextlib.closing(sqlite3.connect(layout.projection_db)) as src,
        contextlib.closing(sqlite3.connect(tmp)) as dest,
    ):
        src.backup(dest)
    with tmp.open("rb+") as handle:
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(backup)
    _files.fsync_dir(backup_dir)


def _restore_projection(layout: ReleaseLayout, bundle_id: str, step: str) -> None:
    backup_dir = layout.backup_dir(bundle_id) / step
    db = layout.projection_db
    side_files: list[Callable[[], None]] = [
        lambda: _unlink(db.with_name(db.name + "-wal")),
        lambda: _unlink(db.with_name(db.name + "-shm")),
    ]
    if (backup_dir / "edge.db").exists():
        tmp = db.with_name(".edge.db.restore")
        _files.copy_file_durably(backup_dir / "edge.db", tmp)
        for remove in side_files:
            remove()
        tmp.replace(db)
        _files.fsync_dir(db.parent)
    elif (backup_dir / _ABSENT).exists():
        for remove in side_files:
            remove()
        _unlink(db)
        _files.fsync_dir(db.parent)
    # neither: the step was cut off before its backup finished, so nothing was changed


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _migrate(db: Path, scripts: list[Path]) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for script in scripts:
                for statement in script.read_text(encoding="utf-8").split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
