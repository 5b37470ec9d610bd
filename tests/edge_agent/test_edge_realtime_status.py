"""What the health page says about real-time operations: who decides each kind now, the
offline policy and limits in force, the exposure taken offline and open compensations."""

from __future__ import annotations

from ameide_core_proto.process.commerce.v1 import options_pb2, realtime_pb2
from edge_agent.health.report import build_report
from edge_agent.health.server import render_html
from edge_agent.realtime.journal import JournalSummary, KindExposure, OpenCompensation
from edge_agent.realtime.policy import policies_in_force
from edge_agent.realtime.status import build_realtime_status


def test_the_health_page_shows_policies_exposure_and_open_compensations() -> None:
    policies = policies_in_force(
        [
            realtime_pb2.OfflinePolicyOverride(
                kind=realtime_pb2.OPERATION_KIND_LOYALTY_REDEEM,
                policy=options_pb2.OFFLINE_POLICY_REFUSE,
            )
        ]
    )
    summary = JournalSummary(
        unsettled=2,
        in_doubt=1,
        offline_decisions=3,
        exposure=[KindExposure("gift-card-redeem", 3000, 2000)],
        open_compensations=[
            OpenCompensation("rt-exc/s/op-9", "op-9", "gift-card-redeem", "balance too low")
        ],
    )
    page = render_html(
        build_report(None, None, realtime=build_realtime_status(policies, summary, False))
    )
    assert (
        "Operation gift-card-redeem</th><td>store policy now; offline: allow-within-limits, "
        "5000 per card/account, 50000 per store/day" in page
    )
    assert "Operation loyalty-redeem</th><td>store policy now; offline: refuse" in page
    assert "Offline exposure gift-card-redeem</th><td>3000 today, 2000 not yet settled" in page
    assert "2 (1 in doubt)" in page
    assert "Open compensation rt-exc/s/op-9</th><td>gift-card-redeem op-9: balance too low" in page
