"""The commerce-edge Debian package: build it once, then inspect, run and verify what it holds."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import require, require_mount_namespaces, require_tool

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "packaging" / "deb" / "build.sh"
UNIT = REPO / "systemd" / "commerce-edge.service"
PREFIX = "/opt/commerce-edge"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
# The interpreter build.sh builds the package's venv on (its default DEB_PYTHON).
DEB_PYTHON = "/usr/bin/python3"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, env=env
    )


@pytest.fixture(scope="session")
def edge_deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("dpkg-deb", "dpkg")
    if not Path(DEB_PYTHON).exists():
        require(
            f"Debian's {DEB_PYTHON}", "install the Debian package 'python3' (`make system-deps`)"
        )
    if _run(DEB_PYTHON, "-c", "import ensurepip").returncode != 0:
        require(
            f"the venv module of {DEB_PYTHON}",
            "install the Debian package 'python3-venv' (`make system-deps` does)",
        )
    out_dir = tmp_path_factory.mktemp("deb")
    built = _run(BUILD_SCRIPT, env={**os.environ, "OUT_DIR": str(out_dir)})
    assert built.returncode == 0, built.stderr[-4000:]
    deb = out_dir / f"commerce-edge_{VERSION}_amd64.deb"
    assert built.stdout.strip().splitlines()[-1] == str(deb)
    return deb


@pytest.fixture(scope="session")
def extracted(edge_deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("root")
    _run("dpkg-deb", "-x", edge_deb, root).check_returncode()
    _run("dpkg-deb", "-e", edge_deb, root / "DEBIAN").check_returncode()
    return root


@pytest.fixture(scope="session")
def contents(edge_deb: Path) -> list[str]:
    listing = _run("dpkg-deb", "--contents", edge_deb)
    listing.check_returncode()
    # "mode owner/group size date time ./path[ -> target]"
    return [line.split(maxsplit=5)[5].removeprefix(".") for line in listing.stdout.splitlines()]


def _in_final_place(extracted: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """Run `command` in a private mount namespace where the package's /opt tree is mounted."""
    require_mount_namespaces()
    script = (
        "set -e; mount -t tmpfs none /opt; mkdir /opt/commerce-edge; "
        f'mount --bind "{extracted}{PREFIX}" {PREFIX}; exec "$@"'
    )
    return _run("unshare", "-m", "sh", "-c", script, "sh", *command)


# Runs the maintainer scripts as dpkg would, in a private mount namespace whose /etc, /var/lib,
# /opt and /lib/systemd/system are throwaway copies: the host's users and units stay untouched.
_MAINTAINER_SCRIPTS = """
set -e
pkg=$1; scratch=$2
cp -a /etc "$scratch/etc"
mount -t tmpfs none /etc && cp -a "$scratch/etc/." /etc/
mount -t tmpfs none /var/lib
mount -t tmpfs none /lib/systemd/system
cp "$pkg/lib/systemd/system/commerce-edge.service" /lib/systemd/system/
cp -a "$pkg/etc/commerce-edge" /etc/
export DPKG_MAINTSCRIPT_PACKAGE=commerce-edge
wants=/etc/systemd/system/multi-user.target.wants/commerce-edge.service
DPKG_MAINTSCRIPT_NAME=postinst sh "$pkg/DEBIAN/postinst" configure >/dev/null
echo "user=$(getent passwd commerce-edge | cut -d: -f1,6,7)"
echo "state=$(stat -c '%U:%a' /var/lib/commerce-edge)"
echo "enabled=$(test -L $wants && echo yes || echo no)"
DPKG_MAINTSCRIPT_NAME=prerm sh "$pkg/DEBIAN/prerm" remove
DPKG_MAINTSCRIPT_NAME=postrm sh "$pkg/DEBIAN/postrm" remove
DPKG_MAINTSCRIPT_NAME=postrm sh "$pkg/DEBIAN/postrm" purge
echo "purged_state=$(test -e /var/lib/commerce-edge && echo present || echo gone)"
echo "purged_enabled=$(test -L $wants && echo yes || echo no)"
"""


def test_control_fields(edge_deb: Path) -> None:
    fields = _run("dpkg-deb", "--field", edge_deb, "Package", "Version", "Architecture", "Depends")
    fields.check_returncode()
    assert f"Version: {VERSION}" in fields.stdout
    assert "Package: commerce-edge" in fields.stdout
    assert "Architecture: amd64" in fields.stdout
    assert "python3 (>= 3.11)" in fields.stdout
    assert "tzdata" in fields.stdout  # trading calendars are read in the store's time zone


def test_package_holds_unit_config_binary_and_no_temporal(contents: list[str]) -> None:
    assert "/lib/systemd/system/commerce-edge.service" in contents
    assert "/etc/commerce-edge/agent.toml" in contents
    assert f"/usr/bin/commerce-edge -> {PREFIX}/bin/commerce-edge" in contents
    assert f"{PREFIX}/bin/commerce-edge" in contents
    assert not [p for p in contents if "/site-packages/temporalio" in p]
    assert not [p for p in contents if "/site-packages/cloud/" in p]
    assert not [p for p in contents if p.endswith("_temporal.py")]
    assert any("/site-packages/edge_agent/" in p for p in contents)


def test_config_is_a_conffile_and_scripts_are_valid(extracted: Path) -> None:
    conffiles = (extracted / "DEBIAN" / "conffiles").read_text().split()
    assert conffiles == ["/etc/commerce-edge/agent.toml"]
    tomllib.loads((extracted / "etc" / "commerce-edge" / "agent.toml").read_text())
    for script in ("postinst", "prerm", "postrm"):
        path = extracted / "DEBIAN" / script
        assert os.access(path, os.X_OK), script
        assert _run("sh", "-n", path).returncode == 0, script


def test_venv_names_its_final_path_only(extracted: Path) -> None:
    venv = extracted / PREFIX.lstrip("/")
    shebang = (venv / "bin" / "commerce-edge").read_text().splitlines()[0]
    assert shebang == f"#!{PREFIX}/bin/python"
    assert os.readlink(venv / "bin" / "python3") == "/usr/bin/python3"
    assert f"{PREFIX}\n" in (venv / "pyvenv.cfg").read_text()
    # The build stages the tree at <tmp>/root/opt/commerce-edge; nothing may remember that.
    leftovers = _run("grep", "-rlF", f"/root{PREFIX}", venv)
    assert leftovers.stdout == "", f"files naming the staging path: {leftovers.stdout[:500]}"
    assert not list(
        venv.glob("lib/python*/site-packages/ameide_commerce_process-*/direct_url.json")
    )


def test_packaged_cli_runs_from_the_extracted_tree(extracted: Path) -> None:
    venv = extracted / PREFIX.lstrip("/")
    helped = _run(venv / "bin" / "python", venv / "bin" / "commerce-edge", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "enroll" in helped.stdout
    assert "run" in helped.stdout
    no_temporal = _run(venv / "bin" / "python", "-c", "import temporalio")
    assert "No module named 'temporalio'" in no_temporal.stderr


def test_packaged_cli_runs_at_its_final_path(extracted: Path) -> None:
    shown = _in_final_place(extracted, f"{PREFIX}/bin/commerce-edge", "--version")
    assert shown.returncode == 0, shown.stderr
    assert VERSION in shown.stdout


def test_packaged_unit_passes_systemd_analyze_verify(extracted: Path) -> None:
    require_tool("systemd-analyze", "systemd")
    unit = extracted / "lib" / "systemd" / "system" / "commerce-edge.service"
    assert unit.read_text() == UNIT.read_text()
    verified = _in_final_place(extracted, "systemd-analyze", "verify", str(unit))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stderr == ""


def test_maintainer_scripts_create_user_enable_and_purge(extracted: Path, tmp_path: Path) -> None:
    require_mount_namespaces()
    # The package's dependencies, which its maintainer scripts call.
    require_tool("deb-systemd-helper", "init-system-helpers")
    require_tool("adduser", "adduser")
    ran = _run("unshare", "-m", "sh", "-c", _MAINTAINER_SCRIPTS, "sh", extracted, tmp_path)
    assert ran.returncode == 0, ran.stderr
    facts = dict(line.split("=", 1) for line in ran.stdout.splitlines() if "=" in line)
    assert facts["user"] == "commerce-edge:/var/lib/commerce-edge:/usr/sbin/nologin"
    assert facts["state"] == "commerce-edge:700"
    assert facts["enabled"] == "yes"
    assert facts["purged_state"] == "gone"
    assert facts["purged_enabled"] == "no"


@pytest.fixture
def unit_text() -> Iterator[str]:
    yield UNIT.read_text()


def test_unit_runs_the_agent_as_its_own_user_with_hardening(unit_text: str) -> None:
    lines = set(unit_text.splitlines())
    for directive in (
        f"ExecStart={PREFIX}/bin/commerce-edge run --data-dir /var/lib/commerce-edge",
        "User=commerce-edge",
        "StateDirectory=commerce-edge",
        "StateDirectoryMode=0700",
        "ConfigurationDirectory=commerce-edge",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/commerce-edge",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    ):
        assert directive in lines, directive
    assert any(line.startswith("TimeoutStopSec=") for line in lines)
    assert sys.platform.startswith("linux")
