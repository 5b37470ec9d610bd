"""Test support, run as a child process: carry an install through the journal and SIGKILL
this process at one named durable point.

`python -m tests.edge_agent.installer.install_child DATA_DIR BUNDLE_DIR BUNDLE_ID MODE POINT`:
MODE `commit` applies the steps, starts the trial and passes its gate; MODE `rollback` applies
them and fails the gate. The process kills itself with SIGKILL when the installer records
POINT (what power loss at that point leaves on disk).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from edge_agent.installer import (
    Journal,
    JournalFile,
    Recovery,
    ReleaseLayout,
    plan_from_manifest,
    stage,
)


def main(data_dir: Path, bundle_dir: Path, bundle_id: str, mode: str, point: str) -> None:
    def on_recorded(reached: str) -> None:
        print(reached, flush=True)
        if reached == point:
            os.kill(os.getpid(), signal.SIGKILL)

    layout = ReleaseLayout(data_dir)
    manifest = json.loads((bundle_dir / bundle_id / "manifest.json").read_text())
    plan = plan_from_manifest(manifest)
    stage(layout, plan, bundle_dir / bundle_id, manifest)
    JournalFile(layout).save(
        Journal(bundle_id, layout.current_release(), "install-1", plan.step_names)
    )
    recovery = Recovery(layout, on_recorded)
    decision = recovery.prepare_start()
    assert decision.trial, decision
    journal = JournalFile(layout).load()
    assert journal is not None
    if mode == "commit":
        recovery.begin_commit(journal)
    else:
        recovery.request_roll_back(journal, "health-gate", "gate failed on purpose")
        recovery.prepare_start()
    print("finished", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
