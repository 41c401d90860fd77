"""Reviewer workflow in the core: reviewer input → fact values, and re-extraction of stored
policies with the current extractor (overrides stay: they belong to vendor and fact, not to a
document)."""
from __future__ import annotations

from .model import FactValue, User
from .store import Store, check_fact_value
from .taxonomy import taxonomy

__all__ = ["parse_fact_value", "value_choices", "reextract"]

_YES, _NO = ("yes", "true", "1"), ("no", "false", "0", "not stated", "")


def value_choices(fact_id: str) -> list[str] | None:
    """The words a reviewer picks from for this fact, or None when it takes a number or text."""
    kind = next(s.kind for s in taxonomy() if s.id == fact_id)
    return {"bool": ["yes", "no"], "level": ["specific", "vague", "none"]}.get(kind)


def parse_fact_value(fact_id: str, text: str | int | bool | None) -> FactValue:
    """A reviewer's input as the fact's typed value ("yes" → True, "16" → 16); StoreError when
    it does not fit the fact."""
    spec = next((s for s in taxonomy() if s.id == fact_id), None)
    if spec is None or isinstance(text, bool) or text is None:
        return check_fact_value(fact_id, text)
    raw = str(text).strip()
    value: FactValue = raw
    if spec.kind == "bool":
        low = raw.lower()
        value = True if low in _YES else False if low in _NO else raw
    elif spec.kind == "level":
        value = raw.lower()
    elif spec.kind == "age":
        value = None if raw.lower() in ("", "none", "not stated") else \
            int(raw) if raw.isdigit() else raw
    return check_fact_value(fact_id, value)


def reextract(store: Store, extractor, vendor_id: int | None = None,
              actor: User | None = None, only_outdated: bool = False) -> int:
    """Re-run `extractor` on the stored text of every version (of one vendor, or all);
    `only_outdated` skips documents already extracted by its version. Returns how many
    documents were re-extracted. Overrides are untouched and apply to the new facts."""
    from .pipeline import EXTRACTOR_VERSION

    vendors = [vendor_id] if vendor_id is not None else [r.vendor_id for r in
                                                         store.records(apply_overrides=False)]
    n = 0
    for vid in vendors:
        for v in store.versions(vid):
            if only_outdated and v.extractor_version == EXTRACTOR_VERSION:
                continue
            doc = store.document(v.document_id)
            if doc is None:
                continue
            ex = extractor.from_document(doc)
            store.replace_facts(v.document_id, ex.facts, ex.extractor_version or
                                EXTRACTOR_VERSION, actor)
            n += 1
    return n
