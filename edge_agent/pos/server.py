"""POS room: the loopback grpc.aio server that carries PosService (start, port, graceful stop).

Plaintext on purpose: it listens on loopback only (POS software runs on the same server), as
`AgentConfig.pos_address` says; the servicer is built by the daemon and handed in.
"""

from __future__ import annotations

import logging

import grpc

from ameide_core_proto.process.commerce.v1 import pos_pb2_grpc
from edge_agent.errors import AgentError

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 5.0


class PosServer:
    """`await start()`, then `port`; `await stop()` lets calls in flight finish (bounded)."""

    def __init__(self, host: str, port: int, servicer: pos_pb2_grpc.PosServiceServicer) -> None:
        self._host = host
        self._requested_port = port
        self._server = grpc.aio.server()
        pos_pb2_grpc.add_PosServiceServicer_to_server(  # type: ignore[no-untyped-call]
            servicer, self._server
        )
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the POS server has not started")
        return self._port

    async def start(self) -> None:
        address = f"[{self._host}]" if ":" in self._host else self._host
        try:
            self._port = self._server.add_insecure_port(f"{address}:{self._requested_port}")
        except RuntimeError as exc:
            raise AgentError(
                f"cannot listen for POS software on {address}:{self._requested_port} ({exc}); "
                "free the port or set pos_address to another one (empty turns it off)"
            ) from exc
        await self._server.start()
        logger.info("POS API listening on %s:%d", address, self._port)

    async def stop(self) -> None:
        await self._server.stop(STOP_GRACE_SECONDS)
