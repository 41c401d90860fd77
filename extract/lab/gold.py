"""Gold files: which policies are labelled, their text read and segmented like any upload, and
what the gold says about a fact (`gold_value`, `_gold_truth`, the clauses holding a quote).

Gold has the shape of `shared/gold/seeds.json`: {"policies": {file name: {"values": {...},
"evidence": {...}}}}; booleans not listed are false, a missing `children.min_age` means none.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Mapping, Sequence

from ..model import Clause
from ..settings import settings
from ..taxonomy import FactSpec

__all__ = ["SHARED_DIR", "GOLD_FILES", "GOLD_DIRS", "DISPUTED_FILE", "gold_value", "gold_policies",
           "disputed_labels"]

# The lab's data folder ($PRIVACY_SHARED_DIR, default ../shared), read once at import.
SHARED_DIR = settings().shared_dir
GOLD_FILES = ("gold/seeds.json", "gold/dev.json", "gold/dev-pdf.json")
GOLD_DIRS = {"gold/seeds.json": "seeds", "gold/dev.json": "dev/policies",
             "gold/dev-pdf.json": "dev/pdfs"}


# Gold labels that contradict ../shared/facts.md (see the file's comments).
DISPUTED_FILE = Path(__file__).with_name("disputed.toml")


def disputed_labels(gold_file: str) -> frozenset[tuple[str, str]]:
    """(policy, fact) pairs of the gold file named `gold_file` whose labels contradict
    facts.md, as listed in `DISPUTED_FILE`."""
    import tomllib
    entries = tomllib.loads(DISPUTED_FILE.read_text(encoding="utf-8")).get("label", [])
    return frozenset((policy, e["fact"]) for e in entries if e["gold"] == gold_file
                     for policy in e["policies"])


def gold_value(values: Mapping, fact_id: str, kind: str):
    """The gold value of a fact, with the file's defaults for unlisted facts."""
    if fact_id in values:
        return values[fact_id]
    return {"bool": False, "age": None, "level": "none", "periods": ""}[kind]


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def gold_policies(shared: Path = SHARED_DIR) -> list[tuple[str, Path, dict]]:
    """(file name, path, gold entry) of every labelled policy that is present, sorted."""
    out = []
    for gfile in GOLD_FILES:
        gpath = shared / gfile
        if not gpath.is_file():
            continue
        gold = json.loads(gpath.read_text(encoding="utf-8"))["policies"]
        for name in sorted(gold):
            p = shared / GOLD_DIRS[gfile] / name
            if p.is_file():
                out.append((name, p, gold[name]))
    return out


_READ_CACHE: dict[tuple[str, int, int], tuple[str, list[Clause]]] = {}


def _read_clauses(path: Path) -> tuple[str, list[Clause]]:
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _READ_CACHE:
        _READ_CACHE[key] = _read_clauses_uncached(path)
    return _READ_CACHE[key]


def _read_clauses_uncached(path: Path) -> tuple[str, list[Clause]]:
    from ..segment import segment
    try:
        from ..read import read_path
        doc = read_path(path)
    except ImportError:  # reader not there yet: plain text as one page
        from ..model import Document, Page
        text = path.read_text(encoding="utf-8")
        doc = Document(path.name, "", text, (Page(1, 0, len(text)),), "txt")
    return doc.text, segment(doc)


def _gold_truth(spec: FactSpec, values: Mapping) -> bool:
    v = gold_value(values, spec.id, spec.kind)
    if spec.kind == "level":
        return v in ("specific", "vague")
    if spec.kind == "age":
        return v is not None
    return bool(v)


def _evidence_clauses(quote: str, clauses: Sequence[Clause]) -> list[Clause]:
    q = _norm(quote)
    if len(q) < 8:
        return []
    hits = [c for c in clauses if not c.is_heading and q in _norm(c.text)]
    if not hits:  # the quote spans several clauses
        hits = [c for c in clauses if not c.is_heading and len(c.text) >= 20
                and _norm(c.text) in q]
    return hits

