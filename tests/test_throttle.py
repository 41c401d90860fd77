"""Sign-in throttling: wrong passwords lock the typed name and the client for a growing time,
the right password is refused while locked, and the counts live in the store (they survive a
new tab, a new server process and a restart). The clock is a fake: no test waits."""
from __future__ import annotations

import pytest

import extract.auth as auth
from extract.auth import UserEntry, hash_password, save_users
from extract.settings import Settings
from extract.store import Store
from extract.throttle import (WRONG_PASSWORD, Lockout, Policy, SignInThrottle, attempt_sign_in,
                              client_key)

TAB_1, TAB_2 = client_key(None, "session-one"), client_key(None, "session-two")


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """Throttling does not depend on the hash cost: a tiny scrypt keeps 20+ attempts fast."""
    monkeypatch.setattr(auth, "_SCRYPT", {"n": 2 ** 4, "r": 8, "p": 1})


@pytest.fixture
def users(tmp_path):
    path = tmp_path / "users.toml"
    save_users(path, {"ann": UserEntry("Ann", "reviewer", hash_password("ann-pw")),
                      "bob": UserEntry("Bob", "viewer", hash_password("bob-pw"))})
    return path


@pytest.fixture
def store(db_target):
    """A fresh store on each engine (SQLite, then PostgreSQL)."""
    return Store(db_target)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def throttle(store, clock):
    return SignInThrottle(store, Policy(), clock)


def attempt(throttle, users, name, password, client=TAB_1):
    return attempt_sign_in(throttle, users, name, password, client)


def fail(throttle, users, name, times, client=TAB_1):
    return [attempt(throttle, users, name, f"guess-{i}", client).message for i in range(times)]


def test_policy_defaults_and_the_growing_lockout():
    policy = Policy.from_settings(Settings())
    assert policy == Policy(account_failures=5, client_failures=20, window=900, lockout=60,
                            lockout_max=900)
    assert [policy.delay(n, "account") for n in range(1, 11)] == \
        [0, 0, 0, 0, 60, 120, 240, 480, 900, 900]
    assert policy.delay(19, "client") == 0 and policy.delay(20, "client") == 60
    short = Policy.from_settings(Settings.from_env({
        "PRIVACY_SIGNIN_FAILURES": "3", "PRIVACY_SIGNIN_CLIENT_FAILURES": "7",
        "PRIVACY_SIGNIN_WINDOW_SECONDS": "30", "PRIVACY_SIGNIN_LOCKOUT_SECONDS": "2",
        "PRIVACY_SIGNIN_LOCKOUT_MAX_SECONDS": "5"}))
    assert short == Policy(3, 7, 30, 2, 5)


def test_five_wrong_passwords_lock_the_account_and_the_right_one_is_refused(
        throttle, users, clock):
    messages = fail(throttle, users, "ann", 5)
    assert messages[:4] == [WRONG_PASSWORD] * 4
    assert messages[4].startswith("Too many failed sign-ins for this account. Try again in "
                                  "60 seconds")
    right = attempt(throttle, users, "ann", "ann-pw")
    wrong = attempt(throttle, users, "ann", "guess-x")
    assert right.user is None and right.message == wrong.message  # nothing tells it was right
    # another tab (a new session) and another user's session are refused too
    assert attempt(throttle, users, "ANN ", "ann-pw", TAB_2).user is None
    clock.now += 59
    assert "Try again in 1 second " in attempt(throttle, users, "ann", "ann-pw").message
    assert attempt(throttle, users, "bob", "bob-pw").user is not None  # other accounts work
    clock.now += 2
    assert attempt(throttle, users, "ann", "ann-pw").user.name == "Ann"


def test_the_password_is_not_even_checked_while_locked(throttle, users, monkeypatch):
    fail(throttle, users, "ann", 5)
    checked = []
    monkeypatch.setattr("extract.throttle.sign_in", lambda *a: checked.append(a))
    attempt(throttle, users, "ann", "ann-pw")
    assert checked == []


def test_each_further_failure_doubles_the_lockout_up_to_the_cap(throttle, users, clock):
    fail(throttle, users, "ann", 5)
    waits = []
    for _ in range(5):
        clock.now = throttle.locked("ann", TAB_1).until  # the lockout has just ended
        lock = throttle.failed("ann", TAB_1)
        waits.append(lock.until - clock.now)
    assert waits == [120, 240, 480, 900, 900]


def test_a_successful_sign_in_clears_the_account_count(throttle, users):
    fail(throttle, users, "ann", 4)
    assert attempt(throttle, users, "ann", "ann-pw").user is not None
    assert fail(throttle, users, "ann", 4) == [WRONG_PASSWORD] * 4  # counted from zero again


def test_the_count_is_forgotten_after_a_quiet_window(throttle, users, clock):
    fail(throttle, users, "ann", 4)
    clock.now += 901
    assert fail(throttle, users, "ann", 4) == [WRONG_PASSWORD] * 4
    clock.now += 10  # within the window: the fifth failure since the reset locks
    assert "Too many" in fail(throttle, users, "ann", 1)[0]


def test_unknown_names_are_locked_like_known_ones(throttle, users):
    # so a lockout tells nothing about which names exist
    for name in ("ann", "nobody"):
        messages = fail(throttle, users, name, 5)
        assert messages[4].startswith("Too many failed sign-ins for this account")


def test_twenty_failures_from_one_client_lock_that_client(throttle, users, clock):
    messages = [fail(throttle, users, f"user{i}", 1)[0] for i in range(20)]  # 20 names
    assert messages[:19] == [WRONG_PASSWORD] * 19
    assert messages[-1].startswith("Too many failed sign-ins for this browser or network")
    assert attempt(throttle, users, "bob", "bob-pw").user is None  # any name, from this client
    assert attempt(throttle, users, "bob", "bob-pw", TAB_2).user is not None  # others may


def test_lockouts_survive_a_new_store_and_a_restart(store, users, clock, db_target):
    fail(SignInThrottle(store, Policy(), clock), users, "ann", 5)
    reopened = SignInThrottle(Store(db_target), Policy(), clock)  # another process, same db
    assert isinstance(reopened.locked("ann", TAB_2), Lockout)
    assert attempt(reopened, users, "ann", "ann-pw", TAB_2).user is None


def test_attempts_and_lockouts_are_audited_without_passwords(throttle, users, store):
    fail(throttle, users, "ann", 5)
    attempt(throttle, users, "bob", "bob-pw")
    entries = store.audit_log()
    got = [(e.action, e.actor, e.role, e.target) for e in entries
           if e.action.startswith("sign-in")]
    assert got == [("sign-in", "Bob", "viewer", ""), ("sign-in locked", "ann", "anonymous",
                                                      "account")] + \
        [("sign-in failed", "ann", "anonymous", "")] * 5
    text = repr(entries)
    assert "guess-" not in text and "bob-pw" not in text and "session-one" not in text


def test_client_key_is_the_address_or_a_digest_of_the_session():
    assert client_key("203.0.113.7", "s") == "ip 203.0.113.7"
    key = client_key(None, "secret-session-id")
    assert key.startswith("session ") and "secret" not in key
    assert key != client_key(None, "another-session")


def test_lockout_message_says_when_to_try_again():
    lock = Lockout("account", 1_800_000_300.0)
    assert "Try again in 5 minutes (at " in lock.message(1_800_000_000.0)
    assert "Try again in 30 seconds" in lock.message(1_800_000_270.0)


def test_old_rows_are_pruned(throttle, users, clock, store):
    fail(throttle, users, "ann", 2)
    clock.now += 2000
    fail(throttle, users, "bob", 1)
    rows = store._read("SELECT scope, key FROM sign_in_attempts ORDER BY scope, key")
    assert rows == [("account", "bob"), ("client", TAB_1)]
