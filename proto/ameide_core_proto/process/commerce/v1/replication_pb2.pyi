import datetime

from ameide_core_proto.process.commerce.v1 import conditions_pb2 as _conditions_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TableChecksum(_message.Message):
    __slots__ = ("table", "rows", "digest")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    table: str
    rows: int
    digest: str
    def __init__(self, table: _Optional[str] = ..., rows: _Optional[int] = ..., digest: _Optional[str] = ...) -> None: ...

class RunDownsyncInput(_message.Message):
    __slots__ = ("site_id", "streams")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    streams: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, site_id: _Optional[str] = ..., streams: _Optional[_Iterable[str]] = ...) -> None: ...

class RunDownsyncResult(_message.Message):
    __slots__ = ("site_id", "changes_applied", "checkpoints", "checksums", "completed_at", "conditions")
    class CheckpointsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_APPLIED_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    CHECKSUMS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    changes_applied: int
    checkpoints: _containers.ScalarMap[str, int]
    checksums: _containers.RepeatedCompositeFieldContainer[TableChecksum]
    completed_at: _timestamp_pb2.Timestamp
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    def __init__(self, site_id: _Optional[str] = ..., changes_applied: _Optional[int] = ..., checkpoints: _Optional[_Mapping[str, int]] = ..., checksums: _Optional[_Iterable[_Union[TableChecksum, _Mapping]]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ...) -> None: ...

class RunUpsyncInput(_message.Message):
    __slots__ = ("site_id",)
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    def __init__(self, site_id: _Optional[str] = ...) -> None: ...

class RunUpsyncResult(_message.Message):
    __slots__ = ("site_id", "records_ingested", "duplicates_skipped", "completed_at", "conditions")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDS_INGESTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    records_ingested: int
    duplicates_skipped: int
    completed_at: _timestamp_pb2.Timestamp
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    def __init__(self, site_id: _Optional[str] = ..., records_ingested: _Optional[int] = ..., duplicates_skipped: _Optional[int] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ...) -> None: ...

class RebuildStoreSiteProjectionInput(_message.Message):
    __slots__ = ("site_id", "streams", "reason")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    streams: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, site_id: _Optional[str] = ..., streams: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class RebuildStoreSiteProjectionResult(_message.Message):
    __slots__ = ("site_id", "rows_loaded", "checksums", "completed_at", "conditions")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    ROWS_LOADED_FIELD_NUMBER: _ClassVar[int]
    CHECKSUMS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    rows_loaded: int
    checksums: _containers.RepeatedCompositeFieldContainer[TableChecksum]
    completed_at: _timestamp_pb2.Timestamp
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    def __init__(self, site_id: _Optional[str] = ..., rows_loaded: _Optional[int] = ..., checksums: _Optional[_Iterable[_Union[TableChecksum, _Mapping]]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ...) -> None: ...

class ReconcileFleetInput(_message.Message):
    __slots__ = ("concurrency", "after_site_id", "sites_reconciled", "sites_mismatched", "sites_failed", "sites_skipped")
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    AFTER_SITE_ID_FIELD_NUMBER: _ClassVar[int]
    SITES_RECONCILED_FIELD_NUMBER: _ClassVar[int]
    SITES_MISMATCHED_FIELD_NUMBER: _ClassVar[int]
    SITES_FAILED_FIELD_NUMBER: _ClassVar[int]
    SITES_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    concurrency: int
    after_site_id: str
    sites_reconciled: int
    sites_mismatched: int
    sites_failed: int
    sites_skipped: int
    def __init__(self, concurrency: _Optional[int] = ..., after_site_id: _Optional[str] = ..., sites_reconciled: _Optional[int] = ..., sites_mismatched: _Optional[int] = ..., sites_failed: _Optional[int] = ..., sites_skipped: _Optional[int] = ...) -> None: ...

class ReconcileFleetResult(_message.Message):
    __slots__ = ("sites_reconciled", "sites_mismatched", "sites_failed", "sites_skipped", "completed_at")
    SITES_RECONCILED_FIELD_NUMBER: _ClassVar[int]
    SITES_MISMATCHED_FIELD_NUMBER: _ClassVar[int]
    SITES_FAILED_FIELD_NUMBER: _ClassVar[int]
    SITES_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    sites_reconciled: int
    sites_mismatched: int
    sites_failed: int
    sites_skipped: int
    completed_at: _timestamp_pb2.Timestamp
    def __init__(self, sites_reconciled: _Optional[int] = ..., sites_mismatched: _Optional[int] = ..., sites_failed: _Optional[int] = ..., sites_skipped: _Optional[int] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
