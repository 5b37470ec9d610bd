"""The in-store edge agent (`commerce-edge`): site identity, control stream, local projection.

Imports `shared` and the generated protos only; never `cloud`, never `temporalio`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ameide-commerce-process")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
