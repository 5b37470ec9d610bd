"""The POS server's own lifecycle: a port already taken is a clear start-up error."""

from __future__ import annotations

import socket

import pytest

from ameide_core_proto.process.commerce.v1 import pos_pb2_grpc
from edge_agent.errors import AgentError
from edge_agent.pos import PosServer


async def test_a_taken_port_says_which_setting_to_change() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = PosServer("127.0.0.1", port, pos_pb2_grpc.PosServiceServicer())
        with pytest.raises(AgentError, match=f"127.0.0.1:{port}.*pos_address"):
            await server.start()
        await server.stop()
