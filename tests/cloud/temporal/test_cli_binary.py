"""Resolution order of the Temporal CLI binary (env var, PATH, cache, go install)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cloud.temporal.cli_binary import (
    cached_cli_path,
    default_cache_dir,
    main,
    resolve_temporal_cli,
)
from shared.errors import ConfigError


def _fake_executable(path: Path, body: str = "exit 0") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    return {
        "env": tmp_path / "env" / "temporal",
        "path": tmp_path / "on-path",
        "cache": tmp_path / "cache",
        "empty": tmp_path / "empty-path",
    }


def test_env_var_wins_over_path_and_cache(dirs: dict[str, Path]) -> None:
    env_cli = _fake_executable(dirs["env"])
    _fake_executable(dirs["path"] / "temporal")
    _fake_executable(cached_cli_path(dirs["cache"]))
    environ = {"TEMPORAL_CLI": str(env_cli), "PATH": str(dirs["path"])}
    assert resolve_temporal_cli(dirs["cache"], environ=environ) == env_cli


def test_env_var_pointing_nowhere_is_an_error_naming_it(dirs: dict[str, Path]) -> None:
    _fake_executable(dirs["path"] / "temporal")
    environ = {"TEMPORAL_CLI": str(dirs["env"]), "PATH": str(dirs["path"])}
    with pytest.raises(ConfigError, match="TEMPORAL_CLI"):
        resolve_temporal_cli(dirs["cache"], environ=environ)


def test_env_var_pointing_at_non_executable_is_an_error(dirs: dict[str, Path]) -> None:
    dirs["env"].parent.mkdir(parents=True)
    dirs["env"].write_text("not a program")
    with pytest.raises(ConfigError, match="TEMPORAL_CLI"):
        resolve_temporal_cli(dirs["cache"], environ={"TEMPORAL_CLI": str(dirs["env"])})


def test_path_wins_over_cache(dirs: dict[str, Path]) -> None:
    on_path = _fake_executable(dirs["path"] / "temporal")
    _fake_executable(cached_cli_path(dirs["cache"]))
    environ = {"PATH": str(dirs["path"])}
    assert resolve_temporal_cli(dirs["cache"], environ=environ) == on_path


def test_cache_is_used_when_nothing_else(dirs: dict[str, Path]) -> None:
    cached = _fake_executable(cached_cli_path(dirs["cache"]))
    dirs["empty"].mkdir()
    assert resolve_temporal_cli(dirs["cache"], environ={"PATH": str(dirs["empty"])}) == cached


def test_none_when_nothing_found_and_no_build(dirs: dict[str, Path]) -> None:
    dirs["empty"].mkdir()
    environ = {"PATH": str(dirs["empty"])}
    assert resolve_temporal_cli(dirs["cache"], allow_build=False, environ=environ) is None
    # No Go on PATH either: the SDK's download is the last resort.
    assert resolve_temporal_cli(dirs["cache"], environ=environ) is None


def test_go_install_targets_the_cache_with_the_pinned_version(dirs: dict[str, Path]) -> None:
    # A stand-in `go` records its arguments and GOBIN and "builds" by writing the binary there.
    record = dirs["path"] / "go-args"
    _fake_executable(
        dirs["path"] / "go",
        f'echo "$@ GOBIN=$GOBIN" > {record}\nprintf "#!/bin/sh\\n" > "$GOBIN/temporal"\n'
        '/bin/chmod +x "$GOBIN/temporal"',
    )
    result = resolve_temporal_cli(dirs["cache"], environ={"PATH": str(dirs["path"])})
    assert result == cached_cli_path(dirs["cache"])
    assert record.read_text().split() == [
        "install",
        "github.com/temporalio/cli/cmd/temporal@v1.5.1",
        f"GOBIN={dirs['cache'] / 'bin'}",
    ]


def test_failed_go_install_falls_back_to_sdk_download(dirs: dict[str, Path]) -> None:
    _fake_executable(dirs["path"] / "go", "echo 'go: module lookup failed' >&2\nexit 1")
    assert resolve_temporal_cli(dirs["cache"], environ={"PATH": str(dirs["path"])}) is None


def test_default_cache_dir_honours_environment(tmp_path: Path) -> None:
    assert default_cache_dir({"COMMERCE_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert default_cache_dir({}) == Path.home() / ".cache" / "ameide-commerce"


def test_module_prints_the_resolved_path(dirs: dict[str, Path]) -> None:
    cached = _fake_executable(cached_cli_path(dirs["cache"]))
    dirs["empty"].mkdir()
    env = {**os.environ, "PATH": str(dirs["empty"])}
    env.pop("TEMPORAL_CLI", None)
    out = subprocess.run(
        [sys.executable, "-m", "cloud.temporal.cli_binary", "--cache-dir", str(dirs["cache"])],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(cached)


def test_module_reports_bad_env_var(
    dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TEMPORAL_CLI", str(dirs["env"]))
    assert main(["--cache-dir", str(dirs["cache"])]) == 2
    assert "TEMPORAL_CLI" in capsys.readouterr().err
