"""Smoke test of the custom-domain benchmark: `python -m bench.domains` with three hostnames end
to end (Pebble, pebble-challtestsrv, nginx, the dev server); figures are never judged, only that
every key was written and that every hostname ended up served."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import require_tool

pytestmark = [pytest.mark.timeout(300), pytest.mark.usefixtures("temporal_cli")]

KEYS = {
    "domains",
    "serving",
    "claim_to_serving_ms_p50",
    "claim_to_serving_ms_p99",
    "domains_per_minute",
    "nginx_reloads",
    "gateway_rss_mb",
}


def test_three_hostnames_are_served_and_the_figures_written(tmp_path: Path) -> None:
    for tool, package in (("pebble", "pebble"), ("nginx", "nginx")):
        require_tool(tool, package)
    out = tmp_path / "domains.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.domains", "--domains", "3", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result.keys() >= KEYS
    assert (result["domains"], result["serving"]) == (3, 3)
    assert result["nginx_reloads"] >= 1
