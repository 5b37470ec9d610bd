"""Fixtures of the operator tests: the real API server (tests/support/kube.py) and the
operator's environment (tests/support/operator_env.py)."""

from __future__ import annotations

from tests.support.kube import kube

__all__ = ["kube"]
