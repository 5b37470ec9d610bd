"""SIGKILL at every durable point of an install: afterwards exactly one whole release runs.

A child process carries the install through the real journal code and kills itself with
SIGKILL at one point (parametrized over every point the installer records). Then the agent
starts as systemd would start it (a new process settles the journal and says which release
it runs; a build it starts on trial passes its gate), and `commerce-edge status` and the files
are checked: either the old release with the projection as it was, or the new release whole
with its migration applied and recorded as last-known-good. Never a mix.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from edge_agent.installer import BASE_RELEASE, JournalFile, ReleaseLayout
from edge_agent.projection import Projection
from tests.edge_agent.installer.bundles import build_release, make_publisher
from tests.edge_agent.replication_pages import changes, item, page
from tests.support.stack import edge

REPO = Path(__file__).resolve().parents[3]
BUNDLE = "2026.11.1"
STEPS = ("edge-projection", "edge-agent", "pos-ui")
ROLLS_BACK = "rolled back"
INSTALLS = "installed"

COMMIT_POINTS = [
    ("applying", ROLLS_BACK),
    *[(f"step-{when}:{s}", ROLLS_BACK) for s in STEPS for when in ("started", "applied")],
    ("trial", INSTALLS),  # the new build had not started yet: it starts on trial now
    ("trial-started", ROLLS_BACK),  # the new build died before its gate
    ("committing", INSTALLS),
    ("current-switched", INSTALLS),
    ("last-known-good-recorded", INSTALLS),
    ("outcome-recorded:installed", INSTALLS),
    ("journal-cleared", INSTALLS),
]
ROLLBACK_POINTS = [
    ("rolling-back", ROLLS_BACK),
    *[(f"step-undone:{s}", ROLLS_BACK) for s in reversed(STEPS)],
    ("outcome-recorded:rolled-back", ROLLS_BACK),
    ("journal-cleared", ROLLS_BACK),
]


async def seeded(data_dir: Path) -> None:
    projection = await Projection.open(data_dir)
    try:
        items = [item(f"SKU{i:03d}", f"87{i:06d}") for i in range(20)]
        await projection.apply_page(page("catalog", 0, changes(items, 1)))
    finally:
        await projection.close()


def catalog_rows(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "state" / "edge.db") as conn:
        return int(conn.execute("SELECT count(*) FROM catalog_items").fetchone()[0])


def has_release_notes(data_dir: Path) -> bool:
    with sqlite3.connect(data_dir / "state" / "edge.db") as conn:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'release_notes'")
        return found.fetchone() is not None


def run_child(
    data_dir: Path, mode: str, point: str, archive: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.edge_agent.installer.install_child",
            str(data_dir),
            str(archive or data_dir.parent / "bundles" / f"{BUNDLE}.bundle"),
            str(data_dir.parent / "trusted"),
            mode,
            point,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def start_agent(data_dir: Path) -> str:
    """What a start does before the daemon runs (in a fresh process); a trial passes its gate."""
    script = (
        "import sys; from pathlib import Path;"
        "from edge_agent.installer import Recovery, ReleaseLayout, JournalFile;"
        "r = Recovery(ReleaseLayout(Path(sys.argv[1]))); d = r.prepare_start();"
        "j = JournalFile(r.layout).load();"
        "d.trial and r.begin_commit(j);"
        "print(ReleaseLayout(Path(sys.argv[1])).current_release())"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=True,
    )
    return out.stdout.strip()


def assert_one_whole_release(data_dir: Path, expected: str) -> None:
    layout = ReleaseLayout(data_dir)
    assert JournalFile(layout).load() is None
    shown = json.loads(edge("status", "--json", data_dir=data_dir).stdout)
    leftovers = [p.name for p in layout.root.iterdir() if p.name.startswith(".") and p.is_dir()]
    assert leftovers in ([], [".backup"]), leftovers
    assert catalog_rows(data_dir) == 20  # the replicated data survived either way
    if expected == INSTALLS:
        assert layout.current_release() == BUNDLE
        release = layout.release_dir(BUNDLE)
        assert (release / "manifest.json").is_file()
        assert (release / "lib" / "edge_agent" / "__init__.py").is_file()
        assert (release / "ui" / "index.html").is_file()
        assert has_release_notes(data_dir)
        assert shown["current_bundle"] == BUNDLE
        assert shown["last_known_good"] == BUNDLE
        assert shown["last_install"] == f"{BUNDLE}: installed"
    else:
        assert layout.current_release() == BASE_RELEASE
        assert not layout.release_dir(BUNDLE).exists()
        assert not has_release_notes(data_dir)
        assert shown["current_bundle"] == "base"
        assert shown["last_known_good"] == ""
        assert shown["last_install"].startswith(f"{BUNDLE}: rolled back at ")


@pytest.mark.parametrize(
    ("mode", "point", "expected"),
    [("commit", p, e) for p, e in COMMIT_POINTS] + [("rollback", p, e) for p, e in ROLLBACK_POINTS],
    ids=[f"commit-{p}" for p, _ in COMMIT_POINTS] + [f"rollback-{p}" for p, _ in ROLLBACK_POINTS],
)
async def test_sigkill_at_each_point_leaves_one_whole_release(
    tmp_path: Path, mode: str, point: str, expected: str
) -> None:
    data_dir = tmp_path / "edge"
    await seeded(data_dir)
    build_release(
        tmp_path / "bundles", BUNDLE, make_publisher(tmp_path / "trusted"), version="0.1.1"
    )
    killed = await asyncio.to_thread(run_child, data_dir, mode, point)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    assert killed.stdout.splitlines()[-1] == point
    current = await asyncio.to_thread(start_agent, data_dir)
    assert current == (BUNDLE if expected == INSTALLS else "base")
    assert_one_whole_release(data_dir, expected)
    # and a second start changes nothing
    assert await asyncio.to_thread(start_agent, data_dir) == current


async def test_the_parametrized_points_are_every_point_an_install_records(tmp_path: Path) -> None:
    """Guards the list above: an uninterrupted run records exactly these points."""
    data_dir = tmp_path / "edge"
    await seeded(data_dir)
    build_release(
        tmp_path / "bundles", BUNDLE, make_publisher(tmp_path / "trusted"), version="0.1.1"
    )
    for mode, listed in (("commit", COMMIT_POINTS), ("rollback", ROLLBACK_POINTS)):
        run = await asyncio.to_thread(run_child, data_dir, mode, "never")
        assert run.returncode == 0, run.stderr
        reached = run.stdout.splitlines()[:-1]
        if mode == "rollback":
            reached = reached[reached.index("rolling-back") :]
        assert reached == [p for p, _ in listed]
        os.replace(data_dir / "releases", tmp_path / f"releases-{mode}")


def has_table(data_dir: Path, name: str) -> bool:
    with sqlite3.connect(data_dir / "state" / "edge.db") as conn:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,))
        return found.fetchone() is not None


UPGRADE_POINTS = [
    ("commit", "step-applied:edge-projection", ROLLS_BACK),
    ("commit", "trial-started", ROLLS_BACK),
    ("commit", "current-switched", INSTALLS),
    ("commit", "journal-cleared", INSTALLS),
    ("rollback", "rolling-back", ROLLS_BACK),
    ("rollback", "step-undone:edge-projection", ROLLS_BACK),
]


@pytest.mark.parametrize(
    ("mode", "point", "expected"), UPGRADE_POINTS, ids=[f"{m}-{p}" for m, p, _ in UPGRADE_POINTS]
)
async def test_sigkill_during_an_upgrade_keeps_the_installed_release_or_the_new_one(
    tmp_path: Path, mode: str, point: str, expected: str
) -> None:
    data_dir, bundles = tmp_path / "edge", tmp_path / "bundles"
    await seeded(data_dir)
    key = make_publisher(tmp_path / "trusted")
    build_release(bundles, "2026.11.0", key, version="0.1.1")
    build_release(
        bundles,
        BUNDLE,
        key,
        version="0.1.2",
        migration="CREATE TABLE lanes (lane TEXT PRIMARY KEY)",
    )
    first = await asyncio.to_thread(
        run_child, data_dir, "commit", "never", bundles / "2026.11.0.bundle"
    )
    assert first.returncode == 0, first.stderr
    killed = await asyncio.to_thread(run_child, data_dir, mode, point)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    current = await asyncio.to_thread(start_agent, data_dir)
    layout = ReleaseLayout(data_dir)
    assert JournalFile(layout).load() is None
    assert catalog_rows(data_dir) == 20
    assert has_release_notes(data_dir)  # from the release installed before
    assert (layout.release_dir("2026.11.0") / "lib" / "edge_agent").is_dir()  # kept either way
    shown = json.loads(edge("status", "--json", data_dir=data_dir).stdout)
    if expected == INSTALLS:
        assert current == BUNDLE
        assert has_table(data_dir, "lanes")
        assert shown["last_known_good"] == BUNDLE
    else:
        assert current == "2026.11.0"
        assert not has_table(data_dir, "lanes")
        assert not layout.release_dir(BUNDLE).exists()
        assert shown["current_bundle"] == "2026.11.0"
        assert shown["last_known_good"] == "2026.11.0"
