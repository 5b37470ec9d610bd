"""Wiring of ProvisionDomainMapping and RevokeDomainMapping into the commerce-domains worker.

Composition room: builds the ACME issuer (account key and challenge solvers), the key sealer,
the nginx gateway, the HTTPS probe and the DNS resolver from `[domain_mapping]` and `[domains]`
settings; `cloud.composition.domain_worker` adds what `mapping_workflows` and
`mapping_activities` return (and hands in the renewal starter over its Temporal client).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ameide_core_proto._temporal_runtime import check_workflow_implementation
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    PROVISION_DOMAIN_MAPPING,
    RENEW_DOMAIN_MAPPING,
    REVOKE_DOMAIN_MAPPING,
)
from cloud.activities.blocking import BlockingPools
from cloud.activities.domain_mapping import DomainMappingActivities
from cloud.adapters.acme import (
    DNS_01,
    HTTP_01,
    AcmeIssuer,
    AcmeSettings,
    ChallengeSolver,
    new_account_key,
)
from cloud.adapters.challenge_solvers import (
    DelegatedDns01Solver,
    Dns01Publisher,
    WebrootHttp01Solver,
)
from cloud.adapters.dns import DnsResolver
from cloud.adapters.dns01_publishers import ChallTestSrvPublisher, Rfc2136Publisher
from cloud.adapters.https_probe import probe_https
from cloud.adapters.nginx_gateway import NginxGateway, NginxSettings
from cloud.adapters.sealed_keys import KeySealer
from cloud.adapters.store import CloudStore
from cloud.config import CloudConfig
from cloud.domains.mapping_config import DomainMappingConfig
from cloud.domains.mapping_ports import RenewalRunsPort
from cloud.workflows.domain_mapping import (
    ProvisionDomainMappingWorkflow,
    RenewDomainMappingWorkflow,
    RevokeDomainMappingWorkflow,
)

__all__ = ["mapping_activities", "mapping_workflows", "nginx_settings"]


def mapping_workflows() -> list[type]:
    """The mapping workflow classes, checked against their proto declarations."""
    check_workflow_implementation(PROVISION_DOMAIN_MAPPING, ProvisionDomainMappingWorkflow)
    check_workflow_implementation(REVOKE_DOMAIN_MAPPING, RevokeDomainMappingWorkflow)
    check_workflow_implementation(RENEW_DOMAIN_MAPPING, RenewDomainMappingWorkflow)
    return [ProvisionDomainMappingWorkflow, RevokeDomainMappingWorkflow, RenewDomainMappingWorkflow]


def nginx_settings(mapping: DomainMappingConfig) -> NginxSettings:
    return NginxSettings(
        main_config=mapping.nginx_main_config,
        sites_dir=mapping.nginx_sites_dir,
        certs_dir=mapping.nginx_certs_dir,
        https_listen=mapping.https_listen,
        binary=mapping.nginx_binary,
        prefix=mapping.nginx_prefix,
        pid_file=mapping.nginx_pid_file,
        batch_window_seconds=mapping.nginx_batch_window_seconds,
    )


def _account_key(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(new_account_key())
    return path.read_bytes()


def _publisher(mapping: DomainMappingConfig) -> Dns01Publisher:
    if mapping.dns01_publisher == "challtestsrv":
        return ChallTestSrvPublisher(mapping.challtestsrv_url)
    return Rfc2136Publisher(
        mapping.dns01_zone,
        mapping.rfc2136_server,
        mapping.rfc2136_port,
        tsig_name=mapping.rfc2136_tsig_name,
        tsig_secret=mapping.rfc2136_tsig_secret,
    )


def mapping_activities(
    config: CloudConfig,
    store: CloudStore,
    pools: BlockingPools | None = None,
    renewals: RenewalRunsPort | None = None,
) -> list[Callable[..., Any]]:
    """The activities of the mapping workflows over real adapters (one gateway per worker,
    so concurrent mappings share nginx reloads)."""
    mapping = config.domain_mapping
    solvers: dict[str, ChallengeSolver] = {
        HTTP_01: WebrootHttp01Solver(mapping.webroot),
        DNS_01: DelegatedDns01Solver(mapping.dns01_zone, _publisher(mapping)),
    }
    issuer = AcmeIssuer(
        AcmeSettings(
            directory_url=mapping.acme_directory_url,
            contact_email=mapping.acme_contact_email,
            verify=mapping.acme_ca_bundle or True,
        ),
        _account_key(mapping.acme_account_key_file or config.pki_dir / "acme-account.pem"),
        solvers,
    )
    sealer = KeySealer.open_or_create(
        mapping.key_encryption_key_file or config.pki_dir / "domain-keys.fernet"
    )
    domains = config.domains
    activities = DomainMappingActivities(
        claims=store.domain_claims,
        certificates=store.domain_certificates,
        issuer=issuer,
        sealer=sealer,
        gateway=NginxGateway(nginx_settings(mapping)),
        probe=probe_https,
        dns=DnsResolver(domains.dns_resolvers, timeout_seconds=domains.dns_timeout_seconds),
        facts=store.facts,
        domains=domains,
        mapping=mapping,
        pools=pools
        or BlockingPools.sized(
            store_threads=mapping.store_threads, acme_threads=mapping.acme_threads
        ),
        renewals=renewals,
    )
    return [
        activities.preflight_domain_mapping,
        activities.order_domain_certificate,
        activities.wire_domain_gateway,
        activities.verify_domain_serving,
        activities.plan_domain_renewal,
        activities.unwire_domain_gateway,
        activities.remove_domain_certificates,
        activities.release_domain_hostname,
        activities.record_domain_mapping_fact,
        activities.start_domain_renewal,
    ]
