"""How the cloud reaches Temporal: settings, TLS / API-key client construction, worker build id.

Touches Temporal over the network (client connect) and reads TLS files; starts the embedded
dev server through `open_temporal` when no address is configured.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.service import TLSConfig

from cloud.temporal.devserver import DEFAULT_SEARCH_ATTRIBUTES, DevServer
from cloud.temporal.errors import TemporalUnavailable
from shared.errors import ConfigError

if TYPE_CHECKING:
    from cloud.config import CloudConfig

logger = logging.getLogger(__name__)

DISTRIBUTION = "ameide-commerce-process"
BUILD_ID_PREFIX = "commerce-process"


class TemporalSettings(BaseModel):
    """Where Temporal is and how to authenticate; no address means the embedded dev server."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str | None = Field(
        default=None, description="host:port of a Temporal cluster; None starts the dev server."
    )
    namespace: str = Field(default="default", description="Temporal namespace.")
    tls: bool = Field(
        default=False, description="Use TLS (also on when any TLS file or an API key is given)."
    )
    tls_ca_path: Path | None = Field(default=None, description="CA bundle to verify the server.")
    tls_cert_path: Path | None = Field(default=None, description="Client certificate for mTLS.")
    tls_key_path: Path | None = Field(default=None, description="Client private key for mTLS.")
    tls_server_name: str | None = Field(
        default=None, description="Server name to verify instead of the address's host."
    )
    api_key: str | None = Field(default=None, description="API key (Temporal Cloud).")
    dev_port: int = Field(default=7233, description="Frontend port of the embedded dev server.")
    ui_port: int = Field(default=8233, description="Web UI port of the embedded dev server.")
    ui: bool = Field(default=True, description="Serve the embedded dev server's Web UI.")

    @property
    def embedded(self) -> bool:
        """True when the embedded dev server is to be used."""
        return self.address is None

    @property
    def ui_url(self) -> str | None:
        """The embedded dev server's Web UI, or None (external cluster, or UI off)."""
        return f"http://127.0.0.1:{self.ui_port}" if self.embedded and self.ui else None

    @property
    def target(self) -> str:
        """host:port to connect to (the dev server's when no address is set)."""
        return self.address or f"127.0.0.1:{self.dev_port}"

    @classmethod
    def from_cloud_config(cls, config: CloudConfig) -> TemporalSettings:
        """Pick the `temporal_*` settings out of the cloud configuration."""
        return cls(
            address=config.temporal_address,
            namespace=config.temporal_namespace,
            tls=config.temporal_tls,
            tls_ca_path=config.temporal_tls_ca_path,
            tls_cert_path=config.temporal_tls_cert_path,
            tls_key_path=config.temporal_tls_key_path,
            api_key=config.temporal_api_key,
            dev_port=config.temporal_dev_port,
            ui_port=config.temporal_ui_port,
            ui=config.temporal_ui,
        )


def _read(path: Path, key: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{key}: cannot read {path} ({exc.strerror}); fix the path or unset {key}"
        ) from exc


def tls_config(settings: TemporalSettings) -> TLSConfig | None:
    """The TLS configuration the settings ask for, or None for plaintext."""
    if (settings.tls_cert_path is None) != (settings.tls_key_path is None):
        given, missing = (
            ("temporal_tls_cert_path", "temporal_tls_key_path")
            if settings.tls_cert_path is not None
            else ("temporal_tls_key_path", "temporal_tls_cert_path")
        )
        raise ConfigError(f"{given} is set but {missing} is not; mTLS needs both, set {missing}")
    files = (settings.tls_ca_path, settings.tls_cert_path, settings.tls_key_path)
    if not settings.tls and all(f is None for f in files):
        return None
    if settings.embedded:
        raise ConfigError(
            "temporal_tls* settings need temporal_address; the embedded dev server is plaintext"
        )
    return TLSConfig(
        server_root_ca_cert=(
            _read(settings.tls_ca_path, "temporal_tls_ca_path") if settings.tls_ca_path else None
        ),
        client_cert=(
            _read(settings.tls_cert_path, "temporal_tls_cert_path")
            if settings.tls_cert_path
            else None
        ),
        client_private_key=(
            _read(settings.tls_key_path, "temporal_tls_key_path") if settings.tls_key_path else None
        ),
        domain=settings.tls_server_name,
    )


async def connect_client(
    settings: TemporalSettings, *, data_converter: DataConverter | None = None
) -> Client:
    """Connect to the configured Temporal (the dev server's address when none is set)."""
    tls = tls_config(settings)
    try:
        return await Client.connect(
            settings.target,
            namespace=settings.namespace,
            api_key=settings.api_key,
            # With an API key and no explicit TLS the SDK turns TLS on by itself (None).
            tls=tls if tls is not None else (None if settings.api_key else False),
            data_converter=data_converter or DataConverter.default,
        )
    except RuntimeError as exc:
        raise TemporalUnavailable(
            f"cannot reach Temporal at {settings.target} (namespace {settings.namespace}): "
            f"{exc}; check TEMPORAL_ADDRESS, the TLS settings and the API key"
        ) from exc


@asynccontextmanager
async def open_temporal(
    settings: TemporalSettings,
    *,
    data_dir: Path,
    cache_dir: Path | None = None,
    data_converter: DataConverter | None = None,
) -> AsyncIterator[Client]:
    """Yield a connected client; starts (and later stops) the embedded dev server if needed.

    The dev server keeps its SQLite file and log in `data_dir / "temporal"`.
    """
    if not settings.embedded:
        yield await connect_client(settings, data_converter=data_converter)
        return
    async with DevServer(
        data_dir / "temporal",
        port=settings.dev_port,
        ui_port=settings.ui_port,
        ui=settings.ui,
        namespace=settings.namespace,
        search_attributes=DEFAULT_SEARCH_ATTRIBUTES,
        cache_dir=cache_dir,
    ):
        yield await connect_client(settings, data_converter=data_converter)


def worker_build_id() -> str:
    """Build id for workers, from the installed package version (e.g. commerce-process@0.1.0)."""
    try:
        return f"{BUILD_ID_PREFIX}@{version(DISTRIBUTION)}"
    except PackageNotFoundError as exc:
        raise ConfigError(
            f"the {DISTRIBUTION} package is not installed, so the worker has no build id; "
            "install it (pip install -e .) before starting a worker"
        ) from exc
