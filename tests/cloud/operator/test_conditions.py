"""Conditions from what the probes saw: shapes, transitions, and messages that say what was
expected and what was seen."""

from __future__ import annotations

from datetime import UTC, datetime

from cloud.operator.conditions import (
    ALL_TYPES,
    Check,
    Observation,
    Pollers,
    TemporalReport,
    evaluate,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
LATER = datetime(2026, 1, 2, 3, 9, 0, tzinfo=UTC)
OK = Check(True, "Fine", "fine")


def _healthy(pollers: dict[str, Pollers] | None = None) -> Observation:
    return Observation(
        temporal=TemporalReport(
            reachable=OK,
            namespace=OK,
            registered_search_attributes=frozenset({"SiteId", "SalesChannelId"}),
            pollers=pollers
            if pollers is not None
            else {"commerce-store-sites": Pollers(2, ("b1",))},
        ),
        store=OK,
        gateway=OK,
    )


def _evaluate(observation: Observation, previous: list[dict[str, object]] | None = None,
              now: datetime = NOW):
    return evaluate(
        observation,
        queues=["commerce-store-sites"],
        build_id="b1",
        search_attributes=["SiteId", "SalesChannelId"],
        previous=previous or [],
        generation=4,
        now=now,
    )


def test_all_true_makes_ready_and_every_condition_is_kubernetes_shaped() -> None:
    result = _evaluate(_healthy())
    assert [c.type for c in result.conditions] == list(ALL_TYPES)
    ready = {c.type: c for c in result.conditions}["Ready"]
    assert ready.status == "True"
    for condition in result.conditions:
        shaped = condition.as_dict()
        assert set(shaped) == {"type", "status", "reason", "message", "lastTransitionTime",
                               "observedGeneration"}
        assert shaped["observedGeneration"] == 4
        assert shaped["lastTransitionTime"] == "2026-01-02T03:04:05Z"
    assert len(result.transitions) == len(ALL_TYPES)
    assert result.build_ids == {"commerce-store-sites": ("b1",)}


def test_unchanged_status_keeps_its_transition_time_and_posts_nothing() -> None:
    first = _evaluate(_healthy())
    again = _evaluate(_healthy(), [c.as_dict() for c in first.conditions], now=LATER)
    assert again.transitions == ()
    assert {c.last_transition_time for c in again.conditions} == {"2026-01-02T03:04:05Z"}


def test_temporal_down_makes_its_dependents_unknown_and_ready_false() -> None:
    down = Observation(
        TemporalReport(Check(False, "FrontendUnreachable", "expected 1.2.3.4:7233; refused")),
        OK,
        OK,
    )
    first = _evaluate(_healthy())
    result = _evaluate(down, [c.as_dict() for c in first.conditions], now=LATER)
    by_type = {c.type: c for c in result.conditions}
    assert by_type["TemporalReachable"].status == "False"
    assert by_type["TemporalReachable"].last_transition_time == "2026-01-02T03:09:00Z"
    for dependent in ("NamespaceReady", "SearchAttributesRegistered", "WorkersPolling"):
        assert by_type[dependent].status == "Unknown"
        assert "refused" in by_type[dependent].message
    assert by_type["Ready"].status == "False"
    assert "TemporalReachable" in by_type["Ready"].message
    assert {c.type for c in result.transitions} == {
        "TemporalReachable", "NamespaceReady", "SearchAttributesRegistered", "WorkersPolling",
        "Ready",
    }


def test_a_queue_without_pollers_is_named() -> None:
    result = _evaluate(_healthy({"commerce-store-sites": Pollers(0, ())}))
    workers = {c.type: c for c in result.conditions}["WorkersPolling"]
    assert (workers.status, workers.reason) == ("False", "NoPollers")
    assert "none on commerce-store-sites" in workers.message


def test_pollers_with_another_build_id_are_reported() -> None:
    result = _evaluate(_healthy({"commerce-store-sites": Pollers(1, ("b0",))}))
    workers = {c.type: c for c in result.conditions}["WorkersPolling"]
    assert (workers.status, workers.reason) == ("False", "BuildIdNotPolling")
    assert "expected build id b1" in workers.message and "b0" in workers.message


def test_missing_search_attributes_are_listed() -> None:
    observation = _healthy()
    report = TemporalReport(OK, OK, frozenset({"SiteId"}), observation.temporal.pollers)
    result = _evaluate(Observation(report, OK, OK))
    registered = {c.type: c for c in result.conditions}["SearchAttributesRegistered"]
    assert registered.status == "False" and "['SalesChannelId']" in registered.message


def test_only_stale_pollers_count_as_none_and_say_how_old() -> None:
    stale = Pollers(0, (), stale=2, stale_seconds=41.6, freshness_seconds=30)
    result = _evaluate(_healthy({"commerce-store-sites": stale}))
    workers = {c.type: c for c in result.conditions}["WorkersPolling"]
    assert (workers.status, workers.reason) == ("False", "NoPollers")
    assert "none on commerce-store-sites" in workers.message
    assert "2 stale poller(s) (last poll 42s ago, over the 30s bound)" in workers.message
