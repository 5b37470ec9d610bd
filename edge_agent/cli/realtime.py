"""`commerce-edge realtime resolve`: close a case only this store holds.

Entry point: reads the agent's configuration for its data directory and asks the real-time
journal (SQLite, `state/realtime.db`; a running agent shares it) to close the case.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from edge_agent.config import load_agent_config
from edge_agent.realtime.journal import Journal
from shared.errors import CommerceError, ConfigError, InvalidInput


async def _resolve(data_dir: Path, exception_id: str, resolution: str) -> bool:
    journal = await Journal.open(data_dir)
    try:
        return await journal.resolve_local(exception_id, resolution)
    finally:
        await journal.close()


@click.group()
def realtime() -> None:
    """Real-time-required operations of this store."""


@realtime.command()
@click.argument("exception_id")
@click.option("--resolution", required=True, help="What was done, e.g. 'customer paid cash'.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Agent data directory (default /var/lib/commerce-edge).",
)
@click.pass_context
def resolve(ctx: click.Context, exception_id: str, resolution: str, data_dir: Path | None) -> None:
    """Close a `local/<op>` case (the cloud refused to settle the operation outright)."""
    obj = ctx.obj or {}
    try:
        overrides = {"data_dir": data_dir} if data_dir is not None else {}
        config = load_agent_config(config_file=obj.get("config_file"), overrides=overrides)
        closed = asyncio.run(_resolve(config.data_dir, exception_id, resolution))
    except (InvalidInput, ConfigError) as exc:
        click.echo(f"commerce-edge: error: {exc}", err=True)
        sys.exit(2)
    except CommerceError as exc:
        click.echo(f"commerce-edge: error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{exception_id}: {'resolved' if closed else 'was already resolved'}")
