"""Deterministic workflow definitions: envelopes, pure helpers and activity references only."""
