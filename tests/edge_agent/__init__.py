"""Tests of the edge agent (mirrors edge_agent/)."""
