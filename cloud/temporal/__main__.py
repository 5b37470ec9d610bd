"""`python -m cloud.temporal`: find or build the Temporal CLI and print its path."""

from __future__ import annotations

from cloud.temporal.cli_binary import main

raise SystemExit(main())
