"""The cloud's embedded real-time providers and their ledger: gift cards, loyalty points, the
customer register, return authorizations, inter-site stock and a rules-based risk scorer, each
operation decided once per (site, operation id).

Adapter room: SQL on the tables of `cloud.store.realtime_tables`; blocking (call from threads).
"""

from cloud.adapters.store.realtime._answer import Provider, ProviderAnswer, approve, refuse
from cloud.adapters.store.realtime._cases import RealtimeCases
from cloud.adapters.store.realtime._ledger import (
    OperationConflict,
    RealtimeLedger,
    embedded_providers,
    exception_id_of,
)
from cloud.adapters.store.realtime._policies import RealtimePolicies
from cloud.adapters.store.realtime._risk import RiskRules
from cloud.adapters.store.realtime_records import ExceptionCase, KindStats, Settled

__all__ = [
    "ExceptionCase",
    "KindStats",
    "OperationConflict",
    "Provider",
    "ProviderAnswer",
    "RealtimeCases",
    "RealtimeLedger",
    "RealtimePolicies",
    "RiskRules",
    "Settled",
    "approve",
    "embedded_providers",
    "exception_id_of",
    "refuse",
]
