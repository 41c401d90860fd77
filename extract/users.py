"""Manage the local users file: `python -m extract.users add NAME --role reviewer`.

The file is `--file PATH`, else `$PRIVACY_USERS_FILE`. `add` prompts for the password twice
(never on the command line, where it would land in the shell history) and stores its hash.
"""
from __future__ import annotations

import argparse
import getpass
import sys

from .auth import ROLES, UserEntry, UsersFileError, hash_password, load_users, save_users, \
    users_file_path

__all__ = ["main"]


def main(argv: list[str] | None = None, prompt=getpass.getpass) -> int:
    ap = argparse.ArgumentParser(prog="python -m extract.users",
                                 description="Manage the dashboard's local users file.")
    ap.add_argument("--file", help="users file (.toml or .json); default $PRIVACY_USERS_FILE")
    sub = ap.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add a user or change their role and password")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="viewer")
    rm = sub.add_parser("remove", help="remove a user")
    rm.add_argument("name")
    sub.add_parser("list", help="list users and roles")
    args = ap.parse_args(argv)

    path = args.file or users_file_path()
    if path is None:
        print("error: give --file PATH or set PRIVACY_USERS_FILE", file=sys.stderr)
        return 2
    try:
        users = load_users(path)
    except UsersFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.command == "list":
        for u in users.values():
            print(f"{u.name}\t{u.role}")
        return 0
    key = args.name.strip().lower()
    if args.command == "remove":
        if users.pop(key, None) is None:
            print(f"error: no user {args.name!r}", file=sys.stderr)
            return 1
        save_users(path, users)
        print(f"removed {args.name}")
        return 0
    if not key:
        print("error: the name must not be empty", file=sys.stderr)
        return 2
    password = prompt(f"Password for {args.name}: ")
    if not password or password != prompt("Repeat the password: "):
        print("error: the passwords are empty or do not match; nothing changed", file=sys.stderr)
        return 1
    users[key] = UserEntry(args.name.strip(), args.role, hash_password(password))
    save_users(path, users)
    print(f"saved {args.name.strip()} ({args.role}) to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
