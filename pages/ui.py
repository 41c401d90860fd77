"""Shared helpers for the pages: store and model access, rubric state, and safe rendering.

Policy text, vendor names and file names come from third parties and are treated as hostile:
everything they reach goes through `escape()` (the one escaping helper) before it is shown as
Markdown, HTML or Plotly text. Pages stay thin; anything two pages need lives here.
"""
from __future__ import annotations

import hashlib
import html
import logging
import re
import textwrap
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Literal, NoReturn, Sequence

import streamlit as st

from extract.auth import LOCAL_USER, UsersFileError, authenticate, load_users, users_file_path
from extract.errors import ExtractError, StoreError
from extract.export import format_value, needs_review
from extract.model import REVIEW_STATUSES, Fact, FactDiff, PolicyRecord, Scores, User
from extract.score import DEFAULT_WEIGHTS, GRADE_BANDS, JURISDICTIONS, RUBRIC_TEXT, Rubric, score
from extract.store import Store, default_db_path
from extract.taxonomy import AREAS, SCORED_AREAS, FactSpec, taxonomy

if TYPE_CHECKING:  # pandas costs ~0.6 s to import: only tables need it, after the matrix paints
    import pandas as pd

log = logging.getLogger(__name__)

# Page files, relative to app.py; st.page_link / st.switch_page take these paths.
PAGE_OVERVIEW = "pages/overview.py"
PAGE_VENDOR = "pages/vendor.py"
PAGE_COMPARE = "pages/compare.py"
PAGE_UPLOAD = "pages/upload.py"
PAGE_SCORECARD = "pages/scorecard.py"
PAGE_REVIEW = "pages/review.py"
PAGE_AUDIT = "pages/audit.py"

AREA_TITLES = {"rights": "Rights", "retention": "Retention", "security": "Security",
               "children": "Children", "sharing": "Sharing"}

# --------------------------------------------------------------------------- escaping
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:])")


def escape(text: object, target: Literal["markdown", "html"] = "markdown") -> str:
    """Make third-party text inert: the ONE helper for every vendor name, file name and quote.

    target="markdown": for st.markdown / st.caption / labels / st.error. Markdown punctuation is
    backslash-escaped (no links, images, emphasis, LaTeX `$`, or Streamlit `:color[...]`
    directives) and `<`, `>`, `&` become entities, so `<img onerror=...>` shows as text.
    target="html": for our HTML fragments and Plotly text: plain `html.escape` (quotes too, for
    attributes).
    """
    s = "" if text is None else str(text)
    if target == "html":
        return html.escape(s, quote=True)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    # Entities after the backslashes: `&lt;` holds no Markdown punctuation, and `quote=False`
    # avoids `&#x27;` whose `#` would otherwise need escaping too.
    s = html.escape(s, quote=False)
    # Line breaks would start new Markdown blocks (headings, lists); keep quotes on one line.
    return re.sub(r"\s*\n\s*", " ", s)


# --------------------------------------------------------------------------- palette
# Okabe–Ito colours: distinguishable with every common colour-vision deficiency; every cell
# also carries its value as text, so colour is never the only signal.
STATED, PARTIAL, NOT_STATED = 2, 1, 0
CELL_COLOURS = {NOT_STATED: "#E4E4E4", PARTIAL: "#56B4E9", STATED: "#0072B2"}
CELL_TEXT_COLOURS = {NOT_STATED: "#333333", PARTIAL: "#111111", STATED: "#FFFFFF"}
CELL_MEANING = {
    STATED: "Stated: the policy says it (yes, a concrete retention period, or a minimum age at "
            "or above the one your jurisdiction requires)",
    PARTIAL: "Partly: only a retention principle (\"as long as necessary\"), or a minimum age "
             "below the one your jurisdiction requires",
    NOT_STATED: "Not stated (— when many vendors are shown): the policy does not say it; "
                "it scores nothing",
}
REVIEW_MARK = "⚠"
REVIEWED_MARK = "✔"  # the value is a reviewer's override
BAR_COLOUR = "#0072B2"
AREA_MARKER = "#E69F00"  # radar fill: Okabe–Ito orange, distinct from the cell blues


# --------------------------------------------------------------------------- app shell
def require_app_shell() -> None:
    """Make sure this page runs inside app.py (its sidebar, rubric state and navigation).

    Streamlit still has the legacy "pages/ directory" mode: when a process's first run asks
    for a page URL (e.g. a tab reconnecting to /vendor after a restart), or in every AppTest
    rerun, it executes pages/<page>.py directly, without app.py, and lists every file of
    pages/ in the sidebar. `st.navigation` in app.py switches that mode off; when a page finds
    it still on, app.py has not run, so it is switched off here and the run restarts through
    app.py, on the same page.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy mode
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
    if current_user() is None:  # sign-in required (app.py shows the form): never run a page
        st.stop()


# --------------------------------------------------------------------------- store & caches
class _Version:
    """A process-wide counter per database, bumped after every write so caches never go stale."""

    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def bump(self) -> int:
        with self._lock:
            self._n += 1
            return self._n

    @property
    def value(self) -> int:
        return self._n


def db_path() -> str:
    return str(default_db_path())


@st.cache_resource(show_spinner=False)
def _store_for(path: str) -> Store:
    from extract.seeds import ensure_seeded  # seeds read files; only needed on first open

    store = Store(path)
    ensure_seeded(store)
    return store


@st.cache_resource(show_spinner=False)
def _version_for(path: str) -> _Version:
    # Shared by all sessions: an upload in one browser tab refreshes every other tab's data.
    return _Version()


def get_store() -> Store:
    """The store for the current `$PRIVACY_DB` (seeded once); stops the page with a clear error."""
    try:
        return _store_for(db_path())
    except ExtractError as exc:  # StoreError, or a seed that could not be read
        st.error(f"The vendor database cannot be opened. {escape(exc)}", icon=":material/error:")
        stop()


def bump_version() -> None:
    """Call after every write (upload, delete) so `load_records()` re-reads the database."""
    _version_for(db_path()).bump()


@st.cache_data(show_spinner=False, max_entries=32)
def _records(path: str, version: int, data_version: tuple) -> list[PolicyRecord]:
    return _store_for(path).records()


def load_records() -> list[PolicyRecord]:
    """Latest policy of every vendor, cached until the next upload or delete."""
    store = get_store()
    try:
        # data_version() is one cheap query; it catches writes by other processes (another
        # server on the same database file, a script), which the in-process counter cannot see.
        return _records(db_path(), _version_for(db_path()).value, store.data_version())
    except StoreError as exc:
        st.error(escape(exc), icon=":material/error:")
        stop()


@st.cache_resource(show_spinner="Loading the language model (first upload only, ~10 s)…")
def get_extractor():
    """The extraction model, loaded once per process on the first upload."""
    # Imported here, not at module level: pages that only show stored results must never pull
    # in torch / sentence-transformers.
    from extract.pipeline import Extractor

    # warm(): the model loads now, under the spinner, not silently inside the first file.
    return Extractor().warm()


# --------------------------------------------------------------------------- rubric state
CUSTOM_AGE = "Custom age"
JURISDICTION_OPTIONS = [*JURISDICTIONS, CUSTOM_AGE]
DEFAULT_JURISDICTION = next(iter(JURISDICTIONS))
WEIGHT_KEYS = {a: f"w_{a}" for a in SCORED_AREAS}
RUBRIC_DEFAULTS: dict[str, object] = {
    "jurisdiction": DEFAULT_JURISDICTION,
    "custom_age": JURISDICTIONS[DEFAULT_JURISDICTION],
    **{WEIGHT_KEYS[a]: int(DEFAULT_WEIGHTS[a]) for a in SCORED_AREAS},
}


def init_rubric_state() -> None:
    """Give the rubric keys their defaults and keep them across page switches.

    The rubric widgets live on the Scorecard page only; Streamlit drops a widget's value when
    its page is left. Re-assigning each key at the start of every run (app.py calls this before
    any page) keeps the reviewer's choice for all pages.
    """
    for key, default in RUBRIC_DEFAULTS.items():
        st.session_state[key] = st.session_state.get(key, default)


def reset_rubric() -> None:
    """on_click callback: back to the default jurisdiction and weights."""
    for key, default in RUBRIC_DEFAULTS.items():
        st.session_state[key] = default


def required_age() -> int:
    j = st.session_state.get("jurisdiction", DEFAULT_JURISDICTION)
    if j in JURISDICTIONS:
        return JURISDICTIONS[j]
    return int(st.session_state.get("custom_age", RUBRIC_DEFAULTS["custom_age"]))


def current_rubric() -> Rubric:
    """The reviewer's rubric from session state (defaults when the Scorecard was never opened)."""
    weights = {a: float(st.session_state.get(WEIGHT_KEYS[a], RUBRIC_DEFAULTS[WEIGHT_KEYS[a]]))
               for a in SCORED_AREAS}
    return Rubric(required_age=required_age(), weights=weights)


def jurisdiction_label() -> str:
    j = st.session_state.get("jurisdiction", DEFAULT_JURISDICTION)
    return j if j in JURISDICTIONS else f"Custom (age {required_age()})"


def stop() -> NoReturn:
    """End the page here, as `st.stop()` does, after drawing the shared sidebar.

    app.py draws the sidebar after the page, so that the page's first elements reach the
    browser first; after `st.stop()` Streamlit drops every further element, so a page that ends
    early draws it here. Pages call this, never `st.stop()` (a test checks).
    """
    render_sidebar()
    st.stop()
    raise AssertionError("st.stop() returned")  # it raises; this line is for type checkers


def render_sidebar() -> None:
    """The rubric in force and who is acting (sign-in), shown on every page."""
    rubric = current_rubric()
    with st.sidebar:
        st.markdown("**Rubric in force**")
        st.markdown(f"{jurisdiction_label()}  \nRequired minimum age for children: "
                    f"**{rubric.required_age}**")
        w = rubric.normalised_weights()
        st.caption("Weights: " + " · ".join(f"{AREA_TITLES[a]} {w[a] * 100:.0f}%"
                                            for a in SCORED_AREAS))
        st.page_link(PAGE_SCORECARD, label="Change rubric", icon=":material/tune:")
        st.divider()
        st.caption(f"Facts marked {REVIEW_MARK} need review: the extractor was unsure, or a "
                   "“yes” has no quoted evidence. Check the quote before relying on it. "
                   f"{REVIEWED_MARK} marks a reviewer's override.")
        render_identity()


# --------------------------------------------------------------------------- facts → display
def specs_by_area(areas: Iterable[str] = AREAS) -> dict[str, list[FactSpec]]:
    """Taxonomy facts grouped by area, in table order (areas in the given order)."""
    wanted = list(areas)
    return {a: [s for s in taxonomy() if s.area == a] for a in wanted}


@dataclass(frozen=True)
class Cell:
    """One fact of one vendor as the UI shows it."""

    text: str        # short value text: "yes", "not stated", "vague", "16", "30 days"
    level: int       # STATED / PARTIAL / NOT_STATED
    review: bool     # show ⚠
    confidence: float | None
    evidence: tuple  # Evidence objects
    note: str = ""   # why it needs review, in words
    reviewed: bool = False  # the value is a reviewer's override


def cell(spec: FactSpec, fact: Fact | None, rubric: Rubric) -> Cell:
    """Turn a stored fact into what the UI shows: honest "not stated" instead of "no"."""
    if fact is None:
        return Cell("not stated", NOT_STATED, False, None, ())
    v, ev = fact.value, tuple(fact.evidence)
    if spec.kind == "bool":
        text, level = ("yes", STATED) if v is True else ("not stated", NOT_STATED)
    elif spec.kind == "level":
        text = str(v or "none")
        level = {"specific": STATED, "vague": PARTIAL}.get(text, NOT_STATED)
        text = "not stated" if level == NOT_STATED else text
    elif spec.kind == "age":
        if isinstance(v, int) and not isinstance(v, bool):
            text, level = str(v), (STATED if v >= rubric.required_age else PARTIAL)
        else:
            text, level = "not stated", NOT_STATED
    else:  # free text such as retention periods ("30 days; 7 years"): informational
        text = str(v).strip() if v not in (None, False, "") else ""
        text, level = (text, STATED) if text else ("not stated", NOT_STATED)
    note = ""
    if level != NOT_STATED and not ev:
        note = "stated without a quoted sentence; check the document"
    elif needs_review(fact):
        note = ("low confidence; check the quote" if level != NOT_STATED
                else "a sentence came close; the policy may say it in other words")
    if getattr(fact, "reviewed", False):  # a reviewer decided it: nothing left to check
        return Cell(text, level, False, float(fact.confidence), ev, "", True)
    return Cell(text, level, bool(note), float(fact.confidence), ev, note)


def cell_label(c: Cell, short: bool = False) -> str:
    """Cell text with the review mark; `short` abbreviates "not stated" for dense grids."""
    text = "—" if short and c.level == NOT_STATED else c.text
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if len(parts) > 1:  # a list of periods: the first one and how many more
        text = f"{parts[0]}…" if short else f"{parts[0]} +{len(parts) - 1}"
    limit = 9 if short else 14  # dense grids have narrow cells
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if c.reviewed:
        return f"{text} {REVIEWED_MARK}"
    return f"{text} {REVIEW_MARK}" if c.review else text


def scores_of(rec: PolicyRecord, rubric: Rubric) -> Scores:
    return score(rec.facts, rubric)


def review_count(rec: PolicyRecord, rubric: Rubric) -> int:
    return sum(cell(s, rec.facts.get(s.id), rubric).review for s in taxonomy())


# --------------------------------------------------------------------------- tables
def score_frame(records: Sequence[PolicyRecord], rubric: Rubric) -> "pd.DataFrame":
    """One row per vendor: area scores, overall, grade and ⚠ count, best first."""
    rows = []
    for r in records:
        s = scores_of(r, rubric)
        rows.append({"Vendor": r.vendor, "Grade": s.grade, "Overall": s.overall,
                     "Rights": s.rights, "Retention": s.retention, "Security": s.security,
                     "Children": s.children, f"{REVIEW_MARK} to review": review_count(r, rubric)})
    import pandas as pd

    df = pd.DataFrame(rows, columns=["Vendor", "Grade", "Overall", "Rights", "Retention",
                                     "Security", "Children", f"{REVIEW_MARK} to review"])
    return df.sort_values(["Overall", "Vendor"], ascending=[False, True], ignore_index=True)


def score_column_config() -> dict:
    bar = dict(min_value=0, max_value=100, format="%.0f")
    return {
        # Pinned: in a narrow window (800 px with the sidebar open) the grid scrolls sideways,
        # and the vendor name must stay beside the scores it owns.
        "Vendor": st.column_config.TextColumn("Vendor", width="medium", pinned=True),
        "Grade": st.column_config.TextColumn("Grade", width="small",
                                             help=grade_help()),
        "Overall": st.column_config.ProgressColumn("Overall", help="Weighted mean of the four "
                                                   "areas (0–100)", **bar),
        # Plain numbers for the areas: five progress bars do not fit an 800 px window.
        **{AREA_TITLES[a]: st.column_config.NumberColumn(AREA_TITLES[a], format="%.0f",
                                                         width="small")
           for a in SCORED_AREAS},
        f"{REVIEW_MARK} to review": st.column_config.NumberColumn(
            f"{REVIEW_MARK} to review", help="Facts to check by hand before relying on them",
            width="small"),
    }


def grade_help() -> str:
    bands = [f"{g} ≥ {floor:.0f}" for g, floor in GRADE_BANDS if floor > 0]
    return "Grade from the overall score: " + ", ".join(bands) + f", {GRADE_BANDS[-1][0]} below"


MATRIX_PAGE_SIZE = 20  # vendors per matrix page: beyond that a grid stops being readable


def ranked(records: Sequence[PolicyRecord], rubric: Rubric) -> list[PolicyRecord]:
    """Records best first (overall score, then name): the order of every ranking and page."""
    return sorted(records, key=lambda r: (-scores_of(r, rubric).overall, r.vendor.lower()))


def page_slices(n: int, size: int = MATRIX_PAGE_SIZE) -> list[tuple[int, int]]:
    """(start, stop) of each page of `n` items."""
    return [(i, min(i + size, n)) for i in range(0, n, size)] or [(0, 0)]


def _hover_text(vendor: str, spec: FactSpec, c: Cell) -> str:
    """Plain-text hover for a matrix cell (an HTML `title`): value, review note, first quote."""
    first = c.evidence[0] if c.evidence else None
    quote = " ".join(quote_text(first.text).split()) if first else ""
    if len(quote) > 400:
        quote = quote[:399] + "…"
    lines = [f"{vendor} · {spec.label}: {c.text}"]
    if c.review:
        lines.append(f"{REVIEW_MARK} {c.note}")
    lines.append(f"“{quote}” (page {first.page})" if first else "not stated in the policy")
    return "\n".join(lines)


def matrix_html(records: Sequence[PolicyRecord], areas: Sequence[str], rubric: Rubric) -> str:
    """The comparison matrix as a coloured HTML grid: facts (rows) × vendors (columns).

    Plain HTML paints with the page, long before a chart library has loaded, and reads well
    in screen readers. Each cell carries its value as text, and its first evidence quote as
    hover text. Every third-party string goes through `escape(..., "html")`.
    """
    short = len(records) > 5
    head = "".join(f'<th scope="col" class="pp-mv" title="{escape(r.vendor, "html")}">'
                   f"{_vendor_tick(r.vendor, 40)}</th>" for r in records)
    rows = [f'<thead><tr><th scope="col" class="pp-mf">Fact</th>{head}</tr></thead><tbody>']
    for area, specs in specs_by_area(areas).items():
        if not specs:
            continue
        note = "" if area in SCORED_AREAS else " <i>(not scored)</i>"
        rows.append(f'<tr class="pp-marea"><th scope="rowgroup" class="pp-mf" '
                    f'colspan="{len(records) + 1}">{AREA_TITLES[area].upper()}{note}</th></tr>')
        for s in specs:
            tds = []
            for r in records:
                c = cell(s, r.facts.get(s.id), rubric)
                tds.append(f'<td style="background:{CELL_COLOURS[c.level]};'
                           f'color:{CELL_TEXT_COLOURS[c.level]}" '
                           f'title="{escape(_hover_text(r.vendor, s, c), "html")}">'
                           f"{escape(cell_label(c, short=short), 'html')}</td>")
            rows.append(f'<tr><th scope="row" class="pp-mf" '
                        f'title="{escape(s.description, "html")}">{escape(s.label, "html")}'
                        f"</th>{''.join(tds)}</tr>")
    rows.append("</tbody>")
    return (f'<div class="pp-mwrap" role="region" aria-label="Comparison matrix" tabindex="0">'
            f'<table class="pp-matrix">{"".join(rows)}</table></div>')


# --------------------------------------------------------------------------- charts
def _wrap(text: str, width: int = 60, max_chars: int = 320) -> str:
    """Escape and wrap a quote for Plotly hover text (Plotly reads `<br>` as a line break)."""
    text = " ".join(str(text).split())
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return "<br>".join(escape(line, "html") for line in textwrap.wrap(text, width)) or ""


def _vendor_tick(name: str, max_chars: int = 28) -> str:
    # One line: Plotly tilts the labels by itself when columns get narrow, and tilted
    # multi-line labels are hard to read.
    name = " ".join(name.split())
    return escape(name if len(name) <= max_chars else name[: max_chars - 1] + "…", "html")


def matrix_figure(records: Sequence[PolicyRecord], areas: Sequence[str], rubric: Rubric):
    """Plotly heat-map: facts (rows, grouped by area) × vendors (columns), colour + text."""
    import plotly.graph_objects as go

    groups = specs_by_area(areas)
    short = len(records) > 5
    y, ticks, z, text, hover = [], [], [], [], []
    for area, specs in groups.items():
        if not specs:
            continue
        # A header row per area (empty cells) keeps the groups readable without extra axes.
        y.append(f"__{area}")
        ticks.append(f"<b>{AREA_TITLES[area].upper()}</b>"
                     + ("" if area in SCORED_AREAS else " <i>(not scored)</i>"))
        z.append([None] * len(records))
        text.append([""] * len(records))
        hover.append([""] * len(records))
        for s in specs:
            y.append(s.id)
            ticks.append(escape(s.label, "html"))
            zr, tr, hr = [], [], []
            for r in records:
                c = cell(s, r.facts.get(s.id), rubric)
                zr.append(c.level)
                tr.append(cell_label(c, short=short))
                first = c.evidence[0] if c.evidence else None
                quote = (f"“{_wrap(quote_text(first.text))}”<br><i>page {first.page}</i>"
                         if first else "<i>not stated in the policy</i>")
                conf = f" · confidence {c.confidence:.2f}" if c.confidence is not None else ""
                review = f"<br>{REVIEW_MARK} {escape(c.note, 'html')}" if c.review else ""
                hr.append(f"<b>{escape(r.vendor, 'html')}</b><br>{escape(s.label, 'html')} "
                          f"({AREA_TITLES[area]}): <b>{escape(c.text, 'html')}</b>{conf}"
                          f"{review}<br>{quote}")
            z.append(zr)
            text.append(tr)
            hover.append(hr)
    colours = [CELL_COLOURS[k] for k in (NOT_STATED, PARTIAL, STATED)]
    scale = [[0, colours[0]], [0.33, colours[0]], [0.34, colours[1]], [0.66, colours[1]],
             [0.67, colours[2]], [1, colours[2]]]
    x = [str(r.vendor_id) for r in records]
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, text=text, texttemplate="%{text}", hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>", colorscale=scale, zmin=0, zmax=2,
        showscale=False, xgap=2, ygap=2, hoverongaps=False,
        textfont=dict(size=11)))  # Plotly picks dark or light text per cell for contrast
    fig.update_layout(
        height=max(260, 26 * len(y) + 90), margin=dict(l=10, r=10, t=70, b=10),
        xaxis=dict(side="top", type="category", tickmode="array", tickvals=x,
                   ticktext=[_vendor_tick(r.vendor) for r in records], tickfont=dict(size=11),
                   fixedrange=True),
        yaxis=dict(autorange="reversed", type="category", tickmode="array", tickvals=y,
                   ticktext=ticks,
                   fixedrange=True, automargin=True),
        plot_bgcolor="rgba(0,0,0,0)", hoverlabel=dict(align="left"),
    )
    return fig


def ranking_figure(records: Sequence[PolicyRecord], rubric: Rubric):
    """Horizontal bars of the overall score, best on top; hover shows the area breakdown."""
    import plotly.graph_objects as go

    w = rubric.normalised_weights()
    rows = sorted(((scores_of(r, rubric), r) for r in records),
                  key=lambda t: (t[0].overall, t[1].vendor.lower()))
    hover = []
    for s, r in rows:
        parts = "<br>".join(f"{AREA_TITLES[a]}: {getattr(s, a):.0f} × {w[a] * 100:.0f}%"
                            for a in SCORED_AREAS)
        # The rubric line behind the bar: weighted areas, then the grade bands.
        hover.append(f"<b>{escape(r.vendor, 'html')}</b><br>Overall {s.overall:.1f} · grade "
                     f"{s.grade}<br>{parts}<br><i>{escape(grade_help(), 'html')}</i>")
    fig = go.Figure(go.Bar(
        x=[s.overall for s, _ in rows], y=[str(r.vendor_id) for _, r in rows], orientation="h",
        text=[f"{s.overall:.0f} · {s.grade}" for s, _ in rows], textposition="auto",
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        marker_color=BAR_COLOUR, insidetextfont=dict(color="#FFFFFF")))
    for _, floor in GRADE_BANDS[:-1]:
        fig.add_vline(x=floor, line=dict(color="#999999", width=1, dash="dot"), layer="below")
    fig.update_layout(
        height=max(180, 38 * len(rows) + 70), margin=dict(l=10, r=10, t=30, b=40),
        xaxis=dict(range=[0, 100], title="Overall score (0–100); dotted lines: grade bands",
                   fixedrange=True),
        # type="category": ids are digit strings, which Plotly would otherwise plot as numbers.
        yaxis=dict(type="category", tickmode="array",
                   tickvals=[str(r.vendor_id) for _, r in rows],
                   ticktext=[_vendor_tick(r.vendor) for _, r in rows], automargin=True,
                   fixedrange=True),
        showlegend=False, hoverlabel=dict(align="left"))
    return fig


def rubric_lines() -> dict[str, str]:
    """RUBRIC_TEXT split per area: the one-paragraph rule shown in radar hovers."""
    out = {}
    for para in re.split(r"\n\s*\n", RUBRIC_TEXT.strip()):
        flat = " ".join(para.split()).replace("**", "")
        for a in SCORED_AREAS:
            if flat.lower().startswith(a):
                out[a] = flat
    return out


def radar_figure(scores: Scores, rubric: Rubric):
    """Radar of the four area scores; hover shows the rubric rule behind each area."""
    import plotly.graph_objects as go

    lines = rubric_lines()
    theta = [AREA_TITLES[a] for a in SCORED_AREAS]
    r = [getattr(scores, a) for a in SCORED_AREAS]
    hover = [f"<b>{AREA_TITLES[a]}: {getattr(scores, a):.0f}/100</b><br>"
             f"{_wrap(lines.get(a, ''), 55, 600)}" for a in SCORED_AREAS]
    fig = go.Figure(go.Scatterpolar(
        r=r + r[:1], theta=theta + theta[:1], fill="toself", hovertext=hover + hover[:1],
        hovertemplate="%{hovertext}<extra></extra>", line=dict(color=BAR_COLOUR, width=2),
        fillcolor="rgba(0,114,178,0.25)", marker=dict(size=8, color=AREA_MARKER)))
    fig.update_layout(
        # Areas clockwise from the top; the radial ticks run along the diagonal between two
        # areas, so "100" never sits on an area's name (it did at 800 px).
        polar=dict(radialaxis=dict(range=[0, 100], tickvals=[25, 50, 75, 100], angle=45,
                                   tickangle=45, tickfont=dict(size=10)),
                   angularaxis=dict(rotation=90, direction="clockwise")),
        height=340, margin=dict(l=75, r=75, t=35, b=35), showlegend=False,
        hoverlabel=dict(align="left"))
    return fig


def plotly(fig, key: str | None = None) -> None:
    """Render a figure full-width; no mode bar (it overlaps the vendor names at the top)."""
    st.plotly_chart(fig, width="stretch", key=key,
                    config={"displayModeBar": False, "responsive": True})


# --------------------------------------------------------------------------- HTML fragments
_CSS = """
<style>
.pp-badge{display:inline-block;padding:.05rem .5rem;border-radius:.6rem;font-size:.85rem;
  font-weight:600;white-space:nowrap;border:1px solid rgba(0,0,0,.15)}
.pp-fact{padding:.45rem 0;border-bottom:1px solid rgba(128,128,128,.25)}
.pp-head{display:flex;flex-wrap:wrap;gap:.4rem .6rem;align-items:baseline}
.pp-label{font-weight:600}
.pp-meta{color:#555;font-size:.85rem}
.pp-desc{color:#555;font-size:.85rem;margin:.1rem 0 .2rem}
.pp-quote{margin:.3rem 0 .1rem 0;padding:.25rem .7rem;border-left:3px solid #0072B2;
  background:rgba(0,114,178,.06);overflow-wrap:anywhere}
.pp-quote mark{background:#F0E442;color:#111;padding:0 .1rem}
.pp-where{color:#555;font-size:.8rem}
.pp-legend{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center;font-size:.9rem}
.pp-swatch{display:inline-block;width:1.1rem;height:1.1rem;border-radius:.2rem;
  vertical-align:middle;margin-right:.35rem;border:1px solid rgba(0,0,0,.2)}
.pp-table{width:100%;border-collapse:collapse;table-layout:fixed;font-size:.9rem}
.pp-table th,.pp-table td{border-bottom:1px solid rgba(128,128,128,.3);padding:.4rem;
  vertical-align:top;text-align:left;overflow-wrap:anywhere}
.pp-table th:first-child,.pp-table td:first-child{width:24%}
.pp-table tr.pp-diff td{background:rgba(230,159,0,.12)}
.pp-table tr.pp-diff td:first-child{border-left:4px solid #E69F00}
.pp-review{color:#8a5a00;font-size:.85rem}
.pp-reviewed{color:#0072B2;font-weight:600;font-size:.85rem}
.pp-override{border-left:4px solid #0072B2;padding:.2rem .6rem;margin:.2rem 0 .6rem;
  font-size:.85rem;background:rgba(0,114,178,.06)}
.pp-mwrap{overflow-x:auto;max-width:100%}
table.pp-matrix{border-collapse:separate;border-spacing:2px;font-size:.8rem;margin:0}
.pp-matrix td{padding:.2rem .35rem;text-align:center;white-space:nowrap;border-radius:.15rem;
  min-width:3.2rem;cursor:help}
.pp-matrix th{font-weight:600;text-align:left;white-space:nowrap;padding:.2rem .35rem}
.pp-matrix th.pp-mv{text-align:center;white-space:normal;min-width:4rem;max-width:6.5rem;
  overflow-wrap:anywhere;vertical-align:bottom;line-height:1.2}
.pp-matrix th.pp-mf{position:sticky;left:0;background:#FFFFFF;z-index:1;max-width:14rem;
  overflow:hidden;text-overflow:ellipsis}
.pp-matrix tr.pp-marea th{padding-top:.6rem;color:#333;letter-spacing:.03em}
/* Fragments are drawn by st.markdown, whose own table style (cell borders, zebra rows)
   must not leak into ours. */
.pp-matrix,.pp-matrix tr,.pp-matrix th,.pp-matrix td,.pp-table,.pp-table tr{border:none;
  background-color:transparent}
.pp-table th,.pp-table td{border:none;border-bottom:1px solid rgba(128,128,128,.3)}
</style>
"""


def css_block() -> str:
    """The shared style sheet, prepended to each HTML fragment (styles are page-global)."""
    return _CSS


def badge(c: Cell) -> str:
    """A value pill: colour AND text (colour is never the only signal)."""
    bg, fg = CELL_COLOURS[c.level], CELL_TEXT_COLOURS[c.level]
    return (f'<span class="pp-badge" style="background:{bg};color:{fg}">'
            f"{escape(c.text, 'html')}</span>")


def highlight(text: str, spec: FactSpec | None, extra: Iterable[str] = ()) -> str:
    """Escaped quote with the phrases that matched the fact's patterns wrapped in <mark>.

    Every fragment is passed through `escape(..., "html")`; only our own <mark> tags are added.
    """
    spans: list[tuple[int, int]] = []
    for pat in (spec.patterns if spec else ()):
        spans += [m.span() for m in pat.finditer(text) if m.end() > m.start()]
    for word in extra:
        if word:
            spans += [m.span() for m in re.finditer(re.escape(word), text, re.IGNORECASE)]
    merged: list[list[int]] = []
    for a, b in sorted(_whole_words(text, a, b) for a, b in spans):
        # Touching phrases ("Access" + ": " + "Request access…") read better as one mark.
        if merged and (a <= merged[-1][1] or (a - merged[-1][1] <= 3
                                               and not text[merged[-1][1]:a].strip(" :,-–"))):
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out.append(escape(text[pos:a], "html"))
        out.append(f"<mark>{escape(text[a:b], 'html')}</mark>")
        pos = b
    out.append(escape(text[pos:], "html"))
    return "".join(out)


def _whole_words(text: str, a: int, b: int) -> tuple[int, int]:
    """Grow a match to whole words ("Portab" → "Portability") and drop edge punctuation."""
    while a > 0 and text[a - 1].isalnum() and text[a].isalnum():
        a -= 1
    while b < len(text) and text[b].isalnum() and text[b - 1].isalnum():
        b += 1
    while a < b and not text[a].isalnum():
        a += 1
    while b > a and not text[b - 1].isalnum():
        b -= 1
    return a, b


_BULLET = re.compile(r"^\s*(?:[-–—•*·▪◦]|\(?[0-9a-z]{1,3}[.)])\s+")


def quote_text(text: str) -> str:
    """The quote as shown: the exact sentence, without a leading list bullet ("- ", "a) ")."""
    return _BULLET.sub("", text, count=1)


def evidence_html(c: Cell, spec: FactSpec | None, value_words: Iterable[str] = ()) -> str:
    """Every evidence quote of a fact, with page and section, keywords highlighted."""
    parts = []
    for e in c.evidence:
        where = f"page {e.page}" + (f" · section “{escape(e.section, 'html')}”"
                                    if e.section else "")
        parts.append(f'<div class="pp-quote">“{highlight(quote_text(e.text), spec, value_words)}”'
                     f'<div class="pp-where">{where}</div></div>')
    return "".join(parts)


def value_words(spec: FactSpec, c: Cell) -> list[str]:
    """Words worth highlighting beyond the patterns: the age or the retention periods."""
    if spec.kind == "age" and c.level != NOT_STATED:
        return [c.text]
    if spec.kind == "periods" and c.level != NOT_STATED:
        return [p.strip() for p in c.text.split(";")]
    return []


def fact_html(spec: FactSpec, c: Cell, show_description: bool = True) -> str:
    """One fact: label, value badge, confidence, ⚠ and the evidence quotes."""
    # For "not stated" the stored confidence is that of the absence; showing it beside the
    # badge reads as confidence in a claim, so it is left out (the ⚠ note covers doubt).
    conf = (f'<span class="pp-meta">confidence {c.confidence:.2f}</span>'
            if c.confidence is not None and c.level != NOT_STATED else "")
    review = (f'<span class="pp-review">{REVIEW_MARK} needs review: {escape(c.note, "html")}'
              "</span>" if c.review else "")
    desc = (f'<div class="pp-desc">{escape(spec.description, "html")}</div>'
            if show_description else "")
    return (f'<div class="pp-fact"><div class="pp-head"><span class="pp-label">'
            f"{escape(spec.label, 'html')}</span>{badge(c)}{conf}{review}"
            + (f'<span class="pp-reviewed">{REVIEWED_MARK} reviewed</span>' if c.reviewed else "")
            + f"</div>{desc}"
            f"{evidence_html(c, spec, value_words(spec, c))}</div>")


def legend_html(rubric: Rubric) -> str:
    """Colour legend for the matrix and the badges."""
    items = "".join(
        f'<span><span class="pp-swatch" style="background:{CELL_COLOURS[k]}"></span>'
        f"{escape(CELL_MEANING[k], 'html')}</span>" for k in (STATED, PARTIAL, NOT_STATED))
    return (f'{css_block()}<div class="pp-legend">{items}<span>{REVIEW_MARK} needs review '
            "(low confidence, or a “yes” without a quote)</span>"
            f"<span>Minimum age is compared with {rubric.required_age} "
            f"({escape(jurisdiction_label(), 'html')}).</span></div>")


def show_html(body: str) -> None:
    """Render our HTML (built only from escaped fragments) with the shared styles.

    Drawn with `st.markdown` as one line that starts with `<style>`: CommonMark reads that as a
    single raw-HTML block, so nothing inside is taken for Markdown (`*`, `_`, `$`, `[..](..)` in
    a policy's text stay text; the browser test checks). Not `st.html`, whose renderer and
    sanitiser are extra front-end downloads fetched on first use, behind the chart libraries:
    they held back the matrix's first paint by 0.5–2 s (`python -m extract.bench`)."""
    st.markdown(_NEWLINES.sub(" ", (css_block() + body).strip()), unsafe_allow_html=True)


_NEWLINES = re.compile(r"\s*\n\s*")  # our markup never relies on line breaks (no <pre>)


# --------------------------------------------------------------------------- uploads
ALLOWED_TYPES = ["pdf", "txt", "md", "html", "htm", "docx"]


def max_upload_bytes() -> int:
    """The server-side size limit: the reader's own limit when it has one, else 25 MB."""
    try:
        from extract import read

        limit = getattr(getattr(read, "LIMITS", None), "max_bytes", None)
        if isinstance(limit, int) and limit > 0:
            return limit
    except Exception:  # noqa: BLE001 - the reader may be missing or broken; keep a safe default
        pass
    return 25 * 1024 * 1024


@dataclass(frozen=True)
class UploadResult:
    """What happened to one uploaded file."""

    filename: str
    status: Literal["added", "duplicate", "error"]
    message: str
    vendor_id: int | None = None
    vendor: str | None = None
    warnings: tuple[str, ...] = ()  # the reader's notes, e.g. "does not look like English"


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def process_uploads(files: Sequence[tuple[str, bytes]], vendor_override: str | None,
                    store: Store, extractor_factory: Callable[[], object],
                    on_progress: Callable[[int, str], None] | None = None,
                    limit: int | None = None,
                    actor: User | None = None) -> list[UploadResult]:
    """Read, extract and store each file; one bad file never stops the batch.

    Nothing stored changes on a failure: a file is only written by one `Store.add` transaction
    after it was read and extracted. The model (`extractor_factory`, called at most once) is
    only loaded when a readable new file needs it: duplicates, oversized and unreadable files
    are answered without it. Messages are reviewer-readable: `ExtractError` texts as they are,
    anything unexpected as a generic sentence (and logged with its traceback).
    """
    from extract.read import read_document  # no model: pypdf / docx / html readers only

    vendor = (vendor_override or "").strip() or None
    limit = limit or max_upload_bytes()
    extractor = None
    results: list[UploadResult] = []
    for i, (name, data) in enumerate(files):
        if on_progress:
            on_progress(i, name)
        try:
            if len(data) > limit:
                results.append(UploadResult(name, "error", f"The file is {_mb(len(data))}; the "
                                            f"limit is {_mb(limit)}. Nothing was stored."))
                continue
            sha = hashlib.sha256(data).hexdigest()
            if (known := store.find_document(sha)) is not None:
                results.append(UploadResult(
                    name, "duplicate", "Already stored (same file); nothing changed.",
                    known.vendor_id, known.vendor))
                continue
            doc = read_document(data, name)
            if extractor is None:
                extractor = extractor_factory()
            extraction = extractor.from_document(doc, vendor)
            added = store.add(extraction, vendor=vendor, actor=actor)
            if added.created:
                n = sum(1 for f in extraction.facts.values()
                        if f.value not in (None, False, "", "none"))
                results.append(UploadResult(name, "added", f"Added: {n} facts stated.",
                                            added.vendor_id, added.vendor,
                                            tuple(doc.warnings)))
            else:
                results.append(UploadResult(name, "duplicate", "Already stored (same file); "
                                            "nothing changed.", added.vendor_id, added.vendor))
        except ExtractError as exc:  # includes StoreError: its text is written for reviewers
            results.append(UploadResult(name, "error", f"{exc} Nothing was stored."))
        except Exception:  # noqa: BLE001 - never show a traceback to a reviewer
            log.exception("upload of %r failed", name)
            results.append(UploadResult(name, "error", "This file could not be processed "
                                        "because of an unexpected error (it has been logged). "
                                        "Nothing was stored."))
    return results


def empty_state() -> None:
    """What to do when no vendor is stored yet."""
    st.info("No vendors yet. Upload a privacy policy (PDF, TXT, Markdown, HTML or DOCX) to "
            "start.", icon=":material/info:")
    st.page_link(PAGE_UPLOAD, label="Go to Upload", icon=":material/upload_file:")


# --------------------------------------------------------------------------- sign-in & roles
AuthMode = Literal["oidc", "local", "none"]


def _secrets_section(name: str):
    try:
        return st.secrets.get(name)
    except Exception:  # noqa: BLE001 - no secrets.toml at all: sign-in is simply not configured
        return None


def auth_mode() -> AuthMode:
    """"oidc" when `.streamlit/secrets.toml` has an [auth] section, "local" when
    `$PRIVACY_USERS_FILE` is set, else "none" (the app then binds to localhost only)."""
    if _secrets_section("auth"):
        return "oidc"
    return "local" if users_file_path() else "none"


def _oidc_user() -> User | None:
    if not getattr(st.user, "is_logged_in", False):
        return None
    email = str(st.user.get("email") or "")
    name = str(st.user.get("name") or email or "signed-in user")
    # Roles for OIDC users: [roles] in secrets.toml lists e-mail addresses per role.
    roles = _secrets_section("roles") or {}
    role = next((r for r in ("admin", "reviewer") if email and email.lower() in
                 [str(x).lower() for x in roles.get(r, [])]), None)
    return User(name, role or str(roles.get("default", "viewer")))


def current_user() -> User | None:
    """Who is acting: the signed-in user, or without sign-in the sidebar's reviewer name (full
    rights: the app then only listens on localhost). None when sign-in is required but missing."""
    mode = auth_mode()
    if mode == "oidc":
        return _oidc_user()
    if mode == "local":
        return st.session_state.get("_user")
    name = str(st.session_state.get("reviewer_name") or "").strip() or LOCAL_USER.name
    return User(name, LOCAL_USER.role)


def can_write() -> bool:
    user = current_user()
    return bool(user and user.can_write)


def _sign_in_local(name: str, password: str) -> None:
    try:
        users = load_users(users_file_path())
    except UsersFileError as exc:
        st.session_state["_signin_error"] = str(exc)
        return
    user = authenticate(users, name, password)
    if user is None:
        st.session_state["_signin_error"] = "Unknown user name or wrong password."
    else:
        st.session_state["_user"] = user
        st.session_state.pop("_signin_error", None)


def sign_in_gate() -> bool:
    """True when pages may run. When sign-in is configured and nobody is signed in, shows the
    sign-in form (local users file) or button (OIDC) instead, and returns False."""
    mode = auth_mode()
    if mode == "none" or current_user() is not None:
        return True
    st.title("Vendor privacy posture")
    st.subheader("Sign in", anchor=False)
    if mode == "oidc":
        st.write("This dashboard requires sign-in with your organisation's account.")
        if st.button("Sign in", key="signin_oidc", type="primary"):
            st.login()
        return False
    with st.form("signin_form"):
        name = st.text_input("User name", key="signin_user")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in", key="signin_submit", type="primary")
    if submitted:
        _sign_in_local(name, password)
        if "_user" in st.session_state:
            st.rerun()
    if err := st.session_state.get("_signin_error"):
        st.error(escape(err), icon=":material/lock:")
    return False


def sign_out() -> None:
    if auth_mode() == "oidc":
        st.logout()
    st.session_state.pop("_user", None)


def render_identity() -> None:
    """Sidebar: who is signed in (and a sign-out button), or the reviewer name without sign-in."""
    mode = auth_mode()
    st.divider()
    if mode == "none":
        st.caption("Running without sign-in: only this computer can open the app (localhost). "
                   "Overrides and the audit trail record the name below.")
        st.text_input("Reviewer name", value=LOCAL_USER.name, key="reviewer_name",
                      max_chars=80)
        return
    user = current_user()
    if user is None:
        return
    st.markdown(f"Signed in as **{escape(user.name)}** ({escape(user.role)})")
    if not user.can_write:
        st.caption("Viewers can read everything but cannot override, upload or delete.")
    st.button("Sign out", key="sign_out", on_click=sign_out, icon=":material/logout:")


def read_only_notice(what: str) -> None:
    user = current_user()
    st.info(f"Signed in as {escape(user.name if user else 'nobody')}, a viewer: you can read "
            f"but not {what}.", icon=":material/visibility:")


# --------------------------------------------------------------------------- overrides & diffs
def value_text(spec: FactSpec, fact: Fact | None, rubric: Rubric) -> str:
    """A fact value as a reviewer reads it ("not stated" for silence)."""
    return cell(spec, fact, rubric).text


def override_html(spec: FactSpec, rec: PolicyRecord, rubric: Rubric) -> str:
    """Beside an overridden fact: the reviewer's note and name, and the value as extracted
    (flagged when the extractor now says something else than when the override was made)."""
    ov = rec.overrides.get(spec.id)
    if ov is None:
        return ""
    extracted = rec.extracted.get(spec.id)
    now = value_text(spec, extracted, rubric)
    msg = (f"{REVIEWED_MARK} Override by <b>{escape(ov.reviewer, 'html')}</b> "
           f"({escape(ov.created_at, 'html')}): “{escape(ov.note, 'html')}”. "
           f"Extracted value: <b>{escape(now, 'html')}</b>.")
    if extracted is not None and extracted.value != ov.value:
        msg += f" {REVIEW_MARK} The extracted value disagrees with the override."
    if ov.extracted_value != (extracted.value if extracted else None):
        msg += (f" The extractor said <b>{escape(format_value(ov.extracted_value), 'html')}"
                "</b> when the override was made; the policy or extractor has changed since.")
    return f'<div class="pp-override">{msg}</div>'


def diff_html(diffs: Sequence[FactDiff], rubric: Rubric) -> str:
    """The facts gained, lost and changed between two versions, with both evidence quotes."""
    specs = {s.id: s for s in taxonomy()}
    words = {"gained": "＋ gained", "lost": "− lost", "changed": "≠ changed"}
    rows = []
    for d in diffs:
        s = specs[d.fact_id]
        cols = []
        for f in (d.old, d.new):
            c = cell(s, f, rubric)
            cols.append(f"<td>{badge(c)}{evidence_html(c, s, value_words(s, c))}</td>")
        rows.append(f"<tr><td><b>{escape(s.label, 'html')}</b><br><span class=\"pp-meta\">"
                    f"{AREA_TITLES[s.area]}</span></td><td>{words[d.change]}</td>"
                    f"{''.join(cols)}</tr>")
    return ('<table class="pp-table"><thead><tr><th>Fact</th><th>Change</th><th>Older version'
            f'</th><th>Newer version</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


REVIEW_STATUS_ICONS = {"not reviewed": "○", "in review": "◐", "approved": "●",
                       "approved with conditions": "◑", "rejected": "✕"}


def status_label(status: str) -> str:
    return f"{REVIEW_STATUS_ICONS.get(status, '')} {status}".strip()


def vendor_report(rec: PolicyRecord, rubric: Rubric) -> str:
    """The printable HTML report of one vendor, with its versions and audit trail."""
    from extract.report import vendor_report_html

    store = get_store()
    return vendor_report_html(rec, rubric, store.versions(rec.vendor_id),
                              store.audit_log(rec.vendor_id))


def xlsx_bytes(records: Sequence[PolicyRecord], rubric: Rubric) -> bytes:
    """The Excel workbook of all vendors (openpyxl is imported on first use only)."""
    from extract.report import to_xlsx

    return to_xlsx(records, rubric)
