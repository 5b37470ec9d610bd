"""How generated `*_temporal.py` modules reach their shared runtime.

The runtime itself is the hand-written module `ameide_core_proto._temporal_runtime` (installed
with the contracts); generated code imports it instead of carrying a copy. Text only; nothing
here runs here.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

RUNTIME_MODULE = "ameide_core_proto._temporal_runtime"

# Imports the generated code needs, as (module, name) for `from module import name` or
# (module, "") for `import module`. The renderer merges them with the message-module imports.
STDLIB_IMPORTS: tuple[tuple[str, str], ...] = (
    ("__future__", "annotations"),
    ("datetime", "timedelta"),
    ("types", "MappingProxyType"),
    ("typing", "Any"),
    ("typing", "Final"),
)
THIRD_PARTY_IMPORTS: tuple[tuple[str, str], ...] = (("temporalio.client", ""),)
# Names of the runtime the generated code uses; the first three are re-exported.
RUNTIME_EXPORTS: tuple[str, ...] = (
    "WorkflowDeclaration",
    "WorkflowRegistrationError",
    "check_workflow_implementation",
)
RUNTIME_HELPERS: tuple[str, ...] = ("expect_message", "start_workflow")
RUNTIME_IMPORTS: tuple[tuple[str, str], ...] = tuple(
    (RUNTIME_MODULE, name) for name in (*RUNTIME_EXPORTS, *RUNTIME_HELPERS)
)
