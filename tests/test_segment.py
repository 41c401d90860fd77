"""Segmentation: sentences and list items, each under its heading, with exact offsets."""
from extract.model import Document, Page
from extract.segment import is_heading, segment, split_sentences


def doc(text: str, pages=None) -> Document:
    return Document("t.txt", "0" * 64, text, pages or (Page(1, 0, len(text)),), "txt")


POLICY = """Privacy Policy
7. Children's Privacy
Our services are not intended for children under 18 years of age. We do not knowingly collect data from minors, e.g. under 13.
8. Your Rights
- Access: Request a copy of the data we hold about you.
- Erasure: Request deletion of your data.
Data Security
-
All traffic uses TLS 1.2 or above.
"""


def test_offsets_point_into_document_text():
    d = doc(POLICY)
    for c in segment(d):
        assert d.text[c.start:c.end] == c.text


def test_sentences_and_items_carry_their_section_heading():
    clauses = [c for c in segment(doc(POLICY)) if not c.is_heading]
    by_text = {c.text: c for c in clauses}
    assert by_text["Our services are not intended for children under 18 years of age."].section \
        == "7. Children's Privacy"
    # "e.g." is not a sentence end
    assert "We do not knowingly collect data from minors, e.g. under 13." in by_text
    assert by_text["- Access: Request a copy of the data we hold about you."].section == "8. Your Rights"
    # a bullet alone on its line belongs to the next line
    assert by_text["All traffic uses TLS 1.2 or above."].section == "Data Security"


def test_headings_are_flagged_and_not_evidence_text():
    heads = [c.text for c in segment(doc(POLICY)) if c.is_heading]
    assert heads == ["Privacy Policy", "7. Children's Privacy", "8. Your Rights", "Data Security"]


def test_is_heading_rejects_sentences_and_contacts():
    assert is_heading("5. Do we share information with any third party?")
    assert is_heading("INFORMATION WE COLLECT")
    assert not is_heading("We retain your data for as long as necessary.")
    assert not is_heading("Email: privacy@example.com")


def test_page_of_each_clause_follows_page_offsets():
    text = "Intro\nFirst page sentence here.\n\nSecond page sentence here."
    p2 = text.index("Second")
    d = doc(text, (Page(1, 0, p2 - 2), Page(2, p2, len(text))))
    pages = {c.text: c.page for c in segment(d)}
    assert pages["First page sentence here."] == 1
    assert pages["Second page sentence here."] == 2


def test_split_sentences_keeps_abbreviations_and_quotes():
    s = 'We are Acme Inc. and we comply. "You may object." Then U.S. law applies.'
    parts = [s[a:b] for a, b in split_sentences(s)]
    assert parts == ["We are Acme Inc. and we comply.", '"You may object."', "Then U.S. law applies."]
