"""Who may do what: roles, permission checks, and the local users file for single-server installs.

The users file (path in `$PRIVACY_USERS_FILE`) is TOML or JSON, chosen by its suffix:

    [users.alice]                      {"users": {"alice": {"role": "reviewer",
    role = "reviewer"                                       "password": "scrypt$..."}}}
    password = "scrypt$131072$8$1$<salt>$<hash>"

Passwords are stored only as salted scrypt hashes (stdlib `hashlib.scrypt`, N=2^17, r=8, p=1 as
OWASP recommends); older hashes (scrypt N=2^14, `pbkdf2_sha256$...`) still verify and are
replaced by a current one on the user's next sign-in (`sign_in`). Every check of a name costs one
hash run, known or not, so response times do not tell which names exist.
`python -m extract.users add NAME --role reviewer` writes entries. `read_users` re-reads the file
only when it changed, so the app can check roles on every run (a demoted user loses write
access at once).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import ExtractError, PermissionDenied
from .model import ROLES, User
from .settings import settings

__all__ = ["ROLES", "User", "UserEntry", "USERS_ENV", "LOCAL_USER", "users_file_path",
           "hash_password", "verify_password", "needs_rehash", "load_users", "read_users",
           "save_users", "authenticate", "sign_in", "require_write", "UsersFileError"]

log = logging.getLogger(__name__)

USERS_ENV = "PRIVACY_USERS_FILE"  # read by extract.settings (`settings().users_file`)
# Without sign-in the app is bound to localhost: its one user may do everything.
LOCAL_USER = User("local reviewer", "admin")
_SCRYPT = {"n": 2 ** 17, "r": 8, "p": 1}
_MAX_SCRYPT_MEMORY = 512 << 20  # a users-file hash asking for more is refused, not run
# One scrypt run holds 128 MiB: at most two at a time, so a burst of sign-ins cannot exhaust
# the server's memory (further attempts wait their turn).
_SCRYPT_SLOTS = threading.BoundedSemaphore(2)
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


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    """`hashlib.scrypt` with the memory it needs (128·r·(n+p+2) bytes; OpenSSL's default cap is
    32 MiB, too little for N=2^17), one of `_SCRYPT_SLOTS` at a time."""
    need = 128 * r * (n + p + 2)
    if need > _MAX_SCRYPT_MEMORY:
        raise ValueError(f"scrypt parameters need {need >> 20} MiB")
    with _SCRYPT_SLOTS:
        return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen,
                              maxmem=need + (1 << 20))


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash as `scrypt$n$r$p$salt$hash` (base64 fields), current parameters."""
    if not password:
        raise ValueError("The password must not be empty.")
    salt = salt or secrets.token_bytes(16)
    digest = _scrypt(password, salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def needs_rehash(stored: str) -> bool:
    """True when a (verified) hash is not scrypt with the current parameters."""
    kind, *fields = stored.split("$")
    return kind != "scrypt" or len(fields) != 5 or \
        fields[:3] != [str(_SCRYPT["n"]), str(_SCRYPT["r"]), str(_SCRYPT["p"])]


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash; False for any malformed hash."""
    try:
        kind, *fields = stored.split("$")
        if kind == "scrypt":
            n, r, p, salt, digest = fields
            want = base64.b64decode(digest)
            got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(want))
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
        raise UsersFileError(f"Cannot read the users file {path.name}: {exc.strerror or exc}.") \
            from exc
    return _parse_users(path, raw)


def _parse_users(path: Path, raw: str) -> dict[str, UserEntry]:
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise UsersFileError(f"The users file {path.name} is not valid "
                             f"{'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}") \
            from exc
    users = {}
    for name, entry in (data.get("users") or {}).items():
        role = str(entry.get("role", "viewer"))
        if role not in ROLES:
            raise UsersFileError(f"User {name!r} in {path.name} has unknown role {role!r}; "
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


_dummy_hashes: dict[tuple, str] = {}


def _dummy_hash() -> str:
    """A random hash with the current parameters, checked for unknown names: one scrypt run, as
    for a known name, and no password can match it. Free to make (no hash run)."""
    key = tuple(_SCRYPT.values())
    if key not in _dummy_hashes:
        _dummy_hashes[key] = "$".join(["scrypt", *map(str, key), _b64(secrets.token_bytes(16)),
                                       _b64(secrets.token_bytes(32))])
    return _dummy_hashes[key]


def authenticate(users: dict[str, UserEntry], name: str, password: str) -> User | None:
    """The `User` for a correct name and password, else None.

    Exactly one hash run either way: an unknown name is checked against a dummy hash of the
    current parameters, so it takes as long as a known name with a wrong password."""
    entry = users.get((name or "").strip().lower())
    stored = entry.password_hash if entry and entry.password_hash else None
    ok = verify_password(password or "", stored or _dummy_hash())
    return User(entry.name, entry.role) if ok and stored else None


_read_cache: dict[str, tuple[tuple, dict[str, UserEntry]]] = {}


def read_users(path: str | os.PathLike) -> dict[str, UserEntry]:
    """`load_users`, re-read only when the file changed (inode, size or modification time).

    Cheap enough for every page run: one `stat` while the file stays the same."""
    key = str(path)
    try:
        st = os.stat(path)
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        stamp = None
    except OSError as exc:
        raise UsersFileError(f"Cannot read the users file {Path(path).name}: "
                             f"{exc.strerror or exc}.") from exc
    cached = _read_cache.get(key)
    if cached is None or cached[0] != stamp:
        cached = _read_cache[key] = (stamp, load_users(path) if stamp else {})
    return cached[1]


def sign_in(path: str | os.PathLike, name: str, password: str) -> User | None:
    """Check a name and password against the users file; on success, replace an outdated hash.

    The re-hash rewrites only that user's hash (see `_replace_hash`); when the file cannot be
    written the old hash keeps working and the reason is logged."""
    users = read_users(path)
    user = authenticate(users, name, password)
    entry = users.get(user.name.lower()) if user else None
    if entry and needs_rehash(entry.password_hash):
        try:
            _replace_hash(Path(path), entry.password_hash, hash_password(password))
        except (OSError, ValueError, UsersFileError) as exc:
            log.warning("Password hash of %r not upgraded in %s: %s", user.name, path, exc)
    return user


def _replace_hash(path: Path, old: str, new: str) -> None:
    """Swap one hash string in the users file, keeping everything else byte for byte (comments,
    order, other users, TOML or JSON); written atomically with the file's permissions."""
    if not os.access(path, os.W_OK) or not path.stat().st_mode & 0o200:
        raise OSError(f"{path.name} is read-only")  # the mode bit counts even for root
    raw = path.read_text(encoding="utf-8")
    if raw.count(old) != 1:  # changed since it was read, or written in an unexpected way
        raise ValueError("the old hash is not in the file exactly once")
    text = raw.replace(old, new)
    before, after = _parse_users(path, raw), _parse_users(path, text)
    changed = {k for k in before if before[k] != after.get(k)}
    if len(changed) != 1 or set(after) != set(before) or \
            after[changed.pop()].password_hash != new:
        raise ValueError("replacing the hash would change more than that user's password")
    # A name of its own: two sessions re-hashing at once must not share a temporary file.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, path.stat().st_mode & 0o777)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def require_write(user: User | None, action: str) -> User:
    """The acting user, or `PermissionDenied` for a viewer. None means the local CLI/admin."""
    user = user or User("system", "admin")
    if not user.can_write:
        raise PermissionDenied(f"{user.name} is a viewer and cannot {action}; ask a reviewer "
                               "or an admin.")
    return user
