"""Edge agent configuration: a typed model loaded from TOML, `COMMERCE_EDGE_*` variables, flags.

Pure configuration; no I/O beyond reading the optional TOML file through `shared.config`.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from edge_agent import __version__
from shared.config import load_config

logger = logging.getLogger(__name__)

DEFAULT_CONFIG_FILE = Path("/etc/commerce-edge/agent.toml")
ENV_PREFIX = "COMMERCE_EDGE_"


class AgentConfig(BaseModel):
    """Settings of one store server's agent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(
        Path("/var/lib/commerce-edge"),
        description="Directory holding the site identity (identity/) and local state (state/).",
    )
    log_level: str = Field("INFO", description="Logging level: DEBUG, INFO, WARNING or ERROR.")
    reconnect_initial_seconds: float = Field(
        0.5, gt=0, description="Scale of the first reconnect delay (jittered, doubles per try)."
    )
    reconnect_max_seconds: float = Field(
        30.0, gt=0, description="Longest delay between two attempts to reach the control stream."
    )
    renew_check_seconds: float = Field(
        3600.0, gt=0, description="How often to check whether the certificate is due for renewal."
    )
    rpc_timeout_seconds: float = Field(
        15.0,
        gt=0,
        description="Deadline of each unary call to the cloud (discovery, enroll, renew).",
    )
    database_busy_timeout_seconds: float = Field(
        5.0,
        ge=0,
        le=600,
        description=(
            "How long a write to the local state database waits for a lock held by another "
            "process before the command fails as retryable (reason DatabaseBusy)."
        ),
    )
    keepalive_time_seconds: float = Field(
        20.0,
        gt=0,
        description="HTTP/2 ping period on the control stream's connection. A store WAN with "
        "NAT or firewalls that drop quiet flows after a minute or so needs well under that. "
        "The gateway must allow it: keep it at or above the cloud's "
        "gateway_min_agent_ping_interval_seconds.",
    )
    keepalive_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a ping may go unanswered before the connection counts as dead.",
    )
    silence_timeout_seconds: float | None = Field(
        None,
        gt=0,
        description="Longest silence on an open control stream, counted from the moment it is "
        "opened, before the agent drops it and dials again. Unset: three heartbeat intervals "
        "as the gateway's Welcome sets them. The agent heartbeats at least three times within "
        "this bound, so a live gateway always answers in time. Before the Welcome, "
        "rpc_timeout_seconds is the bound.",
    )
    drain_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="On the first SIGTERM/SIGINT, how long in-flight commands may take to "
        "finish and report before the agent exits anyway. Keep it below the unit's "
        "TimeoutStopSec (60 s). A second signal exits at once.",
    )
    health_address: str = Field(
        "127.0.0.1:8480",
        description=(
            "HOST:PORT of the local health page (loopback by default: anyone who can reach it "
            "can read the site's status); an empty string turns it off."
        ),
    )
    pos_address: str = Field(
        "127.0.0.1:8481",
        description=(
            "HOST:PORT on which point-of-sale software reaches the agent's POS API (gRPC, "
            "plaintext, no authentication: loopback addresses only); an empty string turns "
            "it off."
        ),
    )
    sync_interval_seconds: float = Field(
        60.0,
        gt=0,
        description=(
            "Fallback schedule of replication: the agent pulls its bound streams and pushes "
            "its outbox at least this often. Changes normally arrive sooner (the cloud pokes "
            "the agent over the control stream) and POS records are pushed as they are written."
        ),
    )
    upsync_batch_max_bytes: int = Field(
        192 * 1024,
        ge=4096,
        description=(
            "Largest PushRecords message the agent sends, in encoded bytes; keep it below the "
            "gateway's max_message_bytes (256 KiB by default). A batch holds up to 500 records "
            "and no more bytes than this; a single record larger than this is never sent and "
            "is named on the health page and in `commerce-edge status`."
        ),
    )
    projection_check_seconds: float = Field(
        5.0,
        gt=0,
        description=(
            "How often the agent checks that its local state database file is still there; "
            "a file deleted under the running agent is re-created from its open copy and the "
            "replicated streams are rebuilt from the cloud's snapshot."
        ),
    )
    realtime_deadline_seconds: float = Field(
        2.0,
        gt=0,
        description=(
            "How long a real-time-required operation (gift card, loyalty, ...) waits for the "
            "cloud's decision before the store decides it by its offline policy."
        ),
    )
    install_quiesce_max_seconds: float = Field(
        300.0,
        ge=0,
        description="Longest wait, within a store-closed window, for open POS baskets to end "
        "before an install is deferred to a later window (an open basket is never cut off).",
    )
    install_gate_timeout_seconds: float = Field(
        120.0,
        gt=0,
        description="How long a newly installed build has to pass its health gate (reconnected, "
        "projection checksums good, POS UI served) before it is rolled back.",
    )
    bundle_dir: Path | None = Field(
        None,
        description="Directory holding release bundles unpacked on this server, one "
        "<bundle_id>/ each (default <data_dir>/bundles).",
    )
    trusted_keys_dir: Path = Field(
        Path("/etc/commerce-edge/trusted-publishers"),
        description="Directory of the Ed25519 public keys (*.pem) whose signatures on a release "
        "bundle this agent accepts. Add the new key before a publisher rotates, remove the old "
        "one after: no flag day.",
    )
    max_bundle_bytes: int = Field(
        512 * 1024 * 1024,
        gt=0,
        description="Largest bundle archive the agent accepts (the command's size, when given, "
        "lowers it).",
    )
    agent_version: str = Field(__version__, description="Version this agent reports to the cloud.")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("health_address")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value:
            split_host_port(value)
        return value

    @field_validator("pos_address")
    @classmethod
    def _loopback(cls, value: str) -> str:
        if value:
            host, _ = split_host_port(value)
            if not _is_loopback(host):
                raise ValueError(
                    f"{host!r} is not a loopback address; the POS API has no authentication, "
                    "so it listens on loopback only (e.g. 127.0.0.1:8481)"
                )
        return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_host_port(address: str) -> tuple[str, int]:
    """Split `HOST:PORT` (IPv6 hosts in brackets); `ValueError` saying what is wrong."""
    host, sep, port_text = address.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"{address!r} is not HOST:PORT (e.g. 127.0.0.1:8480)")
    return host, int(port_text)


def load_agent_config(
    *,
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> AgentConfig:
    """Layer the TOML file (default /etc/commerce-edge/agent.toml when present), env, flags."""
    file = config_file
    if file is None and DEFAULT_CONFIG_FILE.is_file():
        file = DEFAULT_CONFIG_FILE
    return load_config(
        AgentConfig, file=file, env_prefix=ENV_PREFIX, overrides=overrides, environ=environ
    )
