"""The ops CLI as ops use it: JSON for scripts, tables for people, against a running cloud."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

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

        sites = json.loads((await asyncio.to_thread(cli, stack, "sites", "list", "--json")).stdout)
        assert [s["status"] for s in sites if s["site_id"] == "store-cli"] == ["ready"]
        facts = await asyncio.to_thread(cli, stack, "facts", "tail", "--json")
        lines = [json.loads(line) for line in facts.stdout.splitlines()]  # JSON lines
        assert [f["type"] for f in lines] == ["StoreSiteReady"]
        table = await asyncio.to_thread(cli, stack, "sites", "show", "store-cli")
        assert "Ready" in table.stdout and "CLI store" in table.stdout
