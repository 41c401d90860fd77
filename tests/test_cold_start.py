"""Cold start: the app's result pages render from the store without importing torch or
sentence-transformers (the model loads on the first upload only).

Each check runs in a fresh interpreter, so what other tests imported cannot hide an import."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.core_fixtures import ROOT, run_python

HEAVY = ("torch", "sentence_transformers", "transformers")

SCRIPT = textwrap.dedent("""
    import json, sys
    from streamlit.testing.v1 import AppTest
    page = sys.argv[1]
    at = AppTest.from_file(sys.argv[2], default_timeout=120)
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    else:  # the heat-map is drawn on request
        at.toggle(key="matrix_chart_on").set_value(True).run()
    print(json.dumps({
        "exception": [str(e.value) for e in at.exception],
        "heavy": [m for m in %r if m in sys.modules],
        "plotly_charts": len(at.get("plotly_chart")),
        "text": " ".join(str(m.value) for kind in ("markdown", "caption", "title")
                         for m in at.get(kind)),
    }))
""" % (HEAVY,))


def run_page(page: str, db: Path) -> dict:
    proc = run_python(SCRIPT, page, str(ROOT / "app.py"), env={"PRIVACY_DB": str(db)},
                      timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/vendor.py", "pages/compare.py",
                                  "pages/scorecard.py"])
def test_result_pages_render_without_torch(tmp_path, page):
    res = run_page(page, tmp_path / "privacy.db")  # first start: the app seeds the store
    assert res["exception"] == []
    assert res["heavy"] == [], f"{page} imported {res['heavy']}"
    if page == "pages/overview.py":
        assert res["plotly_charts"] >= 2  # the ranking and the matrix
        assert "5 vendors" in res["text"]


def test_overview_of_an_existing_store_without_torch(tmp_path):
    from extract.seeds import ensure_seeded
    from extract.store import Store

    db = tmp_path / "privacy.db"
    ensure_seeded(Store(db))
    res = run_page("pages/overview.py", db)
    assert res["exception"] == [] and res["heavy"] == []


def test_fast_path_modules_import_without_torch():
    code = ("import sys; import extract.pipeline, extract.cache, extract.bench; "
            "from extract.pipeline import Extractor; Extractor(); "
            f"print([m for m in {HEAVY!r} + ('sklearn',) if m in sys.modules])")
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    # making an Extractor is cheap: the model loads on the first extraction
    assert out.stdout.strip() == "[]"
