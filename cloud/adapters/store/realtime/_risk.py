"""Embedded rules-based risk scorer: an amount rule and a velocity rule (checks of the same
subject within a window), over the decisions already recorded.

Adapter room: reads `realtime_operations` inside the transaction the ledger opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.adapters.store.realtime._answer import Provider, ProviderAnswer, approve, refuse
from cloud.store.realtime_tables import realtime_operations
from shared.realtime import subject_of


@dataclass(frozen=True)
class RiskRules:
    """Thresholds of the embedded scorer."""

    max_amount_minor_units: int = 100_000
    """A single transaction above this is held."""
    velocity_window: timedelta = timedelta(minutes=10)
    velocity_max_checks: int = 5
    """More approved checks of one subject within the window are held."""


def risk_decider(rules: RiskRules) -> Provider:
    """A provider scoring with `rules`."""

    def decide(
        conn: sa.Connection, site_id: str, op: realtime_pb2.RealtimeOperation, now: datetime
    ) -> ProviderAnswer:
        amount = op.risk_check.amount.minor_units
        t = realtime_operations.c
        recent = int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(realtime_operations)
                .where(
                    t.subject == subject_of(op),
                    t.kind == realtime_pb2.OPERATION_KIND_RISK_CHECK,
                    t.verdict == realtime_pb2.VERDICT_APPROVED,
                    t.decided_at > now - rules.velocity_window,
                )
            ).scalar_one()
        )
        score = min(100, amount * 50 // rules.max_amount_minor_units + recent * 10)
        if amount > rules.max_amount_minor_units:
            return refuse(
                "AmountRule",
                f"amount {amount} is above {rules.max_amount_minor_units}; ask for another tender "
                "or a manager's approval",
            )
        if recent >= rules.velocity_max_checks:
            return refuse(
                "VelocityRule",
                f"{recent} checks of {op.risk_check.subject} in the last "
                f"{int(rules.velocity_window.total_seconds() // 60)} minutes; hold the transaction",
            )
        return approve(f"risk score {score}", realtime_pb2.OperationOutcome(risk_score=score))

    return decide
