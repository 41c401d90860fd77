"""Who is acting: sign-in (OIDC or the local users file), roles, and the sidebar identity.

Roles are checked on every run, not only at sign-in: a local user's entry is looked up in the
users file again (re-read when it changes), so a user demoted to viewer loses write access on
their next click, and a removed user is signed out. OIDC roles come from `[roles]` in
secrets.toml, also read on every run. Pages pass `current_user()` to every store write.
"""
from __future__ import annotations

import time
from typing import Literal

import streamlit as st

from extract.auth import LOCAL_USER, UsersFileError, read_users, users_file_path
from extract.errors import ExtractError
from extract.model import User
from extract.throttle import SignInThrottle, attempt_sign_in, client_key
from pages.render.escape import escape
from pages.session.store import open_store

__all__ = ["AuthMode", "auth_mode", "current_user", "can_write", "sign_in_gate", "sign_out",
           "render_identity", "read_only_notice"]

AuthMode = Literal["oidc", "local", "none"]


def _secrets_section(name: str):
    try:
        return st.secrets.get(name)
    except Exception:  # noqa: BLE001 - no secrets.toml at all: sign-in is simply not configured
        return None


def auth_mode() -> AuthMode:
    """"oidc" when `.streamlit/secrets.toml` has an [auth] section, "local" when
    `$PRIVACY_USERS_FILE` is set, else "none" (the app then binds to localhost only)."""
    if _secrets_section("auth"):
        return "oidc"
    return "local" if users_file_path() else "none"


def _oidc_user() -> User | None:
    if not getattr(st.user, "is_logged_in", False):
        return None
    email = str(st.user.get("email") or "")
    name = str(st.user.get("name") or email or "signed-in user")
    # Roles for OIDC users: [roles] in secrets.toml lists e-mail addresses per role.
    roles = _secrets_section("roles") or {}
    role = next((r for r in ("admin", "reviewer") if email and email.lower() in
                 [str(x).lower() for x in roles.get(r, [])]), None)
    return User(name, role or str(roles.get("default", "viewer")))


def current_user() -> User | None:
    """Who is acting: the signed-in user, or without sign-in the sidebar's reviewer name (full
    rights: the app then only listens on localhost). None when sign-in is required but missing."""
    mode = auth_mode()
    if mode == "oidc":
        return _oidc_user()
    if mode == "local":
        return _local_user()
    name = str(st.session_state.get("reviewer_name") or "").strip() or LOCAL_USER.name
    return User(name, LOCAL_USER.role)


def can_write() -> bool:
    user = current_user()
    return bool(user and user.can_write)


def _local_user() -> User | None:
    """The session's user with their role as the users file says now; None once removed."""
    user = st.session_state.get("_user")
    if user is None:
        return None
    try:
        entry = read_users(users_file_path()).get(user.name.lower())
    except UsersFileError as exc:  # fail closed: reading stays, writing waits for a good file
        st.session_state["_role_notice"] = f"{exc} Changes are refused until it is fixed."
        return User(user.name, "viewer")
    if entry is None:
        st.session_state.pop("_user", None)
        st.session_state["_signin_error"] = (f"{user.name} is no longer in the users file and "
                                             "has been signed out.")
        return None
    if entry.role != user.role:
        st.session_state["_user"] = User(entry.name, entry.role)
        st.session_state["_role_notice"] = (
            f"Your role changed from {user.role} to {entry.role} in the users file"
            + ("; you can now read but not upload, override, change statuses or delete."
               if entry.role == "viewer" else "."))
    return st.session_state["_user"]


def _client() -> str:
    """This client's throttling key: its IP address, else (localhost, tests) its session."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no client context (e.g. AppTest): use the session
        ip = None
    ctx = get_script_run_ctx()
    return client_key(ip if isinstance(ip, str) else None, ctx.session_id if ctx else None)


def _sign_in_local(name: str, password: str) -> None:
    try:
        throttle = SignInThrottle(open_store())
        result = attempt_sign_in(throttle, users_file_path(), name, password, _client())
    except ExtractError as exc:  # UsersFileError, StoreError: nobody is signed in
        st.session_state["_signin_error"] = str(exc)
        return
    st.session_state["_signin_lock"] = result.lockout
    if result.user is None:
        st.session_state["_signin_error"] = result.message
    else:
        st.session_state["_user"] = result.user
        st.session_state.pop("_signin_error", None)
        st.session_state.pop("_role_notice", None)


def sign_in_gate() -> bool:
    """True when pages may run. When sign-in is configured and nobody is signed in, shows the
    sign-in form (local users file) or button (OIDC) instead, and returns False."""
    mode = auth_mode()
    if mode == "none" or current_user() is not None:
        if notice := st.session_state.pop("_role_notice", None):
            st.warning(escape(notice), icon=":material/manage_accounts:")
        return True
    st.title("Vendor privacy posture")
    st.subheader("Sign in", anchor=False)
    if mode == "oidc":
        st.write("This dashboard requires sign-in with your organisation's account.")
        if st.button("Sign in", key="signin_oidc", type="primary"):
            st.login()
        return False
    # Cleared after each attempt: the password does not linger in the browser.
    # Cleared after each attempt: the password does not linger in the browser.
    with st.form("signin_form", clear_on_submit=True):
        name = st.text_input("User name", key="signin_user", max_chars=80)
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in", key="signin_submit", type="primary")
    if submitted:
        _sign_in_local(name, password)
        if "_user" in st.session_state:
            st.rerun()
    if st.session_state.get("_signin_lock"):
        _lockout_notice()
    elif err := st.session_state.get("_signin_error"):
        st.error(escape(err), icon=":material/lock:")
    return False


@st.fragment(run_every=1)
def _lockout_notice() -> None:
    """The lockout message, counting down each second; says so when signing in is possible."""
    lock, now = st.session_state.get("_signin_lock"), time.time()
    if lock is None:
        return
    if now < lock.until:
        st.error(escape(lock.message(now)), icon=":material/lock_clock:")
    else:
        st.info("You can try to sign in again now.", icon=":material/lock_open:")


def sign_out() -> None:
    if auth_mode() == "oidc":
        st.logout()
    st.session_state.pop("_user", None)


def render_identity() -> None:
    """Sidebar: who is signed in (and a sign-out button), or the reviewer name without sign-in."""
    mode = auth_mode()
    st.divider()
    if mode == "none":
        st.caption("Running without sign-in: only this computer can open the app (localhost). "
                   "Overrides and the audit trail record the name below.")
        st.text_input("Reviewer name", value=LOCAL_USER.name, key="reviewer_name",
                      max_chars=80)
        return
    user = current_user()
    if user is None:
        return
    st.markdown(f"Signed in as **{escape(user.name)}** ({escape(user.role)})")
    if not user.can_write:
        st.caption("Viewers can read everything but cannot override, upload or delete.")
    st.button("Sign out", key="sign_out", on_click=sign_out, icon=":material/logout:")


def read_only_notice(what: str) -> None:
    user = current_user()
    st.info(f"Signed in as {escape(user.name if user else 'nobody')}, a viewer: you can read "
            f"but not {what}.", icon=":material/visibility:")
