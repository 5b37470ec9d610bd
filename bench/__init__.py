"""Benchmarks: they drive the real system on loopback and print tables; they never assert timings."""
