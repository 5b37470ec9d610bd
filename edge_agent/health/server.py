"""The local health page: read-only HTTP on loopback, HTML for store staff, JSON at /health.json.

Serves `gather_status` over asyncio streams; reads files and the projection, writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
from collections.abc import Callable
from http import HTTPStatus

from edge_agent.health.report import StatusReport

logger = logging.getLogger(__name__)

_MAX_REQUEST_LINE = 4096


class HealthServer:
    """`GET /` (HTML) and `GET /health.json`; 503 on /health.json while not healthy."""

    def __init__(self, host: str, port: int, report: Callable[[], StatusReport]) -> None:
        self._host = host
        self._port = port
        self._report = report
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        if self._server is None or not self._server.sockets:
            return self._port
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)
        logger.info("health page on http://%s:%d/", self._host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=5)
            while True:  # skip headers; nothing here depends on them
                header = await asyncio.wait_for(reader.readline(), timeout=5)
                if header in (b"\r\n", b"\n", b""):
                    break
            status, content_type, body = self._respond(line[:_MAX_REQUEST_LINE])
            head = (
                f"HTTP/1.1 {status.value} {status.phrase}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _respond(self, request_line: bytes) -> tuple[HTTPStatus, str, bytes]:
        parts = request_line.decode("latin-1").split()
        if len(parts) < 2 or parts[0] not in {"GET", "HEAD"}:
            return HTTPStatus.METHOD_NOT_ALLOWED, "text/plain", b"only GET\n"
        path = parts[1].split("?", 1)[0]
        if path == "/health.json":
            report = self._report()
            status = HTTPStatus.OK if report.healthy else HTTPStatus.SERVICE_UNAVAILABLE
            body = json.dumps(report.to_dict(), indent=2).encode()
            return status, "application/json", body
        if path in {"/", "/index.html"}:
            return HTTPStatus.OK, "text/html; charset=utf-8", render_html(self._report()).encode()
        return HTTPStatus.NOT_FOUND, "text/plain", b"not found; try / or /health.json\n"


def render_html(report: StatusReport) -> str:
    """A page a store manager can read: one verdict line, then the facts."""
    verdict = "Connected to the cloud" if report.healthy else "Needs attention"
    colour = "#1b7f3b" if report.healthy else "#b3261e"
    rows = [
        ("Site", report.site_id or "not enrolled"),
        ("Connection", report.connection_state),
        ("Since", report.connection_since or "-"),
        ("Last contact with cloud", report.last_contact_at or "never"),
        ("Last error", report.last_error or "-"),
        ("Applied config generation", str(report.config_generation)),
        ("Certificate serial", report.certificate_serial or "-"),
        (
            "Certificate valid until",
            f"{report.certificate_not_after} ({report.certificate_days_left} days left)"
            if report.certificate_not_after
            else "-",
        ),
        ("Cloud endpoint", report.cloud_endpoint or "-"),
        ("Problem", report.problem or "none"),
    ]
    table = "\n".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='refresh' content='10'><title>Store server health</title>"
        "<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:2em}"
        "</style></head><body>"
        f"<h1 style='color:{colour}'>{html.escape(verdict)}</h1>"
        f"<table>{table}</table></body></html>\n"
    )
