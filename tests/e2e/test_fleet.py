"""The fleet reconciliation schedule and pass, through the ops CLI against a real dev server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.support.stack import cli, cloud_stack

pytestmark = pytest.mark.usefixtures("temporal_cli")


async def test_fleet_schedule_is_created_changed_and_never_overlaps(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        missing = await asyncio.to_thread(cli, stack, "fleet", "status")
        assert missing.returncode == 3
        assert "commerce-cloud fleet schedule" in missing.stderr

        made = await asyncio.to_thread(
            cli, stack, "fleet", "schedule", "--every", "1h", "--jitter", "5m"
        )
        assert made.returncode == 0, made.stderr
        changed = await asyncio.to_thread(
            cli,
            stack,
            "fleet",
            "schedule",
            "--every",
            "30m",
            "--jitter",
            "1m",
            "--concurrency",
            "4",
        )
        assert changed.returncode == 0, changed.stderr

        shown = await asyncio.to_thread(cli, stack, "fleet", "status", "--json")
        assert shown.returncode == 0, shown.stderr
        status = json.loads(shown.stdout)
        assert status["every"] == "0:30:00"
        assert status["jitter"] == "0:01:00"
        assert status["concurrency"] == 4
        assert status["overlap"] == "SKIP"
        assert status["paused"] is False


async def test_bad_schedule_settings_are_refused_before_temporal(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        for args, says in [
            (["--every", "soon"], "is not a duration"),
            (["--every", "10m", "--jitter", "10m"], "--jitter must be"),
            (["--concurrency", "0"], "--concurrency must be"),
        ]:
            refused = await asyncio.to_thread(cli, stack, "fleet", "schedule", *args)
            assert refused.returncode != 0
            assert says in refused.stderr + refused.stdout
        gone = await asyncio.to_thread(cli, stack, "fleet", "status")
        assert gone.returncode == 3  # nothing was created


async def test_a_pass_over_an_empty_fleet_completes(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        done = await asyncio.to_thread(cli, stack, "fleet", "reconcile", "--json")
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert "completed_at" in result
        # Zero counts are left out of the JSON, as protobuf does.
        assert {k: v for k, v in result.items() if k != "completed_at"} == {}
