"""Data import and synthetic generation over a real SQLite store, through the service and
through `commerce-cloud data ...`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from google.protobuf import json_format

from ameide_core_proto.process.commerce.v1 import records_pb2
from cloud.adapters.store import CloudStore
from cloud.cli.main import main
from cloud.services import DataService
from cloud.services.synthetic import synthetic_counts
from shared.errors import InvalidInput

SCOPE = ["channel/web-eu"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CloudStore]:
    with CloudStore.open(f"sqlite:///{tmp_path / 'cloud.db'}") as opened:
        yield opened


def _item_line(sku: str, **fields: object) -> str:
    change = {
        "stream": "catalog",
        "key": sku,
        "scope": "channel/web-eu",
        "catalogItem": {"sku": sku, "description": f"item {sku}"},
    }
    change.update(fields)
    return json.dumps(change)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_appends_every_line_in_batches(store: CloudStore, tmp_path: Path) -> None:
    path = _write(tmp_path / "in.jsonl", [_item_line(f"sku-{i}") for i in range(7)] + [""])
    report = DataService(store.changes).import_file(path, batch_lines=3)
    assert (report.changes, report.appended, report.batches) == (7, 7, 3)
    assert report.heads == {"catalog": 7}
    keys = [c.key for c in store.changes.read("catalog", SCOPE, 0).changes]
    assert keys == [f"sku-{i}" for i in range(7)]


def test_importing_the_same_file_again_appends_nothing(store: CloudStore, tmp_path: Path) -> None:
    path = _write(tmp_path / "in.jsonl", [_item_line(f"sku-{i}") for i in range(5)])
    service = DataService(store.changes)
    service.import_file(path, batch_lines=2)
    again = service.import_file(path, batch_lines=2)
    assert (again.changes, again.appended) == (5, 0)
    assert store.changes.head("catalog") == 5


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 3: not a Change in protobuf JSON"),
        (_item_line("sku-x", stream="stock"), "line 3: stream: unknown stream 'stock'"),
        (_item_line("sku-x", scope="site/store-1"), "line 3: scope:"),
        (_item_line("sku-x", key="other"), "line 3: catalog_item.sku: is 'sku-x'"),
        (_item_line("sku-x", catalogItem={"skew": 1}), 'line 3: not a Change.*"skew"'),
    ],
)
def test_a_bad_line_names_itself_and_appends_nothing(
    store: CloudStore, tmp_path: Path, line: str, message: str
) -> None:
    path = _write(tmp_path / "in.jsonl", [_item_line("sku-1"), _item_line("sku-2"), line])
    with pytest.raises(InvalidInput, match=message):
        DataService(store.changes).import_file(path, batch_lines=1)
    assert store.changes.head("catalog") == 0


def test_synthetic_data_is_deterministic_and_round_trips_through_import(
    store: CloudStore, tmp_path: Path
) -> None:
    first, second = io.StringIO(), io.StringIO()
    report = DataService.write_synthetic(1500, "web-eu", first)
    DataService.write_synthetic(1500, "web-eu", second)
    assert first.getvalue() == second.getvalue()
    promotions, customers = synthetic_counts(1500)
    assert report.per_stream == {
        "catalog": 1500,
        "prices": 1500,
        "promotions": promotions,
        "customers": customers,
    }
    other = io.StringIO()
    DataService.write_synthetic(1500, "web-us", other)
    assert other.getvalue() != first.getvalue()
    path = _write(tmp_path / "gen.jsonl", first.getvalue().splitlines())
    DataService(store.changes).import_file(path)
    published = DataService(store.changes).publish_synthetic(1500, "web-eu")
    # Generating straight into the log gives the same live records as importing the file.
    assert published.appended == report.changes
    line = json_format.Parse(first.getvalue().splitlines()[0], records_pb2.Change())
    assert line.catalog_item.barcodes and len(line.catalog_item.barcodes[0]) == 13
    assert store.changes.checksum("catalog", SCOPE).rows == 1500
    assert store.changes.checksum("prices", SCOPE).rows == 1500


def test_the_cli_imports_generates_and_refuses(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--database-url", f"sqlite:///{tmp_path / 'cloud.db'}", "--data-dir", str(tmp_path)]
    out = tmp_path / "gen.jsonl"
    written = runner.invoke(
        main, [*base, "data", "generate", "--items", "20", "--channel", "web-eu", "--out", str(out)]
    )
    assert written.exit_code == 0, written.output
    assert len(out.read_text().splitlines()) == 20 * 2 + sum(synthetic_counts(20))
    imported = runner.invoke(main, [*base, "data", "import", str(out), "--json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output)["appended"] == 42
    published = runner.invoke(
        main, [*base, "data", "generate", "--items", "5", "--channel", "web-us"]
    )
    assert published.exit_code == 0, published.output
    assert "catalog" in published.output
    assert "appended in 1 batches" in published.output
    wrong = runner.invoke(main, [*base, "data", "generate", "--items", "5", "--channel", "x"])
    assert wrong.exit_code == 2
    assert "invalid sales channel id 'x'" in wrong.output
    bad = _write(tmp_path / "bad.jsonl", ["{}"])
    refused = runner.invoke(main, [*base, "data", "import", str(bad)])
    assert refused.exit_code == 2
    assert "line 1: stream: unknown stream ''" in refused.output
