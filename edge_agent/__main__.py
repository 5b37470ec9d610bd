"""`python -m edge_agent`: the `commerce-edge` command (the launcher execs releases this way)."""

from __future__ import annotations

from edge_agent.cli.main import main

if __name__ == "__main__":
    main(prog_name="commerce-edge")
