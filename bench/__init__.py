"""Benchmarks (`make bench`): each figure is measured beside a baseline in the same run and reported
as a ratio, because this machine's absolute speed drifts. Results print as a table and are written
to docs/performance.md. Nothing here is asserted in the test suite."""
