"""Storefront custom domains: the pure rules (hostnames, challenges, DNS conditions, CAA, schedule).

Domain room: pure functions and data only; no I/O, safe to import from workflows. DNS lookups
live in `cloud.adapters.dns`, the claim rows in `cloud.adapters.store.domain_claims`.
"""
