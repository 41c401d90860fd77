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


# --------------------------------------------------------------- headings: contact lines, TOC
def test_is_heading_rejects_contact_label_and_number_lines():
    for line in ["Phone: +91 98765 43210", "Tel: (555) 123-4567", "Fax: 020 7946 0958",
                 "Email: privacy@example.com", "Website: www.example.com",
                 "Last updated: March 3, 2024", "Effective date: 1 January 2025",
                 "Designation: Data Protection Officer", "Address: 12 High Street",
                 "221 Baker Street", "Springfield, Illinois 62704",
                 "Example Software Solutions Pvt Ltd", "Account number 1234567890",
                 "We keep your data for as long as necessary.",
                 "Note: this applies only to residents of the EU"]:
        assert not is_heading(line), line


def test_is_heading_keeps_numbered_upper_case_and_question_headings():
    for line in ["7. Children's Privacy", "SECTION 4 – DATA RETENTION", "Section 4 – Data Retention",
                 "Section 4: Data Retention", "2.1 Personal Information", "IV. Your Rights",
                 "How long do we keep your data?", "Right to Access:", "Data Security",
                 "Contact Us",
                 # a longer title with nearly every longer word capitalised
                 "How You Can Review and Update Your Personal Information and Other Account Details",
                 "Information You Share in Forums, Comment Sections and Other Public Areas"]:
        assert is_heading(line), line


def test_a_long_line_in_sentence_case_is_not_a_heading():
    for line in ["You can review and update your personal information and other account details",
                 "We Use Cookies to remember what you chose and to measure how the site is used"]:
        assert not is_heading(line), line


def test_contact_block_does_not_become_the_section_of_what_follows():
    text = ("5. Contact\nPhone: +1 555 010 2000\nYou may ask us for a copy of your data.\n")
    by_text = {c.text: c for c in segment(doc(text))}
    assert not by_text["Phone: +1 555 010 2000"].is_heading
    assert by_text["You may ask us for a copy of your data."].section == "5. Contact"


def test_table_of_contents_lines_are_never_evidence():
    text = ("Privacy Notice\nContents\n1. Introduction\n2. Data Retention\n3. Your Rights\n"
            "1. Introduction\nThis notice explains what we do.\n"
            "2. Data Retention\nWe keep invoices for seven years.\n")
    clauses = segment(doc(text))
    body = [c for c in clauses if not c.is_heading]
    assert [c.text for c in body] == ["This notice explains what we do.",
                                      "We keep invoices for seven years."]
    # the table's entries are not the section of the body; the body's own headings are
    assert body[0].section == "1. Introduction" and body[1].section == "2. Data Retention"


def test_page_numbered_contents_and_flattened_contents_are_not_evidence():
    text = ("Information We Collect ........ 2\nData Retention ........ 5\nYour Rights ........ 7\n"
            "We retain data as long as needed.\n"
            "Welcome to our notice. Table of Contents Information We Collect How We Use It "
            "Sharing Your Information Data Retention and Deletion Children Security Your Rights "
            "Contact Information Changes to This Notice\n")
    clauses = segment(doc(text))
    evidence = [c.text for c in clauses if not c.is_heading]
    assert evidence == ["We retain data as long as needed.", "Welcome to our notice."]
    assert all(c.section == "" for c in clauses if not c.is_heading)


def test_short_lines_with_numbers_are_not_taken_for_contents():
    text = "Children under 13\nUsers under 13 may not register.\n"
    clauses = segment(doc(text))
    assert [c.text for c in clauses if not c.is_heading] == ["Users under 13 may not register."]
    assert clauses[1].section == "Children under 13"


def test_list_items_carry_the_lead_in_that_ends_in_a_colon():
    text = ("Your Rights\nDepending on where you live, you have the right to:\n"
            "- have it deleted;\n- receive it in a portable format.\n"
            "These rights are not absolute.\n- a stray item\n")
    d = doc(text)
    clauses = segment(d)
    items = [c for c in clauses if c.text.startswith("-")]
    assert [c.lead_in for c in items] == [
        "Depending on where you live, you have the right to:",
        "Depending on where you live, you have the right to:", ""]
    for c in clauses:  # the lead-in is context only: text and offsets stay exact
        assert d.text[c.start:c.end] == c.text


def test_table_rows_carry_their_header_row_and_are_never_headings():
    text = ("Retention\nData | How long we keep it\nAccount data | 30 days after closure\n"
            "Logs | 90 days\nAfter the table comes a sentence.\nHome | Blog\n")
    d = doc(text)
    by_text = {c.text: c for c in segment(d)}
    assert by_text["Logs | 90 days"].lead_in == "Data | How long we keep it"
    assert not by_text["Logs | 90 days"].is_heading
    assert by_text["Account data | 30 days after closure"].lead_in == "Data | How long we keep it"
    assert by_text["Data | How long we keep it"].lead_in == ""  # the header row itself
    assert by_text["After the table comes a sentence."].lead_in == ""
    assert by_text["Home | Blog"].lead_in == ""  # a new table, or a menu: no header yet
    for c in by_text.values():
        assert d.text[c.start:c.end] == c.text


def test_a_short_heading_ending_in_a_colon_is_a_lead_in_too():
    clauses = segment(doc("You may ask us to:\n- delete it\n"))
    assert clauses[-1].lead_in == "You may ask us to:" and clauses[-1].text == "- delete it"
