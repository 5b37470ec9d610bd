"""Wire helpers of the gateway: decoders that turn undecodable requests into clear refusals.

Gateway room: pure functions over protobuf and grpc types; no state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
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


def service_handler(
    service: ServiceDescriptor, behaviours: Mapping[str, Callable[..., Any]]
) -> grpc.GenericRpcHandler[Any, Any]:
    """The generic handler serving `behaviours` (method name -> coroutine) for `service`.

    Streaming shape and message types come from the proto's own descriptor, and every request
    goes through the forgiving `decoder`. A behaviour for a method the service does not
    declare, or a declared method left without one, is a programming error raised here."""
    declared = service.methods_by_name
    unknown = sorted(set(behaviours) - set(declared))
    missing = sorted(set(declared) - set(behaviours))
    if unknown or missing:
        raise ValueError(
            f"{service.full_name}: behaviours for undeclared methods {unknown}, "
            f"none for declared methods {missing}"
        )
    handlers = {}
    for name, behaviour in behaviours.items():
        method = declared[name]
        shape = _SHAPES[(method.client_streaming, method.server_streaming)]
        handlers[name] = shape(
            behaviour,
            request_deserializer=decoder(message_factory.GetMessageClass(method.input_type)),
            response_serializer=message_factory.GetMessageClass(
                method.output_type
            ).SerializeToString,
        )
    return grpc.method_handlers_generic_handler(service.full_name, handlers)


_SHAPES: dict[tuple[bool, bool], Callable[..., grpc.RpcMethodHandler[Any, Any]]] = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}
