import datetime

from ameide_core_proto.process.commerce.v1 import records_pb2 as _records_pb2
from ameide_core_proto.process.commerce.v1 import replication_pb2 as _replication_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PageEncoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAGE_ENCODING_UNSPECIFIED: _ClassVar[PageEncoding]
    PAGE_ENCODING_PLAIN: _ClassVar[PageEncoding]
    PAGE_ENCODING_ZLIB: _ClassVar[PageEncoding]
PAGE_ENCODING_UNSPECIFIED: PageEncoding
PAGE_ENCODING_PLAIN: PageEncoding
PAGE_ENCODING_ZLIB: PageEncoding

class StreamCheckpoint(_message.Message):
    __slots__ = ("stream", "applied_seq", "want_snapshot", "snapshot_resume_token")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    APPLIED_SEQ_FIELD_NUMBER: _ClassVar[int]
    WANT_SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    stream: str
    applied_seq: int
    want_snapshot: bool
    snapshot_resume_token: bytes
    def __init__(self, stream: _Optional[str] = ..., applied_seq: _Optional[int] = ..., want_snapshot: _Optional[bool] = ..., snapshot_resume_token: _Optional[bytes] = ...) -> None: ...

class PullChangesRequest(_message.Message):
    __slots__ = ("checkpoints", "max_changes", "accept", "outbox_pending", "health")
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    MAX_CHANGES_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_PENDING_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    checkpoints: _containers.RepeatedCompositeFieldContainer[StreamCheckpoint]
    max_changes: int
    accept: _containers.RepeatedScalarFieldContainer[PageEncoding]
    outbox_pending: int
    health: AgentHealth
    def __init__(self, checkpoints: _Optional[_Iterable[_Union[StreamCheckpoint, _Mapping]]] = ..., max_changes: _Optional[int] = ..., accept: _Optional[_Iterable[_Union[PageEncoding, str]]] = ..., outbox_pending: _Optional[int] = ..., health: _Optional[_Union[AgentHealth, _Mapping]] = ...) -> None: ...

class ChangePage(_message.Message):
    __slots__ = ("stream", "after_seq", "through_seq", "head_seq", "change_count", "encoding", "payload", "snapshot", "snapshot_complete", "resume_token", "snapshot_first")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    THROUGH_SEQ_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQ_FIELD_NUMBER: _ClassVar[int]
    CHANGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIRST_FIELD_NUMBER: _ClassVar[int]
    stream: str
    after_seq: int
    through_seq: int
    head_seq: int
    change_count: int
    encoding: PageEncoding
    payload: bytes
    snapshot: bool
    snapshot_complete: bool
    resume_token: bytes
    snapshot_first: bool
    def __init__(self, stream: _Optional[str] = ..., after_seq: _Optional[int] = ..., through_seq: _Optional[int] = ..., head_seq: _Optional[int] = ..., change_count: _Optional[int] = ..., encoding: _Optional[_Union[PageEncoding, str]] = ..., payload: _Optional[bytes] = ..., snapshot: _Optional[bool] = ..., snapshot_complete: _Optional[bool] = ..., resume_token: _Optional[bytes] = ..., snapshot_first: _Optional[bool] = ...) -> None: ...

class PullChangesResponse(_message.Message):
    __slots__ = ("pages", "more")
    PAGES_FIELD_NUMBER: _ClassVar[int]
    MORE_FIELD_NUMBER: _ClassVar[int]
    pages: _containers.RepeatedCompositeFieldContainer[ChangePage]
    more: bool
    def __init__(self, pages: _Optional[_Iterable[_Union[ChangePage, _Mapping]]] = ..., more: _Optional[bool] = ...) -> None: ...

class UpstreamRecord(_message.Message):
    __slots__ = ("idempotency_key", "sales_transaction", "sales_return", "inventory_adjustment")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    SALES_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    SALES_RETURN_FIELD_NUMBER: _ClassVar[int]
    INVENTORY_ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    sales_transaction: _records_pb2.SalesTransaction
    sales_return: _records_pb2.SalesReturn
    inventory_adjustment: _records_pb2.InventoryAdjustment
    def __init__(self, idempotency_key: _Optional[str] = ..., sales_transaction: _Optional[_Union[_records_pb2.SalesTransaction, _Mapping]] = ..., sales_return: _Optional[_Union[_records_pb2.SalesReturn, _Mapping]] = ..., inventory_adjustment: _Optional[_Union[_records_pb2.InventoryAdjustment, _Mapping]] = ...) -> None: ...

class PushRecordsRequest(_message.Message):
    __slots__ = ("batch_id", "records", "outbox_pending")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_PENDING_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    records: _containers.RepeatedCompositeFieldContainer[UpstreamRecord]
    outbox_pending: int
    def __init__(self, batch_id: _Optional[str] = ..., records: _Optional[_Iterable[_Union[UpstreamRecord, _Mapping]]] = ..., outbox_pending: _Optional[int] = ...) -> None: ...

class PushRecordsResponse(_message.Message):
    __slots__ = ("batch_id", "ingested", "duplicates")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    INGESTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    ingested: int
    duplicates: int
    def __init__(self, batch_id: _Optional[str] = ..., ingested: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class RegisterDayTotals(_message.Message):
    __slots__ = ("register_id", "business_day", "transactions", "returns", "net_minor_units", "currency")
    REGISTER_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DAY_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    NET_MINOR_UNITS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    register_id: str
    business_day: str
    transactions: int
    returns: int
    net_minor_units: int
    currency: str
    def __init__(self, register_id: _Optional[str] = ..., business_day: _Optional[str] = ..., transactions: _Optional[int] = ..., returns: _Optional[int] = ..., net_minor_units: _Optional[int] = ..., currency: _Optional[str] = ...) -> None: ...

class ReplicationStatus(_message.Message):
    __slots__ = ("checkpoints", "checksums", "outbox_pending", "register_days", "reported_at", "changes_applied")
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    CHECKSUMS_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_PENDING_FIELD_NUMBER: _ClassVar[int]
    REGISTER_DAYS_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANGES_APPLIED_FIELD_NUMBER: _ClassVar[int]
    checkpoints: _containers.RepeatedCompositeFieldContainer[StreamCheckpoint]
    checksums: _containers.RepeatedCompositeFieldContainer[_replication_pb2.TableChecksum]
    outbox_pending: int
    register_days: _containers.RepeatedCompositeFieldContainer[RegisterDayTotals]
    reported_at: _timestamp_pb2.Timestamp
    changes_applied: int
    def __init__(self, checkpoints: _Optional[_Iterable[_Union[StreamCheckpoint, _Mapping]]] = ..., checksums: _Optional[_Iterable[_Union[_replication_pb2.TableChecksum, _Mapping]]] = ..., outbox_pending: _Optional[int] = ..., register_days: _Optional[_Iterable[_Union[RegisterDayTotals, _Mapping]]] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., changes_applied: _Optional[int] = ...) -> None: ...

class PublishRequest(_message.Message):
    __slots__ = ("changes", "publish_id")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_ID_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[_records_pb2.Change]
    publish_id: str
    def __init__(self, changes: _Optional[_Iterable[_Union[_records_pb2.Change, _Mapping]]] = ..., publish_id: _Optional[str] = ...) -> None: ...

class PublishResponse(_message.Message):
    __slots__ = ("appended", "heads")
    APPENDED_FIELD_NUMBER: _ClassVar[int]
    HEADS_FIELD_NUMBER: _ClassVar[int]
    appended: int
    heads: _containers.RepeatedCompositeFieldContainer[StreamCheckpoint]
    def __init__(self, appended: _Optional[int] = ..., heads: _Optional[_Iterable[_Union[StreamCheckpoint, _Mapping]]] = ...) -> None: ...

class AgentHealth(_message.Message):
    __slots__ = ("replication_lag", "checksum_mismatches", "checksums_verified_at", "error_counts", "last_error")
    class ErrorCountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    REPLICATION_LAG_FIELD_NUMBER: _ClassVar[int]
    CHECKSUM_MISMATCHES_FIELD_NUMBER: _ClassVar[int]
    CHECKSUMS_VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_COUNTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    replication_lag: int
    checksum_mismatches: _containers.RepeatedScalarFieldContainer[str]
    checksums_verified_at: _timestamp_pb2.Timestamp
    error_counts: _containers.ScalarMap[str, int]
    last_error: str
    def __init__(self, replication_lag: _Optional[int] = ..., checksum_mismatches: _Optional[_Iterable[str]] = ..., checksums_verified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_counts: _Optional[_Mapping[str, int]] = ..., last_error: _Optional[str] = ...) -> None: ...
