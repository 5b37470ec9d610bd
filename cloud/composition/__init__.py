"""Composition roots of the cloud: where adapters are built and handed to services and workers.

Composition room: `assembly` opens the store and the ops facade, `worker` builds one Temporal
worker per task queue, `runtime` runs `commerce-cloud serve|worker|gateway`; each capability
adds its own `*_assembly`, `*_worker` or `*_wiring` module here. Nothing outside the CLI, the
demo, the benches and the tests imports these modules.
"""
