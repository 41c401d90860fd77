"""Who may do what: roles, permission checks, and the local users file for single-server installs.

The users file (path in `$PRIVACY_USERS_FILE`) is TOML or JSON, chosen by its suffix:

    [users.alice]                      {"users": {"alice": {"role": "reviewer",
    role = "reviewer"                                       "password": "scrypt$..."}}}
    password = "scrypt$16384$8$1$<salt>$<hash>"

Passwords are stored only as salted scrypt hashes (stdlib `hashlib.scrypt`); `pbkdf2_sha256$...`
hashes are accepted too. `python -m extract.users add NAME --role reviewer` writes entries.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import ExtractError, PermissionDenied
from .model import ROLES, User
from .settings import settings

__all__ = ["ROLES", "User", "UserEntry", "USERS_ENV", "LOCAL_USER", "users_file_path",
           "hash_password", "verify_password", "load_users", "save_users", "authenticate",
           "require_write", "UsersFileError"]

USERS_ENV = "PRIVACY_USERS_FILE"  # read by extract.settings (`settings().users_file`)
# Without sign-in the app is bound to localhost: its one user may do everything.
LOCAL_USER = User("local reviewer", "admin")
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
_PBKDF2_ROUNDS = 600_000


class UsersFileError(ExtractError):
    """The users file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class UserEntry:
    """One line of the users file: a name, a role and a password hash."""

    name: str
    role: str
    password_hash: str


def users_file_path() -> Path | None:
    """`$PRIVACY_USERS_FILE` when set (sign-in with the local users file), else None."""
    return settings().users_file


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash as `scrypt$n$r$p$salt$hash` (base64 fields)."""
    if not password:
        raise ValueError("The password must not be empty.")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash; False for any malformed hash."""
    try:
        kind, *fields = stored.split("$")
        if kind == "scrypt":
            n, r, p, salt, digest = fields
            want = base64.b64decode(digest)
            got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                                 n=int(n), r=int(r), p=int(p), dklen=len(want))
        elif kind == "pbkdf2_sha256":
            rounds, salt, digest = fields
            want = base64.b64decode(digest)
            got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"),
                                      base64.b64decode(salt), int(rounds), dklen=len(want))
        else:
            return False
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)  # constant time: no timing hint about the hash


def load_users(path: str | os.PathLike) -> dict[str, UserEntry]:
    """Read the users file (TOML, or JSON when it ends in .json); names are case-insensitive."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsersFileError(f"Cannot read the users file {path}: {exc.strerror or exc}.") from exc
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise UsersFileError(f"The users file {path} is not valid "
                             f"{'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}") \
            from exc
    users = {}
    for name, entry in (data.get("users") or {}).items():
        role = str(entry.get("role", "viewer"))
        if role not in ROLES:
            raise UsersFileError(f"User {name!r} in {path} has unknown role {role!r}; "
                                 f"use one of {', '.join(ROLES)}.")
        users[name.lower()] = UserEntry(name, role, str(entry.get("password", "")))
    return users


def _toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid TOML basic string


def save_users(path: str | os.PathLike, users: dict[str, UserEntry]) -> None:
    """Write the users file atomically, readable by its owner only."""
    path = Path(path)
    entries = sorted(users.values(), key=lambda u: u.name.lower())
    if path.suffix.lower() == ".json":
        text = json.dumps({"users": {u.name: {"role": u.role, "password": u.password_hash}
                                     for u in entries}}, indent=1) + "\n"
    else:
        text = "# Users of the privacy dashboard: python -m extract.users add NAME --role ROLE\n"
        for u in entries:
            text += (f"\n[users.{_toml_str(u.name)}]\nrole = {_toml_str(u.role)}\n"
                     f"password = {_toml_str(u.password_hash)}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def authenticate(users: dict[str, UserEntry], name: str, password: str) -> User | None:
    """The `User` for a correct name and password, else None."""
    entry = users.get((name or "").strip().lower())
    if entry is None or not entry.password_hash:
        # Still hash once, so an unknown name takes as long as a wrong password.
        verify_password(password or "", hash_password("x", b"0" * 16))
        return None
    return User(entry.name, entry.role) if verify_password(password or "", entry.password_hash) \
        else None


def require_write(user: User | None, action: str) -> User:
    """The acting user, or `PermissionDenied` for a viewer. None means the local CLI/admin."""
    user = user or User("system", "admin")
    if not user.can_write:
        raise PermissionDenied(f"{user.name} is a viewer and cannot {action}; ask a reviewer "
                               "or an admin.")
    return user
