"""The typed data model that flows from reader to CSV.

Offsets (`start`, `end`) are character offsets into `Document.text`; pages are 1-based.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Union

__all__ = [
    "Page",
    "Document",
    "Clause",
    "Evidence",
    "Fact",
    "FactValue",
    "Scores",
    "Extraction",
    "PolicyRecord",
    "ROLES",
    "REVIEW_STATUSES",
    "User",
    "Override",
    "VendorReview",
    "AuditEntry",
    "DocumentVersion",
    "FactDiff",
    "REVIEW_THRESHOLD",
    "WatchedSource",
    "RecheckResult",
    "utc_now",
    "CELL_SEPARATOR",
]

# Facts decided with less confidence are flagged "needs review" (export, UI). Chosen on held-out
# values (seeds, dev and dev PDFs LOPO, OPP-115 dev; `python -m extract.evaluate` prints the
# trade-off): in extractor-7, 0.9 catches 15 of 51 wrong values while flagging 8 % of all
# values (about two facts of a vendor's 26), inside the 10 % budget; 0.85 caught 10 at
# 4.4 % and 0.95 flags 13 %. Kept here, with the data model, so that pages showing stored
# facts need not import the classifier (and numpy) to know what to flag.
REVIEW_THRESHOLD = 0.9

# How every reader writes a table row into `Document.text`: its cells joined by this.
CELL_SEPARATOR = " | "


def utc_now(timespec: str = "seconds") -> str:
    """The current UTC time as ISO 8601 text, the form of every timestamp a record keeps."""
    return datetime.now(timezone.utc).isoformat(timespec=timespec)


FactValue = Union[bool, int, str, None]


@dataclass(frozen=True)
class Page:
    """One page of a document: its number and the span of `Document.text` it covers.

    `ocr_confidence` is set for a page read by OCR (no usable text layer): tesseract's mean
    word confidence on it, 0–1."""

    number: int
    start: int
    end: int
    ocr_confidence: float | None = None

    @property
    def ocr(self) -> bool:
        return self.ocr_confidence is not None

    def as_row(self) -> list:
        """[number, start, end], plus the OCR confidence for an OCR page: `Page(*row)`."""
        return [self.number, self.start, self.end] + ([self.ocr_confidence] if self.ocr else [])


@dataclass
class Document:
    """A policy as read from one file: normalised text plus where each page lies in it."""

    filename: str
    sha256: str
    text: str
    pages: tuple[Page, ...]
    media_type: str  # "pdf", "txt", "md", "html", "docx"
    warnings: tuple[str, ...] = ()

    def page_at(self, offset: int) -> int:
        """Return the 1-based page number containing character `offset`."""
        if not self.pages:
            return 1
        starts = [p.start for p in self.pages]
        i = max(0, bisect.bisect_right(starts, offset) - 1)
        return self.pages[i].number

    @property
    def n_pages(self) -> int:
        return len(self.pages) or 1

    def ocr_confidence(self, number: int) -> float | None:
        """The OCR word confidence of page `number`, or None when its text layer was read."""
        return next((p.ocr_confidence for p in self.pages if p.number == number), None)


@dataclass(frozen=True)
class Clause:
    """A sentence or list item, with the heading of the section it sits in."""

    index: int
    text: str
    start: int
    end: int
    page: int
    section: str = ""
    is_heading: bool = False
    # For a list item: the sentence that introduces its list when that sentence ends in ":"
    # ("You have the right to:"), so that the item "- have it deleted" can be read with its verb.
    # Context only: never part of `text`, and never evidence by itself.
    lead_in: str = ""


@dataclass(frozen=True)
class Evidence:
    """The exact text that proves a fact, and where it stands in the document.

    `ocr_confidence` is set when the text was read by OCR: its page's mean word confidence."""

    text: str
    page: int
    start: int
    end: int
    section: str = ""
    ocr_confidence: float | None = None

    @property
    def ocr(self) -> bool:
        return self.ocr_confidence is not None

    @classmethod
    def of(cls, clause: Clause) -> "Evidence":
        return cls(clause.text, clause.page, clause.start, clause.end, clause.section)

    def to_dict(self) -> dict:
        d = {"text": self.text, "page": self.page, "start": self.start,
             "end": self.end, "section": self.section}
        if self.ocr:  # only then: text evidence keeps the keys it always had
            d |= {"ocr": True, "ocr_confidence": round(float(self.ocr_confidence), 3)}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Evidence":
        ocr = float(d.get("ocr_confidence", 0.0)) if d.get("ocr") else None
        return cls(str(d.get("text", "")), int(d.get("page", 1)), int(d.get("start", 0)),
                   int(d.get("end", 0)), str(d.get("section", "") or ""), ocr)


@dataclass
class Fact:
    """One extracted fact: its value, a 0–1 confidence and the evidence behind it."""

    fact_id: str
    value: FactValue
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    # True when `value` is a reviewer's override (the evidence is still the extracted one).
    reviewed: bool = False

    def to_dict(self) -> dict:
        return {"value": self.value, "confidence": round(float(self.confidence), 3),
                "evidence": [e.to_dict() for e in self.evidence]}

    @classmethod
    def from_dict(cls, fact_id: str, d: dict) -> "Fact":
        return cls(fact_id, d.get("value"), float(d.get("confidence", 0.0)),
                   [Evidence.from_dict(e) for e in d.get("evidence", [])])


@dataclass(frozen=True)
class Scores:
    """Area scores 0–100, the weighted overall score and its grade A–E."""

    rights: float
    retention: float
    security: float
    children: float
    overall: float
    grade: str

    def to_dict(self) -> dict:
        return {"rights": self.rights, "retention": self.retention, "security": self.security,
                "children": self.children, "overall": self.overall, "grade": self.grade}


@dataclass
class Extraction:
    """Everything extracted from one document: vendor, facts by ID, and the clauses read."""

    vendor: str
    document: Document
    facts: dict[str, Fact]
    clauses: list[Clause] = field(default_factory=list)
    extractor_version: str = ""

    @property
    def source(self) -> str:
        return self.document.filename

    @property
    def sha256(self) -> str:
        return self.document.sha256


@dataclass
class PolicyRecord:
    """One stored policy of one vendor, as the app and the exports see it."""

    vendor_id: int
    vendor: str
    document_id: int
    source: str
    sha256: str
    uploaded_at: str
    media_type: str
    n_pages: int
    facts: dict[str, Fact]  # the values in force: overrides applied (marked `reviewed`)
    extractor_version: str = ""
    overrides: dict[str, "Override"] = field(default_factory=dict)
    extracted: dict[str, Fact] = field(default_factory=dict)  # as extracted, no overrides
    review: "VendorReview | None" = None

    @property
    def review_status(self) -> str:
        return self.review.status if self.review else REVIEW_STATUSES[0]


# --------------------------------------------------------------------------- reviewer workflow
ROLES = ("viewer", "reviewer", "admin")
REVIEW_STATUSES = ("not reviewed", "in review", "approved", "approved with conditions",
                   "rejected")


@dataclass(frozen=True)
class User:
    """Who is acting: a signed-in name and a role from `ROLES` (viewers only read)."""

    name: str
    role: str = "reviewer"

    @property
    def can_write(self) -> bool:
        return self.role in ("reviewer", "admin")


@dataclass(frozen=True)
class Override:
    """A reviewer's value for one fact of one vendor; it outlives documents and re-extraction."""

    vendor_id: int
    fact_id: str
    value: FactValue
    note: str
    reviewer: str
    created_at: str
    extracted_value: FactValue = None  # what the extractor said when the override was made


@dataclass(frozen=True)
class VendorReview:
    """A vendor's review status (one of `REVIEW_STATUSES`) with the reviewer's comment."""

    vendor_id: int
    status: str
    comment: str
    reviewer: str
    updated_at: str


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action: who did what to which vendor, with the values before and after."""

    id: int
    at: str
    actor: str
    role: str
    action: str  # upload, override, override-removed, status, delete, re-extract
    vendor_id: int | None
    vendor: str
    target: str  # a fact ID, a file name, or ""
    before: object = None
    after: object = None
    note: str = ""


@dataclass(frozen=True)
class DocumentVersion:
    """One stored policy document of a vendor; `number` counts from 1 (oldest)."""

    vendor_id: int
    document_id: int
    number: int
    filename: str
    sha256: str
    uploaded_at: str
    extractor_version: str = ""


@dataclass(frozen=True)
class FactDiff:
    """How one fact differs between two versions: gained, lost or changed."""

    fact_id: str
    change: str  # "gained" | "lost" | "changed"
    old: Fact | None
    new: Fact | None

    @property
    def old_value(self) -> FactValue:
        return self.old.value if self.old else None

    @property
    def new_value(self) -> FactValue:
        return self.new.value if self.new else None


@dataclass(frozen=True)
class WatchedSource:
    """A vendor added by URL: where its policy lives and what the last check found.

    `last_status` is "added", "unchanged", "changed" or "failed" (`last_message` says why);
    `unseen_change`: the policy changed since the asking reviewer last opened the vendor."""

    vendor_id: int
    vendor: str
    url: str
    added_at: str
    last_checked_at: str
    last_changed_at: str = ""
    last_status: str = "added"
    last_message: str = ""
    etag: str = ""
    last_modified: str = ""
    unseen_change: bool = False


@dataclass(frozen=True)
class RecheckResult:
    """One re-check of a URL vendor: "unchanged" (only the check time recorded), "changed" (a
    new version; `diff` holds the facts gained, lost and changed) or "failed" (nothing changed;
    `message` says why)."""

    vendor_id: int
    vendor: str
    url: str
    status: str
    message: str
    diff: tuple[FactDiff, ...] = ()
    document_id: int | None = None

    def count(self, change: str) -> int:
        return sum(d.change == change for d in self.diff)
