"""A site's health as its agent last reported it (`AgentHealth` with its pulls).

Plain data and its conversion from the wire (no I/O): the gateway builds it, the store keeps
it, the rollout probe and `sites show` read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ameide_core_proto.process.commerce.v1 import sync_pb2
from shared.errors import InvalidInput


@dataclass(frozen=True)
class SiteHealthReport:
    """Replication lag, checksum results and error counts (since the agent process started)."""

    replication_lag: int
    # Down streams whose rows did not add up to their checksum at the last verification.
    checksum_mismatches: tuple[str, ...]
    checksums_verified_at: datetime | None
    # Errors by kind ("pos", "pull", "push", "control", "install") since the agent started.
    error_counts: dict[str, int] = field(default_factory=dict)
    last_error: str = ""
    reported_at: datetime | None = None

    @property
    def errors(self) -> int:
        return sum(self.error_counts.values())

    def key(self) -> tuple[object, ...]:
        """What the report says (not when): equal keys need not be written again soon."""
        return (
            self.replication_lag,
            self.checksum_mismatches,
            self.checksums_verified_at,
            tuple(sorted(self.error_counts.items())),
            self.last_error,
        )


def health_from_proto(health: sync_pb2.AgentHealth, at: datetime) -> SiteHealthReport:
    """The report an agent sent at `at`; `InvalidInput` naming the field when it is nonsense."""
    if health.replication_lag < 0:
        raise InvalidInput(
            f"health.replication_lag {health.replication_lag} is negative; report 0 or more"
        )
    for kind, count in health.error_counts.items():
        if count < 0 or not kind or len(kind) > 32:
            raise InvalidInput(
                f"health.error_counts[{kind!r}] = {count}: kinds are 1-32 characters and "
                "counts 0 or more"
            )
    for stream in health.checksum_mismatches:
        if not stream or len(stream) > 64:
            raise InvalidInput(f"health.checksum_mismatches names {stream!r}; name a stream")
    return SiteHealthReport(
        replication_lag=health.replication_lag,
        checksum_mismatches=tuple(sorted(set(health.checksum_mismatches))),
        checksums_verified_at=health.checksums_verified_at.ToDatetime(tzinfo=at.tzinfo)
        if health.HasField("checksums_verified_at")
        else None,
        error_counts=dict(sorted(health.error_counts.items())),
        last_error=health.last_error[:1000],
        reported_at=at,
    )
