"""Test support: an HTTPS proxy in front of Pebble that can answer newOrder with an ACME 429.

Test room: listens on a free loopback port with the Pebble fixture's listener certificate and
forwards every request to Pebble unchanged (Host header included, so Pebble's directory and
JWS URL checks name the proxy); touches nothing else. While `rate_limit_orders` is set, a POST
to Pebble's newOrder URL gets `429` with `Retry-After` and an RFC 8555 `rateLimited` problem.
"""

from __future__ import annotations

import contextlib
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from tests.support.pebble import Pebble, free_port

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
_NEW_ORDER_PATH = "/order-plz"  # Pebble's newOrder URL path


@dataclass
class RateLimitingProxy:
    """Where the proxy listens; set `rate_limit_orders` to the Retry-After seconds to inject."""

    port: int
    rate_limit_orders: int | None = None
    injected: int = 0

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"


@contextlib.asynccontextmanager
async def rate_limiting_proxy(pebble: Pebble) -> AsyncIterator[RateLimitingProxy]:
    """Run the proxy in front of `pebble` for the block."""
    proxy = RateLimitingProxy(port=free_port())
    upstream_tls = ssl.create_default_context(cafile=str(pebble.ca_bundle))
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.StreamResponse:
        if (
            proxy.rate_limit_orders is not None
            and request.method == "POST"
            and request.path == _NEW_ORDER_PATH
        ):
            proxy.injected += 1
            problem = {
                "type": "urn:ietf:params:acme:error:rateLimited",
                "detail": "too many new orders recently",
                "status": 429,
            }
            return web.Response(
                status=429,
                body=json.dumps(problem).encode(),
                headers={
                    "Retry-After": str(proxy.rate_limit_orders),
                    "Content-Type": "application/problem+json",
                    "Connection": "close",
                },
            )
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        headers["Host"] = request.host
        async with session.request(
            request.method,
            f"https://127.0.0.1:{pebble.port}{request.path_qs}",
            headers=headers,
            data=await request.read(),
            ssl=upstream_tls,
            allow_redirects=False,
        ) as upstream:
            body = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS}
            out["Connection"] = "close"
            return web.Response(status=upstream.status, body=body, headers=out)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    listener_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    listener_tls.load_cert_chain(str(pebble.trust.cert_pem), str(pebble.trust.key_pem))
    site = web.TCPSite(runner, "127.0.0.1", proxy.port, ssl_context=listener_tls)
    await site.start()
    try:
        yield proxy
    finally:
        await runner.cleanup()
        await session.close()
