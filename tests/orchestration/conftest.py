"""Fixtures of the orchestration tests live in tests/conftest.py (shared with tests/identity)."""
