"""The product's settings: every `PRIVACY_*` environment variable, read in one place.

    from extract.settings import settings
    settings().db                # Path | str | None: $PRIVACY_DB (a file, or a postgresql:// URL)
    Settings.from_env({...})     # any mapping, e.g. in a test

`Settings` is a frozen dataclass parsed by one set of parsers (a path, a switch, a number).
`settings()` returns it, read once and re-read only when a `PRIVACY_*` variable changes (a test's
`monkeypatch.setenv`, a pool worker's thread count), so callers may ask for it freely.

| variable                   | field               | meaning (default)                            |
|----------------------------|---------------------|----------------------------------------------|
| PRIVACY_DB                 | db                  | SQLite file or postgresql:// URL (data/...db)|
| PRIVACY_USERS_FILE         | users_file          | local users file; set = sign-in required     |
| PRIVACY_FAST_PATH          | fast_path           | prefilter + vector cache (on)                |
| PRIVACY_VECTOR_CACHE       | vector_cache        | the embedding cache (on)                     |
| PRIVACY_VECTOR_CACHE_ROWS  | vector_cache_rows   | its bound in rows (100,000)                  |
| PRIVACY_TORCH_THREADS      | torch_threads       | encoding threads (None: cores // workers)    |
| PRIVACY_MAX_UPLOAD_MB      | max_upload_bytes    | upload size limit (25 MB)                    |
| PRIVACY_MAX_PAGES          | max_pages           | PDF page limit (1000)                        |
| PRIVACY_MAX_PDF_SECONDS    | max_pdf_seconds     | PDF reading budget (60 s)                    |
| PRIVACY_MAX_OCR_PAGES      | max_ocr_pages       | scanned pages read by OCR per file (50)      |
| PRIVACY_OCR_PAGE_SECONDS   | ocr_page_seconds    | OCR time for one page (30 s)                 |
| PRIVACY_MAX_OCR_SECONDS    | max_ocr_seconds     | OCR time for one file (300 s)                |
| PRIVACY_SHARED_DIR         | shared_dir          | lab data: gold files, dev policies (../shared)|
| PRIVACY_EMBED_CACHE        | embed_cache_dir     | lab training cache (artifacts/embed-cache)   |
| PRIVACY_READ_MEMORY_MB     | read_memory_bytes   | memory of the app's reader process (2048 MB) |
| PRIVACY_READ_SECONDS       | read_seconds        | app's reader process time per file (600 s)   |
| PRIVACY_READ_WORKERS       | read_workers        | reader processes reading at once (2)         |
| PRIVACY_SIGNIN_FAILURES    | signin_failures     | failed sign-ins that lock an account (5)     |
| PRIVACY_SIGNIN_CLIENT_FAILURES | signin_client_failures | ... that lock a client (20)           |
| PRIVACY_SIGNIN_WINDOW_SECONDS | signin_window_seconds | quiet time that resets a count (900 s)|
| PRIVACY_SIGNIN_LOCKOUT_SECONDS | signin_lockout_seconds | first lockout; doubles (60 s)       |
| PRIVACY_SIGNIN_LOCKOUT_MAX_SECONDS | signin_lockout_max_seconds | longest lockout (900 s)   |
| PRIVACY_FETCH_ALLOW_HOSTS  | fetch_allow_hosts   | hosts/addresses a URL may reach though not   |
|                            |                     | public, comma-separated (none)               |
| PRIVACY_FETCH_TIMEOUT      | fetch_timeout       | seconds to fetch one policy URL (20 s)       |

A switch is off for 0/false/no/off (any case); a bad or non-positive number falls back to the
default; an empty value counts as unset.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .db import is_url

__all__ = ["Settings", "settings", "PREFIX", "ROOT", "DEFAULT_VECTOR_CACHE_ROWS"]

PREFIX = "PRIVACY_"
ROOT = Path(__file__).resolve().parents[1]
MiB = 1 << 20
DEFAULT_VECTOR_CACHE_ROWS = 100_000
_OFF = ("0", "false", "no", "off")


def _text(env: Mapping[str, str], name: str) -> str:
    return str(env.get(PREFIX + name, "")).strip()


def _path(env: Mapping[str, str], name: str, default: Path | None = None) -> Path | None:
    raw = _text(env, name)
    return Path(raw) if raw else default


def _database(env: Mapping[str, str]) -> Path | str | None:
    """A file path, or a PostgreSQL URL kept as text (a Path would fold its `//`)."""
    raw = _text(env, "DB")
    return raw if is_url(raw) else _path(env, "DB")


def _switch(env: Mapping[str, str], name: str, default: bool = True) -> bool:
    raw = _text(env, name).lower()
    return default if not raw else raw not in _OFF


def _names(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list, trimmed and lower-cased, without empty items."""
    return tuple(dict.fromkeys(p.strip().lower() for p in _text(env, name).split(",")
                               if p.strip()))


def _number(env: Mapping[str, str], name: str, default: float, scale: float = 1,
            minimum: float = 0, integer: bool = False) -> float | None:
    """A number greater than `minimum`, times `scale`; `default` when unset, bad or too small."""
    raw = _text(env, name)
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        return default
    return value * scale if value > minimum else default


@dataclass(frozen=True)
class Settings:
    """The `PRIVACY_*` environment, parsed (see the module docstring for the table)."""

    db: Path | str | None = None
    users_file: Path | None = None
    fast_path: bool = True
    vector_cache: bool = True
    vector_cache_rows: int = DEFAULT_VECTOR_CACHE_ROWS
    torch_threads: int | None = None
    max_upload_bytes: int = 25 * MiB
    max_pages: int = 1000
    max_pdf_seconds: float = 60.0
    max_ocr_pages: int = 50
    ocr_page_seconds: float = 30.0
    max_ocr_seconds: float = 300.0
    shared_dir: Path = ROOT.parent / "shared"
    embed_cache_dir: Path = ROOT / "artifacts" / "embed-cache"
    read_memory_bytes: int = 2048 * MiB
    read_seconds: float = 600.0
    read_workers: int = 2
    signin_failures: int = 5
    signin_client_failures: int = 20
    signin_window_seconds: float = 900.0
    signin_lockout_seconds: float = 60.0
    signin_lockout_max_seconds: float = 900.0
    fetch_allow_hosts: tuple[str, ...] = ()
    fetch_timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        d = cls()
        return cls(
            db=_database(env),
            users_file=_path(env, "USERS_FILE"),
            fast_path=_switch(env, "FAST_PATH"),
            vector_cache=_switch(env, "VECTOR_CACHE"),
            # 0 rows is allowed (a cache that keeps nothing); negative or bad: the default
            vector_cache_rows=int(_number(env, "VECTOR_CACHE_ROWS", d.vector_cache_rows,
                                          minimum=-1, integer=True)),
            torch_threads=_number(env, "TORCH_THREADS", None, integer=True),
            max_upload_bytes=int(_number(env, "MAX_UPLOAD_MB", d.max_upload_bytes, MiB)),
            max_pages=int(_number(env, "MAX_PAGES", d.max_pages)),
            max_pdf_seconds=float(_number(env, "MAX_PDF_SECONDS", d.max_pdf_seconds)),
            max_ocr_pages=int(_number(env, "MAX_OCR_PAGES", d.max_ocr_pages, integer=True)),
            ocr_page_seconds=float(_number(env, "OCR_PAGE_SECONDS", d.ocr_page_seconds)),
            max_ocr_seconds=float(_number(env, "MAX_OCR_SECONDS", d.max_ocr_seconds)),
            shared_dir=_path(env, "SHARED_DIR", d.shared_dir),
            embed_cache_dir=_path(env, "EMBED_CACHE", d.embed_cache_dir),
            read_memory_bytes=int(_number(env, "READ_MEMORY_MB", d.read_memory_bytes, MiB)),
            read_seconds=float(_number(env, "READ_SECONDS", d.read_seconds)),
            read_workers=int(_number(env, "READ_WORKERS", d.read_workers, integer=True)),
            signin_failures=int(_number(env, "SIGNIN_FAILURES", d.signin_failures,
                                        integer=True)),
            signin_client_failures=int(_number(env, "SIGNIN_CLIENT_FAILURES",
                                               d.signin_client_failures, integer=True)),
            signin_window_seconds=float(_number(env, "SIGNIN_WINDOW_SECONDS",
                                                d.signin_window_seconds)),
            signin_lockout_seconds=float(_number(env, "SIGNIN_LOCKOUT_SECONDS",
                                                 d.signin_lockout_seconds)),
            signin_lockout_max_seconds=float(_number(env, "SIGNIN_LOCKOUT_MAX_SECONDS",
                                                     d.signin_lockout_max_seconds)),
            fetch_allow_hosts=_names(env, "FETCH_ALLOW_HOSTS"),
            fetch_timeout=float(_number(env, "FETCH_TIMEOUT", d.fetch_timeout)),
        )


_cached: tuple[tuple, Settings] | None = None


def settings() -> Settings:
    """The current settings: parsed once, again only after a `PRIVACY_*` variable changed."""
    global _cached
    snapshot = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(PREFIX)))
    cached = _cached
    if cached is None or cached[0] != snapshot:
        cached = _cached = (snapshot, Settings.from_env(dict(snapshot)))
    return cached[1]
