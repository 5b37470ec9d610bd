import datetime

from ameide_core_proto.process.commerce.v1 import realtime_pb2 as _realtime_pb2
from ameide_core_proto.process.commerce.v1 import records_pb2 as _records_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetItemRequest(_message.Message):
    __slots__ = ("sku", "barcode")
    SKU_FIELD_NUMBER: _ClassVar[int]
    BARCODE_FIELD_NUMBER: _ClassVar[int]
    sku: str
    barcode: str
    def __init__(self, sku: _Optional[str] = ..., barcode: _Optional[str] = ...) -> None: ...

class GetItemResponse(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: _records_pb2.CatalogItem
    def __init__(self, item: _Optional[_Union[_records_pb2.CatalogItem, _Mapping]] = ...) -> None: ...

class GetPriceRequest(_message.Message):
    __slots__ = ("sku", "sales_channel_id", "at")
    SKU_FIELD_NUMBER: _ClassVar[int]
    SALES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    sales_channel_id: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, sku: _Optional[str] = ..., sales_channel_id: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetPriceResponse(_message.Message):
    __slots__ = ("price",)
    PRICE_FIELD_NUMBER: _ClassVar[int]
    price: _records_pb2.Price
    def __init__(self, price: _Optional[_Union[_records_pb2.Price, _Mapping]] = ...) -> None: ...

class ListActivePromotionsRequest(_message.Message):
    __slots__ = ("sku", "at")
    SKU_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, sku: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListActivePromotionsResponse(_message.Message):
    __slots__ = ("promotions",)
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    promotions: _containers.RepeatedCompositeFieldContainer[_records_pb2.Promotion]
    def __init__(self, promotions: _Optional[_Iterable[_Union[_records_pb2.Promotion, _Mapping]]] = ...) -> None: ...

class FindCustomerRequest(_message.Message):
    __slots__ = ("customer_id", "loyalty_number", "email", "phone")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    loyalty_number: str
    email: str
    phone: str
    def __init__(self, customer_id: _Optional[str] = ..., loyalty_number: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class FindCustomerResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: _records_pb2.Customer
    def __init__(self, customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ...) -> None: ...

class RecordSaleRequest(_message.Message):
    __slots__ = ("sale",)
    SALE_FIELD_NUMBER: _ClassVar[int]
    sale: _records_pb2.SalesTransaction
    def __init__(self, sale: _Optional[_Union[_records_pb2.SalesTransaction, _Mapping]] = ...) -> None: ...

class RecordSaleResponse(_message.Message):
    __slots__ = ("transaction_id", "newly_recorded")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    NEWLY_RECORDED_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    newly_recorded: bool
    def __init__(self, transaction_id: _Optional[str] = ..., newly_recorded: _Optional[bool] = ...) -> None: ...

class RecordReturnRequest(_message.Message):
    __slots__ = ("sales_return",)
    SALES_RETURN_FIELD_NUMBER: _ClassVar[int]
    sales_return: _records_pb2.SalesReturn
    def __init__(self, sales_return: _Optional[_Union[_records_pb2.SalesReturn, _Mapping]] = ...) -> None: ...

class RecordReturnResponse(_message.Message):
    __slots__ = ("return_id", "newly_recorded")
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    NEWLY_RECORDED_FIELD_NUMBER: _ClassVar[int]
    return_id: str
    newly_recorded: bool
    def __init__(self, return_id: _Optional[str] = ..., newly_recorded: _Optional[bool] = ...) -> None: ...

class RecordInventoryAdjustmentRequest(_message.Message):
    __slots__ = ("adjustment",)
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    adjustment: _records_pb2.InventoryAdjustment
    def __init__(self, adjustment: _Optional[_Union[_records_pb2.InventoryAdjustment, _Mapping]] = ...) -> None: ...

class RecordInventoryAdjustmentResponse(_message.Message):
    __slots__ = ("adjustment_id", "newly_recorded")
    ADJUSTMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NEWLY_RECORDED_FIELD_NUMBER: _ClassVar[int]
    adjustment_id: str
    newly_recorded: bool
    def __init__(self, adjustment_id: _Optional[str] = ..., newly_recorded: _Optional[bool] = ...) -> None: ...

class DecideOperationRequest(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _realtime_pb2.RealtimeOperation
    def __init__(self, operation: _Optional[_Union[_realtime_pb2.RealtimeOperation, _Mapping]] = ...) -> None: ...

class DecideOperationResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: _realtime_pb2.RealtimeDecision
    def __init__(self, decision: _Optional[_Union[_realtime_pb2.RealtimeDecision, _Mapping]] = ...) -> None: ...

class ListOpenCompensationsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class OpenCompensation(_message.Message):
    __slots__ = ("exception_id", "operation_id", "kind", "message")
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    exception_id: str
    operation_id: str
    kind: _realtime_pb2.OperationKind
    message: str
    def __init__(self, exception_id: _Optional[str] = ..., operation_id: _Optional[str] = ..., kind: _Optional[_Union[_realtime_pb2.OperationKind, str]] = ..., message: _Optional[str] = ...) -> None: ...

class ListOpenCompensationsResponse(_message.Message):
    __slots__ = ("compensations",)
    COMPENSATIONS_FIELD_NUMBER: _ClassVar[int]
    compensations: _containers.RepeatedCompositeFieldContainer[OpenCompensation]
    def __init__(self, compensations: _Optional[_Iterable[_Union[OpenCompensation, _Mapping]]] = ...) -> None: ...

class AcquireBasketLeaseRequest(_message.Message):
    __slots__ = ("register_id", "ttl_seconds")
    REGISTER_ID_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    register_id: str
    ttl_seconds: int
    def __init__(self, register_id: _Optional[str] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class AcquireBasketLeaseResponse(_message.Message):
    __slots__ = ("lease_id", "expires_at")
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    lease_id: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, lease_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RenewBasketLeaseRequest(_message.Message):
    __slots__ = ("lease_id", "ttl_seconds")
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    lease_id: str
    ttl_seconds: int
    def __init__(self, lease_id: _Optional[str] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class RenewBasketLeaseResponse(_message.Message):
    __slots__ = ("expires_at",)
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReleaseBasketLeaseRequest(_message.Message):
    __slots__ = ("lease_id",)
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    lease_id: str
    def __init__(self, lease_id: _Optional[str] = ...) -> None: ...

class ReleaseBasketLeaseResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RecordSalesRequest(_message.Message):
    __slots__ = ("sale",)
    SALE_FIELD_NUMBER: _ClassVar[int]
    sale: _records_pb2.SalesTransaction
    def __init__(self, sale: _Optional[_Union[_records_pb2.SalesTransaction, _Mapping]] = ...) -> None: ...

class RecordSalesResponse(_message.Message):
    __slots__ = ("transaction_id", "newly_recorded")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    NEWLY_RECORDED_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    newly_recorded: bool
    def __init__(self, transaction_id: _Optional[str] = ..., newly_recorded: _Optional[bool] = ...) -> None: ...
