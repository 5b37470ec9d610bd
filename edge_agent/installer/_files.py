"""Installer room: crash-safe file primitives (write-then-rename, fsync, atomic symlink switch).

Blocking file I/O only; callers on an event loop run these in a thread. Touches only the
paths it is given.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink inside `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, value: dict[str, Any]) -> None:
    """Replace `path` with `value` so that a crash leaves the old or the new content whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        json.dump(value, out, indent=2, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return value


def remove_durably(path: Path) -> None:
    """Unlink `path` (gone already is fine) and make that durable."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fsync_dir(path.parent)


def switch_symlink(link: Path, target: str) -> None:
    """Point `link` at `target` atomically: a temporary symlink renamed over the old one."""
    tmp = link.with_name(f".{link.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)
    fsync_dir(link.parent)


def discard_tree(path: Path) -> None:
    """Remove a directory tree so a crash part-way leaves no half tree under its own name:
    it is renamed to a hidden `.discard` name first, which start-up cleaning removes."""
    if not path.exists():
        return
    doomed = path.with_name(f".{path.name}.discard")
    if doomed.exists():
        shutil.rmtree(doomed)
    os.replace(path, doomed)
    fsync_dir(path.parent)
    shutil.rmtree(doomed)


def copy_file_durably(source: Path, dest: Path) -> None:
    """Copy `source` over `dest` through a temporary file and a rename."""
    tmp = dest.with_name(f".{dest.name}.tmp")
    with source.open("rb") as src, tmp.open("wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, dest)
    fsync_dir(dest.parent)
