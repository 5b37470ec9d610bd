"""Deterministic workflow definitions; they import only envelopes, pure helpers and activity refs."""
