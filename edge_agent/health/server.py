"""The local health page: aiohttp on loopback, HTML for store staff, JSON at /health.json.

Serves whatever `report()` returns (the daemon passes its in-memory `LiveStatus`, so a request
never waits on the disk); writes nothing. aiohttp parses HTTP and answers what it refuses
(oversized request lines and headers: 400); this module adds 404/405 texts and no-store.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from edge_agent.health.report import StatusReport
from edge_agent.realtime.status import status_lines

logger = logging.getLogger(__name__)

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _ProtocolLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp logs every request it cannot parse with a traceback; for a page on a shop's
    LAN one line is enough. Failures of our own handlers keep their traceback."""

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            self.warning("health page refused a malformed request: %s", exc_info.message, **kwargs)
            return
        self.error(msg, *args, exc_info=exc_info, **kwargs)


class HealthServer:
    """`GET`/`HEAD` on `/` (HTML) and `/health.json` (503 while not healthy)."""

    def __init__(
        self,
        host: str,
        port: int,
        report: Callable[[], StatusReport],
        pos_ui_dir: Path | None = None,
    ) -> None:
        self._pos_ui_dir = pos_ui_dir
        self._host = host
        self._port = port
        self._report = report
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        if self._runner is None or not self._runner.addresses:
            return self._port
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        app = web.Application(middlewares=[_plain_errors])
        app.router.add_get("/", self._page)
        app.router.add_get("/index.html", self._page)
        app.router.add_get("/health.json", self._json)
        if self._pos_ui_dir is not None:
            # The POS UI of the running release (static files; aiohttp refuses `..` paths).
            app.router.add_get("/pos-ui/", self._pos_ui_index)
            app.router.add_static("/pos-ui/", self._pos_ui_dir, follow_symlinks=False)
        runner = web.AppRunner(
            app,
            access_log=None,
            logger=_ProtocolLog(logger, {}),
            keepalive_timeout=5,
            shutdown_timeout=2,
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        logger.info("health page on http://%s:%d/", self._host, self.port)
        if not _is_loopback(self._host):
            logger.warning(
                "the health page listens on %s, not on loopback: anyone who can reach this "
                "server can read the site's status",
                self._host,
            )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _page(self, _request: web.Request) -> web.Response:
        return web.Response(text=render_html(self._report()), content_type="text/html")

    async def _pos_ui_index(self, _request: web.Request) -> web.FileResponse:
        assert self._pos_ui_dir is not None
        return web.FileResponse(self._pos_ui_dir / "index.html")

    async def _json(self, _request: web.Request) -> web.Response:
        report = self._report()
        return web.Response(
            text=json.dumps(report.to_dict(), indent=2),
            content_type="application/json",
            status=200 if report.healthy else 503,
        )


@web.middleware
async def _plain_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Say what to do on 404/405; never let a cache keep a status page."""
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = web.Response(status=404, text="not found; try / or /health.json\n")
    except web.HTTPMethodNotAllowed as exc:
        response = web.Response(
            status=405,
            text="this page is read-only: use GET or HEAD\n",
            headers={"Allow": ", ".join(sorted(exc.allowed_methods))},
        )
    response.headers["Cache-Control"] = "no-store"
    return response


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
        ("Release", report.current_bundle),
        ("Last known good", report.last_known_good or "-"),
        ("Last install", report.last_install or "-"),
        (
            "Sales etc. waiting for the cloud",
            "-" if report.outbox_pending is None else str(report.outbox_pending),
        ),
    ]
    rows += [("Refused, never sent to the cloud", reason) for reason in report.outbox_refused]
    if report.projection_rebuilt:
        rows.append(("Local database", report.projection_rebuilt))
    rows += [
        (
            f"Stream {s.stream}",
            f"applied seq {s.applied_seq} of {s.head_seq}, {s.rows} rows"
            + (" (snapshot in progress)" if s.snapshot_in_progress else ""),
        )
        for s in report.streams
    ]
    if report.realtime is not None:
        rows += status_lines(report.realtime)
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
