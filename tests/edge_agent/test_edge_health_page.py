"""The health page of a real `commerce-edge run` process, read with a real HTTP client."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from edge_agent.config import AgentConfig, split_host_port
from edge_agent.identity import load_identity
from tests.edge_agent.edge_fake_gateway import FakeGateway, TestCA, site_config_command
from tests.edge_agent.edge_process import agent_log, agent_process, free_port
from tests.edge_agent.edge_support import SITE, enroll_site


@dataclass
class Page:
    base: str
    port: int
    data_dir: Path


@pytest.fixture(scope="module")
async def page(test_ca: TestCA, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Page]:
    """One enrolled agent process, connected to a fake gateway, with config generation 5."""
    gateway = FakeGateway(test_ca)
    gateway.heartbeat_interval = 1
    await gateway.start()
    data_dir = tmp_path_factory.mktemp("health") / "edge"
    try:
        await enroll_site(gateway, data_dir)
        port = free_port()
        env = {"COMMERCE_EDGE_HEALTH_ADDRESS": f"127.0.0.1:{port}"}
        async with agent_process(data_dir, env) as proc:
            await gateway.wait_for_connections(1)
            gateway.commands.put_nowait(site_config_command("cmd-5", SITE, generation=5))
            result = await asyncio.wait_for(gateway.results.get(), 10)
            assert result.ok, result
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, timeout=5) as http:
                for _ in range(100):
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get("/health.json")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
            assert proc.returncode is None, agent_log(data_dir)
            yield Page(base, port, data_dir)
    finally:
        await gateway.stop()


async def test_json_shows_identity_certificate_connection_contact_and_config(
    page: Page,
) -> None:
    async with httpx.AsyncClient(base_url=page.base) as http:
        response = await http.get("/health.json")
    assert response.status_code == 200, agent_log(page.data_dir)[-3000:]
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    identity = load_identity(page.data_dir)
    assert body["site_id"] == SITE
    assert body["enrolled"] is True
    assert body["certificate_serial"] == identity.certificate.serial_hex
    assert body["certificate_not_after"] == identity.certificate.not_after.isoformat()
    assert 29 < body["certificate_days_left"] <= 30
    assert body["cloud_endpoint"] == identity.record.control_target()
    assert body["connection_state"] == "connected"
    assert body["last_contact_at"]
    assert body["config_generation"] == 5
    assert body["healthy"] is True and body["problem"] is None


async def test_html_page_tells_staff_the_same(page: Page) -> None:
    async with httpx.AsyncClient(base_url=page.base) as http:
        response = await http.get("/")
        index = await http.get("/index.html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert "Connected to the cloud" in text
    identity = load_identity(page.data_dir)
    for fact in (SITE, identity.certificate.serial_hex, "days left", "connected"):
        assert fact in text
    assert "<td>5</td>" in text  # applied config generation
    assert index.status_code == 200 and "Connected to the cloud" in index.text


async def test_head_answers_headers_without_a_body(page: Page) -> None:
    async with httpx.AsyncClient(base_url=page.base) as http:
        for path, kind in (("/", "text/html"), ("/health.json", "application/json")):
            response = await http.head(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith(kind)
            assert int(response.headers["content-length"]) > 0
            assert response.content == b""


async def test_unknown_path_is_404_with_a_hint(page: Page) -> None:
    async with httpx.AsyncClient(base_url=page.base) as http:
        response = await http.get("/admin")
    assert response.status_code == 404
    assert "/health.json" in response.text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_writing_methods_are_405(page: Page, method: str) -> None:
    async with httpx.AsyncClient(base_url=page.base) as http:
        response = await http.request(method, "/health.json", content=b"{}")
    assert response.status_code == 405
    assert {"GET", "HEAD"} <= {m.strip() for m in response.headers["allow"].split(",")}
    assert "read-only" in response.text


async def test_oversized_request_line_is_refused_and_the_page_stays_up(page: Page) -> None:
    async with httpx.AsyncClient(base_url=page.base) as http:
        refused = await http.get("/" + "a" * 9000)
        after = await http.get("/health.json")
    assert refused.status_code == 400  # aiohttp's answer to a line over its 8190-byte limit
    assert after.status_code == 200


async def test_oversized_or_too_many_headers_are_refused(page: Page) -> None:
    async with httpx.AsyncClient(base_url=page.base) as http:
        big = await http.get("/", headers={"X-Big": "b" * 9000})
        many = await http.get("/", headers={f"X-H{i}": "1" for i in range(200)})
        after = await http.get("/")
    assert big.status_code == 400
    assert many.status_code == 400
    assert after.status_code == 200
    assert "malformed request" in agent_log(page.data_dir)
    assert "Traceback" not in agent_log(page.data_dir)


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent; this picks the outgoing address
        except OSError:
            return None
        address = str(s.getsockname()[0])
    return None if address.startswith("127.") else address


async def test_page_is_on_loopback_only_by_default(page: Page) -> None:
    host, _port = split_host_port(AgentConfig().health_address)
    assert host == "127.0.0.1"
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"http://{address}:{page.port}/health.json")


async def test_page_turns_503_when_the_cloud_goes_away(
    gateway: FakeGateway, enrolled: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/health.json"
    env = {"COMMERCE_EDGE_HEALTH_ADDRESS": f"127.0.0.1:{port}"}
    async with agent_process(enrolled, env), httpx.AsyncClient(timeout=5) as http:
        await gateway.wait_for_connections(1)

        async def page_status() -> httpx.Response | None:
            with contextlib.suppress(httpx.TransportError):
                return await http.get(url)
            return None

        for _ in range(100):
            up = await page_status()
            if up is not None and up.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert up is not None and up.status_code == 200, agent_log(enrolled)[-3000:]

        await gateway.stop()
        for _ in range(100):
            down = await page_status()
            if down is not None and down.status_code == 503:
                break
            await asyncio.sleep(0.1)
        assert down is not None and down.status_code == 503, agent_log(enrolled)[-3000:]
        body = down.json()
        assert body["connection_state"] in {"disconnected", "connecting"}
        assert body["healthy"] is False
        assert body["site_id"] == SITE
        assert body["last_error"]
        page = await http.get(f"http://127.0.0.1:{port}/")
        assert "Needs attention" in page.text
