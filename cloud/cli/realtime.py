"""`commerce-cloud realtime`: operation kinds and their offline policies, compensation cases,
per-kind figures.

CLI room: builds the service through `cloud.composition.realtime_assembly`, prints tables or JSON.
"""

from __future__ import annotations

import getpass

import click

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.cli.errors import handle_errors, run
from cloud.cli.main import _ops
from cloud.cli.output import console, emit_json, table, when
from cloud.composition.realtime_assembly import realtime_ops, realtime_policies
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
    if case.status != "resolved":
        console.print(
            f"case {case.exception_id}: resolution sent to its workflow, not recorded yet; "
            "check with `commerce-cloud realtime exceptions list --all`"
        )
        return
    console.print(
        f"case {case.exception_id} resolved: {case.resolution}"
        + ("" if signalled else " (it had no compensation workflow; the store was not told)")
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


@realtime.group("policy")
def policy() -> None:
    """Offline policies per sales channel or per site (sent to the stores at once)."""


def _scope(channel: str | None, site: str | None) -> tuple[str, str]:
    if (channel is None) == (site is None):
        raise click.UsageError("give exactly one of --channel or --site")
    return ("channel", channel) if channel is not None else ("site", site or "")


@policy.command("set")
@click.option("--channel", default=None, help="Every ready store of this sales channel.")
@click.option("--site", default=None, help="This store only (applied after its channel's).")
@click.option("--kind", required=True, help="Operation kind, e.g. gift-card-redeem.")
@click.option(
    "--policy",
    "policy_value",
    required=True,
    help="refuse, allow-within-limits or queue-and-compensate.",
)
@click.option("--per-subject", default=0, help="Limit per card/account (minor units or points).")
@click.option("--per-day", default=0, help="Limit per store per business day.")
@click.pass_context
@handle_errors
def policy_set(
    ctx: click.Context,
    channel: str | None,
    site: str | None,
    kind: str,
    policy_value: str,
    per_subject: int,
    per_day: int,
) -> None:
    """Set the offline policy of one operation kind for a channel or a site."""
    scope, scope_id = _scope(channel, site)
    sent = realtime_policies(_ops(ctx)).set(
        scope, scope_id, kind, policy_value, per_subject, per_day
    )
    console.print(f"{kind} on {scope} {scope_id}: {policy_value}; sent to {len(sent)} store(s)")


@policy.command("remove")
@click.option("--channel", default=None)
@click.option("--site", default=None)
@click.option("--kind", required=True)
@click.pass_context
@handle_errors
def policy_remove(ctx: click.Context, channel: str | None, site: str | None, kind: str) -> None:
    """Go back to the default (or the channel's) policy for one kind."""
    scope, scope_id = _scope(channel, site)
    sent = realtime_policies(_ops(ctx)).remove(scope, scope_id, kind)
    console.print(f"{kind} override on {scope} {scope_id} removed; sent to {len(sent)} store(s)")


@policy.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def policy_list(ctx: click.Context, as_json: bool) -> None:
    """Every override the cloud sets."""
    rows = [
        {
            "scope": scope,
            "scope_id": scope_id,
            "kind": kind_name(o.kind),
            "policy": policy_name(o.policy),
            "per_subject": o.limits.per_subject,
            "per_store_per_day": o.limits.per_store_per_day,
        }
        for scope, scope_id, o in realtime_policies(_ops(ctx)).listed()
    ]
    if as_json:
        emit_json(rows)
        return
    table(
        "Offline policy overrides",
        ["scope", "id", "kind", "policy", "per card/account", "per store/day"],
        [tuple(r.values()) for r in rows],
    )
