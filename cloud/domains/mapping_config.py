"""Settings of domain mappings: the ACME CA, challenge method, storefront gateway (nginx),
where each storefront's upstream is, and key sealing (the `[domain_mapping]` config table).

Domain room: a typed pydantic model, no I/O; `CloudConfig.domain_mapping` holds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class DomainMappingConfig(BaseModel):
    """How certificates are ordered and hostnames wired into the storefront gateway."""

    model_config = {"frozen": True}

    acme_directory_url: str = Field(
        default="", description="ACME directory URL of the CA (e.g. Pebble's https://.../dir)."
    )
    acme_ca_bundle: str | None = Field(
        default=None, description="PEM bundle that verifies the CA's HTTPS listener (tests)."
    )
    acme_contact_email: str | None = Field(default=None, description="ACME account contact.")
    acme_account_key_file: Path | None = Field(
        default=None, description="RSA account key (PEM); default <pki_dir>/acme-account.pem."
    )
    caa_identity: str = Field(
        default="letsencrypt.org",
        description="The CA's CAA issuer domain, checked before ordering (RFC 8659).",
    )
    challenge_method: Literal["http-01", "dns-01"] = Field(
        default="http-01",
        description="http-01 (served from the gateway's webroot) or dns-01 (CNAME delegation).",
    )
    dns01_zone: str = Field(
        default="acme.storefront.localhost",
        description="Zone `_acme-challenge.<host>` is delegated to by CNAME for dns-01.",
    )
    dns01_publisher: Literal["rfc2136", "challtestsrv"] = Field(
        default="rfc2136", description="How dns-01 TXT answers are written into that zone."
    )
    rfc2136_server: str = Field(default="127.0.0.1", description="Primary of the dns-01 zone.")
    rfc2136_port: int = Field(default=53, description="Its port.")
    rfc2136_tsig_name: str | None = Field(default=None, description="TSIG key name.")
    rfc2136_tsig_secret: str | None = Field(default=None, description="TSIG secret (base64).")
    challtestsrv_url: str = Field(
        default="http://127.0.0.1:8055", description="pebble-challtestsrv management API."
    )
    webroot: Path = Field(
        default=Path("/var/lib/commerce-cloud/acme-webroot"),
        description="Directory nginx serves /.well-known/acme-challenge/ from.",
    )
    nginx_binary: Path = Field(default=Path("/usr/sbin/nginx"), description="nginx executable.")
    nginx_main_config: Path = Field(
        default=Path("/etc/nginx/nginx.conf"),
        description="Main nginx config; it must `include <nginx_sites_dir>/*.conf;`.",
    )
    nginx_prefix: Path | None = Field(default=None, description="nginx -p prefix, if any.")
    nginx_pid_file: Path | None = Field(
        default=Path("/run/nginx.pid"), description="Pid file the main config names."
    )
    nginx_sites_dir: Path = Field(
        default=Path("/etc/nginx/commerce-storefronts"),
        description="Directory of the per-hostname server blocks this cloud manages.",
    )
    nginx_certs_dir: Path = Field(
        default=Path("/etc/nginx/commerce-storefront-certs"),
        description="Directory of the certificates and keys nginx serves (0700).",
    )
    nginx_batch_window_seconds: float = Field(
        default=0.25,
        ge=0,
        description="How long a gateway change waits for others to share one nginx reload.",
    )
    https_listen: str = Field(default="443", description="What each server block listens on.")
    acme_threads: int = Field(
        default=32,
        ge=1,
        le=512,
        description="Threads that talk to the CA (orders, renewal info, revocations): how many "
        "certificate orders one worker runs at once; they mostly wait on the CA.",
    )
    store_threads: int = Field(
        default=8,
        ge=1,
        le=128,
        description="Threads for the domain activities' cloud store reads and writes (claims, "
        "certificates, facts); short calls, apart from the CA and nginx threads so those "
        "never hold them up.",
    )
    probe_host: str = Field(
        default="127.0.0.1", description="Address the outside HTTPS check connects to."
    )
    probe_port: int = Field(default=443, description="Port the outside HTTPS check uses.")
    storefront_upstreams: dict[str, str] = Field(
        default_factory=dict, description="Storefront id -> its upstream URL."
    )
    default_storefront_upstream: str = Field(
        default="http://127.0.0.1:8080",
        description="Upstream of storefronts not named in storefront_upstreams.",
    )
    key_encryption_key_file: Path | None = Field(
        default=None,
        description="Fernet key that seals certificate keys at rest; default "
        "<pki_dir>/domain-keys.fernet (created on first use).",
    )
    revoke_at_ca: bool = Field(
        default=False, description="Revoke certificates at the CA when a mapping is revoked."
    )

    def upstream_for(self, storefront_id: str) -> str:
        return self.storefront_upstreams.get(storefront_id, self.default_storefront_upstream)
