"""Installer room: start the agent on the release the journal chose, by replacing this process.

`commerce-edge run` (the Debian package's build, "base") settles the journal first
(`Recovery.prepare_start`) and then `exec`s the chosen release: the same interpreter and
dependencies, with the release's `lib/` first on `PYTHONPATH`, so systemd keeps supervising
one process. A restart after an install `exec`s the base build again, which settles the
journal anew. Touches only this process's environment and image.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import NoReturn

from edge_agent.installer._layout import BASE_RELEASE, ReleaseLayout

logger = logging.getLogger(__name__)

ENV_RELEASE = "COMMERCE_EDGE_RELEASE"  # set in a process exec'd onto a release
ENV_TRIAL = "COMMERCE_EDGE_TRIAL"  # "1" while that release runs on trial
ENV_BASE_PYTHONPATH = "COMMERCE_EDGE_BASE_PYTHONPATH"


@dataclass(frozen=True)
class RunningRelease:
    """The release this process runs, and whether it is on trial (health gate pending)."""

    bundle_id: str = BASE_RELEASE
    trial: bool = False

    @property
    def launched(self) -> bool:
        return self.bundle_id != BASE_RELEASE or ENV_RELEASE in os.environ


def running_release() -> RunningRelease | None:
    """What the launcher exec'd this process onto; None in a process nobody launched."""
    bundle_id = os.environ.get(ENV_RELEASE)
    if bundle_id is None:
        return None
    return RunningRelease(bundle_id, os.environ.get(ENV_TRIAL) == "1")


def _argv() -> list[str]:
    # -P: the working directory does not shadow the release's code on sys.path.
    return [sys.executable, "-P", "-m", "edge_agent", *sys.argv[1:]]


_PROBE_TIMEOUT_SECONDS = 120.0


def probe_release(layout: ReleaseLayout, bundle_id: str) -> str | None:
    """Whether release `bundle_id` can start at all: its agent imports and answers
    `--version` in a child process with the release's environment. None when it can; else
    what it said (the end of its error output)."""
    env = _release_env(layout, bundle_id, trial=False)
    try:
        done = subprocess.run(
            [sys.executable, "-P", "-m", "edge_agent", "--version"],
            env=env,
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"it did not answer within {_PROBE_TIMEOUT_SECONDS:.0f} s"
    except OSError as exc:
        return f"it could not be run: {exc}"
    if done.returncode == 0:
        return None
    lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line]
    return f"exit status {done.returncode}: {lines[-1] if lines else 'no output'}"


def _release_env(layout: ReleaseLayout, bundle_id: str, *, trial: bool) -> dict[str, str]:
    env = dict(os.environ)
    base_path = env.pop(ENV_BASE_PYTHONPATH, env.get("PYTHONPATH", ""))
    env[ENV_BASE_PYTHONPATH] = base_path
    if bundle_id == BASE_RELEASE:
        paths = [base_path] if base_path else []
    else:
        paths = [str(layout.release_dir(bundle_id) / "lib"), *([base_path] if base_path else [])]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        env.pop("PYTHONPATH", None)
    env[ENV_RELEASE] = bundle_id
    env[ENV_TRIAL] = "1" if trial else "0"
    return env


def exec_release(layout: ReleaseLayout, bundle_id: str, *, trial: bool) -> NoReturn:
    """Replace this process with the agent of release `bundle_id` ("base": the installed one)."""
    env = _release_env(layout, bundle_id, trial=trial)
    logger.info("starting release %s%s", bundle_id, " on trial" if trial else "")
    _flush()
    os.execve(sys.executable, _argv(), env)


def exec_restart() -> NoReturn:
    """Replace this process with the base build's `commerce-edge run`, which settles the
    journal and starts the release it names."""
    env = dict(os.environ)
    base_path = env.pop(ENV_BASE_PYTHONPATH, None)
    if base_path is not None:
        if base_path:
            env["PYTHONPATH"] = base_path
        else:
            env.pop("PYTHONPATH", None)
    env.pop(ENV_RELEASE, None)
    env.pop(ENV_TRIAL, None)
    logger.info("restarting the agent")
    _flush()
    os.execve(sys.executable, _argv(), env)


def _flush() -> None:
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
