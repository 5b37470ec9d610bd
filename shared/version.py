"""The installed version of this distribution (agent version, worker build id)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "ameide-commerce-process"


def package_version() -> str:
    """Version of the installed distribution, or 0.0.0 when running from a bare checkout."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0.0.0"
