"""The commerce operator: reconciles CommerceProcess resources into worker Deployments, HPAs and
the edge gateway, and reports whether Temporal, the store and the gateway serve as conditions.

Operator room. Pure parts: `model` (the resource), `children` (manifests), `conditions`.
Services: `reconciler` (receives the ports of `ports`). Adapters: `adapters/`. Composition
root: `handlers` (kopf). Imports nothing from the workflows or the gateway.
"""
