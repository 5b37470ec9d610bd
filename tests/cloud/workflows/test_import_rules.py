"""Static (ast) check of ARCHITECTURE.md §3 import rules; a failure names file, line and rule.

Reads the source of cloud/, edge_agent/ and shared/; imports none of it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("cloud", "edge_agent", "shared")

# Stdlib modules that do no I/O and are deterministic (no clocks, randomness or files).
# Left out on purpose: os, sys, io, socket, subprocess, time, random, uuid (use
# workflow.uuid4), pathlib, zoneinfo (reads tz files), logging (use workflow.logger).
PURE_STDLIB = frozenset(
    {
        "__future__",
        "abc",
        "asyncio",
        "base64",
        "bisect",
        "collections",
        "contextlib",
        "copy",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "fractions",
        "functools",
        "hashlib",
        "heapq",
        "itertools",
        "json",
        "math",
        "numbers",
        "operator",
        "re",
        "string",
        "textwrap",
        "types",
        "typing",
        "typing_extensions",
    }
)
WORKFLOW_ALLOWED = (
    "temporalio.workflow",
    "temporalio.common",
    "temporalio.exceptions",
    "ameide_core_proto",
    "google.protobuf",
    "cloud.workflows",
    "cloud.activities.messages",
    "cloud.validation",
    "shared.timestamps",
    "shared.naming",
    "shared.errors",
)
# Named in the failure message because they are the usual suspects.
WORKFLOW_IO = (
    "cloud.adapters",
    "sqlalchemy",
    "grpc",
    "httpx",
    "os",
    "socket",
    "subprocess",
    "time",
    "random",
    "pathlib",
)
DATABASE_LIBRARIES = ("sqlalchemy", "alembic", "psycopg", "psycopg_pool", "psycopg2")
DATABASE_HOMES = ("cloud/adapters/", "cloud/store/")
NETWORK_CLIENTS = ("grpc", "grpc_status", "grpc_health", "temporalio.client")
NETWORK_HOMES = (
    "cloud/adapters/",
    "cloud/gateway/",
    "cloud/temporal/",
    "cloud/cli/",
    "cloud/worker.py",
    "cloud/runtime.py",
    "cloud/demo.py",
    "cloud/assembly.py",
)

# Breaches the code has today, each with its reason; the test below fails once one is fixed
# so the entry is removed rather than left to hide a new breach.
KNOWN_BREACHES: dict[tuple[str, str, str], str] = {}


@dataclass(frozen=True)
class ImportedName:
    """One module (or module attribute) a source line imports."""

    file: str  # relative to ROOT, with forward slashes
    line: int
    target: str  # absolute dotted name: `from a.b import c` gives "a.b.c"
    passed_through: bool  # inside `with workflow.unsafe.imports_passed_through():`


@dataclass(frozen=True)
class Breach:
    file: str
    line: int
    rule: str
    target: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.rule}] imports {self.target}: {self.message}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_passthrough(item: ast.withitem) -> bool:
    call = item.context_expr
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "imports_passed_through"
        and isinstance(call.func.value, ast.Attribute)
        and call.func.value.attr == "unsafe"
    )


class _Collector(ast.NodeVisitor):
    def __init__(self, file: str, module: str, is_package: bool) -> None:
        self.file = file
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[ImportedName] = []
        self._passthrough = 0

    def visit_With(self, node: ast.With) -> None:
        inside = any(_is_passthrough(item) for item in node.items)
        self._passthrough += inside
        self.generic_visit(node)
        self._passthrough -= inside

    visit_AsyncWith = visit_With  # type: ignore[assignment]

    def _add(self, node: ast.stmt, target: str) -> None:
        self.found.append(ImportedName(self.file, node.lineno, target, self._passthrough > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            anchor = self.package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            self._add(node, base if alias.name == "*" else f"{base}.{alias.name}")


def imports_of(path: Path) -> list[ImportedName]:
    """Every import in the file, wherever it sits (function bodies and TYPE_CHECKING too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    collector = _Collector(
        path.relative_to(ROOT).as_posix(), _module_name(path), path.name == "__init__.py"
    )
    collector.visit(tree)
    return collector.found


def source_files(*top: str) -> list[Path]:
    return sorted(p for name in top for p in (ROOT / name).rglob("*.py"))


def _under(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def _in(file: str, homes: tuple[str, ...]) -> bool:
    return any(file == home or (home.endswith("/") and file.startswith(home)) for home in homes)


def _all_imports(*top: str) -> Iterator[ImportedName]:
    for path in source_files(*top):
        yield from imports_of(path)


# Rules


def workflow_breaches() -> Iterator[Breach]:
    rule = "workflows-import-only-deterministic-code"
    for imp in _all_imports("cloud/workflows"):
        target = imp.target
        if target.split(".")[0] in PURE_STDLIB or any(_under(target, a) for a in WORKFLOW_ALLOWED):
            continue
        if _under(target, "cloud.activities"):
            if imp.passed_through:
                continue
            message = (
                "activity classes may be imported only inside "
                "`with workflow.unsafe.imports_passed_through():`"
            )
        elif any(_under(target, io) for io in WORKFLOW_IO):
            message = "does I/O or is non-deterministic; do it in an activity"
        else:
            message = (
                "not on the list of deterministic imports (temporalio workflow/common/"
                "exceptions, ameide_core_proto, google.protobuf, cloud.workflows, "
                "cloud.activities.messages, pure stdlib); do the work in an activity"
            )
        yield Breach(imp.file, imp.line, rule, target, message)


def boundary_breaches() -> Iterator[Breach]:
    sides = {
        "cloud": ("cloud-never-imports-edge-agent", ("edge_agent",)),
        "edge_agent": ("edge-agent-never-imports-cloud", ("cloud",)),
        "shared": ("shared-imports-neither-side", ("cloud", "edge_agent")),
    }
    for top, (rule, forbidden) in sides.items():
        for imp in _all_imports(top):
            for other in forbidden:
                if _under(imp.target, other):
                    yield Breach(
                        imp.file, imp.line, rule, imp.target, f"{top} must not depend on {other}"
                    )


def database_breaches() -> Iterator[Breach]:
    rule = "database-libraries-only-in-adapters-and-store"
    for imp in _all_imports(*PACKAGES):
        if any(_under(imp.target, lib) for lib in DATABASE_LIBRARIES) and not _in(
            imp.file, DATABASE_HOMES
        ):
            yield Breach(
                imp.file,
                imp.line,
                rule,
                imp.target,
                "only cloud/adapters/ and cloud/store/ may use the database libraries",
            )


def network_breaches() -> Iterator[Breach]:
    rule = "network-clients-only-in-adapters-and-roots"
    for imp in _all_imports("cloud"):
        hit = next((lib for lib in NETWORK_CLIENTS if _under(imp.target, lib)), None)
        if hit is not None and not _in(imp.file, NETWORK_HOMES):
            yield Breach(
                imp.file,
                imp.line,
                rule,
                hit,
                "only cloud/adapters/, gateway/, temporal/, cli/ and the composition "
                "roots (worker.py, runtime.py, demo.py) may use grpc or temporalio.client",
            )


RULES = {
    "workflows": workflow_breaches,
    "boundaries": boundary_breaches,
    "database": database_breaches,
    "network": network_breaches,
}


def _unexpected(breaches: Iterator[Breach]) -> list[str]:
    return [str(b) for b in breaches if (b.file, b.rule, b.target) not in KNOWN_BREACHES]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_import_rule(rule: str) -> None:
    breaches = _unexpected(RULES[rule]())
    assert not breaches, "import rules of ARCHITECTURE.md §3 broken:\n" + "\n".join(breaches)


def test_known_breaches_still_exist() -> None:
    found = {(b.file, b.rule, b.target) for check in RULES.values() for b in check()}
    fixed = set(KNOWN_BREACHES) - found
    assert not fixed, f"fixed, remove from KNOWN_BREACHES: {sorted(fixed)}"


# The checker itself: each rule must be able to fail.


def _write(tmp_path: Path, relative: str, source: str) -> Path:
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return path


def test_collector_sees_passthrough_relative_and_nested_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    path = _write(
        tmp_path,
        "cloud/workflows/sample.py",
        (
            "from temporalio import workflow\n"
            "with workflow.unsafe.imports_passed_through():\n"
            "    from cloud.activities.store_site import StoreSiteActivities\n"
            "from .bindings import derive\n"
            "def f():\n"
            "    import time\n"
        ),
    )
    found = [(i.line, i.target, i.passed_through) for i in imports_of(path)]
    assert found == [
        (1, "temporalio.workflow", False),
        (3, "cloud.activities.store_site.StoreSiteActivities", True),
        (4, "cloud.workflows.bindings.derive", False),
        (6, "time", False),
    ]


@pytest.mark.parametrize(
    ("relative", "source", "rule", "expected"),
    [
        ("cloud/workflows/w.py", "import time\n", "workflows", "w.py:1: [workflows-import"),
        (
            "cloud/workflows/w.py",
            "\n\nfrom cloud.adapters.store import CloudStore\n",
            "workflows",
            "w.py:3: [workflows-import-only-deterministic-code] imports cloud.adapters",
        ),
        (
            "cloud/workflows/w.py",
            "from cloud.activities.store_site import A\n",
            "workflows",
            "imports_passed_through",
        ),
        (
            "cloud/workflows/w.py",
            "from temporalio.client import Client\n",
            "workflows",
            "temporalio.client",
        ),
        (
            "cloud/x.py",
            "from edge_agent.config import AgentConfig\n",
            "boundaries",
            "cloud/x.py:1: [cloud-never-imports-edge-agent]",
        ),
        (
            "edge_agent/x.py",
            "import cloud.config\n",
            "boundaries",
            "[edge-agent-never-imports-cloud]",
        ),
        (
            "shared/x.py",
            "from edge_agent import daemon\n",
            "boundaries",
            "[shared-imports-neither-side]",
        ),
        (
            "cloud/gateway/x.py",
            "import sqlalchemy as sa\n",
            "database",
            "cloud/gateway/x.py:1: [database-libraries-only-in-adapters-and-store]",
        ),
        (
            "cloud/activities/x.py",
            "from temporalio.client import Client\n",
            "network",
            "cloud/activities/x.py:1: [network-clients-only-in-adapters-and-roots]",
        ),
        (
            "cloud/activities/x.py",
            "from temporalio import client\n",
            "network",
            "imports temporalio.client",
        ),
        ("cloud/activities/x.py", "import grpc.aio\n", "network", "imports grpc"),
    ],
)
def test_rule_reports_file_line_and_rule(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    relative: str,
    source: str,
    rule: str,
    expected: str,
) -> None:
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    for top in PACKAGES:
        (tmp_path / top).mkdir(exist_ok=True)
    _write(tmp_path, relative, source)
    reported = [str(b) for b in RULES[rule]()]
    assert len(reported) == 1 and expected in reported[0], reported


@pytest.mark.parametrize(
    ("relative", "source", "rule"),
    [
        (
            "cloud/workflows/w.py",
            (
                "from __future__ import annotations\nimport asyncio\n"
                "from datetime import timedelta\n"
                "from temporalio import workflow\nfrom temporalio.common import RetryPolicy\n"
                "from google.protobuf.timestamp_pb2 import Timestamp\n"
                "from ameide_core_proto.process.commerce.v1 import store_site_pb2\n"
                "from cloud.activities.messages import PrepareStoreSite\n"
                "with workflow.unsafe.imports_passed_through():\n"
                "    from cloud.activities.store_site import StoreSiteActivities\n"
            ),
            "workflows",
        ),
        ("cloud/adapters/store/x.py", "import sqlalchemy as sa\n", "database"),
        ("cloud/store/x.py", "from alembic import command\n", "database"),
        ("cloud/cli/x.py", "from temporalio.client import Client\n", "network"),
        ("cloud/worker.py", "from temporalio.client import Client\n", "network"),
        ("edge_agent/x.py", "import grpc\n", "network"),
    ],
)
def test_rule_accepts_what_architecture_allows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: str, source: str, rule: str
) -> None:
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    for top in PACKAGES:
        (tmp_path / top).mkdir(exist_ok=True)
    _write(tmp_path, relative, source)
    assert [str(b) for b in RULES[rule]()] == []
