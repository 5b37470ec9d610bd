"""Benchmarks: they drive the real system on loopback and print tables; no timing asserts."""
