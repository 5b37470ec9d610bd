"""`commerce-cloud realtime`: operation kinds and their offline policies, compensation cases,
per-kind figures.

CLI room: builds the service through `cloud.realtime_assembly`, prints tables or JSON.
"""

from __future__ import annotations

import getpass

import click

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.cli.main import _ops, handle_errors, run
from cloud.cli.output import console, emit_json, table, when
from cloud.realtime_assembly import realtime_ops
from cloud.services.realtime import RealtimeOpsService
from shared.realtime import kind_name, policy_name


def _service(ctx: click.Context) -> RealtimeOpsService:
    return realtime_ops(_ops(ctx), f"ops:{getpass.getuser()}")


@click.group()
def realtime() -> None:
    """Real-time-required operations: kinds, offline policies, compensation cases."""


@realtime.command("kinds")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def kinds(as_json: bool) -> None:
    """Every operation kind and its default offline policy (declared in realtime.proto)."""
    rows = RealtimeOpsService.kinds()
    if as_json:
        emit_json(
            [
                {
                    "kind": p.name,
                    "realtime_required": p.realtime_required,
                    "offline_policy": policy_name(p.policy),
                    "per_subject": p.per_subject,
                    "per_store_per_day": p.per_store_per_day,
                }
                for p in rows
            ]
        )
        return
    table(
        "Operation kinds",
        ["kind", "real-time", "offline policy", "limit per card/account", "limit per store/day"],
        [
            (
                p.name,
                "yes" if p.realtime_required else "no",
                policy_name(p.policy),
                p.per_subject or "-",
                p.per_store_per_day or "-",
            )
            for p in rows
        ],
    )


@realtime.group("exceptions")
def exceptions() -> None:
    """Compensation cases: what stores decided offline and the cloud decided otherwise."""


@exceptions.command("list")
@click.option("--all", "show_all", is_flag=True, help="Resolved cases too.")
@click.option("--site", "site_id", default=None, help="Only this site.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def exceptions_list(ctx: click.Context, show_all: bool, site_id: str | None, as_json: bool) -> None:
    """Open compensation cases (all with --all)."""
    cases = _service(ctx).exceptions(None if show_all else "open", site_id)
    if as_json:
        emit_json(cases)
        return
    table(
        "Compensation cases",
        [
            "exception id",
            "site",
            "operation",
            "kind",
            "store decided",
            "cloud decided",
            "status",
            "opened",
        ],
        [
            (
                c.exception_id,
                c.site_id,
                c.operation_id,
                kind_name(c.kind),
                realtime_pb2.Verdict.Name(c.rejection.store_decision.verdict).removeprefix(
                    "VERDICT_"
                ),
                f"{realtime_pb2.Verdict.Name(c.rejection.cloud_decision.verdict).removeprefix('VERDICT_')}"
                f" ({c.rejection.cloud_decision.reason})",
                c.status if c.status == "open" else f"resolved: {c.resolution}",
                when(c.opened_at),
            )
            for c in cases
        ],
    )


@exceptions.command("resolve")
@click.argument("exception_id")
@click.option("--resolution", required=True, help="What was done, e.g. 'customer paid cash'.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def exceptions_resolve(
    ctx: click.Context, exception_id: str, resolution: str, as_json: bool
) -> None:
    """Close a compensation case; its store is told."""
    case, signalled = run(_service(ctx).resolve(exception_id, resolution))
    if as_json:
        emit_json({"case": case, "workflow_signalled": signalled})
        return
    console.print(
        f"case {case.exception_id} resolved: {case.resolution}"
        + ("" if signalled else " (no compensation workflow found; the store was not told)")
    )


@realtime.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def stats(ctx: click.Context, as_json: bool) -> None:
    """Per kind: calls, cloud vs store decisions, in-doubt resolutions, compensations."""
    rows = _service(ctx).stats()
    if as_json:
        emit_json([{**s.__dict__, "kind": kind_name(s.kind)} for s in rows])
        return
    table(
        "Real-time operations",
        [
            "kind",
            "calls",
            "cloud decisions",
            "store decisions",
            "in-doubt resolved",
            "compensations",
            "open",
        ],
        [
            (
                kind_name(s.kind),
                s.calls,
                s.cloud_decisions,
                s.store_decisions,
                s.in_doubt_resolutions,
                s.compensations,
                s.open_compensations,
            )
            for s in rows
        ],
    )
