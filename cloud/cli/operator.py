"""`commerce-cloud operator run|status`: the Kubernetes operator and what it reports.

CLI room: builds an OperatorConfig from flags and runs the operator's composition root
(cloud/operator/handlers.py), or reads CommerceProcess resources' conditions for people.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from cloud.cli.output import console, emit_json, fail, table
from shared.errors import CommerceError
from shared.logging import configure_logging


def _use_kubeconfig(kubeconfig: Path | None) -> None:
    if kubeconfig is not None:
        os.environ["KUBECONFIG"] = str(kubeconfig)


@click.group()
def operator() -> None:
    """Kubernetes operator: CommerceProcess resources -> workers, HPAs, gateway, conditions."""


@operator.command("run")
@click.option("--kubeconfig", type=click.Path(path_type=Path), default=None,
              help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster).")
@click.option("--namespace", "-n", "namespaces", multiple=True,
              help="Watch only this namespace (repeatable).")
@click.option("--all-namespaces", "-A", is_flag=True, help="Watch every namespace (default).")
@click.option("--check-interval", type=click.FloatRange(min=0.5), default=None,
              help="Seconds between dependency checks, overriding checkIntervalSeconds.")
@click.option("--probe-timeout", type=click.FloatRange(min=0.5), default=5.0, show_default=True,
              help="Seconds each dependency probe may take.")
@click.option("--resync", type=click.FloatRange(min=1), default=300.0, show_default=True,
              help="Seconds between full re-applies of every child (events repair drift).")
@click.option("--poller-freshness", type=click.FloatRange(min=1), default=90.0,
              show_default=True,
              help="Seconds since a worker's last poll after which WorkersPolling stops counting "
              "it (keep above Temporal's long-poll expiry, 60 s by default).")
@click.option("--liveness", default=None,
              help="Serve a liveness endpoint, e.g. http://0.0.0.0:8080/healthz.")
@click.pass_context
def operator_run(
    ctx: click.Context,
    kubeconfig: Path | None,
    namespaces: tuple[str, ...],
    all_namespaces: bool,
    check_interval: float | None,
    probe_timeout: float,
    resync: float,
    poller_freshness: float,
    liveness: str | None,
) -> None:
    """Reconcile CommerceProcess resources until stopped (SIGTERM / Ctrl-C)."""
    from cloud.operator.handlers import OperatorConfig, run_operator

    if all_namespaces and namespaces:
        fail("give either --namespace or --all-namespaces, not both")
    level = str(getattr(ctx.obj, "log_level", None) or "INFO").upper()
    configure_logging(level)
    logging.getLogger().setLevel(level)  # the group configured WARNING for one-shot commands
    _use_kubeconfig(kubeconfig)
    config = OperatorConfig(
        namespaces=namespaces,
        check_interval=check_interval,
        probe_timeout=probe_timeout,
        resync_seconds=resync,
        liveness_endpoint=liveness,
        poller_freshness=poller_freshness,
    )
    try:
        asyncio.run(run_operator(config))
    except CommerceError as exc:
        fail(str(exc))


@operator.command("status")
@click.argument("name", required=False)
@click.option("--kubeconfig", type=click.Path(path_type=Path), default=None,
              help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster).")
@click.option("--namespace", "-n", default=None, help="Namespace (default: every namespace).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def operator_status(
    name: str | None, kubeconfig: Path | None, namespace: str | None, as_json: bool
) -> None:
    """Print the conditions of CommerceProcess resources (all, or NAME in --namespace)."""
    if name and not namespace:
        fail("NAME needs --namespace")
    _use_kubeconfig(kubeconfig)
    try:
        resources = asyncio.run(_read(namespace, name))
    except CommerceError as exc:
        fail(str(exc))
    if name and not resources:
        fail(f"no CommerceProcess {namespace}/{name}; see `commerce-cloud operator status`")
    if as_json:
        emit_json([_summary(r) for r in resources])
        return
    if not resources:
        console.print("no CommerceProcess resources")
    for resource in resources:
        summary = _summary(resource)
        table(
            f"{summary['namespace']}/{summary['name']} (version {summary['version']}, "
            f"generation {summary['generation']}, observed {summary['observedGeneration']})",
            ["Condition", "Status", "Reason", "Since", "Message"],
            [
                (c.get("type"), c.get("status"), c.get("reason"), c.get("lastTransitionTime"),
                 c.get("message"))
                for c in summary["conditions"]
            ],
        )


def _summary(resource: Mapping[str, Any]) -> dict[str, Any]:
    meta = resource.get("metadata") or {}
    status = resource.get("status") or {}
    return {
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "version": (resource.get("spec") or {}).get("version"),
        "generation": meta.get("generation"),
        "observedGeneration": status.get("observedGeneration"),
        "conditions": status.get("conditions") or [],
        "workerBuildIds": status.get("workerBuildIds") or {},
    }


async def _read(namespace: str | None, name: str | None) -> list[Mapping[str, Any]]:
    from cloud.operator.handlers import kube_client

    kube = kube_client()
    try:
        if name and namespace:
            found = await kube.get_resource(namespace, name)
            return [found] if found else []
        return await kube.list_resources(namespace)
    finally:
        await kube.close()
