"""Printing for the ops CLI: Rich tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any, NoReturn

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def jsonable(value: Any) -> Any:
    """Plain JSON data from records, protos, datetimes and bytes."""
    if isinstance(value, Message):
        return MessageToDict(value, preserving_proto_field_name=True)
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items() if not isinstance(v, bytes)}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def emit_json(value: Any, *, line: bool = False) -> None:
    """Print `value` as JSON: indented, or as one line (for JSON-lines streams)."""
    indent = None if line else 2
    sys.stdout.write(json.dumps(jsonable(value), indent=indent, sort_keys=True) + "\n")
    sys.stdout.flush()


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    grid = Table(title=title, title_justify="left")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*("" if v is None else str(v) for v in row))
    console.print(grid)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear error line on stderr and exit with `code` (2: bad input, 1: otherwise)."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)
