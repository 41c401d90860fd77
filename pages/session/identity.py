"""Who is acting: sign-in (OIDC or the local users file), roles, and the sidebar identity."""
from __future__ import annotations

from typing import Literal

import streamlit as st

from extract.auth import LOCAL_USER, UsersFileError, authenticate, load_users, users_file_path
from extract.model import User
from pages.render.escape import escape

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
        return st.session_state.get("_user")
    name = str(st.session_state.get("reviewer_name") or "").strip() or LOCAL_USER.name
    return User(name, LOCAL_USER.role)


def can_write() -> bool:
    user = current_user()
    return bool(user and user.can_write)


def _sign_in_local(name: str, password: str) -> None:
    try:
        users = load_users(users_file_path())
    except UsersFileError as exc:
        st.session_state["_signin_error"] = str(exc)
        return
    user = authenticate(users, name, password)
    if user is None:
        st.session_state["_signin_error"] = "Unknown user name or wrong password."
    else:
        st.session_state["_user"] = user
        st.session_state.pop("_signin_error", None)


def sign_in_gate() -> bool:
    """True when pages may run. When sign-in is configured and nobody is signed in, shows the
    sign-in form (local users file) or button (OIDC) instead, and returns False."""
    mode = auth_mode()
    if mode == "none" or current_user() is not None:
        return True
    st.title("Vendor privacy posture")
    st.subheader("Sign in", anchor=False)
    if mode == "oidc":
        st.write("This dashboard requires sign-in with your organisation's account.")
        if st.button("Sign in", key="signin_oidc", type="primary"):
            st.login()
        return False
    with st.form("signin_form"):
        name = st.text_input("User name", key="signin_user")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in", key="signin_submit", type="primary")
    if submitted:
        _sign_in_local(name, password)
        if "_user" in st.session_state:
            st.rerun()
    if err := st.session_state.get("_signin_error"):
        st.error(escape(err), icon=":material/lock:")
    return False


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
