"""Browser journey: add a vendor by URL on the Upload page, see it in the Overview's matrix and
watched pages, and re-check it on its Vendor page after the page changed (issue 16).

The policy page is a seed dressed as a web page, served by a local http.server on 127.0.0.1;
the app's server runs with PRIVACY_FETCH_ALLOW_HOSTS=127.0.0.1 (by default it refuses loopback).
"""
from __future__ import annotations

from urllib.parse import quote

import pytest

from tests import e2e_support as e2e
from tests.web_support import page as web_page
from tests.web_support import seed_html, seed_text, serve

pytestmark = pytest.mark.e2e

VENDOR = "Lanternfish Cloud"


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    srv = e2e.start_server(tmp_path_factory.mktemp("e2e-url"),
                           env={"PRIVACY_FETCH_ALLOW_HOSTS": "127.0.0.1"})
    yield srv
    e2e.stop_server(srv)


@pytest.fixture(scope="module")
def site():
    with serve({"/legal/privacy": web_page(seed_html(seed_text("itechno")))}) as s:
        yield s


@pytest.fixture
def page(server, session_page):
    return session_page  # after `server`: a machine without a browser skips before it starts




def _type(page, key: str, text: str) -> None:
    box = page.locator(f".st-key-{key} input")
    box.fill(text)
    box.press("Enter")  # commits the value (a rerun)
    e2e.wait_for_app(page)


def test_add_a_vendor_by_url_and_see_it_in_the_matrix_then_recheck(page, server, site,
                                                                   console):
    from playwright.sync_api import expect

    url = site.url("/legal/privacy")
    e2e.open_page(page, server, "upload")
    _type(page, "policy_url", url)
    _type(page, "url_vendor", VENDOR)
    page.locator(".st-key-add_url button").click()
    done = page.locator('[data-testid="stAlert"]', has_text="Added")
    expect(done).to_be_visible(timeout=e2e.UPLOAD_TIMEOUT_MS)
    expect(done).to_contain_text(VENDOR)
    e2e.wait_for_app(page)
    e2e.assert_clean(page, console, "the Upload page after adding by URL")

    e2e.open_page(page, server, "")  # the Overview
    expect(page.locator(f'.pp-matrix th[title="{VENDOR}"]')).to_have_count(1)
    expect(page.locator(f'.pp-matrix td[title^="{VENDOR} · "]').first).to_be_attached()
    watched = page.locator("table.pp-watch tr", has_text=VENDOR)
    expect(watched).to_have_count(1)
    expect(watched).to_contain_text("127.0.0.1")
    expect(watched).to_contain_text("added")
    e2e.assert_clean(page, console, "the Overview")

    e2e.open_page(page, server, "vendor", query=f"vendor={quote(VENDOR)}")
    recheck = page.locator(".st-key-recheck_now").get_by_role("button", name="Re-check now")
    expect(page.get_by_text("Source URL:")).to_be_visible()
    recheck.click()
    expect(page.locator('[data-testid="stAlert"]', has_text="Unchanged")) \
        .to_be_visible(timeout=e2e.UPLOAD_TIMEOUT_MS)

    site.routes["/legal/privacy"] = web_page(seed_html(seed_text("cloud-services-provider")))
    recheck.click()
    changed = page.locator('[data-testid="stAlert"]', has_text="Changed")
    expect(changed).to_be_visible(timeout=e2e.UPLOAD_TIMEOUT_MS)
    expect(changed).to_contain_text("version 2")
    diff = page.locator("table.pp-table", has_text="gained")
    expect(diff).to_be_visible()
    expect(diff).to_contain_text("lost")
    e2e.wait_for_app(page)
    e2e.assert_clean(page, console, "the Vendor page after a re-check")
