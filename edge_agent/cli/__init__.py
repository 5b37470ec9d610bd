"""The `commerce-edge` command line."""
