"""Smoke test of the real-time benchmark: a tiny run of `python -m bench.realtime` end to end
(cloud child processes, a real `commerce-edge run`, the gateway frozen mid-load and resumed); the
figures are never judged, only that each was measured and that nothing was applied twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.timeout(420), pytest.mark.usefixtures("temporal_cli")]

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_run_measures_every_figure_and_applies_nothing_twice(tmp_path: Path) -> None:
    output = tmp_path / "realtime.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.realtime",
            "--ops",
            "60",
            "--offline-ops",
            "20",
            "--concurrency",
            "4",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(output.read_text())
    for key in ("ops_per_s", "latency_ms_p50", "latency_ms_p99", "offline_decision_ms_p99"):
        assert result[key] > 0, key
    assert result["double_applied"] == 0
    detail = result["detail"]
    assert detail["decided_by_cloud"] == 60
    assert detail["offline_decided_by_store"] >= 1
    assert detail["unsettled_after_resume"] == 0
    # The freeze cut answers in flight: the agent lost some and settled all of them.
    assert result["in_doubt"] >= 1
    assert detail["offline_decided_by_cloud_before_freeze"] >= 10
    assert detail["redemptions_made"] == detail["cents_taken_in_cloud"]
    assert detail["few_callers"]["ops"] == 30 and detail["few_callers"]["latency_ms_p50"] > 0
    assert all(ms > 0 for ms in detail["cpu_ms_per_op"].values()), detail["cpu_ms_per_op"]
