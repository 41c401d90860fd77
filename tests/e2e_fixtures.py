"""Browser fixtures shared by every end-to-end test module (imported by conftest.py).

`browser` is one headless Debian Chromium for the whole run; a module starts its own server
with `e2e_support.start_server(tmp, env=...)` when it needs other settings than test_e2e's.
"""
from __future__ import annotations

import pytest

from tests import e2e_support as e2e

__all__ = ["browser", "console", "open_session", "session_page"]


@pytest.fixture(scope="session")
def browser():
    reason = e2e.browser_missing_reason()
    if reason:
        if e2e.in_ci():
            pytest.fail(f"browser tests cannot run under CI=true: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - a broken browser install: same rule as missing
        pw.stop()
        if e2e.in_ci():
            pytest.fail(f"Chromium did not start under CI=true: {exc}")
        pytest.skip(f"browser tests skipped: Chromium did not start: {exc}")
    yield chromium
    chromium.close()
    pw.stop()


@pytest.fixture
def console():
    return e2e.ConsoleLog()


@pytest.fixture
def open_session(browser, console):
    """`open_session()` opens a page in a fresh browser context (a new Streamlit session, as
    another reviewer's browser) at 1280×900, its console followed by `console`; all are closed
    after the test."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(e2e.APP_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        console.attach(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def session_page(open_session):
    """A new Streamlit session: one page of `open_session`."""
    return open_session()
