"""Fixtures shared by the core tests (registered in conftest.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def extractor():
    """One real extractor (the bundled model loads once per test session)."""
    from extract.pipeline import Extractor
    return Extractor()


@pytest.fixture(scope="session")
def seeds_gold() -> dict:
    return json.loads((SHARED / "gold" / "seeds.json").read_text())["policies"]


@pytest.fixture(scope="session")
def dev_gold() -> dict:
    return json.loads((SHARED / "gold" / "dev.json").read_text())["policies"]
