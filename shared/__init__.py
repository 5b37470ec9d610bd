"""Code both sides use: identity naming, configuration loading, errors, logging.

This package imports neither `cloud` nor `edge_agent`, and never `temporalio`.
"""
