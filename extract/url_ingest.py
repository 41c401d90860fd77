"""Policies by URL: add a vendor from its privacy page, extract a URL, re-check for changes.

    outcome = ingest_url(url, vendor, store, extractor_factory, actor)   # the Upload page
    outcome = extract_url(url, extractor_factory)                        # the CLI (not stored)
    result = recheck(store, vendor_id, extractor_factory, actor)         # button, cron

A URL is fetched under the address policy (`extract.fetch`), reduced to its main text
(`extract.webpage`) and then stored exactly as an upload of that text would be
(`extract.ingest.upload_handler`: size limit, duplicate-by-SHA-256 rule, one transaction), with
the URL and fetch time recorded beside it (`extract.sources`). A re-check fetches the URL again
(conditionally, with the server's ETag / Last-Modified): the same main text records only the
check time; a different one becomes the vendor's next version, and the result carries the
facts gained, lost and changed (`extract.diff`, as in the Vendor page's version diff). A failed
re-check stores nothing and records the reason.
"""
from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
from dataclasses import replace
from typing import Callable
from urllib.parse import urlsplit

from .auth import require_write
from .diff import diff_facts
from .errors import ExtractError
from .fetch import fetch
from .ingest import CLI_WORDING, UPLOAD_WORDING, Outcome, run_batch, upload_handler
from .model import RecheckResult, User
from .sources import Sources
from .webpage import readable

__all__ = ["ingest_url", "extract_url", "recheck", "is_url", "vendor_from_url"]

log = logging.getLogger(__name__)
_SUBDOMAINS = {"www", "privacy", "legal", "policies", "policy", "docs", "help", "support", "en"}


def is_url(text: str) -> bool:
    """A command-line argument or typed text that names a web address, not a file."""
    return bool(re.match(r"(?i)^[a-z][a-z0-9+.\-]*://", text.strip()))


def vendor_from_url(url: str) -> str:
    """A vendor name from the host: "https://www.acme-cloud.co.uk/privacy" → "Acme Cloud"."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host or _is_ip(host):
        return host or "Unnamed vendor"
    labels = host.split(".")[:-1] or host.split(".")  # the TLD goes
    if len(labels) > 1 and len(labels[-1]) <= 3:       # "co" of "co.uk"
        labels = labels[:-1]
    labels = [lb for lb in labels if lb not in _SUBDOMAINS] or labels
    words = re.split(r"[-_]+", labels[-1])
    return " ".join(w.capitalize() for w in words if w)[:80] or host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ingest_url(url: str, vendor_override: str | None, store,
               extractor_factory: Callable[[], object], actor: User | None = None) -> Outcome:
    """Fetch, read, extract and store the policy at `url`; record the URL and fetch time.

    The same main text as a stored document is a "duplicate" (nothing new is stored; the URL
    and the check time are recorded). Failures are "error" outcomes with a reviewer's message
    (`UPLOAD_WORDING`): refused address, unreachable, too large, wrong type, unreadable."""
    url = url.strip()

    def handle(name: str, link: str) -> Outcome:
        require_write(actor, "add policies by URL")  # before any request leaves
        page = fetch(link)
        data, filename = readable(page)
        vendor = (vendor_override or "").strip() or vendor_from_url(page.url)
        out = upload_handler(store, vendor, extractor_factory, actor=actor)(filename, data)
        if out.status != "error" and (known := store.find_document(_sha(data))):
            Sources(store).record_fetch(known.vendor_id, known.document_id, page, changed=False,
                                        actor=actor)
        return replace(out, filename=name)

    return next(run_batch([(url, url)], handle, UPLOAD_WORDING))


def extract_url(url: str, extractor_factory: Callable[[], object]) -> Outcome:
    """Fetch and extract `url` without storing it (the command line): "extracted" or "error"
    (`CLI_WORDING`)."""
    from .read import read_document

    def handle(name: str, link: str) -> Outcome:
        page = fetch(link)
        data, filename = readable(page)
        doc = replace(read_document(data, filename), filename=page.url)  # "source": the URL
        ex = extractor_factory().from_document(doc, vendor_from_url(page.url))
        return Outcome(name, "extracted", "", warnings=tuple(ex.document.warnings), extraction=ex)

    return next(run_batch([(url.strip(), url.strip())], handle, CLI_WORDING))


def recheck(store, vendor_id: int, extractor_factory: Callable[[], object],
            actor: User | None = None) -> RecheckResult:
    """Fetch a URL vendor's page again: "unchanged", "changed" (a new version, with the diff)
    or "failed" (nothing stored; the reason is recorded and returned). Raises
    `PermissionDenied` for a viewer and `ExtractError` for a vendor not added by URL."""
    require_write(actor, "re-check policies")
    sources = Sources(store)
    src = sources.get(vendor_id)
    if src is None:
        raise ExtractError("This vendor was not added by URL, so there is no page to re-check.")
    try:
        return _recheck(store, sources, src, extractor_factory, actor)
    except ExtractError as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001 - one odd page must not end a cron run
        log.error("re-check of %s failed", src.url, exc_info=True)
        message = (f"The page could not be checked because of an unexpected error "
                   f"({type(exc).__name__}; it has been logged).")
    message += " Nothing was stored."
    sources.record_check(vendor_id, "failed", message, actor=actor)
    return RecheckResult(vendor_id, src.vendor, src.url, "failed", message)


def _recheck(store, sources: Sources, src, extractor_factory, actor) -> RecheckResult:
    validators = {"If-None-Match": src.etag, "If-Modified-Since": src.last_modified}
    page = fetch(src.url, {k: v for k, v in validators.items() if v})
    versions = store.versions(src.vendor_id)
    latest = versions[-1] if versions else None

    def unchanged(why: str) -> RecheckResult:
        sources.record_check(src.vendor_id, "unchanged", why, page, actor=actor)
        return RecheckResult(src.vendor_id, src.vendor, src.url, "unchanged", why,
                             document_id=latest.document_id if latest else None)

    if page.not_modified:
        return unchanged("Not modified since the last check (the server said so).")
    data, filename = readable(page)
    if latest is not None and _sha(data) == latest.sha256:
        return unchanged("The policy text is the same as the stored version.")
    old = store.document_facts(latest.document_id) if latest else {}
    out = upload_handler(store, src.vendor, extractor_factory, actor=actor)(filename, data)
    if out.status == "error":
        raise ExtractError(out.message.removesuffix(" Nothing was stored."))
    known = store.find_document(_sha(data))
    sources.record_fetch(src.vendor_id, known.document_id, page, changed=True, actor=actor)
    diff = tuple(diff_facts(old, store.document_facts(known.document_id)))
    counts = ", ".join(f"{sum(d.change == c for d in diff)} {c}"
                       for c in ("gained", "lost", "changed"))
    if out.status == "duplicate":  # the text of a document stored before (e.g. reverted)
        message = (f"The page changed back to a text stored before (as {known.vendor}); no "
                   f"new version was stored. Facts: {counts}.")
    else:
        message = f"The page changed: stored as version {len(versions) + 1}. Facts: {counts}."
    return RecheckResult(src.vendor_id, src.vendor, src.url, "changed", message, diff,
                         known.document_id)
