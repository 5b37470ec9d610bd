"""Test support: what tests need from the machine, and the rule that CI never passes by skipping.

Test room: reads the environment, PATH and the project's cache directory; starts nothing. Loaded
as a pytest plugin by tests/conftest.py.

- `require(what, hint)` stops a test whose real server or tool is missing, naming what is
  missing and how to get it. Every fixture that needs a real part goes through it.
- Under CI (`CI` set to anything but empty/0/false/no) every skip is a failure: the hooks
  below turn skipped tests, skipped fixtures and skipped modules into failures that carry the
  skip's reason. This is the one place that maps "missing" to skip or fail. A test that runs
  only on request (e.g. recording histories) says so with `@pytest.mark.opt_in` and may skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import NoReturn

import pytest

from cloud.temporal.cli_binary import default_cache_dir, resolve_temporal_cli

CI_VARIABLE = "CI"
OPT_IN_MARKER = "opt_in"
_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """True when the `CI` variable says these tests run in continuous integration."""
    env = os.environ if environ is None else environ
    return env.get(CI_VARIABLE, "").strip().lower() not in _FALSE_WORDS


def require(what: str, hint: str) -> NoReturn:
    """Stop this test: `what` is missing, `hint` says how to get it (under CI it fails)."""
    pytest.skip(f"needs {what}: {hint}")


def require_tool(tool: str, debian_package: str) -> Path:
    """The path of the executable `tool`, or stop the test naming the package that has it."""
    found = shutil.which(tool)
    if found is None:
        require(
            f"`{tool}`",
            f"install the Debian package '{debian_package}' (`make system-deps` does)",
        )
    return Path(found)


def require_mount_namespaces() -> None:
    """Stop the test unless `unshare -m` works here (root, or unprivileged user namespaces)."""
    unshare = require_tool("unshare", "util-linux")
    probe = subprocess.run([unshare, "-m", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        require(
            "`unshare -m` (a private mount namespace)",
            f"run the tests as root or allow user namespaces ({probe.stderr.strip()})",
        )


def require_temporal_cli() -> Path:
    """The Temporal CLI binary the project resolves (no build attempted), or stop the test."""
    cli = resolve_temporal_cli(default_cache_dir(), allow_build=False)
    if cli is None:
        require(
            "the Temporal CLI binary (dev server)",
            f"run `make temporal-cli` (builds it with Go into {default_cache_dir()}/bin) "
            "or set TEMPORAL_CLI to an existing binary",
        )
    return cli


@pytest.fixture(scope="session")
def temporal_cli() -> Path:
    """The real Temporal CLI binary; `make temporal-cli` builds it."""
    return require_temporal_cli()


# The CI rule -----------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{OPT_IN_MARKER}: runs only on request (its reason says how); may skip even under CI",
    )


def _reason(longrepr: object) -> str:
    # A skip's longrepr is (path, line, "Skipped: <reason>").
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return str(text).removeprefix("Skipped: ")


def _as_ci_failure(reason: str) -> str:
    return (
        f"skipped under {CI_VARIABLE}={os.environ.get(CI_VARIABLE)}, where every test must run "
        f"against real servers: {reason}"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker(OPT_IN_MARKER) is None
        and in_ci()
    ):
        report.outcome = "failed"
        report.longrepr = _as_ci_failure(_reason(report.longrepr))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if report.skipped and in_ci():
        report.outcome = "failed"
        report.longrepr = _as_ci_failure(_reason(report.longrepr))
    return report
