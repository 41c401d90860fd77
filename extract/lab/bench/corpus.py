"""The policies benchmarked: given files, or the seeds as TXT plus PDFs made from them; and
`facts_signature`, which compares two runs' facts exactly."""
from __future__ import annotations

from dataclasses import dataclass

from .common import log, project_module

__all__ = ["Item", "make_corpus", "facts_signature"]


@dataclass
class Item:
    name: str
    kind: str       # "txt", "pdf", ...
    data: bytes
    words: int


def _pdf_maker():
    try:
        return project_module("tests.pdfs").pdf_from_text
    except Exception as exc:  # noqa: BLE001 - fpdf2 or tests/ missing: TXT only
        log(f"notice: cannot make PDFs ({exc}); benchmarking text files only")
        return None


def make_corpus(paths: list[str], pdfs: bool = True) -> list[Item]:
    """The given files, or the seeds as TXT plus PDFs made from them."""
    from extract.ingest import collect_paths

    items: list[Item] = []
    if paths:
        files, problems = collect_paths(paths)
        for p in problems:
            log(f"warning: {p}")
        for f in files:
            data = f.read_bytes()
            items.append(Item(f.name, f.suffix.lower().lstrip("."), data, len(data.split())))
        return items
    from extract.seeds import seed_files

    maker = _pdf_maker() if pdfs else None
    for f in seed_files():
        text = f.read_text(encoding="utf-8")
        items.append(Item(f.name, "txt", f.read_bytes(), len(text.split())))
        if maker:
            items.append(Item(f.with_suffix(".pdf").name, "pdf",
                              maker(text, header=f"{f.stem} — Privacy Policy"), len(text.split())))
    return items


def facts_signature(ex) -> dict:
    """Every fact exactly (value, unrounded confidence, evidence), to compare two runs."""
    return {fid: [f.value, float(f.confidence), [e.to_dict() for e in f.evidence]]
            for fid, f in sorted(ex.facts.items())}
