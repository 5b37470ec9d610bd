"""`commerce-cloud rollouts start|status|pause|resume|approve|abort`: fleet rollouts for ops.

CLI room: turns flags into a `RolloutStoreFleetInput` and calls `RolloutService` over the
Temporal adapter; prints a per-step, per-site table or JSON, and progress while it waits.
"""

from __future__ import annotations

import asyncio
import functools
import getpass
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click
from google.protobuf.duration_pb2 import Duration
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from ameide_core_proto.process.commerce.v1 import rollout_pb2
from cloud.adapters.temporal_rollouts import TemporalRollouts
from cloud.assembly import open_ops
from cloud.cli.output import console, emit_json, fail, table, when
from cloud.config import CloudConfig
from cloud.services.rollouts import RolloutService, validate_label
from shared.errors import CommerceError, InvalidInput, NotFound
from shared.naming import validate_site_id
from shared.timestamps import from_timestamp

T = TypeVar("T")
Phase = rollout_pb2.RolloutPhase
State = rollout_pb2.SiteRolloutState
_ENDED = (
    Phase.ROLLOUT_PHASE_COMPLETED,
    Phase.ROLLOUT_PHASE_ROLLED_BACK,
    Phase.ROLLOUT_PHASE_ABORTED,
    Phase.ROLLOUT_PHASE_NOT_REACHED,
)



def _errors(fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except (InvalidInput, NotFound) as exc:
            fail(str(exc), 2)
        except CommerceError as exc:
            fail(str(exc), 1)
        except RPCError as exc:
            fail(f"Temporal refused or could not be reached: {exc}; is `commerce-cloud serve` "
                  "running (or TEMPORAL_ADDRESS set)?", 1)  # fmt: skip
        raise AssertionError("unreachable")

    return wrapper


def _service(ctx: click.Context) -> RolloutService:
    config: CloudConfig = ctx.obj
    ops = open_ops(config, actor=f"ops:{getpass.getuser()}")
    ctx.call_on_close(ops.close)
    return RolloutService(TemporalRollouts(ops.temporal))


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def _seconds(text: str) -> Duration:
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit():
        raise click.BadParameter(f"{text!r} is not a duration like 0s, 30s, 15m or 1h")
    return Duration(seconds=int(number) * units[unit])


def _name(value: int, enum: Any, prefix: str) -> str:
    return str(enum.Name(value)).removeprefix(prefix).lower().replace("_", " ")


def _print_status(status: rollout_pb2.RolloutStatus) -> None:
    phase = _name(status.phase, Phase, "ROLLOUT_PHASE_")
    paused = " (paused)" if status.paused else ""
    where = (
        f", step {status.step} (steps 0..{status.total_steps - 1})" if status.total_steps else ""
    )
    why = f"; {status.reason}" if status.reason else ""
    console.print(
        f"rollout of bundle {status.bundle_id} to ring {status.ring}: {phase}{paused}{where}{why}",
        highlight=False,
    )
    table(
        "Sites",
        ["step", "site", "state", "reason", "updated"],
        [
            (
                s.step if s.state != State.SITE_ROLLOUT_STATE_PENDING else "-",
                s.site_id,
                _name(s.state, State, "SITE_ROLLOUT_STATE_"),
                s.reason,
                when(from_timestamp(s.updated_at)) if s.HasField("updated_at") else "-",
            )
            for s in sorted(status.sites, key=lambda s: (s.step, s.site_id))
        ],
    )


@click.group()
def rollouts() -> None:
    """Fleet rollouts of version bundles: canary, observe, advance or roll back."""


@rollouts.command("start")
@click.argument("bundle_id")
@click.option("--ring", required=True, help="Name of the ring, e.g. pilot or ring-2.")
@click.option("--channel", default="", help="The ring is every ready site of this channel.")
@click.option("--label", default="", help="The ring is every ready site with this label.")
@click.option("--site", "sites", multiple=True, help="The ring is these sites (repeatable).")
@click.option("--canary", default=1, show_default=True, help="Sites installed first.")
@click.option("--step", "step_size", default=0, help="Sites per later step (0: all at once).")
@click.option("--observe", default="5m", show_default=True, help="Observation after each step.")
@click.option(
    "--max-failure-ratio",
    default=0.2,
    show_default=True,
    help="Halt a step when more than this share of its sites failed...",
)
@click.option("--min-failures", default=1, show_default=True, help="...and at least this many did.")
@click.option("--require-approval", is_flag=True, help="Wait for `approve` before each step.")
@click.option("--batch-size", default=0, help="Sites per batch of a step (0: 100).")
@click.option(
    "--observe-every", default="0s", help="Read health this often while observing (0s: a fifth)."
)
@click.option(
    "--max-replication-lag", default=0, help="Changes a site may lag while observed (0: 10000)."
)
@click.option("--max-new-errors", default=0, help="Errors a site may add while observed (0: 10).")
@click.option(
    "--install-timeout", default="0s", help="Longest wait for one site's install (0s: 25h)."
)
@click.option("--wait/--no-wait", default=True, help="Follow the rollout until it ends.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def rollouts_start(
    ctx: click.Context, bundle_id: str, ring: str, channel: str, label: str,
    sites: tuple[str, ...],
    canary: int, step_size: int, observe: str, max_failure_ratio: float, min_failures: int,
    require_approval: bool, batch_size: int, observe_every: str, max_replication_lag: int,
    max_new_errors: int, install_timeout: str, wait: bool, as_json: bool,
) -> None:  # fmt: skip
    """Start rolling BUNDLE_ID out to a ring (refused before any site is touched if the
    compatibility matrix does not allow it or the ring selects no site)."""
    request = rollout_pb2.RolloutStoreFleetInput(
        bundle=rollout_pb2.VersionBundle(bundle_id=bundle_id),
        ring=ring,
        canary_size=canary,
        observe_for=_seconds(observe),
        max_failure_ratio=max_failure_ratio,
        selector=rollout_pb2.RingSelector(
            sales_channel_id=channel, site_ids=list(sites), label=label
        ),
        step_size=step_size,
        min_failures=min_failures,
        require_approval=require_approval,
        batch_size=batch_size,
        observe_every=_seconds(observe_every),
        max_replication_lag=max_replication_lag,
        max_new_errors=max_new_errors,
        install_timeout=_seconds(install_timeout),
    )
    service = _service(ctx)

    async def go() -> rollout_pb2.RolloutStoreFleetResult | None:
        workflow_id = await service.start(request)
        if not as_json:
            console.print(f"started {workflow_id}", highlight=False)
        if not wait:
            return None
        with console.status("starting") as progress:
            while True:
                try:
                    status = await service.status(ring)
                except NotFound:
                    status = None
                if status is not None:
                    if status.phase in _ENDED:
                        break
                    installed = sum(
                        s.state == State.SITE_ROLLOUT_STATE_INSTALLED for s in status.sites
                    )
                    why = f"; {status.reason}" if status.reason else ""
                    progress.update(
                        f"{_name(status.phase, Phase, 'ROLLOUT_PHASE_')}: step {status.step} "
                        f"of {status.total_steps}; {installed}/{len(status.sites)} sites "
                        f"installed{why}"
                    )
                try:
                    return await asyncio.wait_for(service.result(ring), timeout=1.0)
                except TimeoutError:
                    continue
        return await service.result(ring)

    try:
        result = _run(go())
    except WorkflowFailureError as exc:  # the workflow refused: say why, as it did
        cause: BaseException | None = exc.cause
        while getattr(cause, "cause", None) is not None:
            cause = getattr(cause, "cause")  # noqa: B009 (walks ApplicationError chains)
        fail(str(cause or exc), 1)
        return
    if result is None:
        return
    if as_json:
        emit_json(result)
    else:
        _print_status(rollout_pb2.RolloutStatus(
            bundle_id=result.bundle_id, ring=result.ring, phase=result.phase,
            step=0, total_steps=0, sites=list(result.sites), reason=result.reason,
        ))  # fmt: skip
    if result.phase != Phase.ROLLOUT_PHASE_COMPLETED:
        sys.exit(1)


@rollouts.command("status")
@click.argument("ring")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def rollouts_status(ctx: click.Context, ring: str, as_json: bool) -> None:
    """Phase, step and every site's state (step, state, reason, time) of a ring's rollout."""
    status = _run(_service(ctx).status(ring))
    if as_json:
        emit_json(status)
    else:
        _print_status(status)


@rollouts.command("pause")
@click.argument("ring")
@click.option("--reason", default="", help="Why; shown in the status.")
@click.pass_context
@_errors
def rollouts_pause(ctx: click.Context, ring: str, reason: str) -> None:
    """Hold the rollout before its next step (a running step finishes)."""
    _run(_service(ctx).pause(ring, reason))
    console.print(f"rollout of ring {ring} pauses before its next step", highlight=False)


@rollouts.command("resume")
@click.argument("ring")
@click.pass_context
@_errors
def rollouts_resume(ctx: click.Context, ring: str) -> None:
    """Continue a paused rollout."""
    _run(_service(ctx).resume(ring))
    console.print(f"rollout of ring {ring} resumes", highlight=False)


@rollouts.command("approve")
@click.argument("ring")
@click.option("--step", required=True, type=int, help="The step that waits for approval.")
@click.pass_context
@_errors
def rollouts_approve(ctx: click.Context, ring: str, step: int) -> None:
    """Approve the step that waits for approval (refused for any other step)."""
    _run(_service(ctx).approve(ring, step))
    console.print(f"step {step} of ring {ring} approved", highlight=False)


@rollouts.command("abort")
@click.argument("ring")
@click.option("--reason", required=True, help="Why; kept in the rollout's state.")
@click.pass_context
@_errors
def rollouts_abort(ctx: click.Context, ring: str, reason: str) -> None:
    """Stop the rollout before its next step; installed sites keep the bundle."""
    _run(_service(ctx).abort(ring, reason))
    console.print(f"rollout of ring {ring} aborted: {reason}", highlight=False)


@rollouts.command("label")
@click.argument("site_id")
@click.option("--add", "added", multiple=True, help="Label to add (repeatable).")
@click.option("--remove", "removed", multiple=True, help="Label to remove (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def rollouts_label(
    ctx: click.Context, site_id: str, added: tuple[str, ...], removed: tuple[str, ...],
    as_json: bool,
) -> None:  # fmt: skip
    """Add or remove the labels rings select sites by (`rollouts start --label`); print them."""
    config: CloudConfig = ctx.obj
    ops = open_ops(config, actor=f"ops:{getpass.getuser()}")
    ctx.call_on_close(ops.close)
    validate_site_id(site_id)
    for label in (*added, *removed):
        validate_label(label)
    if ops.store.sites.get(site_id) is None:
        raise NotFound(f"site {site_id} does not exist; see `commerce-cloud sites list`")
    if added:
        ops.store.site_labels.add(site_id, list(added))
    if removed:
        ops.store.site_labels.remove(site_id, list(removed))
    labels = ops.store.site_labels.of_site(site_id)
    if as_json:
        emit_json({"site_id": site_id, "labels": labels})
    else:
        console.print(f"{site_id}: {', '.join(labels) or 'no labels'}", highlight=False)
