"""The shared runtime of every generated `*_temporal.py`: the workflow declaration type, the
registration check and the two helpers the generated clients call.

Hand-written (not generated); cloud side only: it imports temporalio, and only generated
`*_temporal.py` modules import it, so the edge install never loads it. The registration check
reads the SDK's private `temporalio.workflow._Definition`; tests/proto/test_temporal_runtime.py
pins that name so an SDK upgrade that moves it fails loudly.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import temporalio.client
import temporalio.workflow
from google.protobuf.message import Message

__all__ = [
    "WorkflowDeclaration",
    "WorkflowRegistrationError",
    "check_workflow_implementation",
    "expect_message",
    "start_workflow",
]

_M = TypeVar("_M", bound=Message)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class WorkflowRegistrationError(Exception):
    """A workflow class does not match its declaration in the proto contract.

    Raised before a worker starts; the message names the workflow, what was expected and what
    was found.
    """


@dataclass(frozen=True)
class WorkflowDeclaration:
    """The Temporal wiring of one workflow, as declared by the options of its proto rpc."""

    name: str
    """Temporal workflow type name."""
    task_queue: str
    """Task queue the workflow runs on: the rpc's override, else the service's."""
    id_template: str
    """Workflow id template; `{field}` is replaced by that field of the input."""
    input_type: type[Message]
    result_type: type[Message]
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    signals: Mapping[str, type[Message]]
    """Signal name -> argument type."""
    queries: Mapping[str, tuple[type[Message], type[Message]]]
    """Query name -> (argument type, result type)."""
    updates: Mapping[str, tuple[type[Message], type[Message]]]
    """Update name -> (argument type, result type)."""

    def workflow_id(self, input: Message) -> str:
        """The workflow id for `input`: the id template with each `{field}` filled in.

        Raises:
            TypeError: `input` is not this workflow's input message.
            ValueError: a templated field is unknown or empty.
        """
        if not isinstance(input, self.input_type):
            raise TypeError(
                f"workflow {self.name}: input is {type(input).__name__}; "
                f"expected {self.input_type.DESCRIPTOR.full_name}"
            )

        def fill(match: re.Match[str]) -> str:
            field = match.group(1)
            if field not in input.DESCRIPTOR.fields_by_name:
                raise ValueError(
                    f"workflow {self.name}: id template {self.id_template!r} names field "
                    f"{field!r}, which {input.DESCRIPTOR.full_name} does not have"
                )
            value = str(getattr(input, field))
            if not value:
                raise ValueError(
                    f"workflow {self.name}: field {field!r} of {input.DESCRIPTOR.full_name} "
                    f"is empty; set it, the workflow id {self.id_template!r} is made from it"
                )
            return value

        return _PLACEHOLDER.sub(fill, self.id_template)


def check_workflow_implementation(declaration: WorkflowDeclaration, cls: type) -> None:
    """Checks that `cls` is a `@workflow.defn` class implementing `declaration`.

    Compares the workflow name, the run method's input and result types, and each declared
    signal, query and update (present under its name, taking and returning the declared
    messages). Annotations are resolved with `typing.get_type_hints`.

    Raises:
        WorkflowRegistrationError: the first mismatch found.
    """
    where = f"workflow {declaration.name!r}"
    class_name = getattr(cls, "__qualname__", repr(cls))
    definition = temporalio.workflow._Definition.from_class(cls) if isinstance(cls, type) else None
    if definition is None:
        raise WorkflowRegistrationError(
            f"{where}: {class_name} is not a @workflow.defn class; "
            f"decorate it with @workflow.defn(name={declaration.name!r})"
        )
    if definition.name != declaration.name:
        raise WorkflowRegistrationError(
            f"{where}: class {class_name} is registered as workflow {definition.name!r}; "
            f"expected {declaration.name!r}, set @workflow.defn(name={declaration.name!r})"
        )
    _check_handler(
        f"{where}: run method of {class_name}",
        definition.run_fn,
        declaration.input_type,
        declaration.result_type,
    )
    for name, arg_type in declaration.signals.items():
        signal = definition.signals.get(name)
        if signal is None:
            raise WorkflowRegistrationError(
                f"{where}: class {class_name} has no signal {name!r}; expected "
                f"@workflow.signal(name={name!r}) taking {_type_name(arg_type)}"
            )
        _check_handler(f"{where}: signal {name!r} of {class_name}", signal.fn, arg_type, None)
    for name, (arg_type, result_type) in declaration.queries.items():
        query = definition.queries.get(name)
        if query is None:
            raise WorkflowRegistrationError(
                f"{where}: class {class_name} has no query {name!r}; expected "
                f"@workflow.query(name={name!r}) taking {_type_name(arg_type)} "
                f"and returning {_type_name(result_type)}"
            )
        _check_handler(f"{where}: query {name!r} of {class_name}", query.fn, arg_type, result_type)
    for name, (arg_type, result_type) in declaration.updates.items():
        update = definition.updates.get(name)
        if update is None:
            raise WorkflowRegistrationError(
                f"{where}: class {class_name} has no update {name!r}; expected "
                f"@workflow.update(name={name!r}) taking {_type_name(arg_type)} "
                f"and returning {_type_name(result_type)}"
            )
        _check_handler(
            f"{where}: update {name!r} of {class_name}", update.fn, arg_type, result_type
        )


def _check_handler(
    what: str,
    fn: Callable[..., object],
    arg_type: type[Message],
    result_type: type[Message] | None,
) -> None:
    try:
        hints = typing.get_type_hints(fn)
    except Exception as error:
        raise WorkflowRegistrationError(
            f"{what}: its type annotations do not resolve ({error}); "
            "import the annotated types at module level"
        ) from error
    parameters = list(inspect.signature(fn).parameters.values())
    if not inspect.ismethod(fn):
        parameters = parameters[1:]  # self
    if len(parameters) != 1:
        raise WorkflowRegistrationError(
            f"{what} takes {len(parameters)} parameters besides self; "
            f"expected exactly one, of type {_type_name(arg_type)}"
        )
    found = hints.get(parameters[0].name)
    if found is not arg_type:
        raise WorkflowRegistrationError(
            f"{what} takes {_type_name(found)}; expected {_type_name(arg_type)}"
        )
    if result_type is not None:
        found = hints.get("return")
        if found is not result_type:
            raise WorkflowRegistrationError(
                f"{what} returns {_type_name(found)}; expected {_type_name(result_type)}"
            )


def _type_name(annotation: object) -> str:
    if annotation is None:
        return "no annotation"
    if isinstance(annotation, type) and issubclass(annotation, Message):
        return annotation.DESCRIPTOR.full_name
    return getattr(annotation, "__qualname__", repr(annotation))


def expect_message(expected: type[_M], value: object, what: str) -> _M:
    """`value` when it is an `expected` message, else `TypeError` saying what it is."""
    if not isinstance(value, expected):
        raise TypeError(
            f"{what} is {type(value).__name__}; expected {expected.DESCRIPTOR.full_name}"
        )
    return value


async def start_workflow(
    client: temporalio.client.Client,
    declaration: WorkflowDeclaration,
    input: Message,
    *,
    id: str | None,
    task_queue: str | None,
    options: Mapping[str, Any],
) -> temporalio.client.WorkflowHandle[Any, Any]:
    """Starts the declared workflow with its declared id, task queue and timeouts.

    `id` and `task_queue` override the declaration when given; `options` go to
    `Client.start_workflow` as they are.
    """
    if not isinstance(input, declaration.input_type):
        raise TypeError(
            f"workflow {declaration.name}: input is {type(input).__name__}; "
            f"expected {declaration.input_type.DESCRIPTOR.full_name}"
        )
    arguments: dict[str, Any] = {
        "id": id if id is not None else declaration.workflow_id(input),
        "task_queue": task_queue if task_queue is not None else declaration.task_queue,
        "result_type": declaration.result_type,
        "execution_timeout": declaration.execution_timeout,
        "run_timeout": declaration.run_timeout,
        "task_timeout": declaration.task_timeout,
    }
    arguments.update(options)
    return await client.start_workflow(declaration.name, input, **arguments)
