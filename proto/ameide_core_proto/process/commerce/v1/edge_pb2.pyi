import datetime

from ameide_core_proto.process.commerce.v1 import realtime_pb2 as _realtime_pb2
from ameide_core_proto.process.commerce.v1 import store_site_pb2 as _store_site_pb2
from ameide_core_proto.process.commerce.v1 import sync_pb2 as _sync_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CommandOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMMAND_OUTCOME_UNSPECIFIED: _ClassVar[CommandOutcome]
    COMMAND_OUTCOME_SUCCEEDED: _ClassVar[CommandOutcome]
    COMMAND_OUTCOME_FAILED_RETRYABLE: _ClassVar[CommandOutcome]
    COMMAND_OUTCOME_FAILED_PERMANENT: _ClassVar[CommandOutcome]

class BundleInstallOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BUNDLE_INSTALL_OUTCOME_UNSPECIFIED: _ClassVar[BundleInstallOutcome]
    BUNDLE_INSTALL_OUTCOME_INSTALLED: _ClassVar[BundleInstallOutcome]
    BUNDLE_INSTALL_OUTCOME_ROLLED_BACK: _ClassVar[BundleInstallOutcome]
    BUNDLE_INSTALL_OUTCOME_ALREADY_CURRENT: _ClassVar[BundleInstallOutcome]
COMMAND_OUTCOME_UNSPECIFIED: CommandOutcome
COMMAND_OUTCOME_SUCCEEDED: CommandOutcome
COMMAND_OUTCOME_FAILED_RETRYABLE: CommandOutcome
COMMAND_OUTCOME_FAILED_PERMANENT: CommandOutcome
BUNDLE_INSTALL_OUTCOME_UNSPECIFIED: BundleInstallOutcome
BUNDLE_INSTALL_OUTCOME_INSTALLED: BundleInstallOutcome
BUNDLE_INSTALL_OUTCOME_ROLLED_BACK: BundleInstallOutcome
BUNDLE_INSTALL_OUTCOME_ALREADY_CURRENT: BundleInstallOutcome

class GetTrustBundleRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetTrustBundleResponse(_message.Message):
    __slots__ = ("ca_certificate_pem", "enroll_port", "control_port")
    CA_CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    ENROLL_PORT_FIELD_NUMBER: _ClassVar[int]
    CONTROL_PORT_FIELD_NUMBER: _ClassVar[int]
    ca_certificate_pem: str
    enroll_port: int
    control_port: int
    def __init__(self, ca_certificate_pem: _Optional[str] = ..., enroll_port: _Optional[int] = ..., control_port: _Optional[int] = ...) -> None: ...

class EnrollRequest(_message.Message):
    __slots__ = ("bootstrap_token", "site_id", "csr_pem", "agent_version")
    BOOTSTRAP_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    bootstrap_token: str
    site_id: str
    csr_pem: str
    agent_version: str
    def __init__(self, bootstrap_token: _Optional[str] = ..., site_id: _Optional[str] = ..., csr_pem: _Optional[str] = ..., agent_version: _Optional[str] = ...) -> None: ...

class EnrollResponse(_message.Message):
    __slots__ = ("site_id", "certificate_pem", "ca_certificate_pem", "not_after")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    CA_CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    certificate_pem: str
    ca_certificate_pem: str
    not_after: _timestamp_pb2.Timestamp
    def __init__(self, site_id: _Optional[str] = ..., certificate_pem: _Optional[str] = ..., ca_certificate_pem: _Optional[str] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RenewCertificateRequest(_message.Message):
    __slots__ = ("csr_pem",)
    CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    csr_pem: str
    def __init__(self, csr_pem: _Optional[str] = ...) -> None: ...

class RenewCertificateResponse(_message.Message):
    __slots__ = ("certificate_pem", "not_after")
    CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    certificate_pem: str
    not_after: _timestamp_pb2.Timestamp
    def __init__(self, certificate_pem: _Optional[str] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AgentHello(_message.Message):
    __slots__ = ("agent_version", "config_generation", "installed_bundles")
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_GENERATION_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_BUNDLES_FIELD_NUMBER: _ClassVar[int]
    agent_version: str
    config_generation: int
    installed_bundles: InstalledBundles
    def __init__(self, agent_version: _Optional[str] = ..., config_generation: _Optional[int] = ..., installed_bundles: _Optional[_Union[InstalledBundles, _Mapping]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("sequence", "sent_at")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    sent_at: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("command_id", "issued_at", "apply_site_config", "run_downsync", "run_upsync", "rebuild_projection", "compensation_notice", "install_bundle")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    APPLY_SITE_CONFIG_FIELD_NUMBER: _ClassVar[int]
    RUN_DOWNSYNC_FIELD_NUMBER: _ClassVar[int]
    RUN_UPSYNC_FIELD_NUMBER: _ClassVar[int]
    REBUILD_PROJECTION_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_NOTICE_FIELD_NUMBER: _ClassVar[int]
    INSTALL_BUNDLE_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    issued_at: _timestamp_pb2.Timestamp
    apply_site_config: _store_site_pb2.SiteConfig
    run_downsync: RunDownsyncCommand
    run_upsync: RunUpsyncCommand
    rebuild_projection: RebuildProjectionCommand
    compensation_notice: _realtime_pb2.CompensationNotice
    install_bundle: InstallBundleCommand
    def __init__(self, command_id: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., apply_site_config: _Optional[_Union[_store_site_pb2.SiteConfig, _Mapping]] = ..., run_downsync: _Optional[_Union[RunDownsyncCommand, _Mapping]] = ..., run_upsync: _Optional[_Union[RunUpsyncCommand, _Mapping]] = ..., rebuild_projection: _Optional[_Union[RebuildProjectionCommand, _Mapping]] = ..., compensation_notice: _Optional[_Union[_realtime_pb2.CompensationNotice, _Mapping]] = ..., install_bundle: _Optional[_Union[InstallBundleCommand, _Mapping]] = ...) -> None: ...

class RunDownsyncCommand(_message.Message):
    __slots__ = ("streams", "heads")
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    HEADS_FIELD_NUMBER: _ClassVar[int]
    streams: _containers.RepeatedScalarFieldContainer[str]
    heads: _containers.RepeatedCompositeFieldContainer[_sync_pb2.StreamCheckpoint]
    def __init__(self, streams: _Optional[_Iterable[str]] = ..., heads: _Optional[_Iterable[_Union[_sync_pb2.StreamCheckpoint, _Mapping]]] = ...) -> None: ...

class RunUpsyncCommand(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RebuildProjectionCommand(_message.Message):
    __slots__ = ("streams", "reason")
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    streams: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, streams: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class ChangesAvailable(_message.Message):
    __slots__ = ("heads",)
    HEADS_FIELD_NUMBER: _ClassVar[int]
    heads: _containers.RepeatedCompositeFieldContainer[_sync_pb2.StreamCheckpoint]
    def __init__(self, heads: _Optional[_Iterable[_Union[_sync_pb2.StreamCheckpoint, _Mapping]]] = ...) -> None: ...

class CommandResult(_message.Message):
    __slots__ = ("command_id", "ok", "error", "site_config_applied", "replication_status", "bundle_install", "outcome", "reason", "message")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SITE_CONFIG_APPLIED_FIELD_NUMBER: _ClassVar[int]
    REPLICATION_STATUS_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_INSTALL_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    ok: bool
    error: str
    site_config_applied: SiteConfigApplied
    replication_status: _sync_pb2.ReplicationStatus
    bundle_install: BundleInstallReport
    outcome: CommandOutcome
    reason: str
    message: str
    def __init__(self, command_id: _Optional[str] = ..., ok: _Optional[bool] = ..., error: _Optional[str] = ..., site_config_applied: _Optional[_Union[SiteConfigApplied, _Mapping]] = ..., replication_status: _Optional[_Union[_sync_pb2.ReplicationStatus, _Mapping]] = ..., bundle_install: _Optional[_Union[BundleInstallReport, _Mapping]] = ..., outcome: _Optional[_Union[CommandOutcome, str]] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class SiteConfigApplied(_message.Message):
    __slots__ = ("site_id", "generation")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    generation: int
    def __init__(self, site_id: _Optional[str] = ..., generation: _Optional[int] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("site_id", "heartbeat_interval_seconds")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    heartbeat_interval_seconds: int
    def __init__(self, site_id: _Optional[str] = ..., heartbeat_interval_seconds: _Optional[int] = ...) -> None: ...

class ConnectRequest(_message.Message):
    __slots__ = ("hello", "heartbeat", "command_result")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_RESULT_FIELD_NUMBER: _ClassVar[int]
    hello: AgentHello
    heartbeat: Heartbeat
    command_result: CommandResult
    def __init__(self, hello: _Optional[_Union[AgentHello, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., command_result: _Optional[_Union[CommandResult, _Mapping]] = ...) -> None: ...

class ConnectResponse(_message.Message):
    __slots__ = ("welcome", "heartbeat", "command", "changes_available")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    CHANGES_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    heartbeat: Heartbeat
    command: Command
    changes_available: ChangesAvailable
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., command: _Optional[_Union[Command, _Mapping]] = ..., changes_available: _Optional[_Union[ChangesAvailable, _Mapping]] = ...) -> None: ...

class InstallBundleCommand(_message.Message):
    __slots__ = ("bundle_id", "sha256", "size", "deadline")
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    bundle_id: str
    sha256: str
    size: int
    deadline: _timestamp_pb2.Timestamp
    def __init__(self, bundle_id: _Optional[str] = ..., sha256: _Optional[str] = ..., size: _Optional[int] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BundleInstallReport(_message.Message):
    __slots__ = ("outcome", "current_bundle", "last_known_good", "failed_step", "message", "bundle_id", "previous_bundle")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    CURRENT_BUNDLE_FIELD_NUMBER: _ClassVar[int]
    LAST_KNOWN_GOOD_FIELD_NUMBER: _ClassVar[int]
    FAILED_STEP_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_BUNDLE_FIELD_NUMBER: _ClassVar[int]
    outcome: BundleInstallOutcome
    current_bundle: str
    last_known_good: str
    failed_step: str
    message: str
    bundle_id: str
    previous_bundle: str
    def __init__(self, outcome: _Optional[_Union[BundleInstallOutcome, str]] = ..., current_bundle: _Optional[str] = ..., last_known_good: _Optional[str] = ..., failed_step: _Optional[str] = ..., message: _Optional[str] = ..., bundle_id: _Optional[str] = ..., previous_bundle: _Optional[str] = ...) -> None: ...

class InstalledBundles(_message.Message):
    __slots__ = ("current_bundle", "last_known_good", "last_install")
    CURRENT_BUNDLE_FIELD_NUMBER: _ClassVar[int]
    LAST_KNOWN_GOOD_FIELD_NUMBER: _ClassVar[int]
    LAST_INSTALL_FIELD_NUMBER: _ClassVar[int]
    current_bundle: str
    last_known_good: str
    last_install: BundleInstallReport
    def __init__(self, current_bundle: _Optional[str] = ..., last_known_good: _Optional[str] = ..., last_install: _Optional[_Union[BundleInstallReport, _Mapping]] = ...) -> None: ...
