"""Sign-in and roles: password hashes, the users file and its CLI, and sign-in enforced in the
app (AppTest) and in the store (a viewer cannot override or delete)."""
from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from extract.auth import (UserEntry, UsersFileError, authenticate, hash_password, load_users,
                          needs_rehash, read_users, require_write, save_users,
                          verify_password)
from extract.auth import sign_in as sign_in_with_file  # `sign_in` below signs in to the app
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
    # only the seeding and the sign-in: nothing the viewer did was written
    assert {e.action for e in Store(tmp_db).audit_log()} == {"upload", "sign-in"}


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


# ----------------------------------------------------------------------------- hash cost
def scrypt_hash(password: str, n: int) -> str:
    """A hash as an older release wrote it (scrypt with cost `n`)."""
    import base64
    import hashlib

    salt = b"an-old-salt-1234"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    return f"scrypt${n}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_new_hashes_use_scrypt_n_2_17():
    fields = hash_password("pw").split("$")
    assert fields[:4] == ["scrypt", "131072", "8", "1"]
    assert not needs_rehash(hash_password("pw"))
    assert needs_rehash(scrypt_hash("pw", 2 ** 14)) and needs_rehash("pbkdf2_sha256$1$a$b")


@pytest.fixture
def scrypt_calls(monkeypatch):
    """Every scrypt run, as the cost `n` it was asked for."""
    import hashlib

    calls, real = [], hashlib.scrypt

    def counting(*args, **kw):
        calls.append(kw["n"])
        return real(*args, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def test_unknown_and_known_names_cost_the_same_one_scrypt_run(scrypt_calls):
    users = {"ann": UserEntry("Ann", "reviewer", hash_password("ann-pw")),
             "nopw": UserEntry("NoPw", "viewer", "")}
    cost = {}
    for label, name, password in [("unknown", "nobody", "x"), ("unknown again", "eve", "y"),
                                  ("known, wrong", "ann", "x"), ("known, right", "ann", "ann-pw"),
                                  ("no password set", "nopw", "x")]:
        scrypt_calls.clear()
        authenticate(users, name, password)
        cost[label] = list(scrypt_calls)
    assert set(map(tuple, cost.values())) == {(2 ** 17,)}, cost


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_old_hash_verifies_and_is_rehashed_on_sign_in(tmp_path, suffix, scrypt_calls):
    path = tmp_path / f"users{suffix}"
    old = scrypt_hash("ann-pw", 2 ** 14)
    if suffix == ".json":
        path.write_text(json.dumps({"users": {"Ann": {"role": "reviewer", "password": old,
                                                      "email": "ann@example.org"},
                                              "Bob": {"role": "viewer", "password": "pbkdf2"}}},
                                   indent=2))
    else:
        path.write_text(f"# our team\n[users.Ann]\nrole = 'reviewer'  # since May\n"
                        f"password = '{old}'\n\n[users.Bob]\nrole = 'viewer'\npassword = 'x'\n")
    path.chmod(0o640)
    before = path.read_text()
    assert sign_in_with_file(path, "ann", "wrong") is None
    assert path.read_text() == before  # a wrong password re-hashes nothing
    assert sign_in_with_file(path, "ann", "ann-pw") == User("Ann", "reviewer")
    new = load_users(path)["ann"].password_hash
    assert new.startswith("scrypt$131072$8$1$") and verify_password("ann-pw", new)
    # everything else byte for byte: comments, the other user, extra fields, permissions
    assert path.read_text() == before.replace(old, new)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    scrypt_calls.clear()
    assert sign_in_with_file(path, "ann", "ann-pw") == User("Ann", "reviewer")
    assert scrypt_calls == [2 ** 17]  # verified once, no second re-hash


def test_read_only_users_file_keeps_old_hash_and_logs(tmp_path, caplog):
    path = tmp_path / "users.toml"
    old = scrypt_hash("ann-pw", 2 ** 14)
    save_users(path, {"ann": UserEntry("Ann", "reviewer", old)})
    path.chmod(0o400)
    before = path.read_text()
    with caplog.at_level("WARNING", logger="extract.auth"):
        assert sign_in_with_file(path, "ann", "ann-pw") == User("Ann", "reviewer")
    assert path.read_text() == before
    assert "not upgraded" in caplog.text and "read-only" in caplog.text
    assert "ann-pw" not in caplog.text


def test_read_users_rereads_only_a_changed_file(tmp_path, monkeypatch):
    import extract.auth as auth

    path = tmp_path / "users.toml"
    save_users(path, {"ann": UserEntry("Ann", "reviewer", "h")})
    loads = []
    real = auth.load_users
    monkeypatch.setattr(auth, "load_users", lambda p: loads.append(p) or real(p))
    assert read_users(path)["ann"].role == "reviewer"
    assert read_users(path)["ann"].role == "reviewer" and len(loads) == 1
    save_users(path, {"ann": UserEntry("Ann", "viewer", "h")})
    assert read_users(path)["ann"].role == "viewer" and len(loads) == 2
    path.unlink()
    assert read_users(path) == {}


# ----------------------------------------------------------------------------- roles on every write
def set_role(path: Path, key: str, role: str | None) -> None:
    """What an admin does with `python -m extract.users`: change a role, or remove the user."""
    users = load_users(path)
    if role is None:
        users.pop(key)
    else:
        users[key] = UserEntry(users[key].name, role, users[key].password_hash)
    save_users(path, users)


def test_reviewer_demoted_while_signed_in_is_refused_on_the_next_write(users_file, tmp_db):
    at = sign_in("ann", "ann-pw")
    at.switch_page("pages/review.py").run()
    at.selectbox(key="review_status").set_value("approved")
    set_role(users_file, "ann", "viewer")  # while Ann's page is open
    at.button(key="save_status").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert Store(tmp_db).reviews() == {}  # nothing stored
    assert any("changed from reviewer to viewer" in w.value for w in at.warning)
    assert any("Signed in as **Ann** (viewer)" in m.value for m in at.sidebar.markdown)
    assert "save_status" not in {b.key for b in at.button}
    at.switch_page("pages/upload.py").run()
    assert not [u for u in at.get("file_uploader")]
    set_role(users_file, "ann", "reviewer")  # promoted again: writes work at once
    at.switch_page("pages/review.py").run()
    at.selectbox(key="review_status").set_value("approved")
    at.button(key="save_status").click().run()
    assert [r.status for r in Store(tmp_db).reviews().values()] == ["approved"]


def test_user_removed_from_the_users_file_is_signed_out(users_file, tmp_db):
    at = sign_in("ann", "ann-pw")
    at.switch_page("pages/review.py").run()
    set_role(users_file, "ann", None)
    at.button(key="save_status").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert Store(tmp_db).reviews() == {}
    assert at.text_input(key="signin_password") is not None
    assert any("no longer in the users file" in e.value for e in at.error)
    assert "Review & history" not in [t.value for t in at.title]


# ----------------------------------------------------------------------------- throttling
def test_app_locks_an_account_after_five_wrong_passwords(users_file, tmp_db):
    at = AppTest.from_file(APP, default_timeout=60).run()
    for i in range(5):
        at.text_input(key="signin_user").set_value("ann")
        at.text_input(key="signin_password").set_value(f"guess-{i}")
        at.button(key="signin_submit").click().run()
    # (messages are Markdown-escaped: "sign\\-ins")
    assert any("Too many failed sign" in e.value and "for this account" in e.value
               for e in at.error)
    at.text_input(key="signin_user").set_value("ann")  # the form is cleared after each try
    at.text_input(key="signin_password").set_value("ann-pw")  # the right one: refused too
    at.button(key="signin_submit").click().run()
    assert any("Try again in" in e.value for e in at.error)
    assert at.text_input(key="signin_password") is not None
    # a new session (another tab) is refused as well
    at = sign_in("ann", "ann-pw")
    assert any("Too many failed sign" in e.value for e in at.error)
    actions = [(e.action, e.actor, e.role) for e in Store(tmp_db).audit_log()]
    assert actions.count(("sign-in failed", "ann", "anonymous")) == 5
    assert ("sign-in locked", "ann", "anonymous") in actions
    assert not any(e.action == "sign-in" for e in Store(tmp_db).audit_log())
