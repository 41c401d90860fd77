"""Sign-in and roles: password hashes, the users file and its CLI, and sign-in enforced in the
app (AppTest) and in the store (a viewer cannot override or delete)."""
from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from extract.auth import (UserEntry, UsersFileError, authenticate, hash_password, load_users,
                          require_write, save_users, verify_password)
from extract.errors import PermissionDenied
from extract.model import User
from extract.store import Store
from extract.users import main as users_cli
from tests.test_app import server_page_mode  # noqa: F401 - autouse: every rerun via app.py

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def test_password_hash_is_salted_and_verifies():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$") and "correct horse" not in a
    assert verify_password("correct horse", a) and not verify_password("wrong", a)
    assert not verify_password("x", "garbage") and not verify_password("x", "scrypt$1$2")
    with pytest.raises(ValueError):
        hash_password("")


def test_pbkdf2_hashes_are_accepted():
    import base64
    import hashlib

    salt = b"saltsaltsaltsalt"
    digest = hashlib.pbkdf2_hmac("sha256", b"pw", salt, 1000)
    stored = f"pbkdf2_sha256$1000${base64.b64encode(salt).decode()}$" \
             f"{base64.b64encode(digest).decode()}"
    assert verify_password("pw", stored) and not verify_password("pW", stored)


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_users_file_round_trip(tmp_path, suffix):
    path = tmp_path / f"users{suffix}"
    save_users(path, {"ann": UserEntry("Ann", "reviewer", hash_password("pw1")),
                      "vic": UserEntry("Vic \"the\" viewer", "viewer", hash_password("pw2"))})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    users = load_users(path)
    assert authenticate(users, "ann", "pw1") == User("Ann", "reviewer")
    assert authenticate(users, "ANN", "pw1") == User("Ann", "reviewer")
    assert authenticate(users, "Vic \"the\" viewer", "pw2").role == "viewer"
    assert authenticate(users, "ann", "pw2") is None
    assert authenticate(users, "nobody", "pw1") is None


def test_users_file_errors(tmp_path):
    bad = tmp_path / "users.toml"
    bad.write_text("[users.x]\nrole = 'boss'\npassword = ''\n")
    with pytest.raises(UsersFileError, match="unknown role"):
        load_users(bad)
    bad.write_text("not toml = = =")
    with pytest.raises(UsersFileError, match="not valid TOML"):
        load_users(bad)
    assert load_users(tmp_path / "missing.toml") == {}


def test_cli_adds_users_with_a_prompted_password(tmp_path, capsys):
    path = tmp_path / "users.toml"
    answers = iter(["s3cret", "s3cret"])
    assert users_cli(["--file", str(path), "add", "ann", "--role", "reviewer"],
                     prompt=lambda _: next(answers)) == 0
    assert "s3cret" not in path.read_text()
    assert authenticate(load_users(path), "ann", "s3cret") == User("ann", "reviewer")
    # mismatching passwords change nothing
    answers = iter(["a", "b"])
    assert users_cli(["--file", str(path), "add", "bob"], prompt=lambda _: next(answers)) == 1
    assert set(load_users(path)) == {"ann"}
    assert users_cli(["--file", str(path), "list"]) == 0
    assert "ann\treviewer" in capsys.readouterr().out
    assert users_cli(["--file", str(path), "remove", "ann"]) == 0
    assert load_users(path) == {}


def test_cli_uses_the_environment_file(tmp_path, monkeypatch):
    path = tmp_path / "users.json"
    monkeypatch.setenv("PRIVACY_USERS_FILE", str(path))
    assert users_cli(["add", "admin", "--role", "admin"], prompt=lambda _: "pw") == 0
    assert json.loads(path.read_text())["users"]["admin"]["role"] == "admin"


def test_require_write():
    assert require_write(User("a", "reviewer"), "x").name == "a"
    assert require_write(None, "x").role == "admin"  # the CLI and seeding
    with pytest.raises(PermissionDenied, match="viewer and cannot override"):
        require_write(User("v", "viewer"), "override facts")


def test_viewer_cannot_override_or_delete_in_the_store(tmp_path):
    from extract.seeds import ensure_seeded

    store = Store(tmp_path / "db.sqlite")
    ensure_seeded(store)
    vid = store.records()[0].vendor_id
    viewer = User("Vic", "viewer")
    with pytest.raises(PermissionDenied):
        store.set_override(vid, "rights.access", True, "note", viewer)
    with pytest.raises(PermissionDenied):
        store.delete_vendor(vid, actor=viewer)
    assert store.count_vendors() == 5 and store.overrides() == {}


# ----------------------------------------------------------------------------- the app
@pytest.fixture
def users_file(tmp_path, monkeypatch, tmp_db):
    path = tmp_path / "users.toml"
    save_users(path, {"ann": UserEntry("Ann", "reviewer", hash_password("ann-pw")),
                      "vic": UserEntry("Vic", "viewer", hash_password("vic-pw"))})
    monkeypatch.setenv("PRIVACY_USERS_FILE", str(path))
    return path


def sign_in(name: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="signin_user").set_value(name)
    at.text_input(key="signin_password").set_value(password)
    at.button(key="signin_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_requires_sign_in_when_a_users_file_is_configured(users_file, tmp_db):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.text_input(key="signin_password") is not None
    titles = [t.value for t in at.title]
    assert titles == ["Vendor privacy posture"] and not at.get("plotly_chart")
    assert not [el for el in at.dataframe]  # no vendor data before sign-in
    at.switch_page("pages/review.py").run()  # a page URL does not get around it
    assert "Review & history" not in [t.value for t in at.title]
    at = sign_in("ann", "wrong")
    assert any("wrong password" in e.value for e in at.error)
    assert "Review & history" not in [t.value for t in at.title]


def test_viewer_signed_in_cannot_override_or_delete(users_file, tmp_db):
    at = sign_in("vic", "vic-pw")
    assert any("Signed in as **Vic** (viewer)" in m.value for m in at.sidebar.markdown)
    at.switch_page("pages/review.py").run()
    assert not at.exception, [e.value for e in at.exception]
    keys = {b.key for b in at.button}
    assert "override_save" not in keys and "save_status" not in keys
    assert any("a viewer" in i.value for i in at.info)
    at.switch_page("pages/vendor.py").run()
    assert "delete_vendor" not in {b.key for b in at.button}
    at.switch_page("pages/upload.py").run()
    assert not [u for u in at.get("file_uploader")]
    assert Store(tmp_db).audit_log()[0].action == "upload"  # only the seeding


def test_reviewer_signed_in_overrides_under_their_name(users_file, tmp_db):
    at = sign_in("ann", "ann-pw")
    at.switch_page("pages/review.py").run()
    at.selectbox(key="override_fact").set_value("security.mfa").run()
    at.selectbox(key="override_value_bool").set_value("yes")
    at.text_input(key="override_note").set_value("MFA in the admin guide")
    at.button(key="override_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    entry = Store(tmp_db).audit_log()[0]
    assert (entry.action, entry.actor, entry.role, entry.target) == (
        "override", "Ann", "reviewer", "security.mfa")
    at.button(key="sign_out").click().run()
    assert at.text_input(key="signin_password") is not None


def test_oidc_configured_shows_the_sign_in_button(tmp_db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "x" * 32, "client_id": "id", "client_secret": "s",
                          "server_metadata_url": "https://idp.example/.well-known/openid"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="signin_oidc").label == "Sign in"
    assert not at.get("plotly_chart") and not [el for el in at.dataframe]


def test_without_sign_in_the_sidebar_says_so_and_names_the_reviewer(tmp_db, monkeypatch):
    monkeypatch.delenv("PRIVACY_USERS_FILE", raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any("without sign-in" in c.value for c in at.sidebar.caption)
    assert at.text_input(key="reviewer_name").value == "local reviewer"
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert 'address = "localhost"' in config
