import datetime

from ameide_core_proto.process.commerce.v1 import options_pb2 as _options_pb2
from ameide_core_proto.process.commerce.v1 import records_pb2 as _records_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OperationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATION_KIND_UNSPECIFIED: _ClassVar[OperationKind]
    OPERATION_KIND_GIFT_CARD_CHECK: _ClassVar[OperationKind]
    OPERATION_KIND_GIFT_CARD_REDEEM: _ClassVar[OperationKind]
    OPERATION_KIND_GIFT_CARD_LOAD: _ClassVar[OperationKind]
    OPERATION_KIND_LOYALTY_EARN: _ClassVar[OperationKind]
    OPERATION_KIND_LOYALTY_REDEEM: _ClassVar[OperationKind]
    OPERATION_KIND_CUSTOMER_CREATE: _ClassVar[OperationKind]
    OPERATION_KIND_CUSTOMER_UPDATE: _ClassVar[OperationKind]
    OPERATION_KIND_RETURN_AUTHORIZATION: _ClassVar[OperationKind]
    OPERATION_KIND_INVENTORY_TRANSFER: _ClassVar[OperationKind]
    OPERATION_KIND_INVENTORY_ADJUSTMENT: _ClassVar[OperationKind]
    OPERATION_KIND_RISK_CHECK: _ClassVar[OperationKind]

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    VERDICT_APPROVED: _ClassVar[Verdict]
    VERDICT_REFUSED: _ClassVar[Verdict]

class DecidedBy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECIDED_BY_UNSPECIFIED: _ClassVar[DecidedBy]
    DECIDED_BY_CLOUD: _ClassVar[DecidedBy]
    DECIDED_BY_STORE_POLICY: _ClassVar[DecidedBy]
OPERATION_KIND_UNSPECIFIED: OperationKind
OPERATION_KIND_GIFT_CARD_CHECK: OperationKind
OPERATION_KIND_GIFT_CARD_REDEEM: OperationKind
OPERATION_KIND_GIFT_CARD_LOAD: OperationKind
OPERATION_KIND_LOYALTY_EARN: OperationKind
OPERATION_KIND_LOYALTY_REDEEM: OperationKind
OPERATION_KIND_CUSTOMER_CREATE: OperationKind
OPERATION_KIND_CUSTOMER_UPDATE: OperationKind
OPERATION_KIND_RETURN_AUTHORIZATION: OperationKind
OPERATION_KIND_INVENTORY_TRANSFER: OperationKind
OPERATION_KIND_INVENTORY_ADJUSTMENT: OperationKind
OPERATION_KIND_RISK_CHECK: OperationKind
VERDICT_UNSPECIFIED: Verdict
VERDICT_APPROVED: Verdict
VERDICT_REFUSED: Verdict
DECIDED_BY_UNSPECIFIED: DecidedBy
DECIDED_BY_CLOUD: DecidedBy
DECIDED_BY_STORE_POLICY: DecidedBy

class GiftCardCheck(_message.Message):
    __slots__ = ("card_number",)
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    def __init__(self, card_number: _Optional[str] = ...) -> None: ...

class GiftCardRedeem(_message.Message):
    __slots__ = ("card_number", "amount")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    amount: _records_pb2.Money
    def __init__(self, card_number: _Optional[str] = ..., amount: _Optional[_Union[_records_pb2.Money, _Mapping]] = ...) -> None: ...

class GiftCardLoad(_message.Message):
    __slots__ = ("card_number", "amount")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    amount: _records_pb2.Money
    def __init__(self, card_number: _Optional[str] = ..., amount: _Optional[_Union[_records_pb2.Money, _Mapping]] = ...) -> None: ...

class LoyaltyEarn(_message.Message):
    __slots__ = ("loyalty_number", "points", "transaction_id")
    LOYALTY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    loyalty_number: str
    points: int
    transaction_id: str
    def __init__(self, loyalty_number: _Optional[str] = ..., points: _Optional[int] = ..., transaction_id: _Optional[str] = ...) -> None: ...

class LoyaltyRedeem(_message.Message):
    __slots__ = ("loyalty_number", "points")
    LOYALTY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    loyalty_number: str
    points: int
    def __init__(self, loyalty_number: _Optional[str] = ..., points: _Optional[int] = ...) -> None: ...

class CustomerChange(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: _records_pb2.Customer
    def __init__(self, customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ...) -> None: ...

class ReturnAuthorization(_message.Message):
    __slots__ = ("original_receipt", "amount")
    ORIGINAL_RECEIPT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    original_receipt: _records_pb2.ReceiptRef
    amount: _records_pb2.Money
    def __init__(self, original_receipt: _Optional[_Union[_records_pb2.ReceiptRef, _Mapping]] = ..., amount: _Optional[_Union[_records_pb2.Money, _Mapping]] = ...) -> None: ...

class InventoryTransfer(_message.Message):
    __slots__ = ("from_site_id", "to_site_id", "sku", "quantity")
    FROM_SITE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_SITE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    from_site_id: str
    to_site_id: str
    sku: str
    quantity: int
    def __init__(self, from_site_id: _Optional[str] = ..., to_site_id: _Optional[str] = ..., sku: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class InterSiteInventoryAdjustment(_message.Message):
    __slots__ = ("site_id", "sku", "quantity_delta", "reason")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_DELTA_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    sku: str
    quantity_delta: int
    reason: str
    def __init__(self, site_id: _Optional[str] = ..., sku: _Optional[str] = ..., quantity_delta: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RiskCheck(_message.Message):
    __slots__ = ("amount", "subject", "tender_type")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TENDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    amount: _records_pb2.Money
    subject: str
    tender_type: str
    def __init__(self, amount: _Optional[_Union[_records_pb2.Money, _Mapping]] = ..., subject: _Optional[str] = ..., tender_type: _Optional[str] = ...) -> None: ...

class RealtimeOperation(_message.Message):
    __slots__ = ("operation_id", "kind", "register_id", "requested_at", "gift_card_check", "gift_card_redeem", "gift_card_load", "loyalty_earn", "loyalty_redeem", "customer_create", "customer_update", "return_authorization", "inventory_transfer", "inventory_adjustment", "risk_check")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REGISTER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    GIFT_CARD_CHECK_FIELD_NUMBER: _ClassVar[int]
    GIFT_CARD_REDEEM_FIELD_NUMBER: _ClassVar[int]
    GIFT_CARD_LOAD_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_EARN_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_REDEEM_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_CREATE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_UPDATE_FIELD_NUMBER: _ClassVar[int]
    RETURN_AUTHORIZATION_FIELD_NUMBER: _ClassVar[int]
    INVENTORY_TRANSFER_FIELD_NUMBER: _ClassVar[int]
    INVENTORY_ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    RISK_CHECK_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    kind: OperationKind
    register_id: str
    requested_at: _timestamp_pb2.Timestamp
    gift_card_check: GiftCardCheck
    gift_card_redeem: GiftCardRedeem
    gift_card_load: GiftCardLoad
    loyalty_earn: LoyaltyEarn
    loyalty_redeem: LoyaltyRedeem
    customer_create: CustomerChange
    customer_update: CustomerChange
    return_authorization: ReturnAuthorization
    inventory_transfer: InventoryTransfer
    inventory_adjustment: InterSiteInventoryAdjustment
    risk_check: RiskCheck
    def __init__(self, operation_id: _Optional[str] = ..., kind: _Optional[_Union[OperationKind, str]] = ..., register_id: _Optional[str] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., gift_card_check: _Optional[_Union[GiftCardCheck, _Mapping]] = ..., gift_card_redeem: _Optional[_Union[GiftCardRedeem, _Mapping]] = ..., gift_card_load: _Optional[_Union[GiftCardLoad, _Mapping]] = ..., loyalty_earn: _Optional[_Union[LoyaltyEarn, _Mapping]] = ..., loyalty_redeem: _Optional[_Union[LoyaltyRedeem, _Mapping]] = ..., customer_create: _Optional[_Union[CustomerChange, _Mapping]] = ..., customer_update: _Optional[_Union[CustomerChange, _Mapping]] = ..., return_authorization: _Optional[_Union[ReturnAuthorization, _Mapping]] = ..., inventory_transfer: _Optional[_Union[InventoryTransfer, _Mapping]] = ..., inventory_adjustment: _Optional[_Union[InterSiteInventoryAdjustment, _Mapping]] = ..., risk_check: _Optional[_Union[RiskCheck, _Mapping]] = ...) -> None: ...

class OperationOutcome(_message.Message):
    __slots__ = ("balance", "points_balance", "customer_id", "risk_score", "stock")
    class StockEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    POINTS_BALANCE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    RISK_SCORE_FIELD_NUMBER: _ClassVar[int]
    STOCK_FIELD_NUMBER: _ClassVar[int]
    balance: _records_pb2.Money
    points_balance: int
    customer_id: str
    risk_score: int
    stock: _containers.ScalarMap[str, int]
    def __init__(self, balance: _Optional[_Union[_records_pb2.Money, _Mapping]] = ..., points_balance: _Optional[int] = ..., customer_id: _Optional[str] = ..., risk_score: _Optional[int] = ..., stock: _Optional[_Mapping[str, int]] = ...) -> None: ...

class RealtimeDecision(_message.Message):
    __slots__ = ("operation_id", "kind", "verdict", "decided_by", "reason", "message", "policy", "limits", "outcome", "decided_at")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    kind: OperationKind
    verdict: Verdict
    decided_by: DecidedBy
    reason: str
    message: str
    policy: _options_pb2.OfflinePolicy
    limits: _options_pb2.OfflineLimits
    outcome: OperationOutcome
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, operation_id: _Optional[str] = ..., kind: _Optional[_Union[OperationKind, str]] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., decided_by: _Optional[_Union[DecidedBy, str]] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ..., policy: _Optional[_Union[_options_pb2.OfflinePolicy, str]] = ..., limits: _Optional[_Union[_options_pb2.OfflineLimits, _Mapping]] = ..., outcome: _Optional[_Union[OperationOutcome, _Mapping]] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OfflinePolicyOverride(_message.Message):
    __slots__ = ("kind", "policy", "limits")
    KIND_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    kind: OperationKind
    policy: _options_pb2.OfflinePolicy
    limits: _options_pb2.OfflineLimits
    def __init__(self, kind: _Optional[_Union[OperationKind, str]] = ..., policy: _Optional[_Union[_options_pb2.OfflinePolicy, str]] = ..., limits: _Optional[_Union[_options_pb2.OfflineLimits, _Mapping]] = ...) -> None: ...

class DecideRequest(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: RealtimeOperation
    def __init__(self, operation: _Optional[_Union[RealtimeOperation, _Mapping]] = ...) -> None: ...

class DecideResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: RealtimeDecision
    def __init__(self, decision: _Optional[_Union[RealtimeDecision, _Mapping]] = ...) -> None: ...

class ReconcileRequest(_message.Message):
    __slots__ = ("operation", "store_decision")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    STORE_DECISION_FIELD_NUMBER: _ClassVar[int]
    operation: RealtimeOperation
    store_decision: RealtimeDecision
    def __init__(self, operation: _Optional[_Union[RealtimeOperation, _Mapping]] = ..., store_decision: _Optional[_Union[RealtimeDecision, _Mapping]] = ...) -> None: ...

class ReconcileResponse(_message.Message):
    __slots__ = ("decision", "compensation_opened", "exception_id")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_OPENED_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    decision: RealtimeDecision
    compensation_opened: bool
    exception_id: str
    def __init__(self, decision: _Optional[_Union[RealtimeDecision, _Mapping]] = ..., compensation_opened: _Optional[bool] = ..., exception_id: _Optional[str] = ...) -> None: ...

class OfflineOperationRejected(_message.Message):
    __slots__ = ("exception_id", "site_id", "operation_id", "kind", "store_decision", "cloud_decision")
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STORE_DECISION_FIELD_NUMBER: _ClassVar[int]
    CLOUD_DECISION_FIELD_NUMBER: _ClassVar[int]
    exception_id: str
    site_id: str
    operation_id: str
    kind: OperationKind
    store_decision: RealtimeDecision
    cloud_decision: RealtimeDecision
    def __init__(self, exception_id: _Optional[str] = ..., site_id: _Optional[str] = ..., operation_id: _Optional[str] = ..., kind: _Optional[_Union[OperationKind, str]] = ..., store_decision: _Optional[_Union[RealtimeDecision, _Mapping]] = ..., cloud_decision: _Optional[_Union[RealtimeDecision, _Mapping]] = ...) -> None: ...

class CompensationNotice(_message.Message):
    __slots__ = ("rejection", "resolved", "resolution")
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    rejection: OfflineOperationRejected
    resolved: bool
    resolution: str
    def __init__(self, rejection: _Optional[_Union[OfflineOperationRejected, _Mapping]] = ..., resolved: _Optional[bool] = ..., resolution: _Optional[str] = ...) -> None: ...

class CompensateOfflineOperationInput(_message.Message):
    __slots__ = ("exception_id", "rejection")
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    exception_id: str
    rejection: OfflineOperationRejected
    def __init__(self, exception_id: _Optional[str] = ..., rejection: _Optional[_Union[OfflineOperationRejected, _Mapping]] = ...) -> None: ...

class CompensateOfflineOperationResult(_message.Message):
    __slots__ = ("exception_id", "resolution", "resolved_by", "fact_id")
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_BY_FIELD_NUMBER: _ClassVar[int]
    FACT_ID_FIELD_NUMBER: _ClassVar[int]
    exception_id: str
    resolution: str
    resolved_by: str
    fact_id: str
    def __init__(self, exception_id: _Optional[str] = ..., resolution: _Optional[str] = ..., resolved_by: _Optional[str] = ..., fact_id: _Optional[str] = ...) -> None: ...

class ResolveOfflineOperationRequest(_message.Message):
    __slots__ = ("resolution", "resolved_by")
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_BY_FIELD_NUMBER: _ClassVar[int]
    resolution: str
    resolved_by: str
    def __init__(self, resolution: _Optional[str] = ..., resolved_by: _Optional[str] = ...) -> None: ...

class DecideManyRequest(_message.Message):
    __slots__ = ("operations",)
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    operations: _containers.RepeatedCompositeFieldContainer[RealtimeOperation]
    def __init__(self, operations: _Optional[_Iterable[_Union[RealtimeOperation, _Mapping]]] = ...) -> None: ...

class DecideManyResponse(_message.Message):
    __slots__ = ("answers",)
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    answers: _containers.RepeatedCompositeFieldContainer[DecideManyAnswer]
    def __init__(self, answers: _Optional[_Iterable[_Union[DecideManyAnswer, _Mapping]]] = ...) -> None: ...

class DecideManyAnswer(_message.Message):
    __slots__ = ("decision", "code", "message")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    decision: RealtimeDecision
    code: int
    message: str
    def __init__(self, decision: _Optional[_Union[RealtimeDecision, _Mapping]] = ..., code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...
