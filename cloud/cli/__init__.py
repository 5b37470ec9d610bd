"""The `commerce-cloud` ops CLI: builds a config, calls operations, prints tables or JSON."""
