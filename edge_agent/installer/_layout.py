"""Installer room: where releases live under the agent's data dir, and which one is current.

```
<data_dir>/releases/
    <bundle_id>/            one release: lib/ (the agent build), ui/ (POS UI), migrations/,
                            manifest.json
    current -> <bundle_id>  the release the agent runs (switched by renaming a temp symlink)
    install-journal.json    present only while an install is under way
    last-known-good.json    the last release that passed its health gate
    last-install.json       the outcome of the last install
    .backup/<bundle_id>/    what an install saved to undo its steps
```

With no `current` link the agent runs the build the Debian package installed ("base").
Blocking file I/O; reads and writes only under `<data_dir>/releases`.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.installer import _files

BASE_RELEASE = "base"
_BUNDLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")


def check_bundle_id(bundle_id: str) -> str:
    """`bundle_id` if it is safe as a directory name; `ValueError` saying what is allowed."""
    if not _BUNDLE_ID.match(bundle_id) or bundle_id in {BASE_RELEASE, "current"}:
        raise ValueError(
            f"bundle id {bundle_id!r} is not allowed: use 1 to 100 letters, digits, '.', '_', "
            f"'+' or '-', starting with a letter or digit (not 'base' or 'current')"
        )
    return bundle_id


@dataclass(frozen=True)
class ReleaseLayout:
    """Paths of the release store under one agent data dir."""

    data_dir: Path

    @property
    def root(self) -> Path:
        return self.data_dir / "releases"

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    @property
    def journal_path(self) -> Path:
        return self.root / "install-journal.json"

    @property
    def last_known_good_path(self) -> Path:
        return self.root / "last-known-good.json"

    @property
    def last_install_path(self) -> Path:
        return self.root / "last-install.json"

    @property
    def downloads_dir(self) -> Path:
        """Where bundle archives are downloaded to (`<bundle_id>.bundle`)."""
        return self.data_dir / "downloads"

    @property
    def projection_db(self) -> Path:
        return self.data_dir / "state" / "edge.db"

    def release_dir(self, bundle_id: str) -> Path:
        return self.root / check_bundle_id(bundle_id)

    def partial_dir(self, bundle_id: str) -> Path:
        return self.root / f".{check_bundle_id(bundle_id)}.partial"

    def backup_dir(self, bundle_id: str) -> Path:
        return self.root / ".backup" / check_bundle_id(bundle_id)

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def current_release(self) -> str:
        """The bundle id `current` points at, or "base" when there is none."""
        try:
            return os.readlink(self.current_link)
        except FileNotFoundError:
            return BASE_RELEASE

    def switch_current(self, bundle_id: str) -> None:
        """Make `bundle_id` current in one rename (a crash leaves the old or the new link)."""
        if bundle_id == BASE_RELEASE:
            _files.remove_durably(self.current_link)
            return
        if not (self.release_dir(bundle_id) / "manifest.json").is_file():
            raise FileNotFoundError(f"release {bundle_id} is not staged under {self.root}")
        _files.switch_symlink(self.current_link, bundle_id)

    def is_staged(self, bundle_id: str) -> bool:
        return (self.release_dir(bundle_id) / "manifest.json").is_file()

    def last_known_good(self) -> dict[str, Any] | None:
        return _files.read_json(self.last_known_good_path)

    def last_install(self) -> dict[str, Any] | None:
        return _files.read_json(self.last_install_path)

    def releases(self) -> list[str]:
        """The bundle ids with a release dir (staged or installed)."""
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.root.iterdir()
            if entry.is_dir() and not entry.is_symlink() and not entry.name.startswith(".")
        )

    def clean_leftovers(self) -> list[str]:
        """Remove half-staged (`.x.partial`) and half-removed (`.x.discard`) trees."""
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        for entry in self.root.iterdir():
            if entry.name.startswith(".") and entry.name.endswith((".partial", ".discard")):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
        return removed
