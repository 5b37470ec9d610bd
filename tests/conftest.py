"""Suite-wide plugins: real servers the tests need, and the rule that CI never passes by skipping.

- tests/support/servers.py: require()/require_tool(), the `temporal_cli` fixture, the `opt_in`
  marker and the hooks that turn skips into failures under CI.
- tests/support/postgres.py: `postgres_server`, `postgres_database`, `postgres_url`.
- tests/support/challtestsrv.py: `challtestsrv` (a real pebble-challtestsrv as DNS) and
  `dns_records` (its management API, cleared after each test).
"""

from __future__ import annotations

pytest_plugins = [
    "tests.support.servers",
    "tests.support.postgres",
    "tests.support.challtestsrv",
]
