"""The demo's domain step: `shop.demo.test` claimed for a demo tenant, verified through DNS,
given a certificate by a local ACME CA and served over HTTPS by the local nginx gateway.

Composition room (demo): points the cloud's `[domains]` and `[domain_mapping]` settings at the
servers of `cloud.demo_servers`, sets the DNS records a merchant would set (challtestsrv's
management API), drives the domain service and workflows, and makes the HTTPS request a
shopper's browser would make; writes only the Pebble root under the servers' directory.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from temporalio.client import Client, WorkflowFailureError

from ameide_core_proto.process.commerce.v1 import conditions_pb2, domains_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import DomainWorkflowServiceClient
from cloud.adapters.demo_servers import LOOPBACK, DomainServers, missing_tools
from cloud.adapters.store import CloudStore
from cloud.adapters.temporal_domains import verify_workflow_id
from cloud.cli.output import console
from cloud.composition.domain_assembly import domain_service
from cloud.config import CloudConfig
from cloud.domains.errors import HostnameUnavailable
from cloud.domains.hostnames import InvalidHostname

DEMO_HOSTNAME = "shop.demo.test"
DEMO_TENANT = "demo-tenant"
DEMO_STOREFRONT = "demo-shop"
_WORKFLOW_TIMEOUT = 300.0


class DomainStepFailed(Exception):
    """A part of the demo's domain step did not end as it should; the message says which."""


def with_domain_servers(config: CloudConfig, servers: DomainServers) -> CloudConfig:
    """`config` with DNS answered by challtestsrv, Pebble as the CA and the demo's nginx."""
    domains = config.domains.model_copy(
        update={
            "dns_resolvers": [servers.dns_server],
            "dns_timeout_seconds": 2,
            "cname_target": "edge.storefront.localhost",
            "gateway_addresses": [LOOPBACK],
            "platform_domains": ["storefront.localhost"],
            "check_intervals_seconds": [1],
        }
    )
    mapping = config.domain_mapping.model_copy(
        update={
            "acme_directory_url": servers.directory_url,
            "acme_ca_bundle": str(servers.pebble_listener_ca),
            "caa_identity": "pebble.test",
            "webroot": servers.webroot,
            "nginx_binary": servers.nginx_binary,
            "nginx_main_config": servers.nginx_config,
            "nginx_prefix": servers.nginx_prefix,
            "nginx_pid_file": servers.nginx_pid_file,
            "nginx_sites_dir": servers.sites_dir,
            "nginx_certs_dir": servers.certs_dir,
            "https_listen": f"{LOOPBACK}:{servers.https_port}",
            "probe_host": LOOPBACK,
            "probe_port": servers.https_port,
            "default_storefront_upstream": servers.storefront_url,
            "dns01_publisher": "challtestsrv",
            "challtestsrv_url": servers.challtestsrv_url,
        }
    )
    return config.model_copy(update={"domains": domains, "domain_mapping": mapping})


async def _set_dns(servers: DomainServers, challenge_name: str, challenge_value: str) -> None:
    """The records the merchant sets at their DNS host: the TXT challenge and an A record
    (challtestsrv's default answers for other names are turned off first)."""
    async with httpx.AsyncClient(base_url=servers.challtestsrv_url, timeout=10.0) as dns:
        for path, body in (
            ("/set-default-ipv4", {"ip": ""}),
            ("/set-default-ipv6", {"ip": ""}),
            ("/set-txt", {"host": challenge_name.rstrip(".") + ".", "value": challenge_value}),
            ("/add-a", {"host": DEMO_HOSTNAME + ".", "addresses": [LOOPBACK]}),
        ):
            response = await dns.post(path, json=body)
            if response.status_code != 200:
                raise DomainStepFailed(
                    f"the demo DNS refused {path}: HTTP {response.status_code} {response.text}"
                )


def _https_get(hostname: str, port: int, cafile: Path) -> str:
    """GET / over HTTPS at 127.0.0.1:`port` as `hostname`, trusting only `cafile` (what the
    printed curl command does). Blocking; returns the status line and body."""
    context = ssl.create_default_context(cafile=str(cafile))
    transport = httpx.HTTPTransport(verify=context)
    with httpx.Client(transport=transport, timeout=10.0) as client:
        request = client.build_request(
            "GET", f"https://{LOOPBACK}:{port}/", headers={"Host": hostname},
            extensions={"sni_hostname": hostname},
        )  # fmt: skip
        response = client.send(request)
        return f"HTTP {response.status_code} {response.text.strip()}"


def _conditions(conditions: list[conditions_pb2.Condition]) -> str:
    true = conditions_pb2.CONDITION_STATUS_TRUE
    return "; ".join(f"{c.type}: {c.reason}" for c in conditions if c.status == true)


async def show_domains(
    config: CloudConfig, store: CloudStore, servers: DomainServers, client: Client
) -> str:
    """Claim, verify and map the demo hostname; return the curl command that shows it.

    Raises DomainStepFailed naming the step that did not end as it should.
    """

    async def connected() -> Client:
        return client

    connect: Callable[[], Awaitable[Client]] = connected
    service = domain_service(config, store, connect, actor="demo")
    try:
        claim = await service.claim(DEMO_TENANT, DEMO_HOSTNAME, DEMO_STOREFRONT)
    except (HostnameUnavailable, InvalidHostname) as refused:
        raise DomainStepFailed(f"claiming {DEMO_HOSTNAME} was refused: {refused}") from None
    console.print(
        f"domains: {DEMO_TENANT} claimed {DEMO_HOSTNAME}; DNS records set: "
        f"TXT {claim.challenge_name} and A {LOOPBACK}",
        highlight=False,
    )
    await _set_dns(servers, claim.challenge_name, claim.challenge_value)
    workflows = DomainWorkflowServiceClient(client)
    try:
        verify = workflows.get_verify_domain_claim_handle(verify_workflow_id(DEMO_HOSTNAME))
        verified = await asyncio.wait_for(verify.result(), _WORKFLOW_TIMEOUT)
        if not verified.verified:
            raise DomainStepFailed(
                f"VerifyDomainClaim did not verify {DEMO_HOSTNAME}: "
                f"{_conditions(list(verified.conditions))}"
            )
        console.print(
            f"domains: VerifyDomainClaim: {_conditions(list(verified.conditions))}",
            highlight=False,
        )
        run = await workflows.start_provision_domain_mapping(
            domains_pb2.ProvisionDomainMappingInput(
                tenant_id=DEMO_TENANT, storefront_id=DEMO_STOREFRONT, hostname=DEMO_HOSTNAME
            )
        )
        mapped = await asyncio.wait_for(run.result(), _WORKFLOW_TIMEOUT)
    except (WorkflowFailureError, TimeoutError) as exc:
        raise DomainStepFailed(f"the domain workflows did not finish: {exc}") from exc
    serving = {c.type: c for c in mapped.conditions}.get("Serving")
    if not mapped.certificate_serial or serving is None or serving.reason != "CertificateServed":
        raise DomainStepFailed(
            f"ProvisionDomainMapping did not serve {DEMO_HOSTNAME}: "
            f"{_conditions(list(mapped.conditions))}"
        )
    console.print(
        f"domains: ProvisionDomainMapping: certificate {mapped.certificate_serial} from the "
        f"local ACME CA; {_conditions(list(mapped.conditions))}",
        highlight=False,
    )
    root = servers.home / "pebble-root.pem"
    pem = await asyncio.to_thread(servers.issuer_root_pem)
    await asyncio.to_thread(root.write_text, pem)
    port = servers.https_port
    return (
        f"curl --resolve {DEMO_HOSTNAME}:{port}:{LOOPBACK} --cacert {root} "
        f"https://{DEMO_HOSTNAME}:{port}/"
    )


async def check_storefront(servers: DomainServers) -> str:
    """The answer of the printed curl command; DomainStepFailed when it is not the storefront's."""
    root = servers.home / "pebble-root.pem"
    try:
        answer = await asyncio.to_thread(_https_get, DEMO_HOSTNAME, servers.https_port, root)
    except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
        raise DomainStepFailed(
            f"https://{DEMO_HOSTNAME}/ did not answer over HTTPS: {exc}"
        ) from exc
    if answer != f"HTTP 200 demo storefront for {DEMO_HOSTNAME}":
        raise DomainStepFailed(f"https://{DEMO_HOSTNAME}/ answered {answer!r}")
    return answer


async def domain_step(
    config: CloudConfig,
    store: CloudStore,
    client: Client,
    servers: DomainServers | None,
    *,
    check: bool,
) -> bool:
    """The domain step, or the line saying what to install when its servers are missing;
    False (the reason printed) when it failed. With `check`, also makes the HTTPS request."""
    if servers is None:
        tools = missing_tools()
        console.print(
            f"[yellow]domains: skipped: {', '.join(sorted(tools))} not installed; install the "
            f"Debian packages {' '.join(sorted(set(tools.values())))} (`make setup` does)[/yellow]"
        )
        return True
    try:
        curl = await show_domains(config, store, servers, client)
        console.print(
            f"domains: the storefront over HTTPS: {curl}", highlight=False, soft_wrap=True
        )
        if check:
            answer = await check_storefront(servers)
            console.print(f"domains: that request answered: {answer}", highlight=False)
        return True
    except DomainStepFailed as exc:
        console.print(f"[red]domains demo failed: {exc}[/red]")
        return False
