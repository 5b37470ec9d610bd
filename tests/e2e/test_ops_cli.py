"""The ops CLI as ops use it: JSON for scripts, tables for people, against a running cloud."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from tests.support.stack import (
    agent_process,
    cli,
    cloud_stack,
    edge,
    eventually,
)

pytestmark = pytest.mark.usefixtures("temporal_cli")


async def test_ops_provision_a_store_from_the_cli(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        made = await asyncio.to_thread(
            cli, stack, "channels", "create", "web-nl", "--name", "Web NL", "--json"
        )
        assert made.returncode == 0, made.stderr
        listed = json.loads(
            (await asyncio.to_thread(cli, stack, "channels", "list", "--json")).stdout
        )
        assert {c["channel_id"] for c in listed} >= {"web-eu", "web-nl"}

        started = await asyncio.to_thread(
            cli, stack, "sites", "provision", "store-cli", "--channel", "web-nl",
            "--name", "CLI store", "--timezone", "Europe/Amsterdam", "--no-wait", "--json",
            "--hours", "mon-fri 08:00-21:00", "--closed", "2026-12-25",
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        out = json.loads(started.stdout)
        command = out["enrollment"]["command"]
        assert command.startswith("commerce-edge enroll --cloud ")
        token = out["enrollment"]["token"]

        shown = json.loads(
            (await asyncio.to_thread(cli, stack, "sites", "token", "store-cli", "--json")).stdout
        )
        assert shown["token"] == token

        agent_dir = tmp_path / "store"
        args = command.split()[2:]  # what an installer pastes, after `commerce-edge enroll`
        enrolled = await asyncio.to_thread(edge, "enroll", *args, data_dir=agent_dir)
        assert enrolled.returncode == 0, enrolled.stderr
        async with agent_process(agent_dir):

            def ready() -> bool:
                site = stack.store.sites.get("store-cli")
                return site is not None and site.status == "ready"

            await eventually(ready, timeout=60)

        # the agent keeps the calendar it was provisioned with, and so does the cloud
        with sqlite3.connect(agent_dir / "state" / "edge.db") as conn:
            (config_pb,) = conn.execute("SELECT config_pb FROM site_config").fetchone()
        calendar = store_site_pb2.SiteConfig.FromString(config_pb).trading_calendar
        assert [(h.weekday, h.opens, h.closes) for h in calendar.hours] == [
            (day, "08:00", "21:00") for day in range(1, 6)
        ]
        assert list(calendar.closed_dates) == ["2026-12-25"]
        stored = stack.store.site_calendars.get("store-cli")
        assert stored is not None and stored.calendar == calendar
        bad = await asyncio.to_thread(
            cli, stack, "sites", "provision", "store-cli2", "--channel", "web-nl",
            "--name", "CLI store", "--timezone", "Europe/Amsterdam", "--no-wait",
            "--hours", "mon-fri 08:00-21:00", "--closed", "2026-02-30",
        )  # fmt: skip
        assert bad.returncode == 2 and "--closed '2026-02-30': not a date" in bad.stderr
        assert stack.store.sites.get("store-cli2") is None

        sites = json.loads((await asyncio.to_thread(cli, stack, "sites", "list", "--json")).stdout)
        assert [s["status"] for s in sites if s["site_id"] == "store-cli"] == ["ready"]
        facts = await asyncio.to_thread(cli, stack, "facts", "tail", "--json")
        lines = [json.loads(line) for line in facts.stdout.splitlines()]  # JSON lines
        assert [f["type"] for f in lines] == ["StoreSiteReady"]
        table = await asyncio.to_thread(cli, stack, "sites", "show", "store-cli")
        assert "Ready" in table.stdout and "CLI store" in table.stdout
