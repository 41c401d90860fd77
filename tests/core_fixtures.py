"""Fixtures shared by the core tests (registered in conftest.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Mapping

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The seeds' hand-labelled gold ships with the tests (a copy of ../shared/gold/seeds.json), so
# a clone without ../shared still checks the seeds' accuracy.
SHIPPED_SEEDS_GOLD = ROOT / "tests" / "data" / "seeds_gold.json"


def run_python(code: str, *args: str, env: Mapping[str, str] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python from the project root (so it imports only what the code
    does), output captured as text; `env` adds to this process's environment."""
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def need_chromium() -> None:
    """Skip without Chromium (and Playwright), with the reason; under CI=true, fail instead."""
    from tests.e2e_support import browser_missing_reason
    reason = browser_missing_reason()
    if reason and in_ci():
        pytest.fail(f"{reason}; CI=true needs it")
    if reason:
        pytest.skip(reason)


def need_shared(*parts: str) -> Path:
    """`../shared/<parts>`, the development data beside the project. Without it the test is
    skipped with the reason, except under CI=true, where it fails: CI must run everything."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"development data not found: {path} (../shared beside the project)"
        if in_ci():
            pytest.fail(f"{reason}; CI=true needs it")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def extractor():
    """One real extractor (the bundled model loads once per test session)."""
    from extract.pipeline import Extractor
    return Extractor()


@pytest.fixture(scope="session")
def seeds_gold() -> dict:
    """The seeds' gold: ../shared's when present, else the copy shipped in tests/data."""
    path = SHARED / "gold" / "seeds.json"
    path = path if path.is_file() else SHIPPED_SEEDS_GOLD
    return json.loads(path.read_text(encoding="utf-8"))["policies"]


@pytest.fixture(scope="session")
def dev_gold() -> dict:
    return json.loads(need_shared("gold", "dev.json").read_text(encoding="utf-8"))["policies"]
