"""The public surface of the agent's projection, outbox and health packages: pinned."""

from __future__ import annotations

import edge_agent.health
import edge_agent.outbox
import edge_agent.pos
import edge_agent.projection


def test_projection_exports() -> None:
    assert sorted(edge_agent.projection.__all__) == [
        "AppliedPage",
        "ConnectionState",
        "DEFAULT_BUSY_TIMEOUT_SECONDS",
        "PreparedPage",
        "Projection",
        "StartRebuild",
        "StoredSiteConfig",
        "StreamState",
        "database_path",
        "read_connection_state",
        "read_start_rebuild",
        "read_stream_states",
    ]
    assert all(hasattr(edge_agent.projection, name) for name in edge_agent.projection.__all__)


def test_outbox_exports() -> None:
    assert sorted(edge_agent.outbox.__all__) == [
        "DEFAULT_BATCH_LIMIT",
        "DEFAULT_BATCH_MAX_BYTES",
        "Outbox",
        "OutboxBatch",
        "Recorded",
        "RefusedRecord",
        "idempotency_key",
        "outbox_path",
        "read_outbox_pending",
        "read_outbox_refused",
    ]
    assert all(hasattr(edge_agent.outbox, name) for name in edge_agent.outbox.__all__)


def test_pos_exports() -> None:
    assert sorted(edge_agent.pos.__all__) == [
        "OutboxWrites",
        "PosServer",
        "PosServicer",
        "ProjectionReads",
    ]
    assert all(hasattr(edge_agent.pos, name) for name in edge_agent.pos.__all__)


def test_health_exports() -> None:
    assert sorted(edge_agent.health.__all__) == [
        "HealthServer",
        "IdentitySummary",
        "LiveStatus",
        "StatusReport",
        "build_report",
        "gather_status",
        "render_html",
    ]
    assert all(hasattr(edge_agent.health, name) for name in edge_agent.health.__all__)


def test_installer_exports() -> None:
    import edge_agent.installer

    assert sorted(edge_agent.installer.__all__) == sorted(
        [
            "BASE_RELEASE",
            "HEALTH_GATE",
            "INSTALLED",
            "ROLLED_BACK",
            "START_STEP",
            "BasketLeases",
            "BundleRefused",
            "BundleSource",
            "CalendarError",
            "DroppedBundles",
            "GateChecks",
            "InstallPlan",
            "InstallerService",
            "Journal",
            "JournalFile",
            "LeaseNotFound",
            "LeaseRefused",
            "Phase",
            "PlanError",
            "Recovery",
            "ReleaseLayout",
            "RunningRelease",
            "StartDecision",
            "TradingCalendar",
            "calendar_from_proto",
            "exec_release",
            "exec_restart",
            "installed_bundles",
            "plan_from_manifest",
            "probe_release",
            "running_release",
            "stage",
            "startable_release",
        ]
    )
    assert all(hasattr(edge_agent.installer, name) for name in edge_agent.installer.__all__)
