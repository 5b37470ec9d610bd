"""Temporal settings, TLS/API-key client construction, build id, and the embedded default."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from cloud.config import CloudConfig
from cloud.temporal.connect import (
    TemporalSettings,
    connect_client,
    open_temporal,
    tls_config,
    worker_build_id,
)
from cloud.temporal.errors import TemporalUnavailable
from shared.errors import ConfigError


def test_no_address_means_embedded_dev_server() -> None:
    settings = TemporalSettings(dev_port=7300)
    assert settings.embedded
    assert settings.target == "127.0.0.1:7300"
    assert tls_config(settings) is None


def test_cert_without_key_names_the_missing_key(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("cert")
    settings = TemporalSettings(address="temporal.example:7233", tls_cert_path=cert)
    with pytest.raises(
        ConfigError, match="temporal_tls_cert_path is set but temporal_tls_key_path"
    ):
        tls_config(settings)


def test_key_without_cert_names_the_missing_cert(tmp_path: Path) -> None:
    settings = TemporalSettings(address="t:7233", tls_key_path=tmp_path / "k.pem")
    with pytest.raises(ConfigError, match="set temporal_tls_cert_path"):
        tls_config(settings)


def test_unreadable_ca_names_its_key(tmp_path: Path) -> None:
    settings = TemporalSettings(address="t:7233", tls_ca_path=tmp_path / "missing-ca.pem")
    with pytest.raises(ConfigError, match="temporal_tls_ca_path: cannot read"):
        tls_config(settings)


def test_tls_files_are_loaded_into_the_tls_config(tmp_path: Path) -> None:
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_bytes(name.encode())
    settings = TemporalSettings(
        address="t:7233",
        tls_ca_path=tmp_path / "ca.pem",
        tls_cert_path=tmp_path / "cert.pem",
        tls_key_path=tmp_path / "key.pem",
        tls_server_name="temporal.internal",
    )
    tls = tls_config(settings)
    assert tls is not None
    assert (tls.server_root_ca_cert, tls.client_cert, tls.client_private_key) == (
        b"ca.pem",
        b"cert.pem",
        b"key.pem",
    )
    assert tls.domain == "temporal.internal"


def test_tls_flag_alone_uses_system_roots() -> None:
    tls = tls_config(TemporalSettings(address="t:7233", tls=True))
    assert tls is not None
    assert tls.server_root_ca_cert is None


def test_tls_on_the_embedded_dev_server_is_refused() -> None:
    with pytest.raises(ConfigError, match="temporal_address"):
        tls_config(TemporalSettings(tls=True))


def test_settings_come_from_the_cloud_config(tmp_path: Path) -> None:
    config = CloudConfig(
        data_dir=tmp_path,
        temporal_address="temporal.internal:7233",
        temporal_namespace="commerce",
        temporal_api_key="k",
        temporal_ui=False,
    )
    settings = TemporalSettings.from_cloud_config(config)
    assert settings.target == "temporal.internal:7233"
    assert (settings.namespace, settings.api_key, settings.ui) == ("commerce", "k", False)


def test_worker_build_id_follows_the_package_version() -> None:
    assert worker_build_id() == f"commerce-process@{version('ameide-commerce-process')}"


async def test_unreachable_address_is_a_clear_error(free_port: Callable[[], int]) -> None:
    settings = TemporalSettings(address=f"127.0.0.1:{free_port()}")
    with pytest.raises(TemporalUnavailable, match=r"cannot reach Temporal at 127\.0\.0\.1"):
        await connect_client(settings)


async def test_open_temporal_starts_the_embedded_server_in_the_data_dir(
    tmp_path: Path,
    temporal_cli: Path,
    free_port: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEMPORAL_CLI", str(temporal_cli))
    settings = TemporalSettings(dev_port=free_port(), ui=False)
    async with open_temporal(settings, data_dir=tmp_path) as client:
        described = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace="default")
        )
        assert described.namespace_info.name == "default"
        assert (tmp_path / "temporal" / "temporal.db").is_file()
    with pytest.raises(TemporalUnavailable):
        await connect_client(settings)
