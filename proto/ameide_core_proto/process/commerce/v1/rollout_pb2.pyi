import datetime

from ameide_core_proto.process.commerce.v1 import conditions_pb2 as _conditions_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RolloutPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLLOUT_PHASE_UNSPECIFIED: _ClassVar[RolloutPhase]
    ROLLOUT_PHASE_CANARY: _ClassVar[RolloutPhase]
    ROLLOUT_PHASE_OBSERVING: _ClassVar[RolloutPhase]
    ROLLOUT_PHASE_ADVANCING: _ClassVar[RolloutPhase]
    ROLLOUT_PHASE_COMPLETED: _ClassVar[RolloutPhase]
    ROLLOUT_PHASE_ROLLING_BACK: _ClassVar[RolloutPhase]
    ROLLOUT_PHASE_ROLLED_BACK: _ClassVar[RolloutPhase]
ROLLOUT_PHASE_UNSPECIFIED: RolloutPhase
ROLLOUT_PHASE_CANARY: RolloutPhase
ROLLOUT_PHASE_OBSERVING: RolloutPhase
ROLLOUT_PHASE_ADVANCING: RolloutPhase
ROLLOUT_PHASE_COMPLETED: RolloutPhase
ROLLOUT_PHASE_ROLLING_BACK: RolloutPhase
ROLLOUT_PHASE_ROLLED_BACK: RolloutPhase

class VersionBundle(_message.Message):
    __slots__ = ("bundle_id", "components", "proto_majors", "sha256")
    class ComponentsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class ProtoMajorsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    PROTO_MAJORS_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    components: _containers.ScalarMap[str, str]
    proto_majors: _containers.ScalarMap[str, int]
    sha256: str
    def __init__(self, bundle_id: _Optional[str] = ..., components: _Optional[_Mapping[str, str]] = ..., proto_majors: _Optional[_Mapping[str, int]] = ..., sha256: _Optional[str] = ...) -> None: ...

class RolloutStoreFleetInput(_message.Message):
    __slots__ = ("bundle", "ring", "canary_size", "observe_for", "max_failure_ratio")
    BUNDLE_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    CANARY_SIZE_FIELD_NUMBER: _ClassVar[int]
    OBSERVE_FOR_FIELD_NUMBER: _ClassVar[int]
    MAX_FAILURE_RATIO_FIELD_NUMBER: _ClassVar[int]
    bundle: VersionBundle
    ring: str
    canary_size: int
    observe_for: _duration_pb2.Duration
    max_failure_ratio: float
    def __init__(self, bundle: _Optional[_Union[VersionBundle, _Mapping]] = ..., ring: _Optional[str] = ..., canary_size: _Optional[int] = ..., observe_for: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_failure_ratio: _Optional[float] = ...) -> None: ...

class RolloutStoreFleetResult(_message.Message):
    __slots__ = ("bundle_id", "ring", "phase", "sites_upgraded", "sites_failed", "sites_rolled_back", "completed_at", "conditions")
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    SITES_UPGRADED_FIELD_NUMBER: _ClassVar[int]
    SITES_FAILED_FIELD_NUMBER: _ClassVar[int]
    SITES_ROLLED_BACK_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    ring: str
    phase: RolloutPhase
    sites_upgraded: int
    sites_failed: int
    sites_rolled_back: int
    completed_at: _timestamp_pb2.Timestamp
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    def __init__(self, bundle_id: _Optional[str] = ..., ring: _Optional[str] = ..., phase: _Optional[_Union[RolloutPhase, str]] = ..., sites_upgraded: _Optional[int] = ..., sites_failed: _Optional[int] = ..., sites_rolled_back: _Optional[int] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ...) -> None: ...
