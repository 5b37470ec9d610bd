"""Gift cards kept by an external provider (the spec's "gift cards (if external)"): the
gift card family of the real-time ledger answered over HTTP instead of by the embedded ledger.

Adapter room: the only module that imports httpx for real-time operations, and the one place
that maps the provider's HTTP answers to ours:

    200                      approved; the body carries the card's balance
    402, 409, 422            refused by the provider's rules (body: reason, message)
    404                      refused: UnknownCard
    400                      InvalidInput (we sent something the provider rejects; not retryable)
    401, 403, other          ProviderRefusedUs: credentials or contract wrong (not retryable)
    429, 5xx, timeout,       StoreUnavailable: retryable; the ledger records nothing and the
    connection failure       store's agent decides by its offline policy, then reconciles

Every call carries `Idempotency-Key: <site>/<operation id>`, so a retry after a lost answer
gets the provider's first answer, never a second redemption. Protocol (JSON):
`POST {base}/v1/gift-cards/{card}/{check|redeem|load}` with `{"amount": {"currency",
"minor_units"}}`; an answer `{"approved", "reason", "message", "balance": {...}}`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import httpx

from ameide_core_proto.process.commerce.v1 import realtime_pb2, records_pb2
from cloud.adapters.store.errors import StoreUnavailable
from cloud.adapters.store.realtime import ProviderAnswer, approve, refuse
from cloud.adapters.store.realtime_records import ProviderRefusedUs
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)

_ACTIONS = {"gift_card_check": "check", "gift_card_redeem": "redeem", "gift_card_load": "load"}
_REFUSALS = {402, 409, 422}


class HttpGiftCardProvider:
    """A `Provider` for the gift card family (the connection it is given goes unused)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str = "",
        timeout_seconds: float = 2.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._base = base_url.rstrip("/")
        self._client = httpx.Client(timeout=timeout_seconds, headers=headers, transport=transport)

    def close(self) -> None:
        self._client.close()

    def __call__(
        self, conn: object, site_id: str, op: realtime_pb2.RealtimeOperation, now: datetime
    ) -> ProviderAnswer:
        chosen = op.WhichOneof("payload") or ""
        payload = getattr(op, chosen)
        body: dict[str, Any] = {"site_id": site_id, "operation_id": op.operation_id}
        if chosen != "gift_card_check":
            body["amount"] = {
                "currency": payload.amount.currency,
                "minor_units": payload.amount.minor_units,
            }
        url = f"{self._base}/v1/gift-cards/{payload.card_number}/{_ACTIONS[chosen]}"
        try:
            response = self._client.post(
                url, json=body, headers={"Idempotency-Key": f"{site_id}/{op.operation_id}"}
            )
        except httpx.TimeoutException as exc:
            raise StoreUnavailable(
                f"gift card provider at {self._base} did not answer in time ({exc}); retry"
            ) from exc
        except httpx.TransportError as exc:
            raise StoreUnavailable(
                f"gift card provider at {self._base} is unreachable ({exc}); retry"
            ) from exc
        return _answer(response, payload.card_number)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _answer(response: httpx.Response, card: str) -> ProviderAnswer:
    status = response.status_code
    data = _json(response)
    if status == 200:
        balance = data.get("balance") or {}
        outcome = realtime_pb2.OperationOutcome(
            balance=records_pb2.Money(
                currency=str(balance.get("currency", "")),
                minor_units=int(balance.get("minor_units", 0)),
            )
        )
        if data.get("approved", True):
            return approve(str(data.get("message", "approved by the gift card provider")), outcome)
        return refuse(str(data.get("reason", "RefusedByProvider")), str(data.get("message", "")))
    if status in _REFUSALS:
        return refuse(
            str(data.get("reason", "RefusedByProvider")),
            str(data.get("message", f"the gift card provider refused (HTTP {status})")),
        )
    if status == 404:
        return refuse("UnknownCard", f"gift card {card} is not known to the provider")
    if status == 400:
        raise InvalidInput(
            f"the gift card provider rejected the request: {data.get('message', response.text)}"
        )
    if status in (401, 403):
        raise ProviderRefusedUs(
            f"the gift card provider refused our credentials (HTTP {status}); check "
            "gift_card_provider_token; retrying will not help"
        )
    if status == 429 or status >= 500:
        raise StoreUnavailable(f"the gift card provider is unavailable (HTTP {status}); retry")
    raise ProviderRefusedUs(
        f"the gift card provider answered HTTP {status}, which its contract does not know: "
        f"{response.text[:200]}"
    )
