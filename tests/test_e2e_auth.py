"""Real-browser sign-in journeys with a local users file: repeated wrong passwords lock the
account (the right password too, in any tab) until the lockout ends; a reviewer demoted to
viewer while signed in is refused on the next write.

The server runs with short lockouts (PRIVACY_SIGNIN_* settings) so the wait for the end of one
is a Playwright `expect` on the app's own countdown, not a sleep.
"""
from __future__ import annotations

import pytest

from tests import e2e_support as e2e

pytestmark = pytest.mark.e2e

FAILURES = 3         # PRIVACY_SIGNIN_FAILURES for this server
LOCKOUT_S = 10       # first and longest lockout: long enough for two refused attempts


@pytest.fixture(scope="module")
def users_file(tmp_path_factory):
    from extract.auth import UserEntry, hash_password, save_users

    path = tmp_path_factory.mktemp("e2e-auth-users") / "users.toml"
    save_users(path, {"ann": UserEntry("Ann", "reviewer", hash_password("ann-pw")),
                      "lou": UserEntry("Lou", "reviewer", hash_password("lou-pw"))})
    return path


@pytest.fixture(scope="module")
def server(browser, users_file, tmp_path_factory):
    srv = e2e.start_server(tmp_path_factory.mktemp("e2e-auth-server"), env={
        "PRIVACY_USERS_FILE": str(users_file),
        "PRIVACY_SIGNIN_FAILURES": str(FAILURES),
        "PRIVACY_SIGNIN_LOCKOUT_SECONDS": str(LOCKOUT_S),
        "PRIVACY_SIGNIN_LOCKOUT_MAX_SECONDS": str(LOCKOUT_S)})
    yield srv
    e2e.stop_server(srv)


def submit_sign_in(page, name: str, password: str) -> None:
    """Type a name and password and press Sign in."""
    page.locator(".st-key-signin_user input").fill(name)
    page.locator(".st-key-signin_password input").fill(password)
    page.locator(".st-key-signin_submit button").click()


def alert(page, text: str):
    return page.locator('[data-testid="stAlert"]', has_text=text)


def open_sign_in(page, server) -> None:
    from playwright.sync_api import expect

    page.goto(server.url)
    e2e.wait_for_app(page)
    expect(page.locator(".st-key-signin_password input")).to_be_visible()


def signed_in_as(page):
    return page.locator('[data-testid="stSidebar"]', has_text="Signed in as")


def test_wrong_passwords_lock_the_account_until_the_lockout_ends(server, open_session, console):
    """Each attempt in a tab of its own: a tab without an alert that then shows one has
    handled exactly that attempt, and the account's count must hold across sessions."""
    from playwright.sync_api import expect

    from extract.store import Store

    timeout = e2e.APP_TIMEOUT_MS
    for i in range(FAILURES - 1):
        page = open_session()
        open_sign_in(page, server)
        submit_sign_in(page, "lou", f"guess-{i}")
        expect(alert(page, "wrong password")).to_be_visible(timeout=timeout)
    page = open_session()
    open_sign_in(page, server)
    submit_sign_in(page, "lou", "still wrong")
    locked = alert(page, "Too many failed sign-ins for this account")
    expect(locked).to_be_visible(timeout=timeout)
    expect(locked).to_contain_text("Try again in")

    other = open_session()  # the right password, in yet another tab, during the lockout
    open_sign_in(other, server)
    submit_sign_in(other, "lou", "lou-pw")
    expect(alert(other, "Too many failed sign-ins")).to_be_visible(timeout=timeout)
    e2e.wait_for_app(other)
    expect(signed_in_as(other)).to_have_count(0)
    expect(alert(other, "wrong password")).to_have_count(0)  # nothing tells it was right

    # The notice counts down by itself and says when signing in is possible again.
    expect(alert(page, "try to sign in again now")).to_be_visible(
        timeout=(LOCKOUT_S + 20) * 1000)
    submit_sign_in(page, "lou", "lou-pw")
    expect(signed_in_as(page)).to_contain_text("Lou", timeout=timeout)
    actions = [(e.action, e.actor) for e in Store(server.db).audit_log()]
    assert actions.count(("sign-in failed", "lou")) == FAILURES
    assert ("sign-in locked", "lou") in actions and ("sign-in", "Lou") in actions
    assert not console.errors, console.errors


def test_reviewer_demoted_while_signed_in_is_refused_on_the_next_write(
        server, open_session, users_file, console):
    from playwright.sync_api import expect

    from extract.auth import UserEntry, load_users, save_users
    from extract.store import Store

    page = open_session()
    open_sign_in(page, server)
    submit_sign_in(page, "ann", "ann-pw")
    expect(signed_in_as(page)).to_contain_text("Ann", timeout=e2e.APP_TIMEOUT_MS)
    expect(signed_in_as(page)).to_contain_text("reviewer")
    # Through the sidebar: a page load would open a new session (signed out).
    page.locator('[data-testid="stSidebarNav"] a[href$="/review"]').click()
    e2e.wait_for_app(page)
    save = page.locator(".st-key-save_status button")
    expect(save).to_be_visible()

    users = load_users(users_file)  # the admin demotes Ann while her page is open
    users["ann"] = UserEntry("Ann", "viewer", users["ann"].password_hash)
    save_users(users_file, users)
    save.click()
    expect(alert(page, "changed from reviewer to viewer")).to_be_visible(
        timeout=e2e.APP_TIMEOUT_MS)
    e2e.wait_for_app(page)
    expect(signed_in_as(page)).to_contain_text("viewer")
    expect(page.locator(".st-key-save_status")).to_have_count(0)
    store = Store(server.db)
    assert store.reviews() == {}
    assert not [e for e in store.audit_log() if e.action == "status"]
    assert not console.errors, console.errors
