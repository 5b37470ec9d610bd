"""Test support, run as a child process: carry an install through the journal and SIGKILL
this process at one named durable point.

`python -m tests.edge_agent.installer.install_child DATA_DIR ARCHIVE KEYS_DIR MODE POINT`:
MODE `commit` applies the steps, starts the trial and passes its gate; MODE `rollback` applies
them and fails the gate. The process kills itself with SIGKILL when the installer records
POINT (what power loss at that point leaves on disk).
"""

from __future__ import annotations

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
from shared.bundles import TrustedKeys, open_bundle


def main(data_dir: Path, archive: Path, keys_dir: Path, mode: str, point: str) -> None:
    def on_recorded(reached: str) -> None:
        print(reached, flush=True)
        if reached == point:
            os.kill(os.getpid(), signal.SIGKILL)

    layout = ReleaseLayout(data_dir)
    verified = open_bundle(archive, TrustedKeys.from_files([keys_dir]))
    plan = plan_from_manifest(verified.manifest)
    stage(layout, plan, verified)
    JournalFile(layout).save(
        Journal(plan.bundle_id, layout.current_release(), "install-1", plan.step_names, plan.kinds)
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
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], sys.argv[5])
