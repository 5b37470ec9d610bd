"""Under CI a test that cannot get its real server fails, naming what was missing; locally it skips.

Runs pytest in a subprocess, with the suite's plugin (tests/support/servers.py), on tiny test
files that need things this machine does not have.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

TINY_TESTS = """
import pytest

from tests.support.servers import require, require_tool


def test_needs_a_server():
    require("the Frobnicator server", "install the Debian package 'frobnicator'")


def test_needs_a_tool():
    require_tool("frobnicate-ctl-that-does-not-exist", "frobnicator-tools")


@pytest.mark.skipif(True, reason="no Widget service on this machine")
def test_marked_skip():
    pass


@pytest.fixture(scope="session")
def gadget():
    pytest.skip("no Gadget daemon")


def test_fixture_skip(gadget):
    pass


def test_uses_the_real_temporal_cli_fixture(temporal_cli):
    pass


@pytest.mark.opt_in
@pytest.mark.skipif(True, reason="records only on request")
def test_on_request_only():
    pass


def test_plain():
    assert True
"""

SKIPPED_MODULE = """
import pytest

pytest.skip("no Doohickey broker", allow_module_level=True)


def test_never_collected():
    pass
"""

# What each skip names; under CI every one of them must appear in a failure.
MISSING = (
    "the Frobnicator server",
    "frobnicate-ctl-that-does-not-exist",
    "no Widget service on this machine",
    "no Gadget daemon",
    "the Temporal CLI binary",
    "no Doohickey broker",
)


def _pytest(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_tiny.py").write_text(TINY_TESTS)
    (tmp_path / "test_skipped_module.py").write_text(SKIPPED_MODULE)
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TEMPORAL_CLI", "PYTHONPATH")}
    env |= {
        "PYTHONPATH": str(REPO),
        # Nowhere to find a Temporal CLI: an empty cache and a PATH without one.
        "COMMERCE_CACHE_DIR": str(empty),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
    }
    if ci is not None:
        env["CI"] = ci
    command = [
        sys.executable, "-m", "pytest", "-p", "tests.support.servers", "-p", "no:cacheprovider",
        "--rootdir", str(tmp_path), "-o", "asyncio_default_fixture_loop_scope=function",
        "-rA", "-q", "--color=no", "--continue-on-collection-errors",
        "test_tiny.py", "test_skipped_module.py",
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("ci", ["true", "1"])
def test_under_ci_a_missing_server_fails_and_names_it(tmp_path: Path, ci: str) -> None:
    ran = _pytest(tmp_path, ci)
    out = ran.stdout + ran.stderr

    assert ran.returncode == pytest.ExitCode.TESTS_FAILED, out
    failures = [
        line
        for line in out.splitlines()
        if line.startswith(("FAILED", "ERROR")) and "skipped under CI=" in line
    ]
    for what in MISSING:
        assert any(what in line for line in failures), f"{what!r} not named as a failure:\n{out}"
    assert "install the Debian package 'frobnicator'" in out
    assert "1 passed" in out
    # A test that runs only on request still skips, and says why.
    assert "SKIPPED [1] test_tiny.py" in out
    assert "records only on request" in out


@pytest.mark.parametrize("ci", [None, "false", "0", ""])
def test_without_ci_a_missing_server_skips_and_names_it(tmp_path: Path, ci: str | None) -> None:
    ran = _pytest(tmp_path, ci)
    out = ran.stdout + ran.stderr

    assert ran.returncode == pytest.ExitCode.OK, out
    assert "failed" not in out
    assert "error" not in out.lower()
    skipped = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    for what in MISSING:
        assert any(what in line for line in skipped), f"{what!r} not named as a skip:\n{out}"
    assert "1 passed" in out
