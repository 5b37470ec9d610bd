"""The runtime every generated `*_temporal.py` imports: one module, and the SDK names it needs.

`check_workflow_implementation` reads the SDK's private workflow definition; these tests pin
that private surface so an SDK upgrade that changes it fails here, by name, rather than deep
inside a worker start.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import temporalio.workflow

import ameide_core_proto._temporal_runtime as runtime
from ameide_core_proto.process.commerce.v1 import store_site_pb2
from ameide_core_proto.process.commerce.v1 import workflows_temporal as wiring
from tests.proto.tiny_workflows import TinyProvisionStoreSite

GENERATED = Path(wiring.__file__)


def test_generated_module_imports_the_runtime_instead_of_a_copy() -> None:
    text = GENERATED.read_text()
    assert "from ameide_core_proto._temporal_runtime import (" in text
    for definition in ("class WorkflowDeclaration", "def check_workflow_implementation"):
        assert definition not in text, f"{GENERATED.name} carries a copy of `{definition}`"
    assert wiring.WorkflowDeclaration is runtime.WorkflowDeclaration
    assert wiring.WorkflowRegistrationError is runtime.WorkflowRegistrationError
    assert wiring.check_workflow_implementation is runtime.check_workflow_implementation


def test_runtime_exports_are_pinned() -> None:
    assert runtime.__all__ == [
        "WorkflowDeclaration",
        "WorkflowRegistrationError",
        "check_workflow_implementation",
        "expect_message",
        "start_workflow",
    ]


def test_private_sdk_definition_still_has_what_the_check_reads() -> None:
    # If this fails after a temporalio upgrade, adapt check_workflow_implementation (and
    # tests/cloud/workflows/corpus.py, which uses must_from_class) to the new SDK surface.
    definition_type = getattr(temporalio.workflow, "_Definition", None)
    assert definition_type is not None, "temporalio.workflow._Definition is gone"
    definition = definition_type.from_class(TinyProvisionStoreSite)
    assert definition is not None
    assert definition_type.must_from_class(TinyProvisionStoreSite) is definition
    assert definition_type.from_class(object) is None
    assert definition.name == "ProvisionStoreSite"
    assert callable(definition.run_fn)
    assert set(definition.signals) == {"EnrollmentCompleted"}
    assert set(definition.queries) == {"GetProvisionStatus"}
    assert set(definition.updates) == {"WaitForProvisionStep"}
    for handler in (
        definition.signals["EnrollmentCompleted"],
        definition.queries["GetProvisionStatus"],
        definition.updates["WaitForProvisionStep"],
    ):
        assert callable(handler.fn)


def test_expect_message_names_what_it_got() -> None:
    status = store_site_pb2.ProvisionStoreSiteStatus()
    assert runtime.expect_message(store_site_pb2.ProvisionStoreSiteStatus, status, "x") is status
    with pytest.raises(TypeError) as refused:
        runtime.expect_message(store_site_pb2.ProvisionStoreSiteStatus, "text", "result of q")
    expected = "ameide_core_proto.process.commerce.v1.ProvisionStoreSiteStatus"
    assert str(refused.value) == f"result of q is str; expected {expected}"
