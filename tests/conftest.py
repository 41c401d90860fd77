"""Shared fixtures: the core ones live in core_fixtures.py (model, gold files)."""
import pytest

from tests.core_fixtures import dev_gold, extractor, seeds_gold  # noqa: F401  (fixtures)
from tests.e2e_fixtures import browser, console, open_session, session_page  # noqa: F401
from tests.pg_fixtures import db_target, pg_server, pg_url  # noqa: F401  (fixtures)


@pytest.fixture
def tmp_db(tmp_path, monkeypatch):
    """A fresh, empty database for one test: `$PRIVACY_DB` points at a file under tmp_path."""
    path = tmp_path / "privacy.db"
    monkeypatch.setenv("PRIVACY_DB", str(path))
    return path
