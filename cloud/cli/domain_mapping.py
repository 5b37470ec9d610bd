"""`commerce-cloud domains provision|revoke`: map a verified hostname to its storefront over
HTTPS, and take the mapping down again.

Composition room (CLI): registers on the `domains` group of `cloud.cli.domains`, builds the
mapping service from the config and prints the workflow's conditions (`--json` for scripts).
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

import click
from google.protobuf.json_format import MessageToDict

from ameide_core_proto.process.commerce.v1 import conditions_pb2
from cloud.adapters.temporal_domain_mapping import TemporalDomainMappingRuns
from cloud.cli.domains import _errors, domains
from cloud.cli.errors import run
from cloud.cli.output import console, emit_json, table
from cloud.composition.assembly import OpsServices, open_ops
from cloud.config import CloudConfig
from cloud.services.domain_mapping import DomainMappingService

__all__ = ["domains_provision", "domains_revoke"]

_STATUS = {
    conditions_pb2.CONDITION_STATUS_TRUE: "True",
    conditions_pb2.CONDITION_STATUS_FALSE: "False",
    conditions_pb2.CONDITION_STATUS_UNKNOWN: "Unknown",
}


def _service(ctx: click.Context) -> DomainMappingService:
    config: CloudConfig = ctx.obj
    actor = f"ops:{getpass.getuser()}"
    ops: OpsServices = open_ops(config, actor=actor)
    ctx.call_on_close(ops.close)
    return DomainMappingService(
        TemporalDomainMappingRuns(ops.temporal), config.domains, actor=actor
    )


def _conditions(conditions: Any) -> None:
    table(
        "Conditions",
        ["type", "status", "reason", "message"],
        [(c.type, _STATUS.get(c.status, "?"), c.reason, c.message) for c in conditions],
    )


@domains.command("provision")
@click.argument("hostname")
@click.option("--tenant", "tenant_id", required=True, help="Tenant whose verified claim it is.")
@click.option("--storefront", "storefront_id", required=True, help="Storefront to route to.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def domains_provision(
    ctx: click.Context, hostname: str, tenant_id: str, storefront_id: str, as_json: bool
) -> None:
    """Order a certificate for HOSTNAME, wire the storefront gateway, check it from outside."""
    result = run(_service(ctx).provision(tenant_id, hostname, storefront_id))
    serving = any(
        c.type == "Serving" and c.status == conditions_pb2.CONDITION_STATUS_TRUE
        for c in result.conditions
    )
    if as_json:
        emit_json(MessageToDict(result, preserving_proto_field_name=True))
    else:
        if serving:
            console.print(
                f"{result.hostname} is served: certificate {result.certificate_serial}, "
                f"{result.route}"
            )
        else:
            console.print(f"{result.hostname} is [red]not[/red] served; see the conditions")
        _conditions(result.conditions)
    if not serving:
        sys.exit(1)


@domains.command("revoke")
@click.argument("hostname")
@click.option("--tenant", "tenant_id", required=True, help="Tenant that holds the hostname.")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def domains_revoke(
    ctx: click.Context, hostname: str, tenant_id: str, reason: str, as_json: bool
) -> None:
    """Remove HOSTNAME's route and certificate from the gateway and start its cooldown."""
    result = run(_service(ctx).revoke(tenant_id, hostname, reason))
    if as_json:
        emit_json(MessageToDict(result, preserving_proto_field_name=True))
        return
    console.print(
        f"{result.hostname} revoked; only {tenant_id} may claim it again until "
        f"{result.cooldown_until.ToDatetime():%Y-%m-%d %H:%M:%S} UTC"
    )
    _conditions(result.conditions)
