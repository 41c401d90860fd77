"""Real browser (issue 15, item 3): a reviewer who opens the Overview while an upload batch is
processed finds every file processed, the new vendors in the matrix, without going back.

Its own `streamlit run app.py` server and database (the five seeds); nothing sleeps: every step
waits on Playwright's `expect(...)`.
"""
from __future__ import annotations

import re

import pytest

from tests import e2e_support as e2e

pytestmark = pytest.mark.e2e

# Three new vendors (their names come from the file names); the texts are seed policies with a
# line added, so their bytes are new too.
UPLOADS = {"northwind-traders-privacy.txt": ("Northwind Traders", "itechno.txt"),
           "fabrikam-health-privacy.txt": ("Fabrikam Health", "digi-smart-manager.txt"),
           "contoso-travel-privacy.txt": ("Contoso Travel", "cloud-services-provider.txt")}


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    srv = e2e.start_server(tmp_path_factory.mktemp("e2e-batches"))
    yield srv
    e2e.stop_server(srv)


@pytest.fixture
def page(server, session_page):
    return session_page  # after `server`: a machine without a browser skips before it starts


def _files() -> list[dict]:
    out = []
    for name, (vendor, seed) in UPLOADS.items():
        text = (e2e.ROOT / "data" / "seeds" / seed).read_text(encoding="utf-8")
        out.append({"name": name, "mimeType": "text/plain",
                    "buffer": f"{text}\nThis policy applies to {vendor}.\n".encode("utf-8")})
    return out


def test_leaving_the_upload_page_mid_batch_loses_no_file(page, server, console):
    from playwright.sync_api import expect

    from extract.batches import recent_batches
    from extract.store import Store

    e2e.open_page(page, server, "upload")
    uploader = page.locator('[data-testid="stFileUploader"]')
    uploader.locator('input[type="file"]').set_input_files(_files())
    for name in UPLOADS:
        expect(uploader.locator(f'[data-testid="stFileChipName"][title="{name}"]')) \
            .to_be_attached()
    page.locator(".st-key-process button").click()
    # The first progress shows (the model is still loading: the first file is not done) ...
    expect(page.get_by_text(re.compile(r"File 1 of 3"))).to_be_visible()
    # ... and the reviewer opens the Overview in the same session.
    page.locator('[data-testid="stSidebarNav"] a').first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vendor privacy posture")

    # Without going back: the Overview lists the batch and, once it is done, shows all three
    # vendors in the matrix.
    for vendor, _ in UPLOADS.values():
        expect(page.locator(f'.pp-matrix th[title="{vendor}"]')).to_have_count(
            1, timeout=e2e.UPLOAD_TIMEOUT_MS)
    expect(page.locator('[data-testid="stAlert"]', has_text="3 added")).to_be_visible()
    e2e.wait_for_app(page)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert not console.errors, console.errors

    store = Store(server.db)
    (batch,) = recent_batches(store, "local reviewer")
    assert [(i.filename, i.status) for i in batch.items] == [(n, "added") for n in UPLOADS]
    uploads = {e.target for e in store.audit_log() if e.action == "upload"}
    assert set(UPLOADS) <= uploads

    # Back on the Upload page, the session's batch shows every file's outcome.
    page.locator('[data-testid="stSidebarNav"] a[href$="/upload"]').click()
    e2e.wait_for_app(page)
    for name, (vendor, _) in UPLOADS.items():
        done = page.locator('[data-testid="stAlert"]', has_text=name)
        expect(done).to_contain_text("Added")
        expect(done).to_contain_text(vendor)
