import datetime

from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OfflinePolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OFFLINE_POLICY_UNSPECIFIED: _ClassVar[OfflinePolicy]
    OFFLINE_POLICY_REFUSE: _ClassVar[OfflinePolicy]
    OFFLINE_POLICY_ALLOW_WITHIN_LIMITS: _ClassVar[OfflinePolicy]
    OFFLINE_POLICY_QUEUE_AND_COMPENSATE: _ClassVar[OfflinePolicy]
OFFLINE_POLICY_UNSPECIFIED: OfflinePolicy
OFFLINE_POLICY_REFUSE: OfflinePolicy
OFFLINE_POLICY_ALLOW_WITHIN_LIMITS: OfflinePolicy
OFFLINE_POLICY_QUEUE_AND_COMPENSATE: OfflinePolicy
SERVICE_FIELD_NUMBER: _ClassVar[int]
service: _descriptor.FieldDescriptor
WORKFLOW_FIELD_NUMBER: _ClassVar[int]
workflow: _descriptor.FieldDescriptor
SIGNAL_FIELD_NUMBER: _ClassVar[int]
signal: _descriptor.FieldDescriptor
QUERY_FIELD_NUMBER: _ClassVar[int]
query: _descriptor.FieldDescriptor
UPDATE_FIELD_NUMBER: _ClassVar[int]
update: _descriptor.FieldDescriptor
OPERATION_FIELD_NUMBER: _ClassVar[int]
operation: _descriptor.FieldDescriptor

class ServiceWiring(_message.Message):
    __slots__ = ("task_queue",)
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    task_queue: str
    def __init__(self, task_queue: _Optional[str] = ...) -> None: ...

class WorkflowWiring(_message.Message):
    __slots__ = ("name", "task_queue", "id", "execution_timeout", "run_timeout", "task_timeout")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    name: str
    task_queue: str
    id: str
    execution_timeout: _duration_pb2.Duration
    run_timeout: _duration_pb2.Duration
    task_timeout: _duration_pb2.Duration
    def __init__(self, name: _Optional[str] = ..., task_queue: _Optional[str] = ..., id: _Optional[str] = ..., execution_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class SignalWiring(_message.Message):
    __slots__ = ("workflow", "name")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    workflow: str
    name: str
    def __init__(self, workflow: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class QueryWiring(_message.Message):
    __slots__ = ("workflow", "name")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    workflow: str
    name: str
    def __init__(self, workflow: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class UpdateWiring(_message.Message):
    __slots__ = ("workflow", "name")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    workflow: str
    name: str
    def __init__(self, workflow: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class OperationPolicy(_message.Message):
    __slots__ = ("realtime_required", "offline_policy", "offline_limits")
    REALTIME_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_POLICY_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    realtime_required: bool
    offline_policy: OfflinePolicy
    offline_limits: OfflineLimits
    def __init__(self, realtime_required: _Optional[bool] = ..., offline_policy: _Optional[_Union[OfflinePolicy, str]] = ..., offline_limits: _Optional[_Union[OfflineLimits, _Mapping]] = ...) -> None: ...

class OfflineLimits(_message.Message):
    __slots__ = ("per_subject", "per_store_per_day")
    PER_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PER_STORE_PER_DAY_FIELD_NUMBER: _ClassVar[int]
    per_subject: int
    per_store_per_day: int
    def __init__(self, per_subject: _Optional[int] = ..., per_store_per_day: _Optional[int] = ...) -> None: ...
