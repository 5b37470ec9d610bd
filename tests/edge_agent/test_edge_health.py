"""The local health page: HTML for staff, JSON for monitors, 503 while not healthy."""

from __future__ import annotations

from pathlib import Path

import httpx

from edge_agent.health import HealthServer, gather_status


async def test_unenrolled_box_is_reported_unhealthy(tmp_path: Path) -> None:
    server = HealthServer("127.0.0.1", 0, lambda: gather_status(tmp_path))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            health = await http.get("/health.json")
            page = await http.get("/")
            missing = await http.get("/admin")
            posted = await http.post("/health.json")
    finally:
        await server.stop()
    assert health.status_code == 503
    assert health.json()["enrolled"] is False
    assert "not enrolled" in health.json()["problem"]
    assert page.status_code == 200
    assert "Needs attention" in page.text and "not enrolled" in page.text
    assert missing.status_code == 404
    assert posted.status_code == 405
