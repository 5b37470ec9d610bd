"""Projection room: a page's record bytes exactly as the cloud sent them, without
re-serializing each parsed record.

Pure; touches nothing. `RawChangeList` is `ChangeList` with every member of the `Change.record`
oneof declared as `bytes` (same field numbers, same wire type: length-delimited), built once
in a private descriptor pool. Parsing a page's payload with it hands over each record's bytes
as they came over the wire; those are the bytes the cloud's log stores and hashes (its
deterministic serialization), so the checksum share of a row is computed from them directly.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from ameide_core_proto.process.commerce.v1 import records_pb2


def _raw_change_list_class() -> Any:
    change = records_pb2.Change.DESCRIPTOR
    file = descriptor_pb2.FileDescriptorProto(
        name="edge_agent/projection/raw_change.proto",
        package="edge_agent.projection.raw",
        syntax="proto3",
    )
    raw = file.message_type.add(name="RawChange")
    oneof = change.oneofs_by_name["record"]
    raw.oneof_decl.add(name="record")
    for field in oneof.fields:
        raw.field.add(
            name=field.name,
            number=field.number,
            type=descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
            label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
            oneof_index=0,
        )
    listing = file.message_type.add(name="RawChangeList")
    listing.field.add(
        name="changes",
        number=records_pb2.ChangeList.DESCRIPTOR.fields_by_name["changes"].number,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
        type_name=".edge_agent.projection.raw.RawChange",
        label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(
        pool.FindMessageTypeByName("edge_agent.projection.raw.RawChangeList")
    )


RawChangeList: Any = _raw_change_list_class()
"""`ChangeList` whose changes carry only their record, as bytes (`changes[i].<field>`)."""
