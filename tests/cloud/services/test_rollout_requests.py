"""A rollout request with a bad batch size, health bound or timing is refused before anything
starts, naming the option and what to give instead (pure: no server needed)."""

from __future__ import annotations

import pytest
from google.protobuf.duration_pb2 import Duration

from ameide_core_proto.process.commerce.v1 import rollout_pb2
from cloud.services.rollouts import check_rollout_request
from shared.errors import InvalidInput


def _request(**fields: object) -> rollout_pb2.RolloutStoreFleetInput:
    values: dict[str, object] = {
        "bundle": rollout_pb2.VersionBundle(bundle_id="2026.11.1"),
        "ring": "ring-1",
        "selector": rollout_pb2.RingSelector(sales_channel_id="web-eu"),
        "observe_for": Duration(seconds=300),
    }
    values.update(fields)
    return rollout_pb2.RolloutStoreFleetInput(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"batch_size": -1}, "batch size (--batch-size) -1 is negative"),
        ({"max_new_errors": -3}, "maximum new errors (--max-new-errors) -3 is negative"),
        ({"max_replication_lag": -1}, "(--max-replication-lag) -1 is negative"),
        ({"observe_every": Duration(seconds=300)}, "is not shorter than the observation window"),
        ({"install_timeout": Duration(seconds=20)}, "--install-timeout 0:00:20 is shorter"),
    ],
)
def test_bad_rollout_settings_are_refused_naming_the_option(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_rollout_request(_request(**fields))


def test_good_settings_pass() -> None:
    check_rollout_request(
        _request(batch_size=50, observe_every=Duration(seconds=30),
                 install_timeout=Duration(seconds=7200), max_new_errors=5)
    )  # fmt: skip
