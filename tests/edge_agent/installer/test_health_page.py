"""The health page shows the release, last-known-good and last install, and serves the running
release's POS UI on loopback (real aiohttp server, real HTTP client)."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.health import HealthServer
from edge_agent.health.report import build_report


def report() -> object:
    installed = edge_pb2.InstalledBundles(
        current_bundle="2026.11.1",
        last_known_good="2026.11.1",
        last_install=edge_pb2.BundleInstallReport(
            bundle_id="2026.11.2",
            outcome=edge_pb2.BUNDLE_INSTALL_OUTCOME_ROLLED_BACK,
            failed_step="health-gate",
            message="the POS UI is not served on loopback",
        ),
    )
    return build_report(None, None, installed=installed)


async def test_page_and_json_show_the_releases_and_the_pos_ui_is_served(tmp_path: Path) -> None:
    ui = tmp_path / "ui"
    (ui / "assets").mkdir(parents=True)
    (ui / "index.html").write_text("<h1>POS 2026.11.1</h1>")
    (ui / "assets" / "app.js").write_text("console.log('pos')")
    (tmp_path / "secret.txt").write_text("not for the web")
    server = HealthServer("127.0.0.1", 0, report, ui)  # type: ignore[arg-type]
    await server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/") as page:
                html = await page.text()
            assert "2026.11.1" in html
            assert "2026.11.2: rolled back at health-gate: the POS UI is not served" in html
            async with http.get(f"{base}/health.json") as answer:
                data = await answer.json()
            assert data["current_bundle"] == "2026.11.1"
            assert data["last_known_good"] == "2026.11.1"
            async with http.get(f"{base}/pos-ui/") as index:
                assert index.status == 200
                assert await index.text() == "<h1>POS 2026.11.1</h1>"
            async with http.get(f"{base}/pos-ui/assets/app.js") as asset:
                assert asset.status == 200
            async with http.get(f"{base}/pos-ui/%2e%2e/secret.txt") as escape:
                assert escape.status in (403, 404)
                assert "not for the web" not in await escape.text()
    finally:
        await server.stop()
