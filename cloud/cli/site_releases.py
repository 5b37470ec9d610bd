"""How `sites list` and `sites show` render a site's releases.

CLI room: pure formatting of store records into table cells and JSON objects; no I/O.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from cloud.adapters.store.records import SiteRecord, SiteRelease
from cloud.cli.output import jsonable, when

__all__ = ["last_install_cell", "release_cell", "release_rows", "site_view"]


def _release_json(release: SiteRelease | None) -> dict[str, Any] | None:
    if release is None:
        return None
    last = None
    if release.last_install_bundle or release.last_install_outcome:
        last = {
            "bundle_id": release.last_install_bundle,
            "outcome": release.last_install_outcome,
            "failed_step": release.last_install_failed_step,
            "message": release.last_install_message,
        }
    return {
        "current_bundle": release.current_bundle,
        "last_known_good": release.last_known_good,
        "last_install": last,
        "reported_at": release.reported_at.isoformat(),
    }


def site_view(record: SiteRecord, release: SiteRelease | None) -> dict[str, Any]:
    """The site's JSON object with its `release` (null: its agent never reported one)."""
    view: dict[str, Any] = jsonable(asdict(record))
    view["release"] = _release_json(release)
    return view


def release_cell(release: SiteRelease | None) -> str:
    """`current (lkg X)` for the listing; '-' when the agent never reported."""
    if release is None:
        return "-"
    if release.last_known_good and release.last_known_good != release.current_bundle:
        return f"{release.current_bundle} (last-known-good {release.last_known_good})"
    return release.current_bundle


def last_install_cell(release: SiteRelease | None) -> str:
    if release is None or not release.last_install_outcome:
        return "-"
    text = f"{release.last_install_bundle} {release.last_install_outcome.replace('_', ' ')}"
    if release.last_install_failed_step:
        text += f" at {release.last_install_failed_step}"
    return text


def release_rows(release: SiteRelease | None) -> list[tuple[str, str]]:
    """Rows of `sites show`: current bundle, last-known-good and the last install."""
    if release is None:
        return [("current bundle", "- (the agent has not reported a release)")]
    rows = [
        ("current bundle", release.current_bundle),
        ("last-known-good", release.last_known_good or "-"),
        ("last install", last_install_cell(release)),
    ]
    if release.last_install_message:
        rows.append(("last install message", release.last_install_message))
    rows.append(("release reported", when(release.reported_at)))
    return rows
