"""Sign-in throttling: repeated wrong passwords lock the account name, and the client, for a while.

Policy (numbers from `extract.settings`, defaults shown):

* An account name (any name typed, known or not, so a lockout tells nothing about which names
  exist) is locked after 5 failed sign-ins; a client (its IP address, or its browser session
  when the app sees none, as on localhost) after 20.
* The first lockout lasts 60 s; every further failure while the count stands doubles it, up to
  900 s. A count is forgotten after 900 s without a failure or a lockout.
* While locked, every attempt is refused with the time to wait, without checking the password:
  the right one is refused too and nothing reveals that it was right.
* A successful sign-in clears the account's count (not the client's).

Counts live in the store (table `sign_in_attempts`), so they hold across browser tabs, sessions,
server processes and restarts. Failed sign-ins, lockouts and sign-ins are written to the audit
trail (the typed name, never a password). The clock is a parameter, for tests.
"""
from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import dataclass
from typing import Callable, Literal

from .auth import sign_in
from .db import upsert
from .model import User
from .schema import ensure_tables
from .settings import Settings, settings
from .store import Store

__all__ = ["Policy", "Lockout", "SignInThrottle", "SignInResult", "attempt_sign_in",
           "client_key", "WRONG_PASSWORD"]

Scope = Literal["account", "client"]
WRONG_PASSWORD = "Unknown user name or wrong password."
_ANONYMOUS = "anonymous"  # the audit role of someone not signed in
_MAX_KEY = 200            # a typed name is stored (and audited) up to this length

_DDL = """
CREATE TABLE IF NOT EXISTS sign_in_attempts (
    scope        TEXT NOT NULL,            -- 'account' (a typed name) or 'client'
    key          TEXT NOT NULL,            -- the lower-cased name, or the client's key
    failures     INTEGER NOT NULL,         -- failed attempts since the count was last forgotten
    last_failure {float} NOT NULL,         -- Unix seconds
    locked_until {float} NOT NULL DEFAULT 0, -- Unix seconds, 0 = not locked
    PRIMARY KEY (scope, key)
);
"""


@dataclass(frozen=True)
class Policy:
    """How many failures lock, for how long, and when a count is forgotten (seconds)."""

    account_failures: int = 5
    client_failures: int = 20
    window: float = 900.0
    lockout: float = 60.0
    lockout_max: float = 900.0

    @classmethod
    def from_settings(cls, s: Settings | None = None) -> "Policy":
        s = s or settings()
        return cls(s.signin_failures, s.signin_client_failures, s.signin_window_seconds,
                   s.signin_lockout_seconds, max(s.signin_lockout_max_seconds,
                                                 s.signin_lockout_seconds))

    def limit(self, scope: Scope) -> int:
        return self.account_failures if scope == "account" else self.client_failures

    def delay(self, failures: int, scope: Scope) -> float:
        """The lockout after `failures` failures: none below the limit, then doubling."""
        over = failures - self.limit(scope)
        return 0.0 if over < 0 else min(self.lockout * 2 ** min(over, 32), self.lockout_max)


@dataclass(frozen=True)
class Lockout:
    """A lock in force: who (`scope`) and until when (Unix seconds)."""

    scope: Scope
    until: float

    def message(self, now: float) -> str:
        wait = max(1, math.ceil(self.until - now))
        when = (f"{wait} second{'s' * (wait != 1)}" if wait < 120
                else f"{math.ceil(wait / 60)} minutes")
        who = "this account" if self.scope == "account" else "this browser or network"
        return (f"Too many failed sign-ins for {who}. Try again in {when} "
                f"(at {time.strftime('%H:%M:%S UTC', time.gmtime(self.until))}).")


def client_key(ip_address: str | None, session_id: str | None) -> str:
    """The per-client key: the IP address, else a digest of the session (never the raw id)."""
    if ip_address:
        return f"ip {ip_address}"
    digest = hashlib.sha256((session_id or "").encode("utf-8")).hexdigest()[:16]
    return f"session {digest}"


class SignInThrottle:
    """Failure counts and lockouts per account name and per client, kept in the store."""

    def __init__(self, store: Store, policy: Policy | None = None,
                 clock: Callable[[], float] = time.time):
        # The store's own transactions and audit writer (same package): an attempt, its lockout
        # and their audit entries are one write.
        self.store, self.policy, self.clock = store, policy or Policy.from_settings(), clock
        ensure_tables(store, {"sign_in_attempts"}, _DDL)

    @staticmethod
    def _keys(name: str, client: str) -> list[tuple[Scope, str]]:
        return [("account", (name or "").strip().lower()[:_MAX_KEY]), ("client", client)]

    def locked(self, name: str, client: str) -> Lockout | None:
        """The lock in force for this name or this client (the later one), or None."""
        (_, account), (_, client) = self._keys(name, client)
        rows = self.store._read(
            "SELECT scope, locked_until FROM sign_in_attempts WHERE locked_until > ? AND "
            "((scope = 'account' AND key = ?) OR (scope = 'client' AND key = ?))",
            (self.clock(), account, client))
        return max((Lockout(scope, until) for scope, until in rows),
                   key=lambda lock: lock.until, default=None)

    def failed(self, name: str, client: str) -> Lockout | None:
        """Count a failed sign-in (audited); the lockout it starts, if any."""
        now, started = self.clock(), []
        shown = (name or "").strip()[:_MAX_KEY]
        with self.store._tx() as con:
            con.execute("DELETE FROM sign_in_attempts WHERE last_failure < ? AND locked_until < ?",
                        (now - self.policy.window,) * 2)
            for scope, key in self._keys(name, client):
                failures = self._count(con, scope, key, now)
                if delay := self.policy.delay(failures, scope):
                    started.append(Lockout(scope, now + delay))
                    con.execute("UPDATE sign_in_attempts SET locked_until = ? WHERE scope = ? "
                                "AND key = ?", (now + delay, scope, key))
            actor = User(shown, _ANONYMOUS)
            self.store._audit(con, actor, "sign-in failed", None, "", "", note=client)
            for lock in started:
                self.store._audit(con, actor, "sign-in locked", None, "", lock.scope,
                                  note=f"{client}; locked for {lock.until - now:.0f} s")
        return max(started, key=lambda lock: lock.until, default=None)

    def _count(self, con, scope: Scope, key: str, now: float) -> int:
        row = con.execute("SELECT failures, last_failure, locked_until FROM sign_in_attempts "
                          "WHERE scope = ? AND key = ?", (scope, key)).fetchone()
        quiet = row is None or now - max(row[1], row[2]) > self.policy.window
        failures = 1 if quiet else row[0] + 1
        upsert(con, "sign_in_attempts", {"scope": scope, "key": key, "failures": failures,
                                         "last_failure": now}, key=("scope", "key"))
        return failures

    def succeeded(self, user: User, client: str) -> None:
        """Clear the account's count after a correct password (audited as a sign-in)."""
        with self.store._tx() as con:
            con.execute("DELETE FROM sign_in_attempts WHERE scope = 'account' AND key = ?",
                        (user.name.strip().lower()[:_MAX_KEY],))
            self.store._audit(con, user, "sign-in", None, "", "", note=client)


@dataclass(frozen=True)
class SignInResult:
    """The signed-in user, or None and the message to show (and the lockout, if locked)."""

    user: User | None
    message: str = ""
    lockout: Lockout | None = None


def attempt_sign_in(throttle: SignInThrottle, users_file: os.PathLike, name: str,
                    password: str, client: str) -> SignInResult:
    """One sign-in attempt through the throttle: refused unchecked while locked; a failure is
    counted (and may start a lockout); a success clears the account's count."""
    if lock := throttle.locked(name, client):
        return SignInResult(None, lock.message(throttle.clock()), lock)
    user = sign_in(users_file, name, password)  # raises UsersFileError: nothing is counted
    if user is None:
        lock = throttle.failed(name, client)
        return SignInResult(None, lock.message(throttle.clock()) if lock else WRONG_PASSWORD,
                            lock)
    throttle.succeeded(user, client)
    return SignInResult(user)
