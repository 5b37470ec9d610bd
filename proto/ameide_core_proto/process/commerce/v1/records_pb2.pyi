import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Money(_message.Message):
    __slots__ = ("currency", "minor_units")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    MINOR_UNITS_FIELD_NUMBER: _ClassVar[int]
    currency: str
    minor_units: int
    def __init__(self, currency: _Optional[str] = ..., minor_units: _Optional[int] = ...) -> None: ...

class CatalogItem(_message.Message):
    __slots__ = ("sku", "barcodes", "description", "department", "tax_class", "active")
    SKU_FIELD_NUMBER: _ClassVar[int]
    BARCODES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    TAX_CLASS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    sku: str
    barcodes: _containers.RepeatedScalarFieldContainer[str]
    description: str
    department: str
    tax_class: str
    active: bool
    def __init__(self, sku: _Optional[str] = ..., barcodes: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., department: _Optional[str] = ..., tax_class: _Optional[str] = ..., active: _Optional[bool] = ...) -> None: ...

class Price(_message.Message):
    __slots__ = ("price_id", "sku", "sales_channel_id", "unit_price", "effective_from", "effective_until")
    PRICE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    SALES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    price_id: str
    sku: str
    sales_channel_id: str
    unit_price: Money
    effective_from: _timestamp_pb2.Timestamp
    effective_until: _timestamp_pb2.Timestamp
    def __init__(self, price_id: _Optional[str] = ..., sku: _Optional[str] = ..., sales_channel_id: _Optional[str] = ..., unit_price: _Optional[_Union[Money, _Mapping]] = ..., effective_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., effective_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Promotion(_message.Message):
    __slots__ = ("promotion_id", "sales_channel_id", "description", "skus", "percent_off_basis_points", "amount_off", "starts_at", "ends_at")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    SALES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SKUS_FIELD_NUMBER: _ClassVar[int]
    PERCENT_OFF_BASIS_POINTS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_OFF_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    sales_channel_id: str
    description: str
    skus: _containers.RepeatedScalarFieldContainer[str]
    percent_off_basis_points: int
    amount_off: Money
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    def __init__(self, promotion_id: _Optional[str] = ..., sales_channel_id: _Optional[str] = ..., description: _Optional[str] = ..., skus: _Optional[_Iterable[str]] = ..., percent_off_basis_points: _Optional[int] = ..., amount_off: _Optional[_Union[Money, _Mapping]] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Customer(_message.Message):
    __slots__ = ("customer_id", "sales_channel_id", "name", "email", "phone", "loyalty_number")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SALES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    sales_channel_id: str
    name: str
    email: str
    phone: str
    loyalty_number: str
    def __init__(self, customer_id: _Optional[str] = ..., sales_channel_id: _Optional[str] = ..., name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., loyalty_number: _Optional[str] = ...) -> None: ...

class Register(_message.Message):
    __slots__ = ("register_id", "name")
    REGISTER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    register_id: str
    name: str
    def __init__(self, register_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class TaxRate(_message.Message):
    __slots__ = ("tax_class", "rate_basis_points")
    TAX_CLASS_FIELD_NUMBER: _ClassVar[int]
    RATE_BASIS_POINTS_FIELD_NUMBER: _ClassVar[int]
    tax_class: str
    rate_basis_points: int
    def __init__(self, tax_class: _Optional[str] = ..., rate_basis_points: _Optional[int] = ...) -> None: ...

class StoreConfiguration(_message.Message):
    __slots__ = ("site_id", "registers", "tax_rates", "currency")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTERS_FIELD_NUMBER: _ClassVar[int]
    TAX_RATES_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    registers: _containers.RepeatedCompositeFieldContainer[Register]
    tax_rates: _containers.RepeatedCompositeFieldContainer[TaxRate]
    currency: str
    def __init__(self, site_id: _Optional[str] = ..., registers: _Optional[_Iterable[_Union[Register, _Mapping]]] = ..., tax_rates: _Optional[_Iterable[_Union[TaxRate, _Mapping]]] = ..., currency: _Optional[str] = ...) -> None: ...

class TransactionLine(_message.Message):
    __slots__ = ("line_number", "sku", "quantity", "unit_price", "discount", "tax", "line_total")
    LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    TAX_FIELD_NUMBER: _ClassVar[int]
    LINE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    line_number: int
    sku: str
    quantity: int
    unit_price: Money
    discount: Money
    tax: Money
    line_total: Money
    def __init__(self, line_number: _Optional[int] = ..., sku: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price: _Optional[_Union[Money, _Mapping]] = ..., discount: _Optional[_Union[Money, _Mapping]] = ..., tax: _Optional[_Union[Money, _Mapping]] = ..., line_total: _Optional[_Union[Money, _Mapping]] = ...) -> None: ...

class Tender(_message.Message):
    __slots__ = ("tender_type", "amount")
    TENDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    tender_type: str
    amount: Money
    def __init__(self, tender_type: _Optional[str] = ..., amount: _Optional[_Union[Money, _Mapping]] = ...) -> None: ...

class ReceiptRef(_message.Message):
    __slots__ = ("site_id", "register_id", "business_day", "receipt_number")
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTER_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DAY_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    site_id: str
    register_id: str
    business_day: str
    receipt_number: str
    def __init__(self, site_id: _Optional[str] = ..., register_id: _Optional[str] = ..., business_day: _Optional[str] = ..., receipt_number: _Optional[str] = ...) -> None: ...

class SalesTransaction(_message.Message):
    __slots__ = ("transaction_id", "receipt", "occurred_at", "lines", "tenders", "total", "customer_id")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    receipt: ReceiptRef
    occurred_at: _timestamp_pb2.Timestamp
    lines: _containers.RepeatedCompositeFieldContainer[TransactionLine]
    tenders: _containers.RepeatedCompositeFieldContainer[Tender]
    total: Money
    customer_id: str
    def __init__(self, transaction_id: _Optional[str] = ..., receipt: _Optional[_Union[ReceiptRef, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[TransactionLine, _Mapping]]] = ..., tenders: _Optional[_Iterable[_Union[Tender, _Mapping]]] = ..., total: _Optional[_Union[Money, _Mapping]] = ..., customer_id: _Optional[str] = ...) -> None: ...

class SalesReturn(_message.Message):
    __slots__ = ("return_id", "receipt", "original_receipt", "occurred_at", "lines", "tenders", "total", "reason")
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_RECEIPT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TENDERS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    return_id: str
    receipt: ReceiptRef
    original_receipt: ReceiptRef
    occurred_at: _timestamp_pb2.Timestamp
    lines: _containers.RepeatedCompositeFieldContainer[TransactionLine]
    tenders: _containers.RepeatedCompositeFieldContainer[Tender]
    total: Money
    reason: str
    def __init__(self, return_id: _Optional[str] = ..., receipt: _Optional[_Union[ReceiptRef, _Mapping]] = ..., original_receipt: _Optional[_Union[ReceiptRef, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[TransactionLine, _Mapping]]] = ..., tenders: _Optional[_Iterable[_Union[Tender, _Mapping]]] = ..., total: _Optional[_Union[Money, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class InventoryAdjustment(_message.Message):
    __slots__ = ("adjustment_id", "site_id", "sku", "quantity_delta", "reason", "occurred_at")
    ADJUSTMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_DELTA_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    adjustment_id: str
    site_id: str
    sku: str
    quantity_delta: int
    reason: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, adjustment_id: _Optional[str] = ..., site_id: _Optional[str] = ..., sku: _Optional[str] = ..., quantity_delta: _Optional[int] = ..., reason: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Change(_message.Message):
    __slots__ = ("stream", "seq", "key", "scope", "changed_at", "deleted", "catalog_item", "price", "promotion", "customer", "store_configuration", "sales_transaction", "sales_return", "inventory_adjustment")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ITEM_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    STORE_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    SALES_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    SALES_RETURN_FIELD_NUMBER: _ClassVar[int]
    INVENTORY_ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    stream: str
    seq: int
    key: str
    scope: str
    changed_at: _timestamp_pb2.Timestamp
    deleted: bool
    catalog_item: CatalogItem
    price: Price
    promotion: Promotion
    customer: Customer
    store_configuration: StoreConfiguration
    sales_transaction: SalesTransaction
    sales_return: SalesReturn
    inventory_adjustment: InventoryAdjustment
    def __init__(self, stream: _Optional[str] = ..., seq: _Optional[int] = ..., key: _Optional[str] = ..., scope: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deleted: _Optional[bool] = ..., catalog_item: _Optional[_Union[CatalogItem, _Mapping]] = ..., price: _Optional[_Union[Price, _Mapping]] = ..., promotion: _Optional[_Union[Promotion, _Mapping]] = ..., customer: _Optional[_Union[Customer, _Mapping]] = ..., store_configuration: _Optional[_Union[StoreConfiguration, _Mapping]] = ..., sales_transaction: _Optional[_Union[SalesTransaction, _Mapping]] = ..., sales_return: _Optional[_Union[SalesReturn, _Mapping]] = ..., inventory_adjustment: _Optional[_Union[InventoryAdjustment, _Mapping]] = ...) -> None: ...

class ChangeList(_message.Message):
    __slots__ = ("changes",)
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[Change]
    def __init__(self, changes: _Optional[_Iterable[_Union[Change, _Mapping]]] = ...) -> None: ...
