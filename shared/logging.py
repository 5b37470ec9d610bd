"""Logging setup for entry points (the CLIs and daemons); library modules only log."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Send records to stderr with time, level and logger name."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
