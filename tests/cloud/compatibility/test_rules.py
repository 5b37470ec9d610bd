"""The compatibility matrix's rules on a matrix written for the test, and the shipped matrix."""

from __future__ import annotations

import pytest

from cloud.compatibility import (
    BundleVersions,
    CloudVersions,
    IncompatibleBundle,
    MatrixInvalid,
    check_agent,
    check_bundle,
    check_transition,
    packaged_matrix_text,
    parse_matrix,
)

MATRIX = """
format = 1
version = 7

[components.cloud]
tier = "cloud"
[[components.cloud.releases]]
versions = ">=1.0.0,<2.0.0"
proto_majors = { "commerce" = 1 }
[[components.cloud.releases]]
versions = ">=2.0.0,<3.0.0"
proto_majors = { "commerce" = 2 }

[components.replication]
tier = "cloud"
[[components.replication.releases]]
versions = ">=1.0.0,<3.0.0"

[components.edge-agent]
tier = "edge"
required = true
[[components.edge-agent.releases]]
versions = ">=1.0.0,<2.0.0"
proto_majors = { "commerce" = 1 }
requires = { replication = ">=1.0.0" }
[[components.edge-agent.releases]]
versions = ">=2.0.0,<3.0.0"
proto_majors = { "commerce" = 2 }

[components.edge-projection]
tier = "edge"
[[components.edge-projection.releases]]
versions = ">=3.0.0,<4.0.0"
[[components.edge-projection.releases]]
versions = ">=4.0.0,<5.0.0"
requires = { edge-agent = ">=1.4.0" }

[components.pos-ui]
tier = "edge"
[[components.pos-ui.releases]]
versions = ">=1.0.0,<2.0.0"

[[skew]]
component = "edge-agent"
against = "cloud"
never_newer = true
max_minor_lag = 2
"""

CLOUD_1_5 = CloudVersions({"cloud": "1.5.0", "replication": "1.5.0"})
CLOUD_2_0 = CloudVersions({"cloud": "2.0.0", "replication": "2.0.0"})


def bundle(bundle_id: str = "b", not_undoable: frozenset[str] = frozenset(), **components: str):  # type: ignore[no-untyped-def]
    versions = {"edge-agent": "1.4.0", "edge-projection": "3.1.0", "pos-ui": "1.0.0"}
    versions.update({k.replace("_", "-"): v for k, v in components.items()})
    return BundleVersions(bundle_id, versions, {"commerce": 1}, not_undoable)


def rules(verdict) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(r.rule, r.component) for r in verdict.refusals]


def test_a_bundle_within_every_rule_is_allowed() -> None:
    verdict = check_bundle(parse_matrix(MATRIX), bundle(), CLOUD_1_5)
    assert verdict.allowed and verdict.matrix_version == 7
    verdict.raise_if_refused("bundle b")


@pytest.mark.parametrize(
    ("changes", "cloud", "expected", "message"),
    [
        ({"pos_ui": "7.0.0"}, CLOUD_1_5, [("unsupported-version", "pos-ui")], "not in a supported"),
        (
            {"edge_agent": "0.9.0"},
            CLOUD_1_5,
            [("unsupported-version", "edge-agent"), ("major-skew", "edge-agent")],
            "older than the oldest supported 1.0.0",
        ),
        (
            {"edge_projection": "4.0.0", "edge_agent": "1.3.0"},
            CLOUD_1_5,
            [("requires", "edge-projection")],
            "edge-projection 4.0.0 needs edge-agent >=1.4.0",
        ),
        (
            {"edge_agent": "1.6.0"},
            CLOUD_1_5,
            [("edge-newer-than-cloud", "edge-agent")],
            "upgrade the cloud first",
        ),
        (
            {"edge_agent": "1.2.0"},
            CLOUD_1_5,
            [("minor-lag", "edge-agent")],
            "lags cloud 1.5.0 by 3 minor versions \\(at most 2\\)",
        ),
        (
            {},
            CLOUD_2_0,
            [
                ("proto-major", "edge-agent"),
                ("proto-major", "bundle"),
                ("major-skew", "edge-agent"),
            ],
            "speaks commerce v1; the cloud speaks v2",
        ),
        ({"cloud": "1.5.0"}, CLOUD_1_5, [("not-an-edge-component", "cloud")], "runs in the cloud"),
        ({"kiosk": "1.0.0"}, CLOUD_1_5, [("unknown-component", "kiosk")], "not a component"),
    ],
)
def test_each_refusing_rule_is_named_with_its_reason(
    changes: dict[str, str],
    cloud: CloudVersions,
    expected: list[tuple[str, str]],
    message: str,
) -> None:
    verdict = check_bundle(parse_matrix(MATRIX), bundle(**changes), cloud)
    assert rules(verdict) == expected
    with pytest.raises(IncompatibleBundle, match=message) as err:
        verdict.raise_if_refused("bundle b")
    assert "compatibility matrix version 7" in str(err.value)


def test_a_bundle_without_a_required_component_is_refused() -> None:
    target = BundleVersions("b", {"pos-ui": "1.0.0"}, {})
    assert rules(check_bundle(parse_matrix(MATRIX), target, CLOUD_1_5)) == [
        ("missing-component", "edge-agent")
    ]


def test_a_downgrade_past_a_step_that_cannot_be_undone_is_refused() -> None:
    matrix = parse_matrix(MATRIX)
    installed = bundle("2026.11.2", frozenset({"edge-projection"}), edge_projection="3.2.0")
    older = bundle("2026.11.1", edge_projection="3.1.0")
    newer = bundle("2026.12.1", edge_projection="3.3.0")
    verdict = check_transition(matrix, installed, older, CLOUD_1_5)
    assert rules(verdict) == [("not-undoable-downgrade", "edge-projection")]
    assert (
        "2026.11.2 installed edge-projection 3.2.0 with a step that cannot be undone"
        in (verdict.reasons()[0])
    )
    assert check_transition(matrix, installed, newer, CLOUD_1_5).allowed
    # The agent's own step is undoable: going back on it is allowed.
    assert check_transition(matrix, bundle(edge_agent="1.5.0"), bundle(), CLOUD_1_5).allowed
    assert check_transition(matrix, None, newer, CLOUD_1_5).allowed


def test_a_transition_to_a_bundle_the_cloud_refuses_is_refused() -> None:
    verdict = check_transition(
        parse_matrix(MATRIX), bundle(), bundle(edge_agent="1.9.0"), CLOUD_1_5
    )
    assert rules(verdict) == [("edge-newer-than-cloud", "edge-agent")]


def test_an_agent_joining_is_checked_against_range_requirements_and_skew() -> None:
    matrix = parse_matrix(MATRIX)
    assert check_agent(matrix, "1.5.0", CLOUD_1_5).allowed
    assert rules(check_agent(matrix, "1.6.0", CLOUD_1_5)) == [
        ("edge-newer-than-cloud", "edge-agent")
    ]
    assert rules(check_agent(matrix, "3.0.0", CLOUD_2_0)) == [
        ("unsupported-version", "edge-agent"),
        ("edge-newer-than-cloud", "edge-agent"),
    ]


def test_the_shipped_matrix_allows_this_release_and_names_every_component() -> None:
    matrix = parse_matrix(packaged_matrix_text())
    assert set(matrix.components) == {
        "cloud",
        "replication",
        "edge-agent",
        "edge-projection",
        "pos-ui",
    }
    cloud = CloudVersions({"cloud": "0.1.0", "replication": "0.1.0"})
    assert check_agent(matrix, "0.1.0", cloud).allowed


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("format = 1", "format = 2"), "format 2 is not supported"),
        (
            lambda t: t.replace('versions = ">=3.0.0,<4.0.0"', 'versions = "three"'),
            r"components.edge-projection.releases\[0\].versions = 'three' is not a version range",
        ),
        (
            lambda t: t.replace("[components.pos-ui]", "[components.pos-ui-x]").replace(
                "components.pos-ui.", "components.pos-ui-x."
            ),
            "components.pos-ui is missing",
        ),
        (
            lambda t: t.replace(
                'requires = { replication = ">=1.0.0" }', 'requires = { kiosk = ">=1.0.0" }'
            ),
            "unknown component 'kiosk'",
        ),
        (
            lambda t: t.replace('against = "cloud"', 'against = "pos-ui"'),
            r"skew\[0\].against must be a cloud component",
        ),
        (
            lambda t: t.replace("version = 7", "version = 7\nowner = 'x'"),
            "unknown key\\(s\\) owner",
        ),
        (lambda t: t + "\n[[[", "not valid TOML"),
    ],
)
def test_a_wrong_matrix_is_refused_naming_the_key(edit, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MatrixInvalid, match=message):
        parse_matrix(edit(MATRIX))
