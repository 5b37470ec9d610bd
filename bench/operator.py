"""Benchmark room: the operator against a real API server, Temporal dev server and host
worker/gateway processes (the same harness as tests/cloud/operator).

Prints a table (never pass/fail) and writes bench/results/operator.json:
- reconcile_ms_p50 / reconcile_ms_p99: a spec change (replicas of a pool) until the child
  Deployment carries it, over CHANGES changes, with one resource;
- the same with RESOURCES resources held (reconcile_ms_p50_held, _p99_held) and how long
  they took to all become Ready;
- detect_temporal_down_s: the dev server stopped until TemporalReachable is False;
- resources: how many CommerceProcess resources the one operator held.
Touches a temporary directory, loopback ports and the JSON it writes.
`python -m bench.operator [--changes 50] [--resources 50]`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._machine import machine_info, percentile, rss_mb

logger = logging.getLogger(__name__)

# The test harness is the one place that knows how to start a real API server and the
# operator's dependencies; it is loaded by name so the bench does not type-check test code.
_kube: Any = importlib.import_module("tests.support.kube")
_env: Any = importlib.import_module("tests.support.operator_env")


def _poll(predicate: Callable[[], Any], timeout: float, what: str, step: float = 0.02) -> float:
    """Seconds until `predicate()` is truthy; raises after `timeout`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what} not seen within {timeout}s")
        time.sleep(step)
    return time.monotonic() - started


def _replicas(env: Any, namespace: str, name: str) -> int | None:
    found = env.kube.get("Deployment", namespace, f"{name}-store-sites")
    return None if found is None else int(found["spec"].get("replicas", -1))


def _changes(env: Any, namespace: str, name: str, count: int, offset: int) -> list[float]:
    """Milliseconds from each spec change to the child Deployment carrying it."""
    latencies = []
    for i in range(count):
        replicas = (offset + i) % 7 + 1
        if _replicas(env, namespace, name) == replicas:
            replicas += 7
        resource = env.resource(namespace, name)
        resource["spec"]["workerPools"][0]["replicas"] = replicas
        started = time.monotonic()
        response = env.kube.apply(resource)
        assert response.status_code < 300, response.text
        wanted: int = replicas

        def carried(wanted: int = wanted) -> bool:
            return _replicas(env, namespace, name) == wanted

        _poll(carried, 60, f"change {i}")
        latencies.append((time.monotonic() - started) * 1000)
    return latencies


def _ready(env: Any, namespace: str, name: str) -> bool:
    return bool(env.conditions(namespace, name).get("Ready", {}).get("status") == "True")


async def run(changes: int, resources: int, check_interval: float, workdir: Path) -> dict[str, Any]:
    (workdir / "kube").mkdir()
    with _kube.kube_cluster(workdir / "kube") as kube:
        async with _env.operator_env(kube, workdir, check_interval=check_interval) as env:
            ns = env.namespace("bench")
            env.kube.apply(env.resource(ns, "r0"))
            await asyncio.to_thread(_poll, lambda: _ready(env, ns, "r0"), 120, "r0 Ready", 0.2)
            single = await asyncio.to_thread(_changes, env, ns, "r0", changes, 0)

            started = time.monotonic()
            for i in range(1, resources):
                env.kube.apply(env.resource(ns, f"r{i}"))
            names = [f"r{i}" for i in range(resources)]
            await asyncio.to_thread(
                _poll, lambda: all(_ready(env, ns, n) for n in names), 600, "all Ready", 1.0
            )
            all_ready_s = time.monotonic() - started
            held = await asyncio.to_thread(_changes, env, ns, "r0", changes, 3)
            operator_rss = rss_mb(env.operator.proc.pid)

            # From the moment the dev server is told to stop (its shutdown included).
            stopping = time.monotonic()
            await env.temporal.stop()
            try:
                await asyncio.to_thread(
                    _poll,
                    lambda: env.conditions(ns, "r0").get("TemporalReachable", {}).get("status")
                    == "False",
                    120, "TemporalReachable False", 0.1,
                )
                detect = time.monotonic() - stopping
            finally:
                await env.temporal.start()
            recover = await asyncio.to_thread(
                _poll,
                lambda: env.conditions(ns, "r0").get("TemporalReachable", {}).get("status")
                == "True",
                120, "TemporalReachable True", 0.1,
            )
    return {
        "reconcile_ms_p50": round(percentile(single, 50), 1),
        "reconcile_ms_p99": round(percentile(single, 99), 1),
        "reconcile_ms_p50_held": round(percentile(held, 50), 1),
        "reconcile_ms_p99_held": round(percentile(held, 99), 1),
        "changes": changes,
        "detect_temporal_down_s": round(detect, 2),
        "recover_temporal_s": round(recover, 2),
        "check_interval_s": check_interval,
        "resources": resources,
        "all_resources_ready_s": round(all_ready_s, 1),
        "operator_rss_mb": round(operator_rss, 1),
        "targets": {"reconcile_ms_p50": 1000, "reconcile_ms_p99": 5000,
                    "detect_temporal_down_s": 15, "resources": 50},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50, help="spec changes measured")
    parser.add_argument("--resources", type=int, default=50, help="resources held at once")
    parser.add_argument("--check-interval", type=float, default=5.0,
                        help="operator's dependency check interval (s)")
    parser.add_argument(
        "--output", type=Path, default=Path("bench/results/operator.json"), help="JSON figures"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="commerce-bench-operator-") as tmp:
        figures = asyncio.run(run(args.changes, args.resources, args.check_interval, Path(tmp)))
    machine = machine_info()
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        if key != "targets":
            print(f"  {key:<{width}}  {value}")
    print(f"machine: {machine}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({**figures, "machine": machine}, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
