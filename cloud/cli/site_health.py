"""How `sites show` renders the health a site's agent last reported.

CLI room: pure formatting of a `SiteHealthReport` into table rows and a JSON object; no I/O.
"""

from __future__ import annotations

from typing import Any

from cloud.cli.output import when
from cloud.site_health import SiteHealthReport

__all__ = ["health_json", "health_rows"]


def health_json(report: SiteHealthReport | None) -> dict[str, Any] | None:
    """The `health` object of `sites show --json` (null: the agent never reported health)."""
    if report is None:
        return None
    return {
        "replication_lag": report.replication_lag,
        "checksum_mismatches": list(report.checksum_mismatches),
        "checksums_verified_at": None
        if report.checksums_verified_at is None
        else report.checksums_verified_at.isoformat(),
        "error_counts": dict(report.error_counts),
        "last_error": report.last_error,
        "reported_at": None if report.reported_at is None else report.reported_at.isoformat(),
    }


def health_rows(report: SiteHealthReport | None) -> list[tuple[str, str]]:
    """Rows of `sites show`: lag, checksum results and errors since the agent started."""
    if report is None:
        return [("health", "- (the agent has not reported health signals)")]
    if report.checksums_verified_at is None:
        checksums = "not verified since the agent started"
    elif report.checksum_mismatches:
        checksums = (
            f"MISMATCH in {', '.join(report.checksum_mismatches)} "
            f"({when(report.checksums_verified_at)}); rebuild with `sites rebuild`"
        )
    else:
        checksums = f"match ({when(report.checksums_verified_at)})"
    errors = ", ".join(f"{kind} {n}" for kind, n in sorted(report.error_counts.items()) if n)
    rows = [
        ("replication lag", f"{report.replication_lag} changes"),
        ("checksums", checksums),
        ("errors since start", errors or "none"),
    ]
    if report.last_error:
        rows.append(("last error", report.last_error))
    rows.append(("health reported", when(report.reported_at)))
    return rows
