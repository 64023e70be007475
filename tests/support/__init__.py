"""Helpers the service tests and benchmarks share (no tests, no fixtures: fixtures live in
tests/conftest.py and tests/services/conftest.py)."""
