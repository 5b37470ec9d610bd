"""A trading calendar set from the cloud with `commerce-cloud sites calendar` reaches the real
agent (a new configuration generation over the real gateway) and holds its installs back:
deferred while the store trades in its own time zone, installed once a closed date is set."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from cloud.gateway.server import EdgeGateway
from tests.edge_agent.edge_process import agent_process
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.installer.bundles import build_release
from tests.edge_agent.installer.test_install_restart import (
    BUNDLE,
    env,
    install_command,
    publisher,
    result_of,
    started_versions,
)
from tests.edge_agent.installer.test_install_window import retryable_failure
from tests.edge_agent.installer.test_site_releases_in_cloud import cloud_cli
from tests.edge_agent.real_gateway import CloudSide
from tests.support.stack import eventually

ZONE = "Asia/Tokyo"  # not the site's provisioned zone: --tz changes it


def mark_ready(cloud: CloudSide) -> None:
    site = cloud.store.sites.get(SITE)
    assert site is not None
    cloud.store.sites.mark_ready(SITE, site.certificate_serial or "", 1, [])


async def test_calendar_set_from_the_cloud_defers_installs_during_trading_hours(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    build_release(site_dir.parent / "bundles", BUNDLE, publisher(site_dir), version="0.1.1")
    await asyncio.to_thread(mark_ready, cloud)
    today = dt.datetime.now(ZoneInfo(ZONE)).date().isoformat()
    async with agent_process(
        site_dir, env(site_dir, COMMERCE_EDGE_INSTALL_QUIESCE_MAX_SECONDS="1")
    ) as proc:
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        trading = await asyncio.to_thread(
            cloud_cli,
            cloud,
            "sites",
            "calendar",
            SITE,
            "--tz",
            ZONE,
            "--hours",
            "mon-fri 00:00-24:00",
            "--hours",
            "sat,sun 00:00-24:00",
            "--json",
        )
        assert trading.returncode == 0, trading.stderr
        applied = json.loads(trading.stdout)
        assert applied["state"] == "applied by the store's agent"
        assert applied["config_generation"] == 2
        assert applied["timezone"] == ZONE
        site = cloud.store.sites.get(SITE)
        assert site is not None
        assert (site.timezone, site.config_generation) == (ZONE, 2)

        await asyncio.to_thread(cloud.enqueue, install_command("install-1"), SITE)
        deferred = await retryable_failure(cloud, "install-1")
        assert "the store trades now" in deferred
        assert not (site_dir / "releases" / "current").exists()

        closed = await asyncio.to_thread(
            cloud_cli,
            cloud,
            "sites",
            "calendar",
            SITE,
            "--hours",
            "mon-sun 00:00-24:00",
            "--closed",
            today,
        )
        assert closed.returncode == 0, closed.stderr
        assert "configuration generation 3: applied by the store's agent" in closed.stdout
        shown = await asyncio.to_thread(cloud_cli, cloud, "sites", "show", SITE, "--json")
        site_json = json.loads(shown.stdout)
        assert site_json["timezone"] == ZONE
        assert site_json["config_generation"] == 3
        assert site_json["trading_calendar"]["closed_dates"] == [today]
        assert len(site_json["trading_calendar"]["hours"]) == 7

        await asyncio.to_thread(cloud.enqueue, install_command("install-2"), SITE)
        done = await result_of(cloud, "install-2", site_dir)
        assert done.bundle_install.current_bundle == BUNDLE, done
        assert started_versions(site_dir) == ["0.1.0", "0.1.1"]
        assert proc.returncode is None


async def test_bad_calendars_are_refused_and_nothing_is_stored(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    def run(*args: str) -> tuple[int, str]:
        out = cloud_cli(cloud, "sites", "calendar", SITE, *args, "--no-wait")
        return out.returncode, out.stderr

    code, err = await asyncio.to_thread(run, "--hours", "mon-fri 08:00-21:00")
    assert code == 2 and "not ready" in err and "--hours" in err  # not provisioned yet
    await asyncio.to_thread(mark_ready, cloud)
    for args, says in [
        (("--hours", "mon-fri 8-21"), "is not HH:MM"),
        (("--hours", "mon-fry 08:00-21:00"), "'mon-fry' is not a weekday"),
        (("--hours", "fri-mon 08:00-21:00"), "runs backwards"),
        (("--hours", "mon 08:00-25:00"), "is not a time of day"),
        (("--hours", "mon 08:00-08:00"), "leave a closed day out"),
        (("--hours", "08:00-21:00"), "write it as DAYS HH:MM-HH:MM"),
        (("--hours", "mon 08:00-21:00", "--closed", "2026-13-01"), "YYYY-MM-DD"),
        (("--hours", "mon 08:00-21:00", "--tz", "Mars/Olympus"), "not an IANA time zone"),
        ((), "give the store's opening hours with --hours"),
    ]:
        code, err = await asyncio.to_thread(run, *args)
        assert code == 2, (args, err)
        assert says in err, (args, err)
    assert cloud.store.site_calendars.get(SITE) is None
    assert cloud.store.commands.pending_for_site(SITE) == []
    site = cloud.store.sites.get(SITE)
    assert site is not None and site.timezone == "Europe/Amsterdam"
