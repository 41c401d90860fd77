"""A broken PDF text layer gives the same facts as the same policy as clean text.

Every seed policy (data/seeds) and every dev policy (../shared/dev/policies, skipped when
absent) is set as a PDF with one text-layer pathology at a time (`tests.pdfs.PATHOLOGIES`):
one word per line, tabs or zero-width spaces between words, ligature glyphs, headings and
clause numbers drawn twice, words glued at line breaks, page furniture, hyphenated wraps.
For each pathology, the fact values read from the PDFs agree with those read from the TXT
files on at least 97 % of facts. `-s` prints the per-pathology table. Below, each repair
is also specified on generic sentences.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from extract.read import read_document
from extract.repair import Repairs, dedupe_runs, deglue, repair_characters
from tests.core_fixtures import need_chromium
from tests.pdfs import PATHOLOGIES, UNICODE_FONT, browser_pdf, pathological_pdf
from tests.web_support import seed_html

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "data" / "seeds").glob("*.txt"))
DEV_DIR = ROOT.parent / "shared" / "dev" / "policies"
DEV = sorted(DEV_DIR.glob("*.txt")) if DEV_DIR.is_dir() else []
AGREEMENT = 0.97


def fact_values(extractor, data: bytes, filename: str) -> dict[str, object]:
    doc = read_document(data, filename)
    return {fid: fact.value for fid, fact in extractor.from_document(doc).facts.items()}


@pytest.fixture(scope="module")
def txt_facts(extractor):
    """Facts of every policy as TXT, computed once."""
    return {path: fact_values(extractor, path.read_bytes(), path.name) for path in SEEDS + DEV}


@pytest.fixture(scope="module")
def agreement(extractor, txt_facts):
    """{pathology: (facts agreeing, facts compared, disagreements)} over all policies."""
    table: dict[str, tuple[int, int, list[str]]] = {}
    for pathology in PATHOLOGIES:
        same = total = 0
        wrong: list[str] = []
        for path, expected in txt_facts.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # fpdf2: glyphs DejaVu lacks in a few texts
                data = pathological_pdf(path.read_text(encoding="utf-8"), pathology)
            got = fact_values(extractor, data, path.with_suffix(".pdf").name)
            for fid, value in expected.items():
                total += 1
                if got.get(fid) == value:
                    same += 1
                else:
                    wrong.append(f"{path.stem} {fid}: txt {value!r} pdf {got.get(fid)!r}")
        table[pathology] = (same, total, wrong)
    print(f"\n{'pathology':<18}{'agree':>8}{'facts':>8}{'rate':>8}   ({len(txt_facts)} policies)")
    for pathology, (same, total, _) in table.items():
        print(f"{pathology:<18}{same:>8}{total:>8}{same / total:>8.3f}")
    return table


@pytest.mark.parametrize("pathology", PATHOLOGIES)
def test_pathological_pdf_gives_the_facts_of_the_clean_text(agreement, pathology):
    if pathology in ("ligatures", "zero_width") and not UNICODE_FONT:
        pytest.skip("needs DejaVuSans to draw ligature glyphs and zero-width spaces")
    same, total, wrong = agreement[pathology]
    assert total and same / total >= AGREEMENT, wrong[:10]


def test_policies_printed_by_a_browser_give_the_facts_of_the_clean_text(extractor, txt_facts):
    """Each policy as a web page printed to PDF by Chromium (the way many vendor PDFs are made:
    Skia's text layer, justified lines, the browser's date, address and page numbers at every
    page's edges) gives the facts of the same policy as TXT."""
    need_chromium()
    same = total = 0
    wrong = []
    for path, expected in txt_facts.items():
        printed = browser_pdf(seed_html(path.read_text(encoding="utf-8"), chrome=False))
        got = fact_values(extractor, printed, path.with_suffix(".pdf").name)
        for fid, value in expected.items():
            total += 1
            same += got.get(fid) == value
            if got.get(fid) != value:
                wrong.append(f"{path.stem} {fid}: txt {value!r} pdf {got.get(fid)!r}")
    print(f"\nprinted by a browser: {same} of {total} facts agree ({same / total:.3f})")
    assert same / total >= AGREEMENT, wrong[:10]


def test_dev_policies_are_part_of_the_corpus_when_shared_data_is_present():
    if not DEV:
        pytest.skip("../shared/dev/policies not found")
    assert len(DEV) >= 5 and len(SEEDS) >= 5


# --------------------------------------------------------------------------- repairs, one by one

PROSE = ("We collect your name and email address when you register. We use your email address "
         "to send you receipts. You can ask us to delete your account at any time. ")


def repaired(pages: list[str]) -> tuple[list[str], Repairs]:
    repairs = Repairs()
    return repair_characters(pages, repairs), repairs


def test_zero_width_spaces_between_words_become_spaces():
    text = PROSE * 2  # a policy repeats its words; a zero-width break needs them known
    pages, repairs = repaired([text.replace(" ", "\u200b")])
    assert pages[0].rstrip("\u200b").split() == text.split()  # the end is dropped later
    assert repairs.counts["zero_width"] >= 30


def test_a_stray_zero_width_character_inside_a_word_is_not_a_space():
    pages, repairs = repaired([PROSE + "Con\u200btact us."])
    assert "Con\u200btact" in pages[0] and not repairs.counts["zero_width"]


def test_a_line_of_invisible_characters_joins_the_pieces_of_one_visual_line():
    pages, _ = repaired(["Last updated:\n\u200b\n1 May 2024\nRead this policy carefully\n\u200b\n.\n"
                         "See the clause below (\n\u200b\nCookies\n\u200b\n)."])
    assert pages[0] == ("Last updated: 1 May 2024\nRead this policy carefully.\n"
                        "See the clause below (Cookies).")


def test_ligature_glyphs_are_mapped_by_the_document_own_words():
    text = (PROSE + "We give notice of international transfers and affected offices. "
            "We give noƟce of internaƟonal transfers and a\u2c60ected o\u2c60ices.")
    pages, repairs = repaired([text])
    assert pages[0].endswith("We give notice of international transfers and affected offices.")
    assert repairs.counts["ligature"] == 4


def test_a_known_ligature_glyph_is_mapped_without_evidence_but_accents_are_left_alone():
    pages, _ = repaired(["Our informaƟon security team works at the Café Müller."])
    assert pages[0] == "Our information security team works at the Café Müller."


def test_doubled_headings_and_clause_numbers_are_collapsed():
    repairs = Repairs()
    lines = dedupe_runs(["1.1 1.1 . . Data Retention", "Data Retention Data Retention",
                         "Your Rights", "", "Your Rights", "Scope Scope",
                         "We keep that that record for a year."], repairs)
    assert lines == ["1.1. Data Retention", "Data Retention", "Your Rights", "", "Scope",
                     "We keep that that record for a year."]
    assert repairs.counts["duplicate"] == 5


def test_a_repeated_phrase_inside_a_sentence_is_real_english_and_stays():
    line = "We log the device model, app version, app version, app build and language."
    assert dedupe_runs([line], Repairs()) == [line]


def test_words_glued_at_line_breaks_are_split_when_the_document_shows_the_pattern():
    clean = [PROSE * 3, "You can learn how this works and how we keep your data safe."]
    glued = clean + ["We use yourname to send receipts. You can askus to delete it. "
                     "We keep youraccount and your email to send youreceipts. Learn howthis "
                     "works and howwe keep data."]
    repairs = Repairs()
    out = deglue([glued], repairs)[0][-1]
    assert "your name" in out and "ask us" in out and "how this" in out and "how we" in out
    assert repairs.counts["glued"] >= 5


def test_a_one_off_compound_is_not_split_in_a_clean_document():
    pages = [[PROSE * 3, "Another team may look at your data without notice."]]
    assert deglue(pages, Repairs()) == pages


def test_the_reader_reports_what_it_repaired_in_one_short_warning():
    data = pathological_pdf((PROSE * 4 + "\n") * 3, "zero_width")
    doc = read_document(data, "a.pdf")
    assert "We collect your name and email address when you register." in doc.text
    (warning,) = [w for w in doc.warnings if w.startswith("Repaired the PDF text layer")]
    assert "zero-width word breaks made spaces" in warning and len(warning) < 200


def test_page_number_footers_spelled_with_bars_are_dropped():
    data = pathological_pdf((PROSE * 6 + "\n") * 8, "page_furniture")
    doc = read_document(data, "a.pdf")
    assert len(doc.pages) >= 2
    assert "P a g e" not in doc.text and "| Page" not in doc.text and "Page 1 of" not in doc.text
