"""The install side of a simulated store agent: answers `install_bundle` with a real report.

Bench room: what a store's installer tells the cloud, without downloading or restarting
(the first few sites of a bench are real `commerce-edge` processes that really install).
It keeps the site's current bundle and last-known-good, so the report and the hello say
what a real agent would; sites named in `Failures.failing` answer as a build that failed
its health gate and was rolled back. No I/O.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ameide_core_proto.process.commerce.v1 import edge_pb2

BASE = "base"
GATE = "health-gate"


@dataclass
class Failures:
    """Which sites fail their installs, and when each failure was answered (perf_counter)."""

    failing: set[str] = field(default_factory=set)
    answered_at: list[float] = field(default_factory=list)


class AnsweringInstaller:
    """One simulated site's installer (the agent's `InstallHandler` port)."""

    def __init__(self, site_id: str, failures: Failures) -> None:
        self._site_id = site_id
        self._failures = failures
        self._current = BASE
        self._last_known_good = BASE
        self._last: edge_pb2.BundleInstallReport | None = None

    def installed(self) -> edge_pb2.InstalledBundles:
        return edge_pb2.InstalledBundles(
            current_bundle=self._current,
            last_known_good=self._last_known_good,
            last_install=self._last,
        )

    async def install(
        self, command_id: str, command: edge_pb2.InstallBundleCommand
    ) -> edge_pb2.BundleInstallReport:
        previous = self._current
        if command.bundle_id == self._current:
            outcome = edge_pb2.BUNDLE_INSTALL_OUTCOME_ALREADY_CURRENT
            step = message = ""
        elif self._site_id in self._failures.failing:
            self._failures.answered_at.append(time.perf_counter())
            outcome = edge_pb2.BUNDLE_INSTALL_OUTCOME_ROLLED_BACK
            step, message = GATE, "the new build did not reconnect within the gate timeout"
        else:
            outcome = edge_pb2.BUNDLE_INSTALL_OUTCOME_INSTALLED
            step = message = ""
            self._current = self._last_known_good = command.bundle_id
        self._last = edge_pb2.BundleInstallReport(
            outcome=outcome,
            current_bundle=self._current,
            last_known_good=self._last_known_good,
            failed_step=step,
            message=message,
            bundle_id=command.bundle_id,
            previous_bundle=previous,
        )
        return self._last
