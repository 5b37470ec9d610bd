import datetime

from ameide_core_proto.process.commerce.v1 import realtime_pb2 as _realtime_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StoreSiteReady(_message.Message):
    __slots__ = ("site_id", "sales_channel_id", "certificate_serial", "config_generation")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    SALES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_SERIAL_FIELD_NUMBER: _ClassVar[int]
    CONFIG_GENERATION_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    sales_channel_id: str
    certificate_serial: str
    config_generation: int
    def __init__(self, site_id: _Optional[str] = ..., sales_channel_id: _Optional[str] = ..., certificate_serial: _Optional[str] = ..., config_generation: _Optional[int] = ...) -> None: ...

class StoreSiteRevoked(_message.Message):
    __slots__ = ("site_id", "reason")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    reason: str
    def __init__(self, site_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DomainVerified(_message.Message):
    __slots__ = ("tenant_id", "hostname", "claim_id", "storefront_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    STOREFRONT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    hostname: str
    claim_id: str
    storefront_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., hostname: _Optional[str] = ..., claim_id: _Optional[str] = ..., storefront_id: _Optional[str] = ...) -> None: ...

class DownsyncCompleted(_message.Message):
    __slots__ = ("site_id", "changes_applied", "seconds", "lag_changes", "checksums_match")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_APPLIED_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    LAG_CHANGES_FIELD_NUMBER: _ClassVar[int]
    CHECKSUMS_MATCH_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    changes_applied: int
    seconds: float
    lag_changes: int
    checksums_match: bool
    def __init__(self, site_id: _Optional[str] = ..., changes_applied: _Optional[int] = ..., seconds: _Optional[float] = ..., lag_changes: _Optional[int] = ..., checksums_match: _Optional[bool] = ...) -> None: ...

class UpsyncCompleted(_message.Message):
    __slots__ = ("site_id", "records_ingested", "register_days_matched", "register_days_mismatched")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDS_INGESTED_FIELD_NUMBER: _ClassVar[int]
    REGISTER_DAYS_MATCHED_FIELD_NUMBER: _ClassVar[int]
    REGISTER_DAYS_MISMATCHED_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    records_ingested: int
    register_days_matched: int
    register_days_mismatched: int
    def __init__(self, site_id: _Optional[str] = ..., records_ingested: _Optional[int] = ..., register_days_matched: _Optional[int] = ..., register_days_mismatched: _Optional[int] = ...) -> None: ...

class ProjectionRebuilt(_message.Message):
    __slots__ = ("site_id", "rows_loaded", "checksums_match", "reason")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    ROWS_LOADED_FIELD_NUMBER: _ClassVar[int]
    CHECKSUMS_MATCH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    rows_loaded: int
    checksums_match: bool
    reason: str
    def __init__(self, site_id: _Optional[str] = ..., rows_loaded: _Optional[int] = ..., checksums_match: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class RolloutRingAdvanced(_message.Message):
    __slots__ = ("bundle_id", "ring", "sites_upgraded")
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    SITES_UPGRADED_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    ring: str
    sites_upgraded: int
    def __init__(self, bundle_id: _Optional[str] = ..., ring: _Optional[str] = ..., sites_upgraded: _Optional[int] = ...) -> None: ...

class RolloutRolledBack(_message.Message):
    __slots__ = ("bundle_id", "ring", "reason")
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    ring: str
    reason: str
    def __init__(self, bundle_id: _Optional[str] = ..., ring: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RolloutStepAdvanced(_message.Message):
    __slots__ = ("bundle_id", "ring", "step", "sites_installed", "sites_failed", "sites_offline")
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    SITES_INSTALLED_FIELD_NUMBER: _ClassVar[int]
    SITES_FAILED_FIELD_NUMBER: _ClassVar[int]
    SITES_OFFLINE_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    ring: str
    step: int
    sites_installed: int
    sites_failed: int
    sites_offline: int
    def __init__(self, bundle_id: _Optional[str] = ..., ring: _Optional[str] = ..., step: _Optional[int] = ..., sites_installed: _Optional[int] = ..., sites_failed: _Optional[int] = ..., sites_offline: _Optional[int] = ...) -> None: ...

class RolloutHalted(_message.Message):
    __slots__ = ("bundle_id", "ring", "step", "sites_failed", "sites_in_step", "reason")
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    SITES_FAILED_FIELD_NUMBER: _ClassVar[int]
    SITES_IN_STEP_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    ring: str
    step: int
    sites_failed: int
    sites_in_step: int
    reason: str
    def __init__(self, bundle_id: _Optional[str] = ..., ring: _Optional[str] = ..., step: _Optional[int] = ..., sites_failed: _Optional[int] = ..., sites_in_step: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RolloutCompleted(_message.Message):
    __slots__ = ("bundle_id", "ring", "sites_installed", "sites_offline", "sites_failed")
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    SITES_INSTALLED_FIELD_NUMBER: _ClassVar[int]
    SITES_OFFLINE_FIELD_NUMBER: _ClassVar[int]
    SITES_FAILED_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    ring: str
    sites_installed: int
    sites_offline: int
    sites_failed: int
    def __init__(self, bundle_id: _Optional[str] = ..., ring: _Optional[str] = ..., sites_installed: _Optional[int] = ..., sites_offline: _Optional[int] = ..., sites_failed: _Optional[int] = ...) -> None: ...

class SiteBundleInstalled(_message.Message):
    __slots__ = ("site_id", "bundle_id", "ring")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    bundle_id: str
    ring: str
    def __init__(self, site_id: _Optional[str] = ..., bundle_id: _Optional[str] = ..., ring: _Optional[str] = ...) -> None: ...

class SiteBundleRolledBack(_message.Message):
    __slots__ = ("site_id", "bundle_id", "restored_bundle_id", "ring")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RESTORED_BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    bundle_id: str
    restored_bundle_id: str
    ring: str
    def __init__(self, site_id: _Optional[str] = ..., bundle_id: _Optional[str] = ..., restored_bundle_id: _Optional[str] = ..., ring: _Optional[str] = ...) -> None: ...

class ProcessFact(_message.Message):
    __slots__ = ("fact_id", "type", "subject", "occurred_at", "workflow_id", "run_id", "store_site_ready", "store_site_revoked", "domain_verified", "downsync_completed", "rollout_ring_advanced", "rollout_rolled_back", "upsync_completed", "projection_rebuilt", "domain_mapping_provisioned", "domain_mapping_revoked", "offline_operation_rejected", "rollout_step_advanced", "rollout_halted", "rollout_completed", "site_bundle_installed", "site_bundle_rolled_back")
    FACT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_SITE_READY_FIELD_NUMBER: _ClassVar[int]
    STORE_SITE_REVOKED_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    DOWNSYNC_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_RING_ADVANCED_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_ROLLED_BACK_FIELD_NUMBER: _ClassVar[int]
    UPSYNC_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_REBUILT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_MAPPING_PROVISIONED_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_MAPPING_REVOKED_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_OPERATION_REJECTED_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_STEP_ADVANCED_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_HALTED_FIELD_NUMBER: _ClassVar[int]
    ROLLOUT_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    SITE_BUNDLE_INSTALLED_FIELD_NUMBER: _ClassVar[int]
    SITE_BUNDLE_ROLLED_BACK_FIELD_NUMBER: _ClassVar[int]
    fact_id: str
    type: str
    subject: str
    occurred_at: _timestamp_pb2.Timestamp
    workflow_id: str
    run_id: str
    store_site_ready: StoreSiteReady
    store_site_revoked: StoreSiteRevoked
    domain_verified: DomainVerified
    downsync_completed: DownsyncCompleted
    rollout_ring_advanced: RolloutRingAdvanced
    rollout_rolled_back: RolloutRolledBack
    upsync_completed: UpsyncCompleted
    projection_rebuilt: ProjectionRebuilt
    domain_mapping_provisioned: DomainMappingProvisioned
    domain_mapping_revoked: DomainMappingRevoked
    offline_operation_rejected: _realtime_pb2.OfflineOperationRejected
    rollout_step_advanced: RolloutStepAdvanced
    rollout_halted: RolloutHalted
    rollout_completed: RolloutCompleted
    site_bundle_installed: SiteBundleInstalled
    site_bundle_rolled_back: SiteBundleRolledBack
    def __init__(self, fact_id: _Optional[str] = ..., type: _Optional[str] = ..., subject: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., store_site_ready: _Optional[_Union[StoreSiteReady, _Mapping]] = ..., store_site_revoked: _Optional[_Union[StoreSiteRevoked, _Mapping]] = ..., domain_verified: _Optional[_Union[DomainVerified, _Mapping]] = ..., downsync_completed: _Optional[_Union[DownsyncCompleted, _Mapping]] = ..., rollout_ring_advanced: _Optional[_Union[RolloutRingAdvanced, _Mapping]] = ..., rollout_rolled_back: _Optional[_Union[RolloutRolledBack, _Mapping]] = ..., upsync_completed: _Optional[_Union[UpsyncCompleted, _Mapping]] = ..., projection_rebuilt: _Optional[_Union[ProjectionRebuilt, _Mapping]] = ..., domain_mapping_provisioned: _Optional[_Union[DomainMappingProvisioned, _Mapping]] = ..., domain_mapping_revoked: _Optional[_Union[DomainMappingRevoked, _Mapping]] = ..., offline_operation_rejected: _Optional[_Union[_realtime_pb2.OfflineOperationRejected, _Mapping]] = ..., rollout_step_advanced: _Optional[_Union[RolloutStepAdvanced, _Mapping]] = ..., rollout_halted: _Optional[_Union[RolloutHalted, _Mapping]] = ..., rollout_completed: _Optional[_Union[RolloutCompleted, _Mapping]] = ..., site_bundle_installed: _Optional[_Union[SiteBundleInstalled, _Mapping]] = ..., site_bundle_rolled_back: _Optional[_Union[SiteBundleRolledBack, _Mapping]] = ...) -> None: ...

class DomainMappingProvisioned(_message.Message):
    __slots__ = ("tenant_id", "hostname", "storefront_id", "certificate_serial", "certificate_not_after", "renewal")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    STOREFRONT_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_SERIAL_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    RENEWAL_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    hostname: str
    storefront_id: str
    certificate_serial: str
    certificate_not_after: _timestamp_pb2.Timestamp
    renewal: bool
    def __init__(self, tenant_id: _Optional[str] = ..., hostname: _Optional[str] = ..., storefront_id: _Optional[str] = ..., certificate_serial: _Optional[str] = ..., certificate_not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., renewal: _Optional[bool] = ...) -> None: ...

class DomainMappingRevoked(_message.Message):
    __slots__ = ("tenant_id", "hostname", "reason", "cooldown_until", "revoked_at_ca")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_CA_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    hostname: str
    reason: str
    cooldown_until: _timestamp_pb2.Timestamp
    revoked_at_ca: bool
    def __init__(self, tenant_id: _Optional[str] = ..., hostname: _Optional[str] = ..., reason: _Optional[str] = ..., cooldown_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at_ca: _Optional[bool] = ...) -> None: ...
