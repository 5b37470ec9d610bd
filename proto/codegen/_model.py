"""What the plugin understands of a proto file: its wired services, workflows and handlers.

Reads FileDescriptorProtos (with the wiring options registered) and checks the declarations;
knows nothing about the Python it will become.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf import descriptor_pb2, duration_pb2
from google.protobuf.message import Message

from ameide_core_proto.process.commerce.v1 import options_pb2

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=Message)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TEMPLATE_FIELD_TYPES = frozenset(
    {
        descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
        descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
        descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
        descriptor_pb2.FieldDescriptorProto.TYPE_UINT32,
        descriptor_pb2.FieldDescriptorProto.TYPE_UINT64,
        descriptor_pb2.FieldDescriptorProto.TYPE_SINT32,
        descriptor_pb2.FieldDescriptorProto.TYPE_SINT64,
        descriptor_pb2.FieldDescriptorProto.TYPE_FIXED32,
        descriptor_pb2.FieldDescriptorProto.TYPE_FIXED64,
        descriptor_pb2.FieldDescriptorProto.TYPE_SFIXED32,
        descriptor_pb2.FieldDescriptorProto.TYPE_SFIXED64,
    }
)
# Source-code-info path numbers (descriptor.proto field numbers).
_FILE_SERVICE = 6
_SERVICE_METHOD = 2


class WiringError(Exception):
    """A proto file's Temporal wiring options are incomplete or contradict each other.

    Raised while generating; protoc prints the message, which names the file, service and method.
    """


@dataclass(frozen=True)
class MessageRef:
    """Where the Python class of a proto message lives."""

    proto_file: str  # e.g. "ameide_core_proto/process/commerce/v1/store_site.proto"
    qualname: str  # e.g. "ProvisionStoreSiteInput" or "Outer.Inner"
    full_name: str  # e.g. "ameide_core_proto.process.commerce.v1.ProvisionStoreSiteInput"


@dataclass(frozen=True)
class Duration:
    """A google.protobuf.Duration option value."""

    seconds: int
    nanos: int


@dataclass(frozen=True)
class HandlerModel:
    """One signal, query or update of a workflow."""

    method: str  # rpc method name, e.g. "NotifyEnrollmentCompleted"
    name: str  # Temporal handler name, e.g. "EnrollmentCompleted"
    arg: MessageRef
    result: MessageRef
    comment: str


@dataclass(frozen=True)
class WorkflowModel:
    """One workflow: an rpc carrying the `workflow` option, plus the handlers naming it."""

    method: str
    name: str
    task_queue: str
    id_template: str
    input: MessageRef
    result: MessageRef
    execution_timeout: Duration | None
    run_timeout: Duration | None
    task_timeout: Duration | None
    signals: tuple[HandlerModel, ...]
    queries: tuple[HandlerModel, ...]
    updates: tuple[HandlerModel, ...]
    comment: str


@dataclass(frozen=True)
class ServiceModel:
    """A service whose rpcs declare workflows served on one task queue."""

    name: str
    task_queue: str
    workflows: tuple[WorkflowModel, ...]
    comment: str


@dataclass(frozen=True)
class FileModel:
    """The wired services of one proto file."""

    proto_file: str
    services: tuple[ServiceModel, ...]


class MessageIndex:
    """Every message the request knows, by fully qualified name."""

    def __init__(self, files: Sequence[descriptor_pb2.FileDescriptorProto]) -> None:
        self._refs: dict[str, MessageRef] = {}
        self._descriptors: dict[str, descriptor_pb2.DescriptorProto] = {}
        for file in files:
            prefix = f"{file.package}." if file.package else ""
            for qualname, message in _walk_messages(file.message_type, ""):
                full_name = prefix + qualname
                self._refs[full_name] = MessageRef(file.name, qualname, full_name)
                self._descriptors[full_name] = message

    def ref(self, type_name: str) -> MessageRef:
        """The message named `type_name` (".pkg.Name" as descriptors write it)."""
        return self._refs[type_name.lstrip(".")]

    def descriptor(self, ref: MessageRef) -> descriptor_pb2.DescriptorProto:
        return self._descriptors[ref.full_name]


def _walk_messages(
    messages: Sequence[descriptor_pb2.DescriptorProto], outer: str
) -> Iterator[tuple[str, descriptor_pb2.DescriptorProto]]:
    for message in messages:
        qualname = f"{outer}.{message.name}" if outer else message.name
        yield qualname, message
        yield from _walk_messages(message.nested_type, qualname)


def read_file(file: descriptor_pb2.FileDescriptorProto, index: MessageIndex) -> FileModel:
    """The wired services of `file`; services without wiring options are left out."""
    comments = {
        tuple(location.path): location.leading_comments
        for location in file.source_code_info.location
    }
    services = []
    for service_number, service in enumerate(file.service):
        if not _is_wired(service):
            continue
        where = f"{file.name}: service {service.name}"
        method_comments = {
            method.name: comments.get(
                (_FILE_SERVICE, service_number, _SERVICE_METHOD, method_number), ""
            )
            for method_number, method in enumerate(service.method)
        }
        services.append(
            _read_service(
                service,
                index,
                where,
                comments.get((_FILE_SERVICE, service_number), ""),
                method_comments,
            )
        )
    return FileModel(file.name, tuple(services))


def _option(options: Message, extension: object, wiring_type: type[_M]) -> _M | None:
    """The wiring option `extension` set on `options`, or None.

    Stub generators type extension handles differently, so they are read untyped here and the
    value is checked instead.
    """
    untyped: Any = options
    if not untyped.HasExtension(extension):
        return None
    value: object = untyped.Extensions[extension]
    if not isinstance(value, wiring_type):
        raise TypeError(f"option is {type(value).__name__}; expected {wiring_type.__name__}")
    return value


def _service_wiring(
    service: descriptor_pb2.ServiceDescriptorProto,
) -> options_pb2.ServiceWiring | None:
    return _option(service.options, options_pb2.service, options_pb2.ServiceWiring)


def _workflow_wiring(
    method: descriptor_pb2.MethodDescriptorProto,
) -> options_pb2.WorkflowWiring | None:
    return _option(method.options, options_pb2.workflow, options_pb2.WorkflowWiring)


@dataclass(frozen=True)
class _HandlerWiring:
    kind: str  # "signal", "query" or "update"
    workflow: str  # method name of the workflow it belongs to
    name: str  # Temporal handler name


def _handler_wirings(method: descriptor_pb2.MethodDescriptorProto) -> list[_HandlerWiring]:
    found = []
    signal = _option(method.options, options_pb2.signal, options_pb2.SignalWiring)
    if signal is not None:
        found.append(_HandlerWiring("signal", signal.workflow, signal.name or method.name))
    query = _option(method.options, options_pb2.query, options_pb2.QueryWiring)
    if query is not None:
        found.append(_HandlerWiring("query", query.workflow, query.name or method.name))
    update = _option(method.options, options_pb2.update, options_pb2.UpdateWiring)
    if update is not None:
        found.append(_HandlerWiring("update", update.workflow, update.name or method.name))
    return found


def _wiring_kinds(method: descriptor_pb2.MethodDescriptorProto) -> list[str]:
    kinds = ["workflow"] if _workflow_wiring(method) is not None else []
    return kinds + [handler.kind for handler in _handler_wirings(method)]


def _is_wired(service: descriptor_pb2.ServiceDescriptorProto) -> bool:
    return _service_wiring(service) is not None or any(
        _wiring_kinds(method) for method in service.method
    )


def _read_service(
    service: descriptor_pb2.ServiceDescriptorProto,
    index: MessageIndex,
    where: str,
    comment: str,
    method_comments: dict[str, str],
) -> ServiceModel:
    service_wiring = _service_wiring(service)
    task_queue = service_wiring.task_queue if service_wiring is not None else ""
    if not task_queue:
        raise WiringError(
            f'{where} has no task queue; add option (service) = {{task_queue: "..."}}'
        )
    workflow_methods: list[descriptor_pb2.MethodDescriptorProto] = []
    handlers: dict[str, list[tuple[_HandlerWiring, descriptor_pb2.MethodDescriptorProto]]] = {}
    for method in service.method:
        kinds = _wiring_kinds(method)
        if len(kinds) != 1:
            found = " and ".join(kinds) if kinds else "none"
            raise WiringError(
                f"{where}: rpc {method.name} must carry exactly one of the options "
                f"workflow, signal, query, update (found {found})"
            )
        if method.client_streaming or method.server_streaming:
            raise WiringError(
                f"{where}: rpc {method.name} streams; workflow rpcs take and return one message"
            )
        if kinds == ["workflow"]:
            workflow_methods.append(method)
            continue
        wiring = _handler_wirings(method)[0]
        handlers.setdefault(wiring.workflow, []).append((wiring, method))
    known = {method.name for method in workflow_methods}
    for owner, owned in handlers.items():
        if owner not in known:
            wiring, method = owned[0]
            raise WiringError(
                f"{where}: {wiring.kind} rpc {method.name} names workflow {owner!r}, which is "
                "not an rpc of this service with the workflow option "
                f"(known: {', '.join(sorted(known))})"
            )
    workflows = tuple(
        _read_workflow(
            method,
            task_queue,
            handlers.get(method.name, []),
            index,
            f"{where}: rpc {method.name}",
            method_comments,
        )
        for method in workflow_methods
    )
    names = [workflow.name for workflow in workflows]
    for name in names:
        if names.count(name) > 1:
            raise WiringError(f"{where} declares workflow name {name!r} twice")
    return ServiceModel(service.name, task_queue, workflows, comment)


def _read_workflow(
    method: descriptor_pb2.MethodDescriptorProto,
    service_task_queue: str,
    handlers: list[tuple[_HandlerWiring, descriptor_pb2.MethodDescriptorProto]],
    index: MessageIndex,
    where: str,
    method_comments: dict[str, str],
) -> WorkflowModel:
    wiring = _workflow_wiring(method) or options_pb2.WorkflowWiring()
    input_ref = index.ref(method.input_type)
    if not wiring.id:
        raise WiringError(
            f'{where} has no workflow id template; set id: "<kind>/{{<input field>}}" '
            "in its workflow option"
        )
    _check_id_template(wiring.id, index.descriptor(input_ref), where)
    by_kind: dict[str, list[HandlerModel]] = {"signal": [], "query": [], "update": []}
    for handler_wiring, handler_method in handlers:
        kind = handler_wiring.kind
        handler = HandlerModel(
            method=handler_method.name,
            name=handler_wiring.name,
            arg=index.ref(handler_method.input_type),
            result=index.ref(handler_method.output_type),
            comment=method_comments.get(handler_method.name, ""),
        )
        if any(other.name == handler.name for other in by_kind[kind]):
            raise WiringError(f"{where} declares {kind} name {handler.name!r} twice")
        by_kind[kind].append(handler)
    return WorkflowModel(
        method=method.name,
        name=wiring.name or method.name,
        task_queue=wiring.task_queue or service_task_queue,
        id_template=wiring.id,
        input=input_ref,
        result=index.ref(method.output_type),
        execution_timeout=_duration(wiring.execution_timeout, wiring.HasField("execution_timeout")),
        run_timeout=_duration(wiring.run_timeout, wiring.HasField("run_timeout")),
        task_timeout=_duration(wiring.task_timeout, wiring.HasField("task_timeout")),
        signals=tuple(by_kind["signal"]),
        queries=tuple(by_kind["query"]),
        updates=tuple(by_kind["update"]),
        comment=method_comments.get(method.name, ""),
    )


def _duration(value: duration_pb2.Duration, is_set: bool) -> Duration | None:
    """The timeout, or None when unset or zero (Temporal reads zero as "no timeout")."""
    if not is_set or (value.seconds == 0 and value.nanos == 0):
        return None
    return Duration(value.seconds, value.nanos)


def _check_id_template(template: str, message: descriptor_pb2.DescriptorProto, where: str) -> None:
    fields = {field.name: field for field in message.field}
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        raise WiringError(f"{where}: id template {template!r} has an unmatched brace")
    for placeholder in _PLACEHOLDER.findall(template):
        if not _IDENTIFIER.fullmatch(placeholder):
            raise WiringError(
                f"{where}: id template {template!r} has placeholder {{{placeholder}}}, "
                "which is not a field name"
            )
        field = fields.get(placeholder)
        if field is None:
            raise WiringError(
                f"{where}: id template {template!r} names field {placeholder!r}, which "
                f"{message.name} does not have (fields: {', '.join(fields) or 'none'})"
            )
        if (
            field.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
            or field.type not in _TEMPLATE_FIELD_TYPES
        ):
            raise WiringError(
                f"{where}: id template {template!r} names field {placeholder!r}, which is not "
                "a single string or integer field"
            )
