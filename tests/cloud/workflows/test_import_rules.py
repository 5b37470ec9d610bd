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
# workflow.uuid4), pathlib, zoneinfo (see WORKFLOW_ALLOWED), logging (use workflow.logger).
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
    "cloud.domains.records",
    "cloud.validation",
    "shared.errors",
    "shared.naming",
    "shared.timestamps",
    # The sandbox allows `ZoneInfo(key)` (it restricts from_file, reset_tzpath, clear_cache).
    "zoneinfo",
)
# Modules of ours a workflow may import outside the pass-through block: they obey the same rule.
WORKFLOW_SAFE_FILES = (
    "cloud/activities/messages.py",
    "cloud/domains/records.py",
    "cloud/validation.py",
    "shared/errors.py",
    "shared/naming.py",
    "shared/timestamps.py",
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

# Third-party and stdlib I/O libraries, by kind. ARCHITECTURE.md §3: only adapters import
# third-party I/O libraries; the rooms below are the adapters of each side.
LIBRARIES: dict[str, tuple[str, ...]] = {
    "database": ("sqlalchemy", "alembic", "psycopg", "psycopg_pool", "psycopg2"),
    "sqlite": ("sqlite3", "sqlite_utils"),
    "cryptography": ("cryptography",),
    "network": (
        "grpc",
        "grpc_status",
        "grpc_health",
        "socket",
        "ssl",
        "http",
        "urllib",
        "aiohttp",
        "httpx",
        "requests",
        "websockets",
        "temporalio.client",
        "temporalio.service",
        "temporalio.api",
        "temporalio.testing",
    ),
}


@dataclass(frozen=True)
class Room:
    """A part of the house (a directory, or a module that is a room of its own) and the
    kinds of I/O library it may import."""

    name: str
    paths: tuple[str, ...]  # "dir/" for a directory, "file.py" for one module
    may_import: frozenset[str]


ROOMS = (
    Room("cloud store", ("cloud/adapters/store/", "cloud/store/"), frozenset({"database"})),
    Room("cloud adapters", ("cloud/adapters/",), frozenset({"cryptography", "network"})),
    Room("edge gateway", ("cloud/gateway/",), frozenset({"cryptography", "network"})),
    Room("temporal", ("cloud/temporal/",), frozenset({"network"})),
    Room(
        "cloud composition roots",
        ("cloud/cli/", "cloud/composition/", "cloud/demo/"),
        frozenset({"network"}),
    ),
    # The operator's adapters: the Kubernetes API client and the dependency probes (Temporal,
    # the cloud store's URL, the gateway's health check).
    Room(
        "operator adapters",
        ("cloud/operator/adapters/",),
        frozenset({"network", "database", "sqlite"}),
    ),
    Room("agent transport", ("edge_agent/transport.py",), frozenset({"network"})),
    Room(
        "agent composition roots",
        ("edge_agent/daemon.py", "edge_agent/installer/assembly.py"),
        frozenset({"network"}),
    ),
    Room("agent bundle download", ("edge_agent/installer/_download.py",), frozenset({"network"})),
    Room("agent control stream", ("edge_agent/control/",), frozenset({"network"})),
    Room("agent identity", ("edge_agent/identity/",), frozenset({"cryptography", "network"})),
    Room("agent health page", ("edge_agent/health/",), frozenset({"network"})),
    Room("agent POS API", ("edge_agent/pos/",), frozenset({"network"})),
    Room("agent realtime calls", ("edge_agent/realtime/calls.py",), frozenset({"network"})),
    Room(
        "agent storage",
        (
            "edge_agent/projection/",
            "edge_agent/outbox/",
            "edge_agent/realtime/journal.py",
            "edge_agent/installer/_steps.py",  # applies a bundle's projection migrations
        ),
        frozenset({"sqlite"}),
    ),
    # PKI helpers and the gRPC status codes both sides agree on (ARCHITECTURE.md §3).
    Room("shared", ("shared/",), frozenset({"cryptography", "network"})),
)


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
    safe = [ROOT / file for file in WORKFLOW_SAFE_FILES if (ROOT / file).is_file()]
    for imp in (i for path in [*source_files("cloud/workflows"), *safe] for i in imports_of(path)):
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
                "cloud.activities.messages, cloud.domains.records, cloud.validation, "
                "shared errors/naming/timestamps, "
                "pure stdlib); do the work in an activity"
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


def room_of(file: str) -> Room | None:
    """The most specific room holding `file` (a module room beats its directory)."""
    matches = [(len(path), room) for room in ROOMS for path in room.paths if _in(file, (path,))]
    return max(matches, key=lambda match: match[0])[1] if matches else None


def _library_kind(target: str) -> tuple[str, str] | None:
    for kind, libraries in LIBRARIES.items():
        for library in libraries:
            if _under(target, library):
                return kind, library
    return None


def io_breaches() -> Iterator[Breach]:
    for imp in _all_imports(*PACKAGES):
        found = _library_kind(imp.target)
        if found is None:
            continue
        kind, library = found
        room = room_of(imp.file)
        if room is not None and kind in room.may_import:
            continue
        allowed = [r.name for r in ROOMS if kind in r.may_import]
        where = f"room {room.name!r}" if room else "no I/O room"
        yield Breach(
            imp.file,
            imp.line,
            f"{kind}-libraries-only-in-their-rooms",
            library,
            f"{where} may not import {kind} libraries; only {', '.join(allowed)} may. Move the "
            "I/O behind a port and into an adapter of the right room",
        )


# Rooms that receive the cloud store as ports (cloud/ports.py) instead of the concrete store;
# the store's records and errors are pure data and part of those ports.
PORT_USERS = ("cloud/activities/", "cloud/gateway/", "cloud/services/", "cloud/workflows/")
STORE_DATA = (
    "cloud.adapters.store.records",
    "cloud.adapters.store.errors",
    "cloud.adapters.store.realtime_records",
)


def port_breaches() -> Iterator[Breach]:
    rule = "services-depend-on-ports-not-the-store"
    for imp in _all_imports("cloud"):
        if not _in(imp.file, PORT_USERS) or not _under(imp.target, "cloud.adapters.store"):
            continue
        if any(_under(imp.target, data) for data in STORE_DATA):
            continue
        yield Breach(
            imp.file,
            imp.line,
            rule,
            imp.target,
            "take the repositories as ports (cloud.ports) and let a composition root hand in "
            "the CloudStore; import records and errors from cloud.adapters.store.records/errors",
        )
    for imp in _all_imports("cloud/services"):
        if _under(imp.target, "cloud.adapters") and not any(
            _under(imp.target, data) for data in STORE_DATA
        ):
            yield Breach(
                imp.file,
                imp.line,
                rule,
                imp.target,
                "services receive their adapters from the composition roots; define a port in "
                "cloud/services/ports.py",
            )


RULES = {
    "workflows": workflow_breaches,
    "boundaries": boundary_breaches,
    "io": io_breaches,
    "ports": port_breaches,
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_import_rule(rule: str) -> None:
    # No allow-list: a breach is fixed in the code, not excused here.
    breaches = [str(b) for b in RULES[rule]()]
    assert not breaches, "import rules of ARCHITECTURE.md §3 broken:\n" + "\n".join(breaches)


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
            "io",
            "cloud/gateway/x.py:1: [database-libraries-only-in-their-rooms] imports sqlalchemy",
        ),
        (
            "cloud/activities/x.py",
            "from temporalio.client import Client\n",
            "io",
            "cloud/activities/x.py:1: [network-libraries-only-in-their-rooms]",
        ),
        (
            "cloud/activities/x.py",
            "from temporalio import client\n",
            "io",
            "imports temporalio.client",
        ),
        ("cloud/activities/x.py", "import grpc.aio\n", "io", "imports grpc"),
        ("cloud/services/x.py", "import httpx\n", "io", "[network-libraries-only-in-their-rooms]"),
        ("cloud/services/x.py", "from urllib.request import urlopen\n", "io", "imports urllib"),
        ("edge_agent/x.py", "import grpc\n", "io", "edge_agent/x.py:1: [network-libraries"),
        ("edge_agent/control/x.py", "import sqlite3\n", "io", "[sqlite-libraries-only-in-their"),
        ("edge_agent/health/x.py", "import sqlite3\n", "io", "room 'agent health page' may not"),
        ("edge_agent/projection/x.py", "import aiohttp\n", "io", "imports aiohttp"),
        ("edge_agent/projection/x.py", "import ssl\n", "io", "imports ssl"),
        ("cloud/workflows/w.py", "import socket\n", "io", "[network-libraries-only-in-their"),
        (
            "cloud/activities/x.py",
            "from cryptography import x509\n",
            "io",
            "cloud/activities/x.py:1: [cryptography-libraries-only-in-their-rooms]",
        ),
        ("edge_agent/health/x.py", "import cryptography\n", "io", "[cryptography-libraries"),
        (
            "cloud/gateway/x.py",
            "from cloud.adapters.store import CloudStore\n",
            "ports",
            "cloud/gateway/x.py:1: [services-depend-on-ports-not-the-store] imports cloud.adapters",
        ),
        (
            "cloud/activities/x.py",
            "from cloud.adapters.store.sites import SiteRepository\n",
            "ports",
            "[services-depend-on-ports-not-the-store]",
        ),
        ("cloud/services/x.py", "from cloud.adapters.tokens import TokenMinter\n", "ports", "port"),
        (
            "cloud/validation.py",
            "import os\n",
            "workflows",
            "cloud/validation.py:1: [workflows-import-only-deterministic-code] imports os",
        ),
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
        ("cloud/adapters/store/x.py", "import sqlalchemy as sa\n", "io"),
        ("cloud/store/x.py", "from alembic import command\n", "io"),
        ("cloud/cli/x.py", "from temporalio.client import Client\n", "io"),
        ("cloud/composition/worker.py", "from temporalio.client import Client\n", "io"),
        ("cloud/adapters/x.py", "import httpx\nfrom cryptography import x509\n", "io"),
        ("edge_agent/transport.py", "import grpc\n", "io"),
        ("edge_agent/health/server.py", "from aiohttp import web\nimport http\n", "io"),
        ("edge_agent/projection/_writer.py", "import sqlite3\n", "io"),
        ("edge_agent/projection/store.py", "import sqlite_utils\n", "io"),
        ("edge_agent/identity/keys.py", "from cryptography.hazmat import primitives\n", "io"),
        ("shared/identity.py", "from cryptography import x509\n", "io"),
        ("cloud/validation.py", "from zoneinfo import ZoneInfo\nimport re\n", "workflows"),
        ("cloud/gateway/x.py", "from cloud.adapters.store.records import SiteRecord\n", "ports"),
        ("cloud/services/x.py", "from cloud.adapters.store.errors import SiteConflict\n", "ports"),
        ("cloud/composition/assembly.py", "from cloud.adapters.store import CloudStore\n", "ports"),
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
