"""Upstream data into the change log: JSON-lines imports and synthetic catalogs.

Service room: reads the file it is given and appends through the change-log port; no other
I/O. An import checks the WHOLE file before appending anything (a bad line appends
nothing), then appends it in batches of `batch_lines`, each one transaction under the
publish id `import:<file sha256>:<batch size>:<batch number>`: running the same file again
after a failure part-way appends only the batches that did not land.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from google.protobuf import json_format

from ameide_core_proto.process.commerce.v1 import records_pb2
from cloud.change_rules import InvalidChange, check_change
from cloud.ports import ChangeLogPort
from cloud.services.synthetic import synthetic_changes
from cloud.validation import validate_channel
from shared.errors import InvalidInput

__all__ = ["DataReport", "DataService"]

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 5_000
MAX_BATCH = 10_000
MAX_ITEMS = 10_000_000


@dataclass
class DataReport:
    """What an import or a generate did."""

    changes: int = 0
    appended: int = 0
    batches: int = 0
    heads: dict[str, int] = field(default_factory=dict)
    per_stream: dict[str, int] = field(default_factory=dict)


def _parse_line(number: int, line: str) -> records_pb2.Change:
    try:
        change = json_format.Parse(line, records_pb2.Change())
    except json_format.ParseError as exc:
        raise InvalidInput(
            f"line {number}: not a Change in protobuf JSON ({exc}); "
            "write one Change object per line"
        ) from None
    try:
        check_change(number, change)
    except InvalidChange as exc:
        raise InvalidInput(f"line {number}: {exc.field}: {exc.problem}") from None
    return change


def _changes_of(handle: TextIO) -> Iterator[records_pb2.Change]:
    for number, line in enumerate(handle, start=1):
        if line.strip():
            yield _parse_line(number, line)


def _check_batch(batch_lines: int) -> None:
    if not 0 < batch_lines <= MAX_BATCH:
        raise InvalidInput(f"batch size {batch_lines} is out of range; use 1 to {MAX_BATCH}")


class DataService:
    """Imports and generates changes for the change log."""

    def __init__(self, changes: ChangeLogPort) -> None:
        self._changes = changes

    def check_file(self, path: Path) -> tuple[int, str]:
        """Parse and check every line of `path`; (changes, sha256 of the file)."""
        if not path.is_file():
            raise InvalidInput(f"{path} is not a readable file; pass a .jsonl file of changes")
        digest = hashlib.sha256()
        count = 0
        with path.open("rb") as raw:
            for chunk in iter(lambda: raw.read(1 << 20), b""):
                digest.update(chunk)
        try:
            with path.open(encoding="utf-8") as handle:
                for _change in _changes_of(handle):
                    count += 1
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{path} is not UTF-8 text ({exc}); save it as UTF-8") from None
        if count == 0:
            raise InvalidInput(f"{path} holds no changes; write one Change object per line")
        return count, digest.hexdigest()

    def import_file(self, path: Path, batch_lines: int = DEFAULT_BATCH) -> DataReport:
        """Check all of `path`, then append it in batches (see the module docstring)."""
        _check_batch(batch_lines)
        _count, sha256 = self.check_file(path)
        with path.open(encoding="utf-8") as handle:
            return self._append(_changes_of(handle), batch_lines, f"import:{sha256}:{batch_lines}")

    def publish_synthetic(
        self, items: int, channel_id: str, batch_lines: int = DEFAULT_BATCH
    ) -> DataReport:
        """Append the synthetic catalog of (`items`, `channel_id`); idempotent per batch."""
        self.check_synthetic(items, channel_id)
        _check_batch(batch_lines)
        return self._append(
            synthetic_changes(items, channel_id),
            batch_lines,
            f"generate:{channel_id}:{items}:{batch_lines}",
        )

    @staticmethod
    def write_synthetic(items: int, channel_id: str, out: TextIO) -> DataReport:
        """Write the synthetic catalog as JSON lines, one Change per line (no store)."""
        DataService.check_synthetic(items, channel_id)
        report = DataReport()
        for change in synthetic_changes(items, channel_id):
            out.write(json_format.MessageToJson(change, indent=None) + "\n")
            report.changes += 1
            report.per_stream[change.stream] = report.per_stream.get(change.stream, 0) + 1
        return report

    @staticmethod
    def check_synthetic(items: int, channel_id: str) -> None:
        if not 0 < items <= MAX_ITEMS:
            raise InvalidInput(f"--items {items} is out of range; use 1 to {MAX_ITEMS}")
        validate_channel(channel_id, "")

    def _append(
        self, changes: Iterable[records_pb2.Change], batch_lines: int, publish_prefix: str
    ) -> DataReport:
        report = DataReport()
        batch: list[records_pb2.Change] = []

        def flush() -> None:
            result = self._changes.append(batch, publish_id=f"{publish_prefix}:{report.batches}")
            report.batches += 1
            report.appended += result.appended
            report.heads.update(result.heads)
            batch.clear()

        for change in changes:
            report.changes += 1
            report.per_stream[change.stream] = report.per_stream.get(change.stream, 0) + 1
            batch.append(change)
            if len(batch) == batch_lines:
                flush()
        if batch:
            flush()
        logger.info("appended %d of %d changes", report.appended, report.changes)
        return report
