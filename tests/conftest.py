"""Shared fixtures: the core ones live in core_fixtures.py (model, gold files)."""
from tests.core_fixtures import dev_gold, extractor, seeds_gold  # noqa: F401  (fixtures)
