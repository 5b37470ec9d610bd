"""Input rules of the change log: which streams exist, what record each carries, what scope
shape it takes, and the check of one published change.

Pure room: inspects protobuf messages; no I/O. The store, the publish service and the
import service all judge changes here.
"""

from __future__ import annotations

import re

from ameide_core_proto.process.commerce.v1 import records_pb2
from cloud.workflows.bindings import DEFAULT_DOWNSYNC_STREAMS, SITE_DOWNSYNC_STREAMS
from shared.errors import InvalidInput

# The record field of `Change` each down stream carries, and the field of that record
# holding the entity's key.
RECORD_FIELD: dict[str, str] = {
    "catalog": "catalog_item",
    "prices": "price",
    "promotions": "promotion",
    "customers": "customer",
    "store-config": "store_configuration",
}
KEY_FIELD: dict[str, str] = {
    "catalog_item": "sku",
    "price": "price_id",
    "promotion": "promotion_id",
    "customer": "customer_id",
    "store_configuration": "site_id",
}
# Scope prefix each down stream requires.
SCOPE_KIND: dict[str, str] = {
    **{stream: "channel" for stream in DEFAULT_DOWNSYNC_STREAMS},
    **{stream: "site" for stream in SITE_DOWNSYNC_STREAMS},
}
DOWN_STREAMS: tuple[str, ...] = tuple(SCOPE_KIND)

MAX_KEY_LENGTH = 256
_SCOPE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")

assert set(RECORD_FIELD) == set(SCOPE_KIND), "every down stream needs a record and a scope"


class InvalidChange(InvalidInput):
    """A change is malformed; `.index` and `.field` say which and where."""

    def __init__(self, index: int, field: str, problem: str) -> None:
        super().__init__(f"change {index}: {field}: {problem}")
        self.index = index
        self.field = field
        self.problem = problem


def check_scope(stream: str, scope: str) -> None:
    """Raise `InvalidInput` unless `scope` has the shape `stream` needs."""
    kind = SCOPE_KIND[stream]
    prefix, _, ident = scope.partition("/")
    if prefix != kind or not _SCOPE_ID.match(ident):
        raise InvalidInput(
            f"scope {scope!r} is not valid for stream {stream!r}; "
            f"use {kind}/<id> (lower-case letters, digits, '.', '_', '-')"
        )


def record_bytes(change: records_pb2.Change) -> bytes | None:
    """The change's record serialized deterministically (what the log and checksums hold)."""
    field = change.WhichOneof("record")
    if field is None:
        return None
    record = getattr(change, field)
    data: bytes = record.SerializeToString(deterministic=True)
    return data


def check_change(index: int, change: records_pb2.Change) -> None:
    """Raise `InvalidChange` naming the field when `change` cannot go into the log."""
    if change.stream not in RECORD_FIELD:
        raise InvalidChange(
            index,
            "stream",
            f"unknown stream {change.stream!r}; publish to one of {', '.join(DOWN_STREAMS)}",
        )
    try:
        check_scope(change.stream, change.scope)
    except InvalidInput as exc:
        raise InvalidChange(index, "scope", str(exc)) from None
    if not change.key:
        raise InvalidChange(index, "key", "is empty; set it to the entity's id")
    if len(change.key) > MAX_KEY_LENGTH:
        raise InvalidChange(index, "key", f"is longer than {MAX_KEY_LENGTH} characters")
    field = change.WhichOneof("record")
    if change.deleted:
        if field is not None:
            raise InvalidChange(
                index, field, "is set on a deletion; a deleted change carries no record"
            )
        return
    expected = RECORD_FIELD[change.stream]
    if field is None:
        raise InvalidChange(
            index, expected, f"is missing; stream {change.stream!r} needs it (or deleted=true)"
        )
    if field != expected:
        raise InvalidChange(
            index, field, f"does not belong in stream {change.stream!r}, which carries {expected}"
        )
    record = getattr(change, field)
    key_field = KEY_FIELD[field]
    own_key = getattr(record, key_field)
    if own_key != change.key:
        raise InvalidChange(
            index,
            f"{field}.{key_field}",
            f"is {own_key!r} but the change key is {change.key!r}; they must be equal",
        )
    scope_id = change.scope.partition("/")[2]
    # A channel's record that names its channel must name the scope's; a site's
    # configuration is keyed by its own site.
    if field == "store_configuration":
        owner_field, owner = "site_id", record.site_id
    elif "sales_channel_id" in record.DESCRIPTOR.fields_by_name and record.sales_channel_id:
        owner_field, owner = "sales_channel_id", record.sales_channel_id
    else:
        return
    if owner != scope_id:
        raise InvalidChange(
            index,
            f"{field}.{owner_field}",
            f"is {owner!r} but the change is scoped to {change.scope!r}; they must name "
            "the same channel or site",
        )
