"""One ingest path: files in, one outcome per file out; one bad file never stops the batch.

    outcomes = ingest_uploads([(name, data), ...], vendor, store, extractor_factory)  # in-thread
    store_one = upload_handler(store, vendor, extractor_factory)  # the app's batch worker
    for outcome in extract_files(paths, extractor_factory): ...                      # the CLI

All of them run each file through `run_batch`: a reader's `ExtractError` (unreadable, hostile, too
large, not a policy) becomes an "error" outcome with the reader's own message, anything else an
"error" outcome with a generic sentence (logged with its traceback; `Outcome.unexpected`). How
the messages are worded, and how loudly an unexpected error is logged, is the caller's
`Wording` (the app's reviewers and the command line's users read different sentences).

`collect_paths` expands the command line's files and folders. The reader (pypdf, docx) is
imported on first use only: the app's front module imports this one before the first paint.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal, Sequence, TypeVar

from .errors import ExtractError
from .model import Extraction, User
from .terms import count_stated

__all__ = ["Outcome", "Wording", "UPLOAD_WORDING", "CLI_WORDING", "run_batch", "ingest_uploads",
           "upload_handler", "extract_files", "collect_paths", "accepted_types", "ocr_available",
           "max_upload_bytes"]

log = logging.getLogger(__name__)

Status = Literal["added", "extracted", "duplicate", "error"]
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """What happened to one file: "added" (stored as new), "extracted" (CLI: not stored),
    "duplicate" (already stored; nothing changed) or "error" (nothing stored)."""

    filename: str
    status: Status
    message: str
    vendor_id: int | None = None
    vendor: str | None = None
    warnings: tuple[str, ...] = ()  # the reader's notes, e.g. "does not look like English"
    extraction: Extraction | None = None
    unexpected: bool = False  # the error was not an `ExtractError` (a bug; it was logged)


@dataclass(frozen=True)
class Wording:
    """How a front end words a failed file, and how it logs an unexpected error."""

    failed: Callable[[ExtractError], str]
    unexpected: Callable[[Exception], str]
    log_level: int = logging.ERROR


UPLOAD_WORDING = Wording(
    failed=lambda exc: f"{exc} Nothing was stored.",
    unexpected=lambda exc: ("This file could not be processed because of an unexpected error "
                            "(it has been logged). Nothing was stored."))
# The command line keeps stderr free of tracebacks (debug logging shows them).
CLI_WORDING = Wording(
    failed=str,
    unexpected=lambda exc: (f"could not be processed because of an unexpected error "
                            f"({type(exc).__name__}); the other files are unaffected"),
    log_level=logging.DEBUG)


def run_batch(items: Iterable[tuple[str, T]], handle: Callable[[str, T], Outcome],
              wording: Wording,
              on_progress: Callable[[int, str], None] | None = None) -> Iterator[Outcome]:
    """`handle(name, item)` for each item, yielded in order as each file is done; a failure
    becomes that file's outcome."""
    for i, (name, item) in enumerate(items):
        if on_progress:
            on_progress(i, name)
        try:
            yield handle(name, item)
        except ExtractError as exc:  # includes StoreError: its text is written for people
            yield Outcome(name, "error", wording.failed(exc))
        except Exception as exc:  # noqa: BLE001 - one odd file must not end the batch
            log.log(wording.log_level, "ingest of %r failed", name, exc_info=True)
            yield Outcome(name, "error", wording.unexpected(exc), unexpected=True)


class _Lazy:
    """The extractor, made by `factory` on first need only (never for a batch of failures)."""

    def __init__(self, factory: Callable[[], object]):
        self._factory, self._made = factory, None

    def __call__(self):
        if self._made is None:
            self._made = self._factory()
        return self._made


# --------------------------------------------------------------------------- the app
def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


_DUPLICATE = "Already stored (same file); nothing changed."


def ingest_uploads(files: Sequence[tuple[str, bytes]], vendor_override: str | None,
                   store, extractor_factory: Callable[[], object],
                   on_progress: Callable[[int, str], None] | None = None,
                   limit: int | None = None, actor: User | None = None) -> list[Outcome]:
    """Read, extract and store each uploaded file (name, bytes), in this thread.

    The app's batches (`extract.batches`) run the same `upload_handler`, one file at a time,
    in a background worker."""
    handle = upload_handler(store, vendor_override, extractor_factory, limit, actor)
    return list(run_batch(files, handle, UPLOAD_WORDING, on_progress))


def upload_handler(store, vendor_override: str | None, extractor_factory: Callable[[], object],
                   limit: int | None = None, actor: User | None = None
                   ) -> Callable[[str, bytes], Outcome]:
    """`store_one(name, data) -> Outcome`: the one way an uploaded file is read and stored
    (run it through `run_batch` with `UPLOAD_WORDING` for the failures).

    Nothing stored changes on a failure: a file is only written by one `Store.add` transaction
    after it was read and extracted. The model (`extractor_factory`, called at most once) is
    only loaded when a readable new file needs it: duplicates, oversized and unreadable files
    are answered without it. Messages are reviewer-readable.
    """
    from .read import read_document_isolated  # readers only, in a worker process

    vendor = (vendor_override or "").strip() or None
    limit = limit or max_upload_bytes()
    extractor = _Lazy(extractor_factory)

    def store_one(name: str, data: bytes) -> Outcome:
        if len(data) > limit:
            return Outcome(name, "error", f"The file is {_mb(len(data))}; the limit is "
                                          f"{_mb(limit)}. Nothing was stored.")
        sha = hashlib.sha256(data).hexdigest()
        if (known := store.find_document(sha)) is not None:
            return Outcome(name, "duplicate", _DUPLICATE, known.vendor_id, known.vendor)
        doc = read_document_isolated(data, name)  # a heavy file cannot stall the app
        extraction = extractor().from_document(doc, vendor)
        added = store.add(extraction, vendor=vendor, actor=actor)
        if not added.created:
            return Outcome(name, "duplicate", _DUPLICATE, added.vendor_id, added.vendor)
        n = count_stated(extraction.facts.values())
        return Outcome(name, "added", f"Added: {n} facts stated.{_version_note(added, vendor)}",
                       added.vendor_id, added.vendor, tuple(doc.warnings), extraction)

    return store_one


def _version_note(added, vendor_override: str | None) -> str:
    """The sentence that says a file became version N of a vendor stored before, with a hint
    when the vendor was only guessed from the file name (two companies may share a name)."""
    if (added.version or 1) < 2:
        return ""
    note = f" Stored as version {added.version} of {added.vendor}"
    if vendor_override:  # the reviewer named the vendor: a new version is what they asked for
        return note + "."
    return (note + "; if this is a different company, rename the file or set the vendor "
                   "name.")


def max_upload_bytes() -> int:
    """The server-side size limit: the reader's own limit when it has one, else 25 MB."""
    try:
        from . import read

        limit = getattr(getattr(read, "LIMITS", None), "max_bytes", None)
        if isinstance(limit, int) and limit > 0:
            return limit
    except Exception:  # noqa: BLE001 - the reader may be missing or broken; keep a safe default
        pass
    return 25 * 1024 * 1024


def ocr_available() -> bool:
    """Whether scanned PDFs are read by OCR on this machine (tesseract is installed)."""
    from .read.ocr import available

    return available()


def accepted_types() -> list[str]:
    """File extensions the reader accepts, without the dot: the upload widget's list."""
    from .read import SUPPORTED_SUFFIXES

    return [s.lstrip(".") for s in SUPPORTED_SUFFIXES]


# --------------------------------------------------------------------------- the command line
def extract_files(paths: Iterable[Path], extractor_factory: Callable[[], object],
                  on_progress: Callable[[int, str], None] | None = None) -> Iterator[Outcome]:
    """Extract each file (nothing is stored), yielding each outcome as soon as the file is
    done: "extracted" (with `.extraction`) or "error" (`CLI_WORDING`)."""
    extractor = _Lazy(extractor_factory)

    def extract_one(name: str, path: Path) -> Outcome:
        ex = extractor()(path)
        return Outcome(name, "extracted", "", warnings=tuple(ex.document.warnings),
                       extraction=ex)

    return run_batch(((str(p), p) for p in paths), extract_one, CLI_WORDING, on_progress)


def collect_paths(args: Iterable[str]) -> tuple[list[Path], list[str]]:
    """Expand folders into the files they hold; return (files, problems)."""
    from .read import SUPPORTED_SUFFIXES

    files, problems = [], []
    for a in args:
        p = Path(a)
        if p.is_dir():
            # Every visible file, supported or not: an .exe or .png someone dropped among the
            # policies is reported by the reader ("not a supported type"), never silently ignored.
            found = sorted(f for f in p.rglob("*") if f.is_file()
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not any(f.suffix.lower() in SUPPORTED_SUFFIXES for f in found):
                problems.append(f"{a}: no policy files (PDF, TXT, MD, HTML, DOCX) in this folder")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            problems.append(f"{a}: no such file or folder")
    return files, problems
