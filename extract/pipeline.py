"""The extraction pipeline: file → document → clauses → facts, as one callable object."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Iterator, Union

from .classify import ClauseScorer, FactExtractor
from .errors import ExtractError
from .model import Document, Extraction
from .segment import segment
from .taxonomy import TAXONOMY_VERSION

__all__ = ["Extractor", "EXTRACTOR_VERSION", "vendor_from_filename", "Source"]

EXTRACTOR_VERSION = f"taxonomy-{TAXONOMY_VERSION}/extractor-1"
Source = Union[str, os.PathLike, bytes]


def vendor_from_filename(filename: str) -> str:
    """Guess a vendor name from a file name: "acme-cloud_privacy-policy.pdf" → "Acme Cloud"."""
    stem = Path(filename).stem
    stem = re.sub(r"(?i)[-_ ]*(privacy[-_ ]*(policy|notice|statement)?|policy|v?\d+(\.\d+)*|final|copy)$",
                  "", stem) or stem
    words = [w for w in re.split(r"[-_\s.]+", stem) if w]
    name = " ".join(w if w.isupper() and len(w) > 1 else w.capitalize() for w in words)
    return name[:80] or "Unnamed vendor"


class Extractor:
    """Extract facts from policy files.

    >>> ex = Extractor()
    >>> result = ex("policy.pdf")            # a path
    >>> result = ex(data, filename="x.pdf")  # or bytes
    """

    def __init__(self, encoder=None, scorer: ClauseScorer | None = None):
        if encoder is None:
            from .embed import SentenceEncoder
            encoder = SentenceEncoder()
        self.encoder = encoder
        self.facts = FactExtractor(encoder.transform, scorer)

    def read(self, source: Source, filename: str | None = None) -> Document:
        """Read a path or bytes into a `Document` (raises `ExtractError` subclasses)."""
        from .read import read_document
        if isinstance(source, (bytes, bytearray, memoryview)):
            return read_document(bytes(source), filename or "upload.txt")
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ExtractError(f"Cannot open {path.name}: {exc.strerror or exc}.") from exc
        return read_document(data, filename or path.name)

    def from_document(self, doc: Document, vendor: str | None = None) -> Extraction:
        """Segment and classify an already-read document."""
        clauses = segment(doc)
        facts = self.facts.extract(clauses)
        return Extraction(vendor or vendor_from_filename(doc.filename), doc, facts, clauses,
                          EXTRACTOR_VERSION)

    def __call__(self, source: Source, filename: str | None = None,
                 vendor: str | None = None) -> Extraction:
        return self.from_document(self.read(source, filename), vendor)

    def pipe(self, sources: Iterable[Source]) -> Iterator[Extraction | ExtractError]:
        """Extract many files; a bad file yields its `ExtractError` instead of stopping the batch."""
        for src in sources:
            try:
                yield self(src)
            except ExtractError as exc:
                exc.source = src if not isinstance(src, bytes) else "<bytes>"
                yield exc
