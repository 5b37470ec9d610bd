import datetime

from ameide_core_proto.process.commerce.v1 import conditions_pb2 as _conditions_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DomainFailureReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOMAIN_FAILURE_REASON_UNSPECIFIED: _ClassVar[DomainFailureReason]
    DOMAIN_FAILURE_REASON_DNS_TARGET_INCORRECT: _ClassVar[DomainFailureReason]
    DOMAIN_FAILURE_REASON_TXT_MISSING: _ClassVar[DomainFailureReason]
    DOMAIN_FAILURE_REASON_TXT_MISMATCH: _ClassVar[DomainFailureReason]
    DOMAIN_FAILURE_REASON_DNS_PROPAGATION_PENDING: _ClassVar[DomainFailureReason]
    DOMAIN_FAILURE_REASON_CAA_BLOCKS_ISSUANCE: _ClassVar[DomainFailureReason]
    DOMAIN_FAILURE_REASON_PROXY_INTERFERENCE: _ClassVar[DomainFailureReason]
    DOMAIN_FAILURE_REASON_ACME_RATE_LIMITED: _ClassVar[DomainFailureReason]
    DOMAIN_FAILURE_REASON_ACME_TRANSIENT: _ClassVar[DomainFailureReason]
DOMAIN_FAILURE_REASON_UNSPECIFIED: DomainFailureReason
DOMAIN_FAILURE_REASON_DNS_TARGET_INCORRECT: DomainFailureReason
DOMAIN_FAILURE_REASON_TXT_MISSING: DomainFailureReason
DOMAIN_FAILURE_REASON_TXT_MISMATCH: DomainFailureReason
DOMAIN_FAILURE_REASON_DNS_PROPAGATION_PENDING: DomainFailureReason
DOMAIN_FAILURE_REASON_CAA_BLOCKS_ISSUANCE: DomainFailureReason
DOMAIN_FAILURE_REASON_PROXY_INTERFERENCE: DomainFailureReason
DOMAIN_FAILURE_REASON_ACME_RATE_LIMITED: DomainFailureReason
DOMAIN_FAILURE_REASON_ACME_TRANSIENT: DomainFailureReason

class VerifyDomainClaimInput(_message.Message):
    __slots__ = ("tenant_id", "storefront_id", "hostname", "challenge_token", "claim_id", "check_intervals_seconds", "deadline_seconds")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    STOREFRONT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    CHECK_INTERVALS_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    storefront_id: str
    hostname: str
    challenge_token: str
    claim_id: str
    check_intervals_seconds: _containers.RepeatedScalarFieldContainer[float]
    deadline_seconds: float
    def __init__(self, tenant_id: _Optional[str] = ..., storefront_id: _Optional[str] = ..., hostname: _Optional[str] = ..., challenge_token: _Optional[str] = ..., claim_id: _Optional[str] = ..., check_intervals_seconds: _Optional[_Iterable[float]] = ..., deadline_seconds: _Optional[float] = ...) -> None: ...

class VerifyDomainClaimResult(_message.Message):
    __slots__ = ("hostname", "verified", "verified_at", "conditions")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    verified: bool
    verified_at: _timestamp_pb2.Timestamp
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    def __init__(self, hostname: _Optional[str] = ..., verified: _Optional[bool] = ..., verified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ...) -> None: ...

class ProvisionDomainMappingInput(_message.Message):
    __slots__ = ("tenant_id", "storefront_id", "hostname")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    STOREFRONT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    storefront_id: str
    hostname: str
    def __init__(self, tenant_id: _Optional[str] = ..., storefront_id: _Optional[str] = ..., hostname: _Optional[str] = ...) -> None: ...

class ProvisionDomainMappingResult(_message.Message):
    __slots__ = ("hostname", "certificate_serial", "certificate_not_after", "route", "conditions")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_SERIAL_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    certificate_serial: str
    certificate_not_after: _timestamp_pb2.Timestamp
    route: str
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    def __init__(self, hostname: _Optional[str] = ..., certificate_serial: _Optional[str] = ..., certificate_not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., route: _Optional[str] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ...) -> None: ...

class RevokeDomainMappingInput(_message.Message):
    __slots__ = ("tenant_id", "hostname", "requested_by", "reason")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    hostname: str
    requested_by: str
    reason: str
    def __init__(self, tenant_id: _Optional[str] = ..., hostname: _Optional[str] = ..., requested_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeDomainMappingResult(_message.Message):
    __slots__ = ("hostname", "revoked_at", "cooldown_until", "conditions")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    revoked_at: _timestamp_pb2.Timestamp
    cooldown_until: _timestamp_pb2.Timestamp
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    def __init__(self, hostname: _Optional[str] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cooldown_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ...) -> None: ...

class RecheckDomainClaimRequest(_message.Message):
    __slots__ = ("requested_by",)
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    requested_by: str
    def __init__(self, requested_by: _Optional[str] = ...) -> None: ...

class GetDomainClaimStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DomainClaimStatus(_message.Message):
    __slots__ = ("hostname", "claim_id", "verified", "conditions", "next_check_at", "deadline", "checks", "done")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CHECK_AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    claim_id: str
    verified: bool
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    next_check_at: _timestamp_pb2.Timestamp
    deadline: _timestamp_pb2.Timestamp
    checks: int
    done: bool
    def __init__(self, hostname: _Optional[str] = ..., claim_id: _Optional[str] = ..., verified: _Optional[bool] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ..., next_check_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., checks: _Optional[int] = ..., done: _Optional[bool] = ...) -> None: ...

class RenewDomainMappingInput(_message.Message):
    __slots__ = ("tenant_id", "storefront_id", "hostname", "renew_now")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    STOREFRONT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    RENEW_NOW_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    storefront_id: str
    hostname: str
    renew_now: bool
    def __init__(self, tenant_id: _Optional[str] = ..., storefront_id: _Optional[str] = ..., hostname: _Optional[str] = ..., renew_now: _Optional[bool] = ...) -> None: ...

class RenewDomainMappingResult(_message.Message):
    __slots__ = ("hostname", "renewals", "conditions")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    RENEWALS_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    renewals: int
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    def __init__(self, hostname: _Optional[str] = ..., renewals: _Optional[int] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ...) -> None: ...
