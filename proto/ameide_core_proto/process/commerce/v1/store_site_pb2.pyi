import datetime

from ameide_core_proto.process.commerce.v1 import conditions_pb2 as _conditions_pb2
from ameide_core_proto.process.commerce.v1 import realtime_pb2 as _realtime_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReplicationDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLICATION_DIRECTION_UNSPECIFIED: _ClassVar[ReplicationDirection]
    REPLICATION_DIRECTION_DOWN: _ClassVar[ReplicationDirection]
    REPLICATION_DIRECTION_UP: _ClassVar[ReplicationDirection]

class ProvisionStep(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROVISION_STEP_UNSPECIFIED: _ClassVar[ProvisionStep]
    PROVISION_STEP_VALIDATING: _ClassVar[ProvisionStep]
    PROVISION_STEP_ISSUING_TOKEN: _ClassVar[ProvisionStep]
    PROVISION_STEP_AWAITING_ENROLLMENT: _ClassVar[ProvisionStep]
    PROVISION_STEP_CONFIGURING: _ClassVar[ProvisionStep]
    PROVISION_STEP_READY: _ClassVar[ProvisionStep]
    PROVISION_STEP_FAILED: _ClassVar[ProvisionStep]
REPLICATION_DIRECTION_UNSPECIFIED: ReplicationDirection
REPLICATION_DIRECTION_DOWN: ReplicationDirection
REPLICATION_DIRECTION_UP: ReplicationDirection
PROVISION_STEP_UNSPECIFIED: ProvisionStep
PROVISION_STEP_VALIDATING: ProvisionStep
PROVISION_STEP_ISSUING_TOKEN: ProvisionStep
PROVISION_STEP_AWAITING_ENROLLMENT: ProvisionStep
PROVISION_STEP_CONFIGURING: ProvisionStep
PROVISION_STEP_READY: ProvisionStep
PROVISION_STEP_FAILED: ProvisionStep

class ReplicationBinding(_message.Message):
    __slots__ = ("stream", "direction", "scope")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    stream: str
    direction: ReplicationDirection
    scope: str
    def __init__(self, stream: _Optional[str] = ..., direction: _Optional[_Union[ReplicationDirection, str]] = ..., scope: _Optional[str] = ...) -> None: ...

class SiteConfig(_message.Message):
    __slots__ = ("site_id", "sales_channel_id", "name", "timezone", "bindings", "generation", "offline_policies", "trading_calendar")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    SALES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_POLICIES_FIELD_NUMBER: _ClassVar[int]
    TRADING_CALENDAR_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    sales_channel_id: str
    name: str
    timezone: str
    bindings: _containers.RepeatedCompositeFieldContainer[ReplicationBinding]
    generation: int
    offline_policies: _containers.RepeatedCompositeFieldContainer[_realtime_pb2.OfflinePolicyOverride]
    trading_calendar: TradingCalendar
    def __init__(self, site_id: _Optional[str] = ..., sales_channel_id: _Optional[str] = ..., name: _Optional[str] = ..., timezone: _Optional[str] = ..., bindings: _Optional[_Iterable[_Union[ReplicationBinding, _Mapping]]] = ..., generation: _Optional[int] = ..., offline_policies: _Optional[_Iterable[_Union[_realtime_pb2.OfflinePolicyOverride, _Mapping]]] = ..., trading_calendar: _Optional[_Union[TradingCalendar, _Mapping]] = ...) -> None: ...

class TradingHours(_message.Message):
    __slots__ = ("weekday", "opens", "closes")
    WEEKDAY_FIELD_NUMBER: _ClassVar[int]
    OPENS_FIELD_NUMBER: _ClassVar[int]
    CLOSES_FIELD_NUMBER: _ClassVar[int]
    weekday: int
    opens: str
    closes: str
    def __init__(self, weekday: _Optional[int] = ..., opens: _Optional[str] = ..., closes: _Optional[str] = ...) -> None: ...

class TradingCalendar(_message.Message):
    __slots__ = ("hours", "closed_dates")
    HOURS_FIELD_NUMBER: _ClassVar[int]
    CLOSED_DATES_FIELD_NUMBER: _ClassVar[int]
    hours: _containers.RepeatedCompositeFieldContainer[TradingHours]
    closed_dates: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, hours: _Optional[_Iterable[_Union[TradingHours, _Mapping]]] = ..., closed_dates: _Optional[_Iterable[str]] = ...) -> None: ...

class ProvisionStoreSiteInput(_message.Message):
    __slots__ = ("site_id", "sales_channel_id", "name", "timezone", "agent_version", "trading_calendar")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    SALES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRADING_CALENDAR_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    sales_channel_id: str
    name: str
    timezone: str
    agent_version: str
    trading_calendar: TradingCalendar
    def __init__(self, site_id: _Optional[str] = ..., sales_channel_id: _Optional[str] = ..., name: _Optional[str] = ..., timezone: _Optional[str] = ..., agent_version: _Optional[str] = ..., trading_calendar: _Optional[_Union[TradingCalendar, _Mapping]] = ...) -> None: ...

class ProvisionStoreSiteResult(_message.Message):
    __slots__ = ("site_id", "sales_channel_id", "certificate_serial", "bindings", "ready_at", "ready_fact_id", "conditions")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    SALES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_SERIAL_FIELD_NUMBER: _ClassVar[int]
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    READY_AT_FIELD_NUMBER: _ClassVar[int]
    READY_FACT_ID_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    sales_channel_id: str
    certificate_serial: str
    bindings: _containers.RepeatedCompositeFieldContainer[ReplicationBinding]
    ready_at: _timestamp_pb2.Timestamp
    ready_fact_id: str
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    def __init__(self, site_id: _Optional[str] = ..., sales_channel_id: _Optional[str] = ..., certificate_serial: _Optional[str] = ..., bindings: _Optional[_Iterable[_Union[ReplicationBinding, _Mapping]]] = ..., ready_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ready_fact_id: _Optional[str] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ...) -> None: ...

class ProvisionStoreSiteStatus(_message.Message):
    __slots__ = ("site_id", "step", "conditions", "bootstrap_token_id", "bootstrap_token_expires_at", "input")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    BOOTSTRAP_TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    BOOTSTRAP_TOKEN_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    step: ProvisionStep
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    bootstrap_token_id: str
    bootstrap_token_expires_at: _timestamp_pb2.Timestamp
    input: ProvisionStoreSiteInput
    def __init__(self, site_id: _Optional[str] = ..., step: _Optional[_Union[ProvisionStep, str]] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ..., bootstrap_token_id: _Optional[str] = ..., bootstrap_token_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., input: _Optional[_Union[ProvisionStoreSiteInput, _Mapping]] = ...) -> None: ...

class GetProvisionStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WaitForProvisionStepRequest(_message.Message):
    __slots__ = ("step",)
    STEP_FIELD_NUMBER: _ClassVar[int]
    step: ProvisionStep
    def __init__(self, step: _Optional[_Union[ProvisionStep, str]] = ...) -> None: ...

class EnrollmentCompleted(_message.Message):
    __slots__ = ("site_id", "certificate_serial", "public_key_sha256", "enrolled_at")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_SERIAL_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_SHA256_FIELD_NUMBER: _ClassVar[int]
    ENROLLED_AT_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    certificate_serial: str
    public_key_sha256: str
    enrolled_at: _timestamp_pb2.Timestamp
    def __init__(self, site_id: _Optional[str] = ..., certificate_serial: _Optional[str] = ..., public_key_sha256: _Optional[str] = ..., enrolled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SignalAccepted(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
