"""A paragraph that runs across PDF pages keeps each sentence on its own page (issue 15, 9).

A sentence broken by a page break is cited at the page where it starts; the sentences after
it stay on their pages, and a page that holds only the middle of a long sentence is neither
emptied into page 1 nor reported as "without text (scanned…)".
"""
from __future__ import annotations

from extract.read import read_document
from extract.segment import segment
from tests.pdfs import pdf_from_lines

THINGS = ("devices", "browsers", "networks", "settings", "languages", "time zones", "screens",
          "accounts", "payments", "orders", "messages", "requests", "contacts", "files")


def lines(start: int, n: int) -> list[str]:
    """`n` different lines continuing one sentence: each starts in lower case, none ends it."""
    return [f"and the {THINGS[i % 14]} and {THINGS[(i * 5 + 3) % 14]} you use with item {i} "
            f"of the {THINGS[(i * 3 + 1) % 14]} listed in your order form" for i in
            range(start, start + n)]


def clauses_by_page(data: bytes):
    doc = read_document(data, "span.pdf")
    return doc, {c.text: c.page for c in segment(doc) if not c.is_heading}


def test_a_paragraph_without_a_full_stop_over_three_pages_keeps_its_pages():
    pages = [
        ["Information We Collect", "",
         "We collect the information you give us when you create an account"]
        + lines(0, 30),
        lines(30, 40),
        lines(70, 10) + ["and nothing else is collected. We keep backup records for two "
                             "years after the account is closed."],
    ]
    doc, page_of = clauses_by_page(pdf_from_lines(pages))
    assert doc.n_pages == 3
    assert not [w for w in doc.warnings if "without text" in w], doc.warnings
    long_sentence = next(text for text in page_of if text.startswith("We collect"))
    assert page_of[long_sentence] == 1  # where it starts
    assert page_of["We keep backup records for two years after the account is closed."] == 3


def test_sentences_after_a_page_break_stay_on_their_page():
    pages = [
        ["Sharing", "", "We share your contact details only with the processors that help us",
         "run the service and with"],
        ["our auditors when the law requires it. We keep access logs for ninety days.",
         "You may ask us for a copy of your data at any time."],
    ]
    doc, page_of = clauses_by_page(pdf_from_lines(pages))
    assert page_of["We share your contact details only with the processors that help us run "
                   "the service and with our auditors when the law requires it."] == 1
    assert page_of["We keep access logs for ninety days."] == 2
    assert page_of["You may ask us for a copy of your data at any time."] == 2
    assert not doc.warnings


def test_a_word_hyphenated_across_a_page_break_is_joined_on_the_first_page():
    pages = [["Marketing", "", "We never use your data for direct marke-"],
             ["ting without your consent. You can withdraw consent at any time."]]
    doc, page_of = clauses_by_page(pdf_from_lines(pages))
    assert page_of["We never use your data for direct marketing without your consent."] == 1
    assert page_of["You can withdraw consent at any time."] == 2


def test_a_short_list_item_broken_by_a_page_break_stays_one_item():
    # The segmenter keeps a short list item whole, so the PDF reads as the same item would
    # read in a text file, on the page where the item starts.
    pages = [["What we share", "", "- Inferred music preferences based on your use of the",
              "Platform. We do not otherwise sell personal"],
             ["information. We keep it for a year."]]
    doc, page_of = clauses_by_page(pdf_from_lines(pages))
    item = next(text for text in page_of if text.startswith("- Inferred"))
    assert item.endswith("We keep it for a year.") and page_of[item] == 1
