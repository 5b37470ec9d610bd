"""The public surface of `cloud.temporal` is deliberate: pin it."""

from __future__ import annotations

import cloud.temporal


def test_exported_members() -> None:
    assert sorted(cloud.temporal.__all__) == [
        "DEFAULT_SEARCH_ATTRIBUTES",
        "DevServer",
        "DevServerError",
        "TemporalSettings",
        "TemporalUnavailable",
        "connect_client",
        "default_cache_dir",
        "open_temporal",
        "resolve_temporal_cli",
        "worker_build_id",
    ]
    assert all(hasattr(cloud.temporal, name) for name in cloud.temporal.__all__)
