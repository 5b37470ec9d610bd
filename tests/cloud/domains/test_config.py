"""The `[domains]` settings: from TOML, from one JSON environment variable, and refused with
the key named when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud.config import CloudConfig
from shared.config import load_config
from shared.errors import ConfigError


def _load(environ: dict[str, str], file: Path | None = None) -> CloudConfig:
    return load_config(CloudConfig, file=file, env_prefix="COMMERCE_CLOUD_", environ=environ)


def test_defaults_check_minutes_first_then_hours_for_72_hours() -> None:
    domains = _load({}).domains
    assert domains.check_intervals_seconds[0] == 60
    assert domains.check_intervals_seconds[-1] >= 3600
    assert domains.verify_deadline_seconds == 72 * 3600
    assert domains.dns_resolvers == []


def test_a_toml_table_sets_them(tmp_path: Path) -> None:
    file = tmp_path / "cloud.toml"
    file.write_text(
        '[domains]\ndns_resolvers = ["192.0.2.53:53"]\ncheck_intervals_seconds = [5, 30]\n'
    )
    domains = _load({}, file).domains
    assert domains.dns_resolvers == ["192.0.2.53:53"]
    assert domains.check_intervals_seconds == [5, 30]


def test_the_environment_takes_a_json_object() -> None:
    config = _load({"COMMERCE_CLOUD_DOMAINS": '{"cname_target": "edge.example.net"}'})
    assert config.domains.cname_target == "edge.example.net"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{bad", "COMMERCE_CLOUD_DOMAINS must be a JSON object"),
        ('{"dns_resolvers": ["ns1.example"]}', "is not host:port with an IP address"),
        ('{"check_intervals_seconds": [0]}', "positive numbers of seconds"),
        ('{"verify_deadline_seconds": 9999999}', "domains.verify_deadline_seconds"),
        ('{"cdn_cidrs": ["not-a-range"]}', "is not an IP address or CIDR range"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load({"COMMERCE_CLOUD_DOMAINS": value})
