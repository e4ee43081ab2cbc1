"""Benchmark harness for the evaluate kernel: ours vs a naive pandas loop, vectorbt, alphalens
and the machine's memory-bandwidth floor. Run with ``python -m benchmarks.run``."""
