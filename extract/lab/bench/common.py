"""What every part of the benchmark shares: paths, the stage names, targets, logging, medians,
and the one door to modules outside `extract/` (`project_module`)."""
from __future__ import annotations

import importlib
import os
import statistics
import sys
from pathlib import Path
from types import ModuleType

from extract.settings import settings

__all__ = ["ROOT", "DEFAULT_JSON", "STAGES", "TARGETS", "log", "med", "loadavg", "shared_dir",
           "project_module"]

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_JSON = ROOT / "artifacts" / "bench.json"
STAGES = ("read", "segment", "embed", "classify", "score", "store")
TARGETS = {"per_policy_s": 0.5, "batch_ppm": 60.0, "first_paint_s": 3.0, "batch_rss_mb": 1024.0}


def log(msg: str = "") -> None:
    print(msg, flush=True)


def med(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 4) if xs else None


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


def shared_dir() -> Path:
    """The lab's data folder (gold files, dev policies): `$PRIVACY_SHARED_DIR`, else ../shared."""
    return settings().shared_dir


def project_module(name: str) -> ModuleType:
    """Import a module that lives beside `extract/`, not in it: `tests.pdfs` (the PDF builders
    the corpus is made with) or `pages.ui` (the functions the pages call, timed at scale).

    The lab may use the tests' builders and the pages' helpers; the runtime may not (the
    layer test forbids `extract/` outside the lab to import `tests` or `pages`). Those two
    folders are found only when the project root is on `sys.path`, which `python -m` from
    another folder does not give; this is the one place the benchmark adds it.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(name)
