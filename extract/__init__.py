"""Vendor privacy-policy fact extraction: read → segment → classify → score → store.

The public API is re-exported here; heavy dependencies (torch, the embedding model) load only
when text is first encoded.
"""
from .errors import ExtractError
from .model import Clause, Document, Evidence, Extraction, Fact, Page, PolicyRecord, Scores
from .score import JURISDICTIONS, Rubric, score
from .taxonomy import fact_ids, taxonomy

__all__ = [
    "ExtractError", "Clause", "Document", "Evidence", "Extraction", "Fact", "Page",
    "PolicyRecord", "Scores", "JURISDICTIONS", "Rubric", "score", "fact_ids", "taxonomy",
    "Extractor",
]


def __getattr__(name):
    # Lazy: importing the pipeline is cheap, but keep `import extract` free of sklearn too.
    if name == "Extractor":
        from .pipeline import Extractor
        return Extractor
    raise AttributeError(name)
