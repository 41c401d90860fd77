"""Tables in PDFs: pypdf gives no cells, so the reader finds them from where the text pieces
start (`extract.read.pdf_tables`) and writes each row as the other readers do, cells joined by
" | ", read with its header row. What is aligned but no table stays plain text."""
from __future__ import annotations

import pytest

from extract.model import CELL_SEPARATOR
from extract.read import read_document
from extract.segment import segment
from tests.core_fixtures import need_chromium
from tests.pdfs import browser_pdf, pdf_from_pieces, pdf_with_table

HEADER = ["Category of data", "How long we keep it"]
ROWS = [["Account information", "Until you close your account, and for 30 days after that so "
                                "that you can change your mind"],
        ["Server logs", "90 days"],
        ["Support tickets and the messages in them", "24 months"]]


def _text(pdf: bytes) -> str:
    return read_document(pdf, "policy.pdf").text


def _rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if CELL_SEPARATOR in line]


@pytest.mark.parametrize("widths", [(50, 90), (40, 60, 40)])
def test_a_table_with_wrapped_cells_reads_one_line_per_row(widths):
    """Cells that wrap onto several lines (vertically centred, so each column's lines stand at
    their own heights) are read whole, in their row, and the paragraphs around stay apart."""
    extra = [["Why"]] * 4 if len(widths) == 3 else [[]] * 4
    rows = [cells + more for cells, more in zip([HEADER, *ROWS], extra)]
    text = _text(pdf_with_table(["Data retention", "We keep the data below for these periods."],
                                rows, ["We review these periods every year."],
                                col_widths=widths))
    assert _rows(text) == [CELL_SEPARATOR.join(cells) for cells in rows]
    assert "We keep the data below for these periods." in text.splitlines()
    assert "We review these periods every year." in text.splitlines()


def test_a_row_is_read_with_its_header():
    doc = read_document(pdf_with_table(["Data retention"], [HEADER, *ROWS], [],
                                       col_widths=(50, 90)), "policy.pdf")
    clauses = {c.text: c for c in segment(doc)}
    assert clauses["Server logs | 90 days"].lead_in == "Category of data | How long we keep it"
    assert not clauses["Server logs | 90 days"].is_heading
    assert clauses["Category of data | How long we keep it"].lead_in == ""


def test_cells_wrapped_below_their_row_join_it():
    """Cells aligned at their top: a wrapped cell's next line, alone in its column, belongs
    to the row above, and the paragraph after the table (at the left edge) does not."""
    pdf = pdf_from_pieces([
        [(20, "Data"), (80, "Retention period")],
        [(20, "Account data"), (80, "Until you close your account, then")],
        [(80, "30 more days")],
        [(20, "Logs"), (80, "90 days, then deleted")],
        [(80, "for good")],
        [(20, "We review these periods every year.")],
    ])
    assert _rows(_text(pdf)) == ["Data | Retention period",
                                 "Account data | Until you close your account, then 30 more days",
                                 "Logs | 90 days, then deleted for good"]
    assert "We review these periods every year." in _text(pdf).splitlines()


@pytest.mark.parametrize("after_x", [9, 10])
def test_cells_centred_in_their_row_are_read_whole(after_x):
    """As a browser prints an HTML table: the header centred over its columns, and a cell's
    wrapped lines above and below the one line of the cell beside it (pypdf may even put
    pieces of different heights on one line). The paragraph after the table stays apart,
    whether it starts at the first column's x or not."""
    pdf = pdf_from_pieces([
        [(25, "Category of data"), (95, "How long we keep it")],
        [(10, 2.5, "Account information"), (80, 0, "Until you close your account, and"),
         (80, 5, "for 30 days after that")],
        [(10, 5, "Server logs"), (80, 5, "90 days")],
        [(10, 7.5, "Support tickets and the"), (10, 12.5, "messages in them"),
         (80, 10, "24 months")],
        [], [],
        [(after_x, 10, "We review these periods every year.")],
    ])
    text = _text(pdf)
    assert _rows(text) == ["Category of data | How long we keep it",
                           "Account information | Until you close your account, and for 30 "
                           "days after that",
                           "Server logs | 90 days",
                           "Support tickets and the messages in them | 24 months"]
    assert "We review these periods every year." in text.splitlines()


def test_a_table_printed_by_a_browser_reads_as_rows():
    """An HTML table printed to PDF by Chromium: header cells centred, cells centred in their
    row, a wrapped cell beside a one-line one."""
    need_chromium()
    cells = "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in ROWS)
    pdf = browser_pdf("<html><body><h2>Data retention</h2><p>We keep the data below for these "
                      "periods.</p><table border='1' style='width:70%'><tr><th>Category of data"
                      f"</th><th>How long we keep it</th></tr>{cells}</table><p>We review "
                      "these periods every year.</p></body></html>")
    text = _text(pdf)
    assert _rows(text) == [CELL_SEPARATOR.join(row) for row in [HEADER, *ROWS]]
    assert "We review these periods every year." in text.splitlines()


@pytest.mark.parametrize("lines", [
    # a bulleted list: the bullet and its text are two pieces, aligned on every line
    [[(20, "•"), (26, "Access the data we hold about you.")],
     [(20, "•"), (26, "Correct it if it is wrong.")],
     [(20, "•"), (26, "Have it deleted.")]],
    # a list's lead-in with a word in another font, then the list
    [[(20, "We sometimes"), (44, "share your personal information:")],
     [(20, "-"), (26, "with providers who host our systems;")],
     [(20, "-"), (26, "with our auditors.")]],
    # a table of contents: headings and their page numbers
    [[(20, "Contents")], [(20, "Introduction"), (180, "2")],
     [(20, "Data we collect"), (180, "3")], [(20, "Retention"), (180, "5")]],
    # two text columns printed side by side, line by line
    [[(20, "We collect the data you give"), (110, "Your data is kept on servers")],
     [(20, "us when you register, and"), (110, "in the European Union and")],
     [(20, "the data your device sends"), (110, "is protected by encryption")],
     [(20, "us when you use the app."), (110, "while it is stored there.")]],
    # justified text placed word by word: words of successive lines never line up in full
    [[(20 + 11 * k, word) for k, word in enumerate("We keep your data only as long".split())],
     [(20 + 13 * k, word) for k, word in enumerate("as we need it to run the".split())],
     [(20 + 12 * k, word) for k, word in enumerate("service and as the law asks".split())]],
])
def test_aligned_text_that_is_no_table_stays_text(lines):
    assert _rows(_text(pdf_from_pieces(lines))) == []


def test_the_search_for_tables_does_linear_work_on_a_hostile_page(monkeypatch):
    """A page of thousands of aligned lines that never make a table (every first cell a list
    marker) is searched within a budget: the pieces examined grow with the page, not with its
    square."""
    from extract.read import pdf_tables
    from extract.read.pdf_tables import PdfLine, mark_tables
    examined = []
    rows = pdf_tables._rows
    monkeypatch.setattr(pdf_tables, "_rows", lambda pieces, n: examined.append(len(pieces))
                        or rows(pieces, n))
    lines = [PdfLine([(20.0, 9000.0 - 12 * i, "a"), (80.0, 9000.0 - 12 * i, "text")])
             for i in range(3000)]
    assert [text for text, _ in mark_tables(lines)] == ["atext"] * 3000
    assert sum(examined) <= 2 * (3 * 3000 + pdf_tables.MAX_TABLE_LINES)
