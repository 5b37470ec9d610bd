"""Bad input at every door: a clear refusal, and no half-created site or certificate."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from temporalio.client import WorkflowFailureError

from ameide_core_proto.process.commerce.v1 import edge_pb2, edge_pb2_grpc, store_site_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    StoreSiteWorkflowServiceClient,
)
from edge_agent.identity.keys import build_csr
from shared.errors import InvalidInput
from tests.support.stack import (
    Stack,
    agent_process,
    agent_status,
    cli,
    cloud_stack,
    enroll_agent,
    eventually,
)

pytestmark = pytest.mark.usefixtures("temporal_cli")


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with cloud_stack(tmp_path_factory.mktemp("cloud"), max_message_bytes=64 * 1024) as s:
        yield s


def csr_for(site_id: str) -> str:
    """A CSR for `site_id` made the way the agent makes one, with a fresh key."""
    return build_csr(ec.generate_private_key(ec.SECP256R1()), site_id)


async def renew_refusal(stack: Stack, agent_dir: Path, site_id: str) -> grpc.aio.AioRpcError:
    """Ask for a certificate of `site_id` with the identity in `agent_dir`; return the refusal."""
    port = stack.running.ports.control  # type: ignore[union-attr]
    async with tls_channel(stack, port, agent_dir) as channel:
        stub = edge_pb2_grpc.EdgeControlServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.RenewCertificate(edge_pb2.RenewCertificateRequest(csr_pem=csr_for(site_id)))
    return refused.value


def tls_channel(stack: Stack, port: int, agent_dir: Path | None = None) -> grpc.aio.Channel:
    ca = (stack.config.pki_dir / "site-ca.crt").read_bytes()
    if agent_dir is None:
        creds = grpc.ssl_channel_credentials(root_certificates=ca)
    else:
        creds = grpc.ssl_channel_credentials(
            root_certificates=ca,
            private_key=(agent_dir / "identity" / "site.key").read_bytes(),
            certificate_chain=(agent_dir / "identity" / "site.crt").read_bytes(),
        )
    return grpc.aio.secure_channel(f"localhost:{port}", creds)


async def enrolled_site(stack: Stack, site_id: str, root: Path) -> tuple[object, Path]:
    handle, status = await stack.provision(site_id)
    agent_dir = root / site_id
    done = await enroll_agent(stack.enrollment(status), agent_dir)
    assert done.returncode == 0, done.stderr
    return handle, agent_dir


@pytest.mark.parametrize(
    ("site_id", "why"),
    [
        ("Store_1", "invalid site id"),
        ("../../etc/passwd", "invalid site id"),
        ("a", "invalid site id"),
        ("store-1\nX-Injected: 1", "invalid site id"),
    ],
)
async def test_cli_refuses_invalid_site_ids(stack: Stack, site_id: str, why: str) -> None:
    out = await asyncio.to_thread(
        cli,
        stack,
        "sites",
        "provision",
        site_id,
        "--channel",
        "web-eu",
        "--name",
        "x",
        "--timezone",
        "UTC",
    )
    assert out.returncode == 2
    assert why in out.stderr and "Traceback" not in out.stderr
    assert stack.store.sites.list() == [] or all(
        s.site_id != site_id for s in stack.store.sites.list()
    )


async def test_cli_refuses_unknown_channel_and_bad_timezone(stack: Stack) -> None:
    out = await asyncio.to_thread(
        cli,
        stack,
        "sites",
        "provision",
        "store-x1",
        "--channel",
        "nope",
        "--name",
        "x",
        "--timezone",
        "UTC",
    )
    assert out.returncode == 2 and "sales channel 'nope' does not exist" in out.stderr
    out = await asyncio.to_thread(
        cli,
        stack,
        "sites",
        "provision",
        "store-x1",
        "--channel",
        "web-eu",
        "--name",
        "x",
        "--timezone",
        "Mars/Olympus",
    )
    assert out.returncode == 2 and "not an IANA time zone" in out.stderr
    assert stack.store.sites.get("store-x1") is None


async def test_workflow_refuses_unknown_channel_without_partial_state(stack: Stack) -> None:
    client = StoreSiteWorkflowServiceClient(stack.running.client)
    with pytest.raises(WorkflowFailureError) as failure:
        await client.execute_provision_store_site(
            store_site_pb2.ProvisionStoreSiteInput(
                site_id="store-x2",
                sales_channel_id="ghost",
                name="x",
                timezone="UTC",
                agent_version="0.1.0",
            )
        )
    assert "sales channel 'ghost' does not exist" in str(failure.value.cause)
    assert stack.store.sites.get("store-x2") is None


async def test_incompatible_agent_version_is_refused(stack: Stack) -> None:
    out = await asyncio.to_thread(
        cli,
        stack,
        "sites",
        "provision",
        "store-old",
        "--channel",
        "web-eu",
        "--name",
        "x",
        "--timezone",
        "UTC",
        "--agent-version",
        "0.0.1",
    )
    assert out.returncode == 2 and "older than the oldest supported" in out.stderr
    assert stack.store.sites.get("store-old") is None


async def test_wrong_ca_fingerprint_is_refused_before_the_token_is_sent(
    stack: Stack, tmp_path: Path
) -> None:
    _, status = await stack.provision("store-fp")
    enrollment = stack.enrollment(status)
    out = await enroll_agent(enrollment, tmp_path / "a", fingerprint="ab" * 32)
    assert out.returncode == 1 and "fingerprint" in out.stderr
    assert not (tmp_path / "a" / "identity" / "site.crt").exists()
    token = stack.store.tokens.get(status.bootstrap_token_id)
    assert token is not None and token.used_at is None
    assert stack.store.certificates.for_site("store-fp") == []


async def test_reused_token_with_another_key_is_refused(stack: Stack, tmp_path: Path) -> None:
    _, status = await stack.provision("store-reuse")
    enrollment = stack.enrollment(status)
    first = await enroll_agent(enrollment, tmp_path / "first")
    assert first.returncode == 0, first.stderr
    second = await enroll_agent(enrollment, tmp_path / "second")
    assert second.returncode == 1
    assert "already used by another key" in second.stderr
    assert len(stack.store.certificates.for_site("store-reuse")) == 1


async def test_expired_token_is_refused(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud", bootstrap_token_ttl_hours=1 / 3600) as stack:
        _, status = await stack.provision("store-exp")
        await asyncio.sleep(1.5)
        out = await enroll_agent(stack.enrollment(status), tmp_path / "a")
        assert out.returncode == 1 and "expired" in out.stderr
        assert stack.store.certificates.for_site("store-exp") == []


async def test_garbage_tokens_are_refused(stack: Stack, tmp_path: Path) -> None:
    _, status = await stack.provision("store-gt")
    enrollment = stack.enrollment(status)
    forged = enrollment.token[:-4] + "AAAA"
    out = await enroll_agent(enrollment, tmp_path / "a", token=forged)
    assert out.returncode == 1 and "not recognised" in out.stderr
    out = await enroll_agent(enrollment, tmp_path / "b", token="not-a-token")
    assert out.returncode == 2 and "must look like" in out.stderr


async def test_csr_for_another_site_than_the_token_is_refused(stack: Stack) -> None:
    _, status = await stack.provision("store-csr")
    enrollment = stack.enrollment(status)
    async with tls_channel(stack, stack.running.ports.enroll) as channel:  # type: ignore[union-attr]
        stub = edge_pb2_grpc.EdgeEnrollmentServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.Enroll(
                edge_pb2.EnrollRequest(
                    bootstrap_token=enrollment.token,
                    csr_pem=csr_for("store-victim"),
                    agent_version="0.1.0",
                )
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "CSR asks for site store-victim" in (refused.value.details() or "")
        with pytest.raises(grpc.aio.AioRpcError) as garbage:
            await stub.Enroll(
                edge_pb2.EnrollRequest(
                    bootstrap_token=enrollment.token,
                    csr_pem="-----BEGIN nonsense",
                    agent_version="x",
                )
            )
        assert garbage.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert stack.store.certificates.for_site("store-csr") == []
    assert stack.store.certificates.for_site("store-victim") == []


async def test_site_a_cannot_act_as_site_b(stack: Stack, tmp_path: Path) -> None:
    _, a_dir = await enrolled_site(stack, "store-a", tmp_path)
    b_handle, _ = await enrolled_site(stack, "store-b", tmp_path)
    # B's agent is not running, so B's configuration command waits in its queue.
    b_command = "provision-store-site/store-b/apply-site-config/1"
    await eventually(lambda: stack.store.commands.get(b_command) is not None)

    renew = await renew_refusal(stack, a_dir, "store-b")
    assert renew.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "may not request a certificate for site store-b" in (renew.details() or "")

    async with tls_channel(stack, stack.running.ports.control, a_dir) as channel:  # type: ignore[union-attr]
        stub = edge_pb2_grpc.EdgeControlServiceStub(channel)

        call = stub.Connect()
        await call.write(edge_pb2.ConnectRequest(hello=edge_pb2.AgentHello(agent_version="0.1.0")))
        welcome = await call.read()
        assert welcome.welcome.site_id == "store-a"  # the site comes from the certificate
        await call.write(
            edge_pb2.ConnectRequest(
                command_result=edge_pb2.CommandResult(command_id=b_command, ok=True)
            )
        )
        with pytest.raises(grpc.aio.AioRpcError) as hijack:
            while True:
                await call.read()
        assert hijack.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "not addressed to site store-a" in (hijack.value.details() or "")
    command = stack.store.commands.get(b_command)
    assert command is not None and command.status in ("pending", "delivered")
    assert (await b_handle.get_provision_status()).step == (  # type: ignore[attr-defined]
        store_site_pb2.PROVISION_STEP_CONFIGURING
    )


async def test_garbage_and_oversized_frames_are_refused(stack: Stack, tmp_path: Path) -> None:
    _, a_dir = await enrolled_site(stack, "store-g", tmp_path)
    method = "/ameide_core_proto.process.commerce.v1.EdgeControlService/Connect"
    async with tls_channel(stack, stack.running.ports.control, a_dir) as channel:  # type: ignore[union-attr]
        raw = channel.stream_stream(method)  # bytes in, bytes out
        call = raw()
        await call.write(b"\xff\xff\xff\xff garbage")
        with pytest.raises(grpc.aio.AioRpcError) as garbage:
            await call.read()
        assert garbage.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "malformed frame" in (garbage.value.details() or "")

        call = raw()
        await call.write(b"\x0a" + b"\x80\x80\x10" + b"x" * (256 * 1024))
        with pytest.raises(grpc.aio.AioRpcError) as oversized:
            await call.read()
        assert oversized.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_revoked_site_is_cut_off_at_once(stack: Stack, tmp_path: Path) -> None:
    handle, a_dir = await enrolled_site(stack, "store-rev", tmp_path)
    async with agent_process(a_dir):
        await handle.result()  # type: ignore[attr-defined]
        out = await asyncio.to_thread(
            cli, stack, "sites", "revoke", "store-rev", "--reason", "stolen"
        )
        assert out.returncode == 0, out.stderr

        async def rejected() -> bool:
            return (await agent_status(a_dir))["connection_state"] == "rejected"

        await eventually(rejected, timeout=20)
    refused = await renew_refusal(stack, a_dir, "store-rev")
    assert refused.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "revoked" in (refused.details() or "")
    site = stack.store.sites.get("store-rev")
    assert site is not None and site.status == "revoked"
    # The revocation is in the fact log too, as ops read it.
    tail = await asyncio.to_thread(
        cli, stack, "facts", "tail", "--subject", "site/store-rev", "--json"
    )
    assert tail.returncode == 0, tail.stderr
    facts = [json.loads(line) for line in tail.stdout.splitlines()]
    assert [f["type"] for f in facts] == ["StoreSiteReady", "StoreSiteRevoked"]
    assert facts[1]["store_site_revoked"] == {"site_id": "store-rev", "reason": "stolen"}


async def test_running_provisioning_with_other_inputs_is_refused(stack: Stack) -> None:
    await stack.provision("store-busy")
    with pytest.raises(InvalidInput, match="already being provisioned with other inputs"):
        await stack.provision("store-busy", name="Another name")
    site = stack.store.sites.get("store-busy")
    assert site is not None and site.name == "Store store-busy"


async def test_garbage_on_the_enrollment_port_is_refused(stack: Stack) -> None:
    method = "/ameide_core_proto.process.commerce.v1.EdgeEnrollmentService/Enroll"
    async with tls_channel(stack, stack.running.ports.enroll) as channel:  # type: ignore[union-attr]
        with pytest.raises(grpc.aio.AioRpcError) as garbage:
            await channel.unary_unary(method)(b"\xff\xfe not a protobuf")
    assert garbage.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "EnrollRequest did not decode" in (garbage.value.details() or "")
