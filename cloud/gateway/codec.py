"""Wire helpers of the gateway: decoders that turn undecodable requests into clear refusals.

Gateway room: pure functions over protobuf and grpc types; no state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError


class MalformedFrame:
    """Stands in for a request that did not decode, so the servicer can refuse it clearly."""

    def __init__(self, error: str) -> None:
        self.error = error


def decoder(message: Any) -> Callable[[bytes], Any]:
    """A request deserializer that returns `MalformedFrame` instead of raising."""

    def decode(data: bytes) -> Any:
        try:
            return message.FromString(data)
        except (DecodeError, ValueError) as exc:
            return MalformedFrame(f"{message.DESCRIPTOR.name} did not decode: {exc}")

    return decode


async def refuse_malformed(context: grpc.aio.ServicerContext[Any, Any], request: object) -> None:
    """Abort INVALID_ARGUMENT when `request` did not decode."""
    if isinstance(request, MalformedFrame):
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"malformed frame ({request.error}); agent and cloud may speak different protocol "
            "versions: upgrade the commerce-edge package",
        )


def unary_handler(
    service: str, method: str, behaviour: Any, request: Any, response: Any
) -> grpc.GenericRpcHandler[Any, Any]:
    """A generic handler for one unary method with the forgiving decoder."""
    return grpc.method_handlers_generic_handler(
        service,
        {
            method: grpc.unary_unary_rpc_method_handler(
                behaviour,
                request_deserializer=decoder(request),
                response_serializer=response.SerializeToString,
            )
        },
    )
