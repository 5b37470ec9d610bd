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
    ROLLOUT_PHASE_ABORTED: _ClassVar[RolloutPhase]
    ROLLOUT_PHASE_AWAITING_APPROVAL: _ClassVar[RolloutPhase]
    ROLLOUT_PHASE_NOT_REACHED: _ClassVar[RolloutPhase]

class SiteRolloutState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SITE_ROLLOUT_STATE_UNSPECIFIED: _ClassVar[SiteRolloutState]
    SITE_ROLLOUT_STATE_PENDING: _ClassVar[SiteRolloutState]
    SITE_ROLLOUT_STATE_INSTALLED: _ClassVar[SiteRolloutState]
    SITE_ROLLOUT_STATE_FAILED: _ClassVar[SiteRolloutState]
    SITE_ROLLOUT_STATE_OFFLINE: _ClassVar[SiteRolloutState]
    SITE_ROLLOUT_STATE_ROLLED_BACK: _ClassVar[SiteRolloutState]
    SITE_ROLLOUT_STATE_NOT_REACHED: _ClassVar[SiteRolloutState]
    SITE_ROLLOUT_STATE_SKIPPED: _ClassVar[SiteRolloutState]
ROLLOUT_PHASE_UNSPECIFIED: RolloutPhase
ROLLOUT_PHASE_CANARY: RolloutPhase
ROLLOUT_PHASE_OBSERVING: RolloutPhase
ROLLOUT_PHASE_ADVANCING: RolloutPhase
ROLLOUT_PHASE_COMPLETED: RolloutPhase
ROLLOUT_PHASE_ROLLING_BACK: RolloutPhase
ROLLOUT_PHASE_ROLLED_BACK: RolloutPhase
ROLLOUT_PHASE_ABORTED: RolloutPhase
ROLLOUT_PHASE_AWAITING_APPROVAL: RolloutPhase
ROLLOUT_PHASE_NOT_REACHED: RolloutPhase
SITE_ROLLOUT_STATE_UNSPECIFIED: SiteRolloutState
SITE_ROLLOUT_STATE_PENDING: SiteRolloutState
SITE_ROLLOUT_STATE_INSTALLED: SiteRolloutState
SITE_ROLLOUT_STATE_FAILED: SiteRolloutState
SITE_ROLLOUT_STATE_OFFLINE: SiteRolloutState
SITE_ROLLOUT_STATE_ROLLED_BACK: SiteRolloutState
SITE_ROLLOUT_STATE_NOT_REACHED: SiteRolloutState
SITE_ROLLOUT_STATE_SKIPPED: SiteRolloutState

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
    __slots__ = ("bundle", "ring", "canary_size", "observe_for", "max_failure_ratio", "selector", "step_size", "min_failures", "require_approval", "progress", "max_history_events", "offline_rounds", "batch_size", "observe_every", "max_replication_lag", "max_new_errors", "install_timeout")
    BUNDLE_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    CANARY_SIZE_FIELD_NUMBER: _ClassVar[int]
    OBSERVE_FOR_FIELD_NUMBER: _ClassVar[int]
    MAX_FAILURE_RATIO_FIELD_NUMBER: _ClassVar[int]
    SELECTOR_FIELD_NUMBER: _ClassVar[int]
    STEP_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_FAILURES_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_APPROVAL_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MAX_HISTORY_EVENTS_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_ROUNDS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    OBSERVE_EVERY_FIELD_NUMBER: _ClassVar[int]
    MAX_REPLICATION_LAG_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_ERRORS_FIELD_NUMBER: _ClassVar[int]
    INSTALL_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    bundle: VersionBundle
    ring: str
    canary_size: int
    observe_for: _duration_pb2.Duration
    max_failure_ratio: float
    selector: RingSelector
    step_size: int
    min_failures: int
    require_approval: bool
    progress: RolloutProgress
    max_history_events: int
    offline_rounds: int
    batch_size: int
    observe_every: _duration_pb2.Duration
    max_replication_lag: int
    max_new_errors: int
    install_timeout: _duration_pb2.Duration
    def __init__(self, bundle: _Optional[_Union[VersionBundle, _Mapping]] = ..., ring: _Optional[str] = ..., canary_size: _Optional[int] = ..., observe_for: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_failure_ratio: _Optional[float] = ..., selector: _Optional[_Union[RingSelector, _Mapping]] = ..., step_size: _Optional[int] = ..., min_failures: _Optional[int] = ..., require_approval: _Optional[bool] = ..., progress: _Optional[_Union[RolloutProgress, _Mapping]] = ..., max_history_events: _Optional[int] = ..., offline_rounds: _Optional[int] = ..., batch_size: _Optional[int] = ..., observe_every: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_replication_lag: _Optional[int] = ..., max_new_errors: _Optional[int] = ..., install_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RingSelector(_message.Message):
    __slots__ = ("sales_channel_id", "site_ids", "label")
    SALES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_IDS_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    sales_channel_id: str
    site_ids: _containers.RepeatedScalarFieldContainer[str]
    label: str
    def __init__(self, sales_channel_id: _Optional[str] = ..., site_ids: _Optional[_Iterable[str]] = ..., label: _Optional[str] = ...) -> None: ...

class SiteRolloutStatus(_message.Message):
    __slots__ = ("site_id", "state", "reason", "step", "updated_at", "previous_bundle_id", "bundle_installed")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_INSTALLED_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    state: SiteRolloutState
    reason: str
    step: int
    updated_at: _timestamp_pb2.Timestamp
    previous_bundle_id: str
    bundle_installed: bool
    def __init__(self, site_id: _Optional[str] = ..., state: _Optional[_Union[SiteRolloutState, str]] = ..., reason: _Optional[str] = ..., step: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., previous_bundle_id: _Optional[str] = ..., bundle_installed: _Optional[bool] = ...) -> None: ...

class RolloutProgress(_message.Message):
    __slots__ = ("next_step", "sites", "paused", "approved_through_step", "started_at")
    NEXT_STEP_FIELD_NUMBER: _ClassVar[int]
    SITES_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    APPROVED_THROUGH_STEP_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    next_step: int
    sites: _containers.RepeatedCompositeFieldContainer[SiteRolloutStatus]
    paused: bool
    approved_through_step: int
    started_at: _timestamp_pb2.Timestamp
    def __init__(self, next_step: _Optional[int] = ..., sites: _Optional[_Iterable[_Union[SiteRolloutStatus, _Mapping]]] = ..., paused: _Optional[bool] = ..., approved_through_step: _Optional[int] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetRolloutStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RolloutStatus(_message.Message):
    __slots__ = ("bundle_id", "ring", "phase", "step", "total_steps", "paused", "sites", "reason")
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    SITES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    ring: str
    phase: RolloutPhase
    step: int
    total_steps: int
    paused: bool
    sites: _containers.RepeatedCompositeFieldContainer[SiteRolloutStatus]
    reason: str
    def __init__(self, bundle_id: _Optional[str] = ..., ring: _Optional[str] = ..., phase: _Optional[_Union[RolloutPhase, str]] = ..., step: _Optional[int] = ..., total_steps: _Optional[int] = ..., paused: _Optional[bool] = ..., sites: _Optional[_Iterable[_Union[SiteRolloutStatus, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...

class PauseRollout(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class ResumeRollout(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ApproveRolloutStep(_message.Message):
    __slots__ = ("step",)
    STEP_FIELD_NUMBER: _ClassVar[int]
    step: int
    def __init__(self, step: _Optional[int] = ...) -> None: ...

class AbortRollout(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class RolloutUpdateAccepted(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: RolloutStatus
    def __init__(self, status: _Optional[_Union[RolloutStatus, _Mapping]] = ...) -> None: ...

class RolloutStoreFleetResult(_message.Message):
    __slots__ = ("bundle_id", "ring", "phase", "sites_upgraded", "sites_failed", "sites_rolled_back", "completed_at", "conditions", "sites_offline", "sites_not_reached", "sites", "reason")
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    SITES_UPGRADED_FIELD_NUMBER: _ClassVar[int]
    SITES_FAILED_FIELD_NUMBER: _ClassVar[int]
    SITES_ROLLED_BACK_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    SITES_OFFLINE_FIELD_NUMBER: _ClassVar[int]
    SITES_NOT_REACHED_FIELD_NUMBER: _ClassVar[int]
    SITES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    ring: str
    phase: RolloutPhase
    sites_upgraded: int
    sites_failed: int
    sites_rolled_back: int
    completed_at: _timestamp_pb2.Timestamp
    conditions: _containers.RepeatedCompositeFieldContainer[_conditions_pb2.Condition]
    sites_offline: int
    sites_not_reached: int
    sites: _containers.RepeatedCompositeFieldContainer[SiteRolloutStatus]
    reason: str
    def __init__(self, bundle_id: _Optional[str] = ..., ring: _Optional[str] = ..., phase: _Optional[_Union[RolloutPhase, str]] = ..., sites_upgraded: _Optional[int] = ..., sites_failed: _Optional[int] = ..., sites_rolled_back: _Optional[int] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conditions: _Optional[_Iterable[_Union[_conditions_pb2.Condition, _Mapping]]] = ..., sites_offline: _Optional[int] = ..., sites_not_reached: _Optional[int] = ..., sites: _Optional[_Iterable[_Union[SiteRolloutStatus, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...

class RolloutSiteBatchInput(_message.Message):
    __slots__ = ("ring", "batch", "bundle_id", "sha256", "size", "step", "roll_back", "sites", "concurrency", "site_timeout")
    RING_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    ROLL_BACK_FIELD_NUMBER: _ClassVar[int]
    SITES_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    SITE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    ring: str
    batch: str
    bundle_id: str
    sha256: str
    size: int
    step: int
    roll_back: bool
    sites: _containers.RepeatedCompositeFieldContainer[RolloutBatchSite]
    concurrency: int
    site_timeout: _duration_pb2.Duration
    def __init__(self, ring: _Optional[str] = ..., batch: _Optional[str] = ..., bundle_id: _Optional[str] = ..., sha256: _Optional[str] = ..., size: _Optional[int] = ..., step: _Optional[int] = ..., roll_back: _Optional[bool] = ..., sites: _Optional[_Iterable[_Union[RolloutBatchSite, _Mapping]]] = ..., concurrency: _Optional[int] = ..., site_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RolloutBatchSite(_message.Message):
    __slots__ = ("site_id", "restore_bundle_id")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    RESTORE_BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    restore_bundle_id: str
    def __init__(self, site_id: _Optional[str] = ..., restore_bundle_id: _Optional[str] = ...) -> None: ...

class RolloutSiteReport(_message.Message):
    __slots__ = ("site_id", "state", "reason", "previous_bundle_id", "bundle_installed", "batch")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_INSTALLED_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    state: SiteRolloutState
    reason: str
    previous_bundle_id: str
    bundle_installed: bool
    batch: str
    def __init__(self, site_id: _Optional[str] = ..., state: _Optional[_Union[SiteRolloutState, str]] = ..., reason: _Optional[str] = ..., previous_bundle_id: _Optional[str] = ..., bundle_installed: _Optional[bool] = ..., batch: _Optional[str] = ...) -> None: ...

class RolloutSiteBatchResult(_message.Message):
    __slots__ = ("sites",)
    SITES_FIELD_NUMBER: _ClassVar[int]
    sites: _containers.RepeatedCompositeFieldContainer[RolloutSiteReport]
    def __init__(self, sites: _Optional[_Iterable[_Union[RolloutSiteReport, _Mapping]]] = ...) -> None: ...

class StopRolloutBatch(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...
