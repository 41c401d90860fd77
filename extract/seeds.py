"""The five seed policies that ship in `data/seeds/`, preloaded so a new user sees a full matrix.

Their extraction is precomputed in `data/seeds/facts.json`, so a first start needs neither
torch nor the model. `python -m extract.seeds` rebuilds that file with the current extractor;
a test checks it still equals a fresh extraction.
"""
from __future__ import annotations

import json
from pathlib import Path

from .model import Extraction, Fact
from .store import DATA_DIR, Store

__all__ = ["SEED_DIR", "SEED_FACTS", "seed_files", "load_seed_extractions", "ensure_seeded",
           "rebuild"]

SEED_DIR = DATA_DIR / "seeds"
SEED_FACTS = SEED_DIR / "facts.json"
_SEEDED_KEY = "seeded"


def seed_files() -> list[Path]:
    return sorted(p for p in SEED_DIR.iterdir() if p.suffix == ".txt")


def load_seed_extractions(extractor=None) -> list[Extraction]:
    """Seed extractions from the precomputed file; a seed whose bytes changed is re-extracted."""
    saved = {o["source"]: o for o in json.loads(SEED_FACTS.read_text(encoding="utf-8"))} \
        if SEED_FACTS.exists() else {}
    from .read import read_path  # pypdf and friends: not needed to open a seeded store

    out = []
    for path in seed_files():
        doc = read_path(path)
        obj = saved.get(path.name)
        if obj and obj["sha256"] == doc.sha256:
            facts = {fid: Fact.from_dict(fid, d) for fid, d in obj["facts"].items()}
            out.append(Extraction(obj["vendor"], doc, facts, [], obj.get("extractor_version", "")))
        else:
            if extractor is None:
                from .pipeline import Extractor
                extractor = Extractor()
            vendor = obj["vendor"] if obj else None
            out.append(extractor.from_document(doc, vendor))
    return out


def ensure_seeded(store: Store) -> int:
    """Load the seeds into `store` once (first start); return how many were added."""
    if store.get_meta(_SEEDED_KEY):
        return 0
    added = sum(store.add(ex).created for ex in load_seed_extractions())
    store.set_meta(_SEEDED_KEY, "1")
    return added


def rebuild(extractor=None) -> Path:
    """Re-extract every seed and write `data/seeds/facts.json`."""
    from .pipeline import Extractor
    from .export import to_json_obj

    extractor = extractor or Extractor()
    saved = {o["source"]: o for o in json.loads(SEED_FACTS.read_text(encoding="utf-8"))} \
        if SEED_FACTS.exists() else {}
    objs = []
    for path in seed_files():
        vendor = saved.get(path.name, {}).get("vendor")
        ex = extractor(path, vendor=vendor)
        obj = to_json_obj(ex)
        obj.pop("scores")
        for f in obj["facts"].values():
            f.pop("needs_review", None)
        obj["extractor_version"] = ex.extractor_version
        objs.append(obj)
    SEED_FACTS.write_text(json.dumps(objs, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return SEED_FACTS


if __name__ == "__main__":
    print(f"wrote {rebuild()}")
