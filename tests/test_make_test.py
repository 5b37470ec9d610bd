"""`make test` (what .ci/run runs under `set -e`) fails on every pytest failure status, 5 included.

Runs the real Makefile's `test` recipe with its setup marked done (`make -o ...`) and `PY`
pointing at a stand-in interpreter that exits with a given pytest status (a stand-in, named
as such: the point is the recipe's handling of the status, not pytest).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.servers import require_tool

REPO = Path(__file__).resolve().parents[1]
# `make -o TARGET`: treat TARGET as up to date; `make test`'s own recipe is what runs.
SETUP_DONE = ("-o", "setup", "-o", "temporal-cli-present")


@pytest.mark.parametrize(
    ("status", "fails", "says"),
    [
        (pytest.ExitCode.OK, False, ""),
        (pytest.ExitCode.TESTS_FAILED, True, ""),
        (pytest.ExitCode.NO_TESTS_COLLECTED, True, "pytest collected no tests"),
    ],
    ids=["passed", "failed", "no-tests-collected"],
)
def test_make_test_passes_only_when_pytest_passes(
    tmp_path: Path, status: int, fails: bool, says: str
) -> None:
    make = require_tool("make", "make")
    stand_in = tmp_path / "stand-in-python"
    stand_in.write_text(f'#!/bin/sh\necho "pytest stand-in: $*"\nexit {int(status)}\n')
    stand_in.chmod(0o755)

    ran = subprocess.run(
        [make, "--no-print-directory", *SETUP_DONE, "test", f"PY={stand_in}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert "pytest stand-in: -m pytest" in ran.stdout, ran.stdout + ran.stderr
    assert (ran.returncode != 0) is fails, ran.stdout + ran.stderr
    assert says in ran.stderr
