"""The benchmark harness (issue 7): `make bench`, `make bench-large`; see docs/benchmarks.md."""
