"""Smoke test of the provisioning benchmark: a tiny run end to end, figures never judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.provision import BenchOptions, run_benchmark, write_result

pytestmark = [pytest.mark.timeout(240), pytest.mark.usefixtures("temporal_cli")]

RESULT_KEYS = {
    "sites",
    "seconds_to_all_ready",
    "latency_ms_p50",
    "latency_ms_p99",
    "connected_agents",
    "gateway_rss_mb",
    "machine",
    "measured_at",
}


async def test_three_sites_ready_and_five_agents_held(tmp_path: Path) -> None:
    options = BenchOptions(
        sites=3, agents_held=5, real_agents=1, hold_seconds=1.0, timeout_seconds=200.0
    )

    result = await run_benchmark(options)
    output = tmp_path / "provision.json"
    write_result(result, output)

    figures = json.loads(output.read_text())
    assert set(figures) == RESULT_KEYS
    assert figures["sites"] == 3
    assert sorted(result.site_latencies) == ["bench-00000", "bench-00001", "bench-00002"]
    # Every site, timed or only held, reached StoreSiteReady in the cloud's fact log.
    assert result.ready_facts == 5
    assert figures["connected_agents"] == 5
    assert result.control_tcp_connections == 5
    assert figures["gateway_rss_mb"] > 0
    assert {"cpu_model", "cores", "memory_gb", "python", "os"} <= set(figures["machine"])
