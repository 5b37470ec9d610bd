"""The agent never imports the cloud side or temporalio (stores must not carry them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import edge_agent

_CHECK = """
import importlib, pkgutil, sys
import edge_agent
for info in pkgutil.walk_packages(edge_agent.__path__, "edge_agent."):
    importlib.import_module(info.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {"cloud", "temporalio"})
print(",".join(bad))
"""


def test_edge_agent_imports_neither_cloud_nor_temporalio() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _CHECK], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


_FORBIDDEN = ("import cloud", "from cloud", "import temporalio", "from temporalio")


def test_no_source_file_names_the_forbidden_packages() -> None:
    root = Path(edge_agent.__file__).parent
    offenders = [
        str(path)
        for path in root.rglob("*.py")
        for line in path.read_text().splitlines()
        if line.lstrip().startswith(
            ("import cloud", "from cloud", "import temporalio", "from temporalio")
        )
    ]
    assert offenders == []
