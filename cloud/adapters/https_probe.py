"""The outside check of a storefront route: an HTTPS request with the hostname as SNI.

Adapter room: opens one TLS connection to the gateway's address (asyncio streams, never
blocking the loop), records the certificate the gateway presented and the answer to `GET /`;
touches nothing else. The certificate is compared by serial with the one just issued, which is
stronger than chain validation here: it proves the gateway serves *this* certificate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl

from cryptography import x509

from cloud.domains.gateway import GatewayNotServing, ProbeResult

logger = logging.getLogger(__name__)


async def probe_https(
    hostname: str, host: str, port: int, *, path: str = "/", timeout: float = 10.0
) -> ProbeResult:
    """GET `path` from `host:port` with SNI and Host `hostname`; GatewayNotServing when the
    gateway refuses the name, the connection fails or the answer is not HTTP."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=context, server_hostname=hostname
            )
            try:
                tls = writer.get_extra_info("ssl_object")
                der = tls.getpeercert(binary_form=True) if tls is not None else None
                request = (
                    f"GET {path} HTTP/1.1\r\nHost: {hostname}\r\nConnection: close\r\n"
                    "User-Agent: commerce-cloud-probe\r\n\r\n"
                )
                writer.write(request.encode())
                await writer.drain()
                raw = await reader.read()
            finally:
                writer.close()
                with contextlib.suppress(OSError, ssl.SSLError):
                    await writer.wait_closed()
    except (OSError, ssl.SSLError, TimeoutError) as error:
        raise GatewayNotServing(
            f"https://{hostname}/ via {host}:{port} did not answer: {error}"
        ) from error
    if der is None:
        raise GatewayNotServing(f"https://{hostname}/ via {host}:{port}: no certificate presented")
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise GatewayNotServing(
            f"https://{hostname}/ via {host}:{port} answered no HTTP status: {status_line!r}"
        )
    serial = format(x509.load_der_x509_certificate(der).serial_number, "x")
    return ProbeResult(
        hostname=hostname,
        certificate_serial_hex=serial,
        status=int(parts[1]),
        body=body.decode(errors="replace"),
    )
