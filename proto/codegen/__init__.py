"""protoc-gen-temporal-py: a protoc plugin that turns the Temporal wiring options of proto
services into typed clients and checked worker registration. Build tool only: touches no runtime.
"""

from __future__ import annotations

from codegen.plugin import generate, main

__all__ = ["generate", "main"]
