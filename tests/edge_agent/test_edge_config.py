"""Agent configuration: TOML file, then COMMERCE_EDGE_* variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud.config import CloudConfig
from edge_agent import __version__
from edge_agent.config import load_agent_config
from shared.errors import ConfigError


def test_defaults(tmp_path: Path) -> None:
    config = load_agent_config(config_file=None, environ={})
    assert config.data_dir == Path("/var/lib/commerce-edge")
    assert config.health_address == "127.0.0.1:8480"
    assert config.pos_address == "127.0.0.1:8481"
    assert config.agent_version == __version__


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    toml = tmp_path / "agent.toml"
    toml.write_text('data_dir = "/srv/a"\nreconnect_max_seconds = 12\nlog_level = "debug"\n')
    config = load_agent_config(
        config_file=toml,
        environ={"COMMERCE_EDGE_DATA_DIR": "/srv/b", "COMMERCE_EDGE_RENEW_CHECK_SECONDS": "60"},
        overrides={"data_dir": Path("/srv/c")},
    )
    assert config.data_dir == Path("/srv/c")
    assert config.reconnect_max_seconds == 12
    assert config.renew_check_seconds == 60
    assert config.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"COMMERCE_EDGE_HEALTH_ADDRESS": "nope"}, "COMMERCE_EDGE_HEALTH_ADDRESS"),
        ({"COMMERCE_EDGE_RECONNECT_MAX_SECONDS": "-1"}, "COMMERCE_EDGE_RECONNECT_MAX_SECONDS"),
        ({"COMMERCE_EDGE_LOG_LEVEL": "loud"}, "COMMERCE_EDGE_LOG_LEVEL"),
    ],
)
def test_bad_values_name_the_key(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_agent_config(config_file=None, environ=environ)


def test_connection_bounds_default_and_load_from_the_environment() -> None:
    defaults = load_agent_config(config_file=None, environ={})
    assert defaults.silence_timeout_seconds is None  # three heartbeat intervals
    assert defaults.drain_timeout_seconds == 30
    config = load_agent_config(
        config_file=None,
        environ={
            "COMMERCE_EDGE_SILENCE_TIMEOUT_SECONDS": "45",
            "COMMERCE_EDGE_KEEPALIVE_TIME_SECONDS": "30",
            "COMMERCE_EDGE_KEEPALIVE_TIMEOUT_SECONDS": "5",
            "COMMERCE_EDGE_DRAIN_TIMEOUT_SECONDS": "12",
        },
    )
    assert config.silence_timeout_seconds == 45
    assert (config.keepalive_time_seconds, config.keepalive_timeout_seconds) == (30, 5)
    assert config.drain_timeout_seconds == 12


@pytest.mark.parametrize(
    "key",
    [
        "COMMERCE_EDGE_SILENCE_TIMEOUT_SECONDS",
        "COMMERCE_EDGE_KEEPALIVE_TIME_SECONDS",
        "COMMERCE_EDGE_KEEPALIVE_TIMEOUT_SECONDS",
        "COMMERCE_EDGE_DRAIN_TIMEOUT_SECONDS",
    ],
)
def test_connection_bounds_must_be_positive(key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_agent_config(config_file=None, environ={key: "0"})


def test_default_agent_pings_are_within_the_default_gateway_policy() -> None:
    agent = load_agent_config(config_file=None, environ={})
    cloud = CloudConfig()
    assert agent.keepalive_time_seconds >= cloud.gateway_min_agent_ping_interval_seconds


@pytest.mark.parametrize("address", ["127.0.0.1:9000", "[::1]:9000", "localhost:9000", ""])
def test_the_pos_api_listens_on_loopback_or_not_at_all(address: str) -> None:
    config = load_agent_config(config_file=None, environ={"COMMERCE_EDGE_POS_ADDRESS": address})
    assert config.pos_address == address


def test_a_pos_address_off_loopback_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match="COMMERCE_EDGE_POS_ADDRESS") as refused:
        load_agent_config(config_file=None, environ={"COMMERCE_EDGE_POS_ADDRESS": "0.0.0.0:8481"})
    assert "not a loopback address" in str(refused.value)
