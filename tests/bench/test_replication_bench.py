"""Smoke test of the replication benchmark: a tiny run of `python -m bench.replication` end to
end (cloud child processes, a real `commerce-edge run`, mTLS on loopback); the figures are
never judged, only that every one was measured and that what was counted adds up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.timeout(420), pytest.mark.usefixtures("temporal_cli")]

ROOT = Path(__file__).resolve().parents[2]
RESULT_KEYS = {
    "raw_sqlite_rows_per_s",
    "downsync_rows_per_s",
    "downsync_vs_raw",
    "change_latency_ms_p50",
    "change_latency_ms_p99",
    "upsync_tx_per_s",
    "upsync_duplicates",
    "agent_peak_rss_mb",
    "machine",
}


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.replication", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )


def test_a_tiny_run_measures_every_figure_and_the_replayed_batches_add_nothing(
    tmp_path: Path,
) -> None:
    output = tmp_path / "replication.json"
    done = run_bench("--rows", "2000", "--writes", "20", "--sales", "200", "--output", str(output))
    assert done.returncode == 0, done.stdout + done.stderr

    figures = json.loads(output.read_text())
    assert set(figures) >= RESULT_KEYS
    for key in RESULT_KEYS - {"machine", "upsync_duplicates"}:
        assert isinstance(figures[key], int | float) and figures[key] > 0, (key, figures[key])
    assert figures["change_latency_ms_p50"] <= figures["change_latency_ms_p99"]
    assert {"cpu_model", "cores", "memory_gb", "python", "os"} <= set(figures["machine"])

    detail = figures["detail"]
    # The agent applied the whole catalog: 1,000 items and 1,000 prices (plus the synthetic
    # catalog's promotions and customers), each stream to the cloud's head.
    assert detail["downsync_catalog_price_rows"] == 2000
    assert detail["downsync_rows_applied"] == sum(detail["downsync_heads"].values())
    assert detail["change_writes"] == 20
    # Every sale reached the cloud once; every batch sent again was recognised as such.
    assert figures["upsync_duplicates"] == 0
    assert detail["cloud_sales_before_replay"] == detail["cloud_sales_after_replay"] == 200
    assert detail["replayed_batches"] >= 1
    assert (detail["replay_ingested"], detail["replay_duplicates_reported"]) == (0, 200)

    # The table names each figure beside its target.
    assert "downsync_rows_per_s" in done.stdout and ">= 100,000 rows/s" in done.stdout


def test_sizes_out_of_range_are_refused_before_anything_starts(tmp_path: Path) -> None:
    output = tmp_path / "replication.json"
    done = run_bench("--rows", "1", "--output", str(output))
    assert done.returncode == 2
    assert "--rows" in done.stderr and "1 is not in the range x>=2" in done.stderr
    assert not output.exists()
