"""Real browser (issue 17, part 2): two app servers over one PostgreSQL database.

Server A and server B are two `streamlit run app.py` processes on different ports with the
same `PRIVACY_DB=postgresql://...`, as behind a load balancer. A reader of one sees what was
written through the other on their next page run: an upload through A is in B's matrix, a
review status set on B shows on A. Each page is opened in the other server's process first, so
its cached table was filled before the write (only the database's change counter can tell).

Needs PostgreSQL and psycopg (requirements-scale.txt) besides the browser: skipped with the
reason without them, failed under CI=true. Nothing sleeps: every step waits on `expect`.
"""
from __future__ import annotations

import os

import pytest

from tests import e2e_support as e2e

pytestmark = pytest.mark.e2e

UPLOAD_NAME = "northwind-traders-privacy.txt"
UPLOAD_VENDOR = "Northwind Traders"
STATUS_VENDOR = "Itechno"  # a seed vendor


@pytest.fixture(scope="module")
def database(browser, pg_server) -> str:
    """One empty PostgreSQL database for both servers (after `browser`: a machine without a
    browser skips before anything starts)."""
    import psycopg

    name = f"two_servers_{os.getpid()}"
    with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    return f"{pg_server}/{name}"


@pytest.fixture(scope="module")
def servers(database, tmp_path_factory):
    """Servers A and B over `database`."""
    a = e2e.start_server(tmp_path_factory.mktemp("server-a"), env={"PRIVACY_DB": database})
    try:
        b = e2e.start_server(tmp_path_factory.mktemp("server-b"), env={"PRIVACY_DB": database})
    except BaseException:
        e2e.stop_server(a)
        raise
    assert a.url != b.url and a.db == b.db == database
    yield a, b
    e2e.stop_server(b)
    e2e.stop_server(a)


def _policy() -> bytes:
    text = (e2e.ROOT / "data" / "seeds" / "itechno.txt").read_text(encoding="utf-8")
    return f"{text}\nThis policy applies to {UPLOAD_VENDOR}.\n".encode("utf-8")


def _matrix_vendor(page, vendor: str):
    return page.locator(f'.pp-matrix th[title="{vendor}"]')


def test_an_upload_through_server_a_is_in_server_bs_matrix(servers, open_session, console):
    from playwright.sync_api import expect

    a, b = servers
    on_b = open_session()
    e2e.open_page(on_b, b, "")  # B's matrix is drawn (and cached) before the upload
    expect(_matrix_vendor(on_b, STATUS_VENDOR)).to_have_count(1)
    expect(_matrix_vendor(on_b, UPLOAD_VENDOR)).to_have_count(0)

    on_a = open_session()
    e2e.open_page(on_a, a, "upload")
    uploader = on_a.locator('[data-testid="stFileUploader"]')
    uploader.locator('input[type="file"]').set_input_files(
        {"name": UPLOAD_NAME, "mimeType": "text/plain", "buffer": _policy()})
    expect(uploader.locator(f'[data-testid="stFileChipName"][title="{UPLOAD_NAME}"]')) \
        .to_be_attached()
    on_a.locator(".st-key-process button").click()
    done = on_a.locator('[data-testid="stAlert"]', has_text=UPLOAD_NAME)
    expect(done).to_contain_text("Added", timeout=e2e.UPLOAD_TIMEOUT_MS)
    expect(done).to_contain_text(UPLOAD_VENDOR)

    # B's next page run (the reviewer opens the Overview again) shows the new vendor.
    on_b.locator('[data-testid="stSidebarNav"] a').first.click()
    e2e.wait_for_app(on_b)
    expect(_matrix_vendor(on_b, UPLOAD_VENDOR)).to_have_count(1)
    e2e.assert_clean(on_b, console, "server B's Overview")
    e2e.assert_clean(on_a, console, "server A's Upload page")

    from extract.store import Store

    (rec,) = [r for r in Store(a.db).records() if r.vendor == UPLOAD_VENDOR]
    assert rec.source == UPLOAD_NAME


def test_a_status_set_on_server_b_shows_on_server_a(servers, open_session, console):
    from playwright.sync_api import expect

    from extract.store import Store

    a, b = servers
    vid = {r.vendor: r.vendor_id for r in Store(a.db).records()}[STATUS_VENDOR]
    on_a = open_session()
    e2e.open_page(on_a, a, "review", f"vendor={vid}")  # A has read the status before
    expect(on_a.get_by_text("set by local reviewer")).to_have_count(0)

    on_b = open_session()
    e2e.open_page(on_b, b, "review", f"vendor={vid}")
    box = on_b.locator(".st-key-review_status [role='combobox']")
    box.click()
    box.fill("approved")
    on_b.get_by_role("option", name="● approved", exact=True).click()
    expect(box).to_have_value("● approved")
    e2e.wait_for_app(on_b)
    on_b.locator(".st-key-save_status button").click()
    expect(on_b.get_by_text(f"Status of {STATUS_VENDOR} set to approved.")).to_be_visible()

    # A's next page run shows it, with who set it.
    on_a.reload()
    e2e.wait_for_app(on_a)
    line = on_a.locator('[data-testid="stMarkdownContainer"]', has_text="set by local reviewer")
    expect(line).to_contain_text("● approved")
    e2e.assert_clean(on_a, console, "server A's Review page")
    e2e.assert_clean(on_b, console, "server B's Review page")
    assert Store(b.db).reviews()[vid].status == "approved"
