"""A revoked site is refused by every service on the control port (control, sync, bundles,
realtime) within the one stated bound, `gateway_certificate_recheck_seconds`: the real cloud
stack (dev server, worker, gateway with mTLS) and a real enrolled certificate. The bounds below
are functional (detection within N s), not timings of the code."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import (
    bundles_pb2,
    bundles_pb2_grpc,
    edge_pb2,
    edge_pb2_grpc,
    realtime_pb2,
    realtime_pb2_grpc,
    sync_pb2,
    sync_pb2_grpc,
)
from tests.e2e.test_bad_input import enrolled_site, tls_channel
from tests.support.realtime_ops import load
from tests.support.stack import cloud_stack

pytestmark = pytest.mark.usefixtures("temporal_cli")

Call = Callable[[int], Awaitable[object]]

SLACK_SECONDS = 5.0  # the machine is shared: room for a slow poll, not part of the bound


def calls(channel: grpc.aio.Channel) -> dict[str, Call]:
    """One call per service; each passes the certificate check first, then is answered or
    refused for its own (non-identity) reason."""
    realtime = realtime_pb2_grpc.RealtimeServiceStub(channel)
    sync = sync_pb2_grpc.EdgeSyncServiceStub(channel)
    bundles = bundles_pb2_grpc.BundleServiceStub(channel)
    control = edge_pb2_grpc.EdgeControlServiceStub(channel)

    async def decide(n: int) -> object:
        return await realtime.Decide(
            realtime_pb2.DecideRequest(operation=load(f"bound-{n}", "GC-BOUND", 100))
        )

    async def pull(n: int) -> object:
        return await sync.PullChanges(sync_pb2.PullChangesRequest())

    async def download(n: int) -> object:
        return [r async for r in bundles.DownloadBundle(bundles_pb2.DownloadBundleRequest())]

    async def renew(n: int) -> object:
        return await control.RenewCertificate(edge_pb2.RenewCertificateRequest(csr_pem="junk"))

    return {"realtime": decide, "sync": pull, "bundles": download, "control": renew}


async def identity_refused(call: Call, n: int) -> grpc.aio.AioRpcError | None:
    """The refusal when the call was refused for the caller's identity, else None."""
    try:
        await call(n)
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
            return exc
    return None


@pytest.mark.parametrize("recheck_seconds", [0.0, 2.0])
async def test_a_revoked_site_is_refused_by_every_service_within_the_bound(
    tmp_path: Path, recheck_seconds: float
) -> None:
    async with cloud_stack(
        tmp_path / "cloud", gateway_certificate_recheck_seconds=recheck_seconds
    ) as stack:
        _, agent_dir = await enrolled_site(stack, "store-bound", tmp_path)
        assert stack.running.ports is not None
        async with tls_channel(stack, stack.running.ports.control, agent_dir) as channel:
            services = calls(channel)
            for name, call in services.items():
                assert await identity_refused(call, 0) is None, f"{name} refused a usable site"
            await asyncio.to_thread(stack.ops.sites.revoke, "store-bound", "stolen", "test")
            revoked_at = time.monotonic()
            if recheck_seconds == 0:
                # No bound to wait for: the very next call of every service is refused.
                for name, call in services.items():
                    refused = await identity_refused(call, 1)
                    assert refused is not None, f"{name} answered a revoked site"
                    assert "revoked or unknown" in (refused.details() or "")
                return
            pending = dict(services)
            n = 0
            while pending and time.monotonic() - revoked_at < recheck_seconds + SLACK_SECONDS:
                n += 1
                for name, call in list(pending.items()):
                    refused = await identity_refused(call, n)
                    if refused is not None:
                        assert "revoked or unknown" in (refused.details() or "")
                        del pending[name]
                await asyncio.sleep(0.1)
            assert not pending, (
                f"{sorted(pending)} still answered a revoked site "
                f"{recheck_seconds + SLACK_SECONDS:g} s after the revocation"
            )


def test_the_bound_is_checked_when_the_configuration_is_read(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from cloud.config import CloudConfig

    with pytest.raises(ValidationError, match="gateway_certificate_recheck_seconds"):
        CloudConfig(data_dir=tmp_path, gateway_certificate_recheck_seconds=-1)
