"""`commerce-cloud domains ...`: claim storefront hostnames and see what their DNS shows.

Composition room (CLI): builds the domain service from the config and prints its answers,
tables for people and `--json` for scripts. Commands of later steps (provision, revoke)
register on the same `domains` group.
"""

from __future__ import annotations

import getpass
from typing import Any

import click

from cloud.cli.errors import cli_errors, run
from cloud.cli.output import console, emit_json, table, when
from cloud.composition.assembly import OpsServices, open_ops
from cloud.composition.domain_assembly import domain_service
from cloud.config import CloudConfig
from cloud.domains.errors import HostnameUnavailable
from cloud.domains.hostnames import display_hostname
from cloud.domains.records import DomainClaim
from cloud.services.domains import ClaimStatusView, DomainService

__all__ = ["domains"]


_errors = cli_errors({HostnameUnavailable: 3})


def _service(ctx: click.Context) -> DomainService:
    config: CloudConfig = ctx.obj
    actor = f"ops:{getpass.getuser()}"
    ops: OpsServices = open_ops(config, actor=actor)
    ctx.call_on_close(ops.close)
    return domain_service(config, ops.store, ops.temporal, actor=actor)


def _claim_json(claim: DomainClaim) -> dict[str, Any]:
    return {
        "claim_id": claim.claim_id,
        "tenant_id": claim.tenant_id,
        "hostname": claim.hostname,
        "display_hostname": display_hostname(claim.hostname),
        "storefront_id": claim.storefront_id,
        "state": claim.state,
        "checks": claim.checks,
        "next_check_at": claim.next_check_at,
        "verified_at": claim.verified_at,
        "cooldown_until": claim.cooldown_until,
        "expected_records": claim.expected_records,
        "conditions": claim.conditions,
        "observed": claim.observed,
    }


@click.group()
def domains() -> None:
    """Storefront custom domains: claims, their DNS and verification."""


@domains.command("claim")
@click.argument("hostname")
@click.option("--tenant", "tenant_id", required=True, help="Tenant that claims the hostname.")
@click.option("--storefront", "storefront_id", required=True, help="Storefront it will serve.")
@click.option(
    "--override-reason",
    default=None,
    help="Admin override: take the name from another tenant or its cooldown (audited).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def domains_claim(
    ctx: click.Context,
    hostname: str,
    tenant_id: str,
    storefront_id: str,
    override_reason: str | None,
    as_json: bool,
) -> None:
    """Claim HOSTNAME for a tenant's storefront and start verifying its DNS."""
    claim = run(
        _service(ctx).claim(tenant_id, hostname, storefront_id, override_reason=override_reason)
    )
    if as_json:
        emit_json(_claim_json(claim))
        return
    console.print(
        f"claim [bold]{claim.claim_id}[/bold] of {display_hostname(claim.hostname)} "
        f"({claim.hostname}) for {claim.tenant_id}: {claim.state}"
    )
    table(
        "Set these DNS records (the TXT, and the CNAME or the A/AAAA records)",
        ["name", "type", "value", "why"],
        [(r.name, r.type, r.value, r.purpose) for r in claim.expected_records],
    )
    console.print(
        f"DNS is checked on a schedule; `commerce-cloud domains status {claim.hostname}` shows "
        "what it answers, `domains recheck` checks at once."
    )


def _print_status(view: ClaimStatusView) -> None:
    claim = view.claim
    console.print(
        f"{display_hostname(claim.hostname)} ({claim.hostname}): [bold]{claim.state}[/bold], "
        f"tenant {claim.tenant_id}, storefront {claim.storefront_id}, claim {claim.claim_id}"
    )
    table(
        "DNS records: expected and what DNS answers now",
        ["name", "type", "expected value", "DNS answers now"],
        [(r.name, r.type, r.value, r.answers_now) for r in view.records],
    )
    table(
        "Conditions",
        ["type", "status", "reason", "message", "since"],
        [
            (c.type, c.status, c.reason, c.message, when(c.last_transition_time))
            for c in claim.conditions
        ],
    )
    console.print(
        f"checks: {claim.checks}   next check: {when(claim.next_check_at)}"
        + (f"   verified: {when(claim.verified_at)}" if claim.verified_at else "")
        + (f"   cooldown until: {when(claim.cooldown_until)}" if claim.cooldown_until else "")
    )


@domains.command("status")
@click.argument("hostname")
@click.option(
    "--no-lookup", is_flag=True, help="Show the last check's answers instead of asking DNS now."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def domains_status(ctx: click.Context, hostname: str, no_lookup: bool, as_json: bool) -> None:
    """Records to set beside what DNS answers, every condition, and the next check."""
    view = run(_service(ctx).status(hostname, look_up=not no_lookup))
    if as_json:
        emit_json({**_claim_json(view.claim), "records": view.records})
        return
    _print_status(view)


@domains.command("recheck")
@click.argument("hostname")
@click.pass_context
@_errors
def domains_recheck(ctx: click.Context, hostname: str) -> None:
    """Check HOSTNAME's DNS now instead of at its next scheduled check."""
    claim = run(_service(ctx).recheck(hostname))
    console.print(f"checking {claim.hostname} now; `domains status {claim.hostname}` shows it")


@domains.command("list")
@click.option("--tenant", "tenant_id", default=None, help="Only this tenant's claims.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def domains_list(ctx: click.Context, tenant_id: str | None, as_json: bool) -> None:
    """List claims: hostname, tenant, state, failing conditions, next check."""
    claims = run(_service(ctx).list(tenant_id))
    if as_json:
        emit_json([_claim_json(c) for c in claims])
        return
    table(
        "Domain claims",
        ["hostname", "tenant", "storefront", "state", "conditions", "next check"],
        [
            (
                c.hostname,
                c.tenant_id,
                c.storefront_id,
                c.state,
                ", ".join(x.type for x in c.conditions if x.status == "True") or "-",
                when(c.next_check_at),
            )
            for c in claims
        ],
    )


@domains.command("audit")
@click.argument("hostname")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def domains_audit(ctx: click.Context, hostname: str, as_json: bool) -> None:
    """HOSTNAME's audit trail: claims, checks with the DNS answers seen, refusals, overrides."""
    rows = run(_service(ctx).audit(hostname))
    if as_json:
        emit_json(rows)
        return
    table(
        f"Audit log of {hostname}",
        ["at", "actor", "action", "detail"],
        [(when(r.at), r.actor, r.action, _summary(r.detail)) for r in rows],
    )


def _summary(detail: dict[str, Any]) -> str:
    if "answers" in detail and isinstance(detail["answers"], list):
        seen = "; ".join(
            f"{a.get('rdtype')} {a.get('name')}: {a.get('status')} {' '.join(a.get('values', []))}"
            for a in detail["answers"]
        )
        failing = [k for k, v in detail.get("conditions", {}).items() if v == "True"]
        return f"{', '.join(failing) or 'ok'} | {seen}"
    return ", ".join(f"{k}={v}" for k, v in detail.items() if k != "expected_records")
