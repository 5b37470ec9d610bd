"""The embedded real-time providers over the real cloud store (SQLite file and PostgreSQL):
balances are right, every operation applies once per id, and every disagreement between a
store's offline decision and the cloud's is an open compensation case."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from ameide_core_proto.process.commerce.v1 import realtime_pb2, records_pb2
from cloud.adapters.store import CloudStore
from cloud.adapters.store.realtime import OperationConflict
from cloud.adapters.store.realtime_records import Settled
from shared.errors import InvalidInput, NotFound
from tests.cloud.adapters.store.builders import NOW
from tests.cloud.adapters.store.change_builders import receipt, sale
from tests.support.realtime_ops import check, eur, load, loyalty, redeem, store_decision

A, B = "store-0042", "store-0043"
APPROVED, REFUSED = realtime_pb2.VERDICT_APPROVED, realtime_pb2.VERDICT_REFUSED


def test_gift_card_load_redeem_check(store: CloudStore) -> None:
    issued = store.realtime.decide(A, load("op-1", "GC-1", 5000), NOW).decision
    assert (issued.verdict, issued.decided_by) == (APPROVED, realtime_pb2.DECIDED_BY_CLOUD)
    spent = store.realtime.decide(A, redeem("op-2", "GC-1", 1200), NOW).decision
    assert spent.outcome.balance.minor_units == 3800
    too_much = store.realtime.decide(A, redeem("op-3", "GC-1", 3801), NOW).decision
    assert (too_much.verdict, too_much.reason) == (REFUSED, "InsufficientBalance")
    assert "38.00 EUR" in too_much.message
    assert store.realtime.decide(B, check("op-4", "GC-1"), NOW).decision.outcome.balance == eur(
        3800
    )
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 3800)


def test_bad_input_is_refused_and_nothing_applied(store: CloudStore) -> None:
    store.realtime.decide(A, load("op-1", "GC-1", 5000), NOW)
    usd = redeem("op-2", "GC-1", 100)
    usd.gift_card_redeem.amount.currency = "USD"
    mismatch = store.realtime.decide(A, usd, NOW).decision
    assert (mismatch.verdict, mismatch.reason) == (REFUSED, "CurrencyMismatch")
    with pytest.raises(InvalidInput, match="minor_units: is -5"):
        store.realtime.decide(A, redeem("op-3", "GC-1", -5), NOW)
    unknown = store.realtime.decide(A, redeem("op-4", "GC-404", 100), NOW).decision
    assert unknown.reason == "UnknownCard"
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 5000)


def test_an_operation_id_applies_once_and_a_reused_id_is_refused(store: CloudStore) -> None:
    store.realtime.decide(A, load("op-1", "GC-1", 5000), NOW)
    first = store.realtime.decide(A, redeem("op-2", "GC-1", 1000), NOW)
    again = store.realtime.decide(A, redeem("op-2", "GC-1", 1000), NOW + timedelta(minutes=1))
    assert again.replayed and again.decision == first.decision
    with pytest.raises(OperationConflict, match="'op-2' was used by this store"):
        store.realtime.decide(A, redeem("op-2", "GC-1", 2000), NOW)
    # The same id at another store is another operation.
    assert not store.realtime.decide(B, redeem("op-2", "GC-1", 1000), NOW).replayed
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 3000)


def test_two_stores_offline_spending_the_same_card_open_a_compensation(store: CloudStore) -> None:
    store.realtime.decide(A, load("op-0", "GC-1", 3000), NOW)
    at_a, at_b = redeem("a-1", "GC-1", 2000), redeem("b-1", "GC-1", 2000)
    first = store.realtime.reconcile(A, at_a, store_decision(at_a), NOW)
    second = store.realtime.reconcile(B, at_b, store_decision(at_b), NOW)
    assert first.decision.verdict == APPROVED and not first.exception_id
    assert second.decision.reason == "InsufficientBalance" and second.opened
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 1000)
    # Replaying the same queued operation changes nothing and opens nothing new.
    replay = store.realtime.reconcile(B, at_b, store_decision(at_b), NOW)
    assert replay.replayed and not replay.opened and replay.exception_id == second.exception_id
    [case] = store.realtime_cases.cases()
    assert (case.site_id, case.operation_id, case.status) == (B, "b-1", "open")
    assert case.rejection.cloud_decision.reason == "InsufficientBalance"
    resolved = store.realtime_cases.resolve(case.exception_id, "customer paid cash", "ops", NOW)
    assert resolved.status == "resolved" and store.realtime_cases.cases() == []
    with pytest.raises(NotFound):
        store.realtime_cases.resolve("rt-exc/nope", "x", "ops", NOW)


def test_in_doubt_operation_applied_by_the_cloud_is_not_applied_again(store: CloudStore) -> None:
    store.realtime.decide(A, load("op-0", "GC-1", 3000), NOW)
    op = redeem("op-1", "GC-1", 1000)
    store.realtime.decide(A, op, NOW)  # the answer is lost on the way back
    settled = store.realtime.reconcile(A, op, store_decision(op), NOW)
    assert settled.replayed and settled.decision.decided_by == realtime_pb2.DECIDED_BY_CLOUD
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 2000)
    [gift] = [s for s in store.realtime_cases.stats() if s.kind == op.kind]
    assert (gift.calls, gift.cloud_decisions, gift.in_doubt_resolutions) == (1, 1, 1)


def test_a_store_refusal_fences_the_operation_and_a_cloud_approval_it_missed_is_a_case(
    store: CloudStore,
) -> None:
    store.realtime.decide(A, load("op-0", "GC-1", 3000), NOW)
    late = redeem("op-1", "GC-1", 1000)
    fenced = store.realtime.reconcile(A, late, store_decision(late, approved=False), NOW)
    assert fenced.decision.verdict == REFUSED and not fenced.exception_id
    # The request that timed out arrives after all: it gets the fence, not a redemption.
    assert store.realtime.decide(A, late, NOW).decision.verdict == REFUSED
    # The store refused offline, but the cloud had applied it: a case, never a silent pass.
    applied = redeem("op-2", "GC-1", 500)
    store.realtime.decide(A, applied, NOW)
    missed = store.realtime.reconcile(A, applied, store_decision(applied, approved=False), NOW)
    assert missed.decision.verdict == APPROVED and missed.opened
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 2500)


def test_concurrent_redemptions_never_overdraw_a_card(store: CloudStore) -> None:
    store.realtime.decide(A, load("op-0", "GC-1", 1000), NOW)
    verdicts: list[int] = []

    def spend(i: int) -> None:
        verdicts.append(
            store.realtime.decide(A, redeem(f"op-{i}", "GC-1", 300), NOW).decision.verdict
        )

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts.count(APPROVED) == 3
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 100)


def test_loyalty_points(store: CloudStore) -> None:
    assert (
        store.realtime.decide(
            A, loyalty("l-1", "L-9", 500, earn=True), NOW
        ).decision.outcome.points_balance
        == 500
    )
    short = store.realtime.decide(A, loyalty("l-2", "L-9", 501, earn=False), NOW).decision
    assert short.reason == "InsufficientPoints"
    spent = store.realtime.decide(A, loyalty("l-3", "L-9", 200, earn=False), NOW).decision
    assert spent.outcome.points_balance == 300


def test_customer_register(store: CloudStore) -> None:
    customer = records_pb2.Customer(customer_id="c-1", sales_channel_id="retail-eu", name="Ada")
    create = realtime_pb2.RealtimeOperation(
        operation_id="c-op-1",
        kind=realtime_pb2.OPERATION_KIND_CUSTOMER_CREATE,
        customer_create=realtime_pb2.CustomerChange(customer=customer),
    )
    assert store.realtime.decide(A, create, NOW).decision.verdict == APPROVED
    create.operation_id = "c-op-2"
    assert store.realtime.decide(B, create, NOW).decision.reason == "CustomerExists"
    update = realtime_pb2.RealtimeOperation(
        operation_id="c-op-3",
        kind=realtime_pb2.OPERATION_KIND_CUSTOMER_UPDATE,
        customer_update=realtime_pb2.CustomerChange(customer=customer),
    )
    assert "version 2" in store.realtime.decide(B, update, NOW).decision.message


def _return(op_id: str, number: str, amount: int) -> realtime_pb2.RealtimeOperation:
    return realtime_pb2.RealtimeOperation(
        operation_id=op_id,
        kind=realtime_pb2.OPERATION_KIND_RETURN_AUTHORIZATION,
        return_authorization=realtime_pb2.ReturnAuthorization(
            original_receipt=receipt(A, number=number), amount=eur(amount)
        ),
    )


def test_cross_store_return_against_upsynced_sales(store: CloudStore) -> None:
    store.ingest.ingest(A, "batch-1", [sale("s-1", total=1000)])
    assert store.realtime.decide(B, _return("r-0", "s-404", 100), NOW).decision.reason == (
        "ReceiptNotFound"
    )
    assert store.realtime.decide(B, _return("r-1", "s-1", 1001), NOW).decision.reason == (
        "AmountExceedsSale"
    )
    assert store.realtime.decide(B, _return("r-2", "s-1", 1000), NOW).decision.verdict == APPROVED
    again = store.realtime.decide(A, _return("r-3", "s-1", 10), NOW).decision
    assert again.reason == "AlreadyReturned" and "store-0043" in again.message


def test_inter_site_inventory(store: CloudStore) -> None:
    def adjust(op_id: str, site: str, delta: int) -> realtime_pb2.RealtimeOperation:
        return realtime_pb2.RealtimeOperation(
            operation_id=op_id,
            kind=realtime_pb2.OPERATION_KIND_INVENTORY_ADJUSTMENT,
            inventory_adjustment=realtime_pb2.InterSiteInventoryAdjustment(
                site_id=site, sku="sku-1", quantity_delta=delta, reason="received"
            ),
        )

    store.realtime.decide(A, adjust("i-1", A, 10), NOW)
    transfer = realtime_pb2.RealtimeOperation(
        operation_id="i-2",
        kind=realtime_pb2.OPERATION_KIND_INVENTORY_TRANSFER,
        inventory_transfer=realtime_pb2.InventoryTransfer(
            from_site_id=A, to_site_id=B, sku="sku-1", quantity=4
        ),
    )
    moved = store.realtime.decide(B, transfer, NOW).decision
    assert dict(moved.outcome.stock) == {f"{A}/sku-1": 6, f"{B}/sku-1": 4}
    assert store.realtime.decide(A, adjust("i-3", B, -5), NOW).decision.reason == (
        "InsufficientStock"
    )


def test_risk_rules(store: CloudStore) -> None:
    def risk(op_id: str, amount: int) -> realtime_pb2.RealtimeOperation:
        return realtime_pb2.RealtimeOperation(
            operation_id=op_id,
            kind=realtime_pb2.OPERATION_KIND_RISK_CHECK,
            risk_check=realtime_pb2.RiskCheck(amount=eur(amount), subject="card-77"),
        )

    assert store.realtime.decide(A, risk("k-0", 100_001), NOW).decision.reason == "AmountRule"
    verdicts = [store.realtime.decide(A, risk(f"k-{i}", 1000), NOW).decision for i in range(1, 7)]
    assert [d.verdict for d in verdicts] == [APPROVED] * 5 + [REFUSED]
    assert verdicts[-1].reason == "VelocityRule"
    later = store.realtime.decide(A, risk("k-9", 1000), NOW + timedelta(minutes=11)).decision
    assert later.verdict == APPROVED


def test_an_operation_the_cloud_cannot_take_is_a_case_when_the_store_approved_it(
    store: CloudStore,
) -> None:
    store.realtime.decide(A, load("op-0", "GC-1", 3000), NOW)
    store.realtime.decide(A, redeem("op-1", "GC-1", 1000), NOW)
    # The store approved offline under an id the cloud already decided for another payload,
    # and an operation the cloud's rules refuse (a negative amount).
    reused, negative = redeem("op-1", "GC-1", 700), redeem("op-2", "GC-1", -5)
    first = store.realtime.reconcile(A, reused, store_decision(reused), NOW)
    second = store.realtime.reconcile(A, negative, store_decision(negative), NOW)
    for settled, why in ((first, "was used by this store"), (second, "minor_units: is -5")):
        assert settled.opened and settled.exception_id.startswith("rt-exc/store-0042/op-")
        assert (settled.decision.verdict, settled.decision.reason) == (REFUSED, "CannotSettle")
        assert why in settled.decision.message
    assert first.exception_id != "rt-exc/store-0042/op-1"  # its own case, not the op's
    # Asked again: the same case and decision, nothing new.
    again = store.realtime.reconcile(A, reused, store_decision(reused), NOW + timedelta(hours=1))
    assert (again.exception_id, again.opened, again.decision) == (
        first.exception_id,
        False,
        first.decision,
    )
    cases = {c.exception_id: c for c in store.realtime_cases.cases()}
    assert set(cases) == {first.exception_id, second.exception_id}
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 2000)
    store.realtime_cases.resolve(first.exception_id, "charged the customer again", "ops", NOW)
    assert [c.exception_id for c in store.realtime_cases.cases()] == [second.exception_id]
    # A store refusal of such an operation settles without a case; nothing was applied.
    refused = store_decision(redeem("op-3", "GC-1", -1))
    refused.verdict = REFUSED
    quiet = store.realtime.reconcile(A, redeem("op-3", "GC-1", -1), refused, NOW)
    assert quiet.decision.reason == "CannotSettle" and not quiet.exception_id
    # A call that cannot name a case is still refused outright.
    with pytest.raises(InvalidInput, match="operation_id"):
        bad = redeem("", "GC-1", 100)
        store.realtime.reconcile(A, bad, store_decision(bad), NOW)


def test_decisions_in_one_batch_are_each_what_they_would_be_alone(store: CloudStore) -> None:
    store.realtime.decide(A, load("op-0", "GC-1", 3000), NOW)
    answers = store.realtime.decide_many(
        [
            (A, redeem("op-1", "GC-1", 1000)),
            (A, redeem("op-0", "GC-1", 5)),  # id used for another payload
            (A, redeem("op-2", "GC-1", -5)),  # broken rule
            (B, redeem("op-3", "GC-1", 2500)),  # more than is left after op-1
            (A, redeem("op-1", "GC-1", 1000)),  # the same operation again
            (B, redeem("op-4", "GC-1", 2000)),
        ],
        NOW,
    )
    first, reused, invalid, too_much, again, last = answers
    assert isinstance(first, Settled) and first.decision.outcome.balance.minor_units == 2000
    assert isinstance(reused, OperationConflict)
    assert isinstance(invalid, InvalidInput) and "minor_units: is -5" in str(invalid)
    assert isinstance(too_much, Settled) and too_much.decision.reason == "InsufficientBalance"
    assert isinstance(again, Settled) and again.replayed and again.decision == first.decision
    assert isinstance(last, Settled) and last.decision.outcome.balance.minor_units == 0
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 0)
    # Each answer was recorded: asked alone later, the same answers.
    assert store.realtime.decide(B, redeem("op-3", "GC-1", 2500), NOW).decision == (
        too_much.decision
    )


def test_a_provider_failing_after_it_wrote_undoes_only_its_operation_in_a_batch(
    store: CloudStore,
) -> None:
    """The batch runs without savepoints first; a provider that fails after it wrote (here
    the real gift card provider, then a refusal of the external side for one card) undoes
    that operation alone: the batch runs again, nothing is applied twice or half."""
    from cloud.adapters.store.errors import StoreError
    from cloud.adapters.store.realtime._gift_cards import decide_gift_card

    def failing_for_one_card(conn, site_id, op, now):  # type: ignore[no-untyped-def]
        answer = decide_gift_card(conn, site_id, op, now)
        if op.WhichOneof("payload") == "gift_card_redeem" and (
            op.gift_card_redeem.card_number == "GC-FAIL"
        ):
            raise StoreError("the card provider failed after the balance moved")
        return answer

    ledger = store.realtime.with_providers({"gift_card": failing_for_one_card})
    ledger.decide(A, load("op-0", "GC-1", 3000), NOW)
    ledger.decide(A, load("op-1", "GC-FAIL", 3000), NOW)
    answers = ledger.decide_many(
        [
            (A, redeem("op-2", "GC-1", 1000)),
            (A, redeem("op-3", "GC-FAIL", 1000)),
            (A, redeem("op-2", "GC-1", 1000)),  # the same operation again
            (B, redeem("op-4", "GC-1", 500)),
        ],
        NOW,
    )
    first, failed, again, last = answers
    assert isinstance(first, Settled) and first.decision.outcome.balance.minor_units == 2000
    assert isinstance(failed, StoreError) and "after the balance moved" in str(failed)
    assert isinstance(again, Settled) and again.replayed and again.decision == first.decision
    assert isinstance(last, Settled) and last.decision.outcome.balance.minor_units == 1500
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 1500)
    assert store.realtime_cases.gift_card_balance("GC-FAIL") == ("EUR", 3000)
    # The failed operation left no record: asked again with a working provider, it applies.
    redone = store.realtime.decide(A, redeem("op-3", "GC-FAIL", 1000), NOW)
    assert not redone.replayed and redone.decision.outcome.balance.minor_units == 2000


def test_a_batch_without_failures_answers_repeats_and_reused_ids_from_one_query(
    store: CloudStore,
) -> None:
    store.realtime.decide(A, load("op-0", "GC-1", 3000), NOW)
    store.realtime.decide(B, redeem("op-9", "GC-1", 100), NOW)
    first, reused, other_site, repeat, conflict = store.realtime.decide_many(
        [
            (A, redeem("op-1", "GC-1", 100)),
            (A, redeem("op-0", "GC-1", 100)),  # A used op-0 for a load
            (A, redeem("op-9", "GC-1", 100)),  # op-9 is B's: A's own is new
            (B, redeem("op-9", "GC-1", 100)),  # B's again
            (A, redeem("op-1", "GC-1", 7)),  # op-1 of this batch, another payload
        ],
        NOW,
    )
    assert isinstance(first, Settled) and not first.replayed
    assert isinstance(reused, OperationConflict) and "'op-0' was used" in str(reused)
    assert isinstance(other_site, Settled) and not other_site.replayed
    assert isinstance(repeat, Settled) and repeat.replayed
    assert isinstance(conflict, OperationConflict) and "'op-1' was used" in str(conflict)
    assert store.realtime_cases.gift_card_balance("GC-1") == ("EUR", 2700)
