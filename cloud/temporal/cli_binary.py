"""Finds (or builds) the Temporal CLI binary that runs the embedded dev server.

Touches only the file system, `PATH`, the project's cache directory and, as a last local
resort, the Go toolchain (`go install`). Run `python -m cloud.temporal.cli_binary` to ensure
the binary and print its path.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from shared.errors import ConfigError

logger = logging.getLogger(__name__)

ENV_CLI = "TEMPORAL_CLI"
ENV_CACHE_DIR = "COMMERCE_CACHE_DIR"
# Later tags of the CLI module carry a `replace` directive in go.mod, which `go install
# module@version` refuses; v1.5.1 is the newest tag that installs that way.
CLI_MODULE = "github.com/temporalio/cli/cmd/temporal"
CLI_VERSION = "v1.5.1"


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$COMMERCE_CACHE_DIR`, else `~/.cache/ameide-commerce`."""
    env = os.environ if environ is None else environ
    configured = env.get(ENV_CACHE_DIR)
    return Path(configured) if configured else Path.home() / ".cache" / "ameide-commerce"


def cached_cli_path(cache_dir: Path) -> Path:
    """Where the project's cache keeps the CLI binary."""
    return cache_dir / "bin" / "temporal"


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def resolve_temporal_cli(
    cache_dir: Path,
    *,
    allow_build: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Path | None:
    """Return the Temporal CLI to run, or None to let the SDK download one.

    Order: `$TEMPORAL_CLI`, `temporal` on `PATH`, `<cache_dir>/bin/temporal`, then (when
    `allow_build` and `go` is on `PATH`) `go install` of the pinned version into the cache.
    """
    env = os.environ if environ is None else environ
    configured = env.get(ENV_CLI)
    if configured:
        path = Path(configured).expanduser()
        if not _is_executable(path):
            raise ConfigError(
                f"{ENV_CLI}={configured} is not an executable file; point {ENV_CLI} at the "
                "Temporal CLI binary or unset it to use the one on PATH or in the cache"
            )
        return path
    search_path = env.get("PATH", os.defpath)
    on_path = shutil.which("temporal", path=search_path)
    if on_path:
        return Path(on_path)
    cached = cached_cli_path(cache_dir)
    if _is_executable(cached):
        return cached
    if not allow_build:
        return None
    go = shutil.which("go", path=search_path)
    if go is None:
        logger.info("no Temporal CLI and no Go toolchain found; the SDK will download the CLI")
        return None
    return _go_install(Path(go), cache_dir, env)


def _go_install(go: Path, cache_dir: Path, environ: Mapping[str, str]) -> Path | None:
    bin_dir = cache_dir / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    target = cached_cli_path(cache_dir)
    # One build at a time per cache: a second caller waits, then finds the binary.
    with (bin_dir / ".temporal-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_executable(target):
            return target
        logger.warning(
            "building the Temporal CLI %s with `go install` into %s; this takes a few minutes "
            "on first use (set %s to an existing binary to skip it)",
            CLI_VERSION,
            bin_dir,
            ENV_CLI,
        )
        started = time.monotonic()
        env = {**environ, "GOBIN": str(bin_dir)}
        command = [str(go), "install", f"{CLI_MODULE}@{CLI_VERSION}"]
        result = subprocess.run(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if result.returncode != 0 or not _is_executable(target):
            tail = "\n".join(result.stdout.strip().splitlines()[-20:])
            logger.error(
                "`%s` failed (exit %s); falling back to the SDK's download of the CLI:\n%s",
                " ".join(command),
                result.returncode,
                tail,
            )
            return None
        logger.info("built %s in %.0f s", target, time.monotonic() - started)
        return target


def main(argv: Sequence[str] | None = None) -> int:
    """Ensure the Temporal CLI is available and print its path (empty: the SDK downloads it)."""
    parser = argparse.ArgumentParser(
        prog="python -m cloud.temporal.cli_binary",
        description="Find or build the Temporal CLI used for the embedded dev server.",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help=f"cache directory (default: ${ENV_CACHE_DIR} or ~/.cache/ameide-commerce)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(levelname)s %(message)s", stream=sys.stderr)
    cache_dir: Path = args.cache_dir or default_cache_dir()
    try:
        path = resolve_temporal_cli(cache_dir)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if path is None:
        print(
            "no Temporal CLI found and it could not be built; the Temporal SDK will download "
            "it when the dev server first starts (needs internet)",
            file=sys.stderr,
        )
        return 0
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
