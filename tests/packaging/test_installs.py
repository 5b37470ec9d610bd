"""Each side installs on its own: the wheel with only `[cloud]` or only `[edge]` in a fresh venv.

Builds the project wheel once, installs it into two new venvs from the package index (the pip
cache is welcome), then in each venv runs that side's console script and imports every module
of that side, found by walking the installed packages. A module that imports something its
extra does not declare fails here, whichever module it is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
# What goes into the wheel: the same list packaging/deb/build.sh copies.
SOURCES = ("pyproject.toml", "README.md", "cloud", "edge_agent", "shared", "proto")
# Per extra: its console script, the packages it must import, and the packages left to
# another extra (the operator is a deployable of its own: `[operator]` adds kopf to `[cloud]`).
SIDES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "cloud": ("commerce-cloud", ("cloud", "shared", "ameide_core_proto"), ("cloud.operator",)),
    "edge": ("commerce-edge", ("edge_agent", "shared"), ()),
    "operator": ("commerce-cloud", ("cloud.operator",), ()),
}
# The store server must never carry these (nor anything that needs them).
CLOUD_ONLY = ("temporalio", "sqlalchemy", "alembic", "psycopg")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Runs inside an installed venv (python -I: no script dir, no user site, no PYTHON* variables).
# argv: root package names. Prints JSON: every module found, where each root came from, and
# a traceback per module that failed. `__main__` modules run with --help instead of being
# imported (importing runs the program); an Alembic environment script (env.py beside
# script.py.mako) only works inside Alembic, so its migrations are run on a new SQLite file.
_PROBE = r"""
import importlib, json, pkgutil, subprocess, sys, tempfile, traceback
from pathlib import Path

found, origins, failed = [], {}, {}

def record(name):
    failed[name] = traceback.format_exc()

def run_alembic_env(directory):
    from alembic import command
    from alembic.config import Config
    with tempfile.TemporaryDirectory() as scratch:
        config = Config()
        config.set_main_option("script_location", str(directory))
        config.set_main_option("sqlalchemy.url", f"sqlite:///{scratch}/probe.db")
        command.upgrade(config, "head")

roots = [a for a in sys.argv[1:] if not a.startswith("!")]
skipped = tuple(a[1:] for a in sys.argv[1:] if a.startswith("!"))

def kept(name):
    return not any(name == s or name.startswith(s + ".") for s in skipped)

for root in roots:
    try:
        package = importlib.import_module(root)
    except Exception:
        record(root)
        continue
    found.append(root)
    origins[root] = package.__file__
    found.extend(m.name for m in pkgutil.walk_packages(package.__path__, root + ".", record))

found = [name for name in found if kept(name)]
failed = {name: tb for name, tb in failed.items() if kept(name)}

for name in found:
    if name in failed:
        continue
    parent, _, leaf = name.rpartition(".")
    try:
        if leaf == "__main__":
            done = subprocess.run([sys.executable, "-I", "-m", parent, "--help"],
                                  capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                failed[name] = f"python -m {parent} --help exited {done.returncode}:\n{done.stderr}"
            continue
        spec = importlib.util.find_spec(name)
        directory = Path(spec.origin).parent
        if leaf == "env" and (directory / "script.py.mako").exists():
            run_alembic_env(directory)
            continue
        importlib.import_module(name)
    except BaseException:
        record(name)

print(json.dumps({"prefix": sys.prefix, "found": found, "origins": origins, "failed": failed}))
"""


def _clean_env() -> dict[str, str]:
    """This process's environment minus anything that points Python at the dev venv."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("COMMERCE_")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != Path(sys.executable).parent
    )
    return env


def _run(*args: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=_clean_env(),
        timeout=timeout,
    )


def _checked(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, f"{' '.join(done.args)} exited {done.returncode}:\n" + (
        done.stdout[-3000:] + done.stderr[-3000:]
    )
    return done


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project wheel, built once from a clean copy (the worktree stays untouched)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for item in SOURCES:
        path = REPO / item
        if path.is_dir():
            shutil.copytree(path, source / item, ignore=ignore)
        else:
            shutil.copy2(path, source / item)
    out = work / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check"]
    _checked(_run(*build, "--no-deps", "--wheel-dir", out, source, cwd=work))
    (built,) = out.glob("*.whl")
    return built


def _install(side: str, wheel: Path, base: Path) -> Path:
    venv = base / f"venv-{side}"
    _checked(_run(sys.executable, "-m", "venv", venv, cwd=base))
    pip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
    _checked(_run(*pip, "install", "--quiet", f"{wheel}[{side}]", cwd=base))
    return venv


@pytest.fixture(scope="session")
def venvs(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Fresh venvs, one per extra (`[cloud]`, `[edge]`, `[operator]`), installed side by side."""
    base = tmp_path_factory.mktemp("installs")
    with ThreadPoolExecutor(max_workers=len(SIDES)) as pool:
        futures = {side: pool.submit(_install, side, wheel, base) for side in SIDES}
        yield {side: future.result() for side, future in futures.items()}


def _probe(venv: Path, roots: tuple[str, ...], cwd: Path) -> dict[str, Any]:
    done = _checked(_run(venv / "bin" / "python", "-I", "-c", _PROBE, *roots, cwd=cwd))
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize("side", sorted(SIDES))
def test_console_script_runs_with_only_its_extra(
    side: str, venvs: dict[str, Path], tmp_path: Path
) -> None:
    script, _, _ = SIDES[side]
    helped = _run(venvs[side] / "bin" / script, "--help", cwd=tmp_path)
    assert helped.returncode == 0, f"{script} --help with only [{side}]:\n{helped.stderr}"
    assert f"Usage: {script}" in helped.stdout


@pytest.mark.parametrize("side", sorted(SIDES))
def test_every_module_imports_with_only_its_extra(
    side: str, venvs: dict[str, Path], tmp_path: Path
) -> None:
    _, roots, skipped = SIDES[side]
    report = _probe(venvs[side], (*roots, *(f"!{name}" for name in skipped)), tmp_path)

    failures = "\n".join(f"--- {name}\n{tb}" for name, tb in report["failed"].items())
    assert not report["failed"], (
        f"modules that do not import with only [{side}] installed (declare the import in the "
        f"[{side}] extra of pyproject.toml, or drop it):\n{failures}"
    )
    # The walk ran in the installed venv, not on the source tree, and found every module the
    # source tree has (a module left out of the wheel fails here too).
    for root in roots:
        assert Path(report["origins"][root]).is_relative_to(report["prefix"]), report["origins"]
    source_modules = {
        name
        for root in roots
        if (REPO / root.replace(".", "/")).is_dir()
        for p in (REPO / root.replace(".", "/")).rglob("*.py")
        if p.name != "__init__.py"
        for name in [".".join(p.relative_to(REPO).with_suffix("").parts)]
        if not any(name == s or name.startswith(s + ".") for s in skipped)
    }
    assert source_modules <= set(report["found"]), sorted(source_modules - set(report["found"]))


def test_edge_install_holds_nothing_of_the_cloud(venvs: dict[str, Path], tmp_path: Path) -> None:
    check = (
        "import importlib.metadata as m, importlib.util as u, json, sys\n"
        "present = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        present[name] = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        if u.find_spec(name) is not None:\n"
        "            present[name] = 'importable'\n"
        "print(json.dumps(present))\n"
    )
    done = _checked(
        _run(venvs["edge"] / "bin" / "python", "-I", "-c", check, *CLOUD_ONLY, cwd=tmp_path)
    )
    assert json.loads(done.stdout) == {}
    # The same question asked of the cloud venv says yes: the check can tell the difference.
    done = _checked(
        _run(venvs["cloud"] / "bin" / "python", "-I", "-c", check, *CLOUD_ONLY, cwd=tmp_path)
    )
    assert set(json.loads(done.stdout)) == set(CLOUD_ONLY)
