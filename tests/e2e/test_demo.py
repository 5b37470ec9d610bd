"""End to end: `commerce-cloud demo --check`, what `make demo-check` runs, as a user runs it.

The demo starts the real Temporal dev server, the gateway, a real `commerce-edge` process,
pebble-challtestsrv, Pebble and nginx; the test reads what it printed and its exit code.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.servers import require_tool
from tests.support.stack import BIN

pytestmark = pytest.mark.usefixtures("temporal_cli")


def _demo(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "400"}
    env.pop("COMMERCE_CLOUD_CONFIG", None)
    return subprocess.run(
        [str(BIN / "commerce-cloud"), "--data-dir", str(data_dir / "cloud"), "demo", "--check"],
        capture_output=True, text=True, env=env, timeout=900, check=False,
    )  # fmt: skip


def test_demo_check_shows_realtime_domains_and_bundles(tmp_path: Path) -> None:
    for tool, package in (("pebble", "pebble"), ("pebble-challtestsrv", "pebble")):
        require_tool(tool, package)
    require_tool("nginx", "nginx")

    done = _demo(tmp_path)

    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-4000:]
    # Realtime: the cloud decided each gift card operation the till asked the store for.
    assert (
        "gift card redeem: approved by cloud (Approved): 12.50 EUR redeemed; balance 37.50 EUR"
        in out
    )
    assert "decided by the store" not in out
    # Domains: verified through DNS, a certificate from the CA, the storefront over HTTPS.
    assert "VerifyDomainClaim: Verified" in out
    assert "Serving: CertificateServed" in out
    curl = re.search(
        r"curl --resolve shop\.demo\.test:(\d+):127\.0\.0\.1 --cacert (\S+) "
        r"https://shop\.demo\.test:(\d+)/",
        out,
    )
    assert curl is not None, out
    assert curl.group(1) == curl.group(3)
    assert Path(curl.group(2)).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert "that request answered: HTTP 200 demo storefront for shop.demo.test" in out
    # Bundles: built, allowed by the matrix, published, with the command that rolls it out.
    published = re.search(r"bundles: published (demo-\d+) ", out)
    assert published is not None, out
    assert f"compat check {published.group(1)}: allowed by compatibility matrix" in out
    assert f"rollouts start {published.group(1)} --ring pilot --site store-001" in out
    listed = subprocess.run(
        [str(BIN / "commerce-cloud"), "--data-dir", str(tmp_path / "cloud"), "bundles", "list",
         "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert published.group(1) in listed.stdout, listed.stderr
