"""The change-publish service: upstream systems append changes to the change log over gRPC.

Gateway room: a thin grpc.aio servicer over the change-log port (store calls run in a
thread). The one place that maps the log's errors to status codes: bad input is
INVALID_ARGUMENT (retrying cannot help; the message names the change index and field and
nothing was appended); an unreachable or locked store is UNAVAILABLE and a lost write race
ABORTED (both in `shared.grpc_status.TRANSIENT`: retry, with the same publish_id).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import grpc

from ameide_core_proto.process.commerce.v1 import sync_pb2
from cloud.adapters.store.errors import StoreError, StoreUnavailable
from cloud.gateway.codec import MalformedFrame, refuse_malformed, service_handler
from cloud.ports import ChangeLogPort
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)

MAX_CHANGES_PER_PUBLISH = 10_000


class PublishServicer:
    """Serves ChangePublishService.Publish."""

    def __init__(self, changes: ChangeLogPort) -> None:
        self._changes = changes

    def handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        return service_handler(
            sync_pb2.DESCRIPTOR.services_by_name["ChangePublishService"], {"Publish": self.publish}
        )

    async def publish(
        self,
        request: sync_pb2.PublishRequest | MalformedFrame,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> sync_pb2.PublishResponse:
        await refuse_malformed(context, request)
        assert isinstance(request, sync_pb2.PublishRequest)
        if not request.changes:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "the request holds no changes; send at least one"
            )
        if len(request.changes) > MAX_CHANGES_PER_PUBLISH:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"{len(request.changes)} changes in one publish is over the limit of "
                f"{MAX_CHANGES_PER_PUBLISH}; split it (each part under its own publish_id)",
            )
        try:
            result = await asyncio.to_thread(
                self._changes.append, list(request.changes), request.publish_id or None
            )
        except InvalidInput as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"nothing appended: {exc}")
        except StoreUnavailable as exc:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        except StoreError as exc:
            await context.abort(grpc.StatusCode.ABORTED, str(exc))
        logger.debug("publish %r appended %d", request.publish_id, result.appended)
        return sync_pb2.PublishResponse(
            appended=result.appended,
            heads=[
                sync_pb2.StreamCheckpoint(stream=stream, applied_seq=seq)
                for stream, seq in sorted(result.heads.items())
            ],
        )
