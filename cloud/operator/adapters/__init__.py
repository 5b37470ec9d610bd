"""Adapters of the operator: the Kubernetes API (aiohttp) and the dependency probes.

Operator room: the only modules here that import I/O libraries; each maps its errors.
"""
