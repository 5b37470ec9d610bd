"""Replication bindings derive from the sales channel, deterministically."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from cloud.workflows.bindings import (
    DEFAULT_DOWNSYNC_STREAMS,
    SITE_DOWNSYNC_STREAMS,
    UPSYNC_STREAMS,
    derive_replication_bindings,
)

streams = st.lists(st.from_regex(r"[a-z]{1,12}", fullmatch=True), max_size=6)


@given(streams)
def test_bindings_follow_the_channel_in_a_stable_order(channel_streams: list[str]) -> None:
    bindings = derive_replication_bindings("store-1", "web-eu", channel_streams)
    again = derive_replication_bindings("store-1", "web-eu", list(reversed(channel_streams)))
    assert bindings == again
    down = [b for b in bindings if b.direction == store_site_pb2.REPLICATION_DIRECTION_DOWN]
    up = [b for b in bindings if b.direction == store_site_pb2.REPLICATION_DIRECTION_UP]
    expected_down = sorted(set(channel_streams) - {"store-config"}) or list(
        DEFAULT_DOWNSYNC_STREAMS
    )
    assert [b.stream for b in down] == [*expected_down, *SITE_DOWNSYNC_STREAMS]
    assert {b.scope for b in down if b.stream in expected_down} == {"channel/web-eu"}
    assert {b.scope for b in down if b.stream == "store-config"} == {"site/store-1"}
    assert [b.stream for b in up] == list(UPSYNC_STREAMS)
    assert {b.scope for b in up} == {"site/store-1"}
