"""The gateway's handler builder refuses a servicer that does not match its proto service."""

from __future__ import annotations

import pytest

from ameide_core_proto.process.commerce.v1 import sync_pb2
from cloud.gateway.codec import service_handler

_SYNC = sync_pb2.DESCRIPTOR.services_by_name["EdgeSyncService"]


async def _behaviour(request: object, context: object) -> None:
    return None


def test_a_declared_method_without_a_behaviour_is_named() -> None:
    with pytest.raises(ValueError, match=r"none for declared methods \['PushRecords'\]"):
        service_handler(_SYNC, {"PullChanges": _behaviour})


def test_a_behaviour_for_an_undeclared_method_is_named() -> None:
    with pytest.raises(ValueError, match=r"undeclared methods \['Pull'\]"):
        service_handler(_SYNC, {"Pull": _behaviour, "PullChanges": _behaviour,
                                "PushRecords": _behaviour})  # fmt: skip
