"""Pattern-gate regressions (the prefilter): generic sentences, no policy quotes, no model."""
from __future__ import annotations

import pytest

from extract.classify import find_candidates
from extract.model import Document, Page
from extract.segment import segment
from extract.taxonomy import taxonomy

SPECS = {s.id: s for s in taxonomy()}


def _doc(text: str) -> Document:
    """`text` as a one-page TXT document."""
    return Document("t.txt", "0" * 64, text, (Page(1, 0, len(text)),), "txt")


def gated(fact_id: str, text: str) -> bool:
    """Is `text` (one sentence) a candidate for `fact_id`?"""
    return bool(find_candidates(SPECS[fact_id], segment(_doc(text))))


@pytest.mark.parametrize("text", [
    "Only authorized individuals within the company have access to users' personal information.",
    "Our employees have access to customer data only where their role requires it.",
    "Access to personal information is restricted to staff who need it to do their jobs.",
    "Designated personnel are granted access to account records for support purposes.",
])
def test_staff_access_is_not_a_users_access_right(text):
    assert not gated("rights.access", text)


@pytest.mark.parametrize("text", [
    "You have the right to request access to the personal data we hold about you.",
    "You can ask for a copy of the information we keep about you.",
    "You have the right to request to know the categories and specific pieces of personal information we collected, and to access a copy of it.",
])
def test_users_access_right_still_passes(text):
    assert gated("rights.access", text)


def test_staff_access_sentence_is_an_access_control_candidate():
    assert gated("security.access_control",
                 "Only authorized individuals within the company have access to users' personal information.")
    assert gated("security.access_control",
                 "All customer information, not only sensitive records, is restricted within our offices.")


@pytest.mark.parametrize("text", [
    "You may opt out of the sale or sharing of your personal information.",
    "To opt out of selling or sharing, use the Do Not Sell or Share My Personal Information link.",
    "California residents have the right to opt out of the sale of their personal information.",
])
def test_opt_out_of_sale_is_not_marketing_opt_out(text):
    assert not gated("rights.opt_out_marketing", text)


@pytest.mark.parametrize("text", [
    "You can opt out of marketing emails at any time.",
    "You can unsubscribe from our newsletter using the link in each message.",
    "You may opt out of the sale of your data and unsubscribe from our promotional emails.",
])
def test_marketing_opt_out_still_passes(text):
    assert gated("rights.opt_out_marketing", text)


@pytest.mark.parametrize("fact_id, text", [
    # rights listed as bare imperatives under "you may:"
    ("rights.rectification", "- Update personal information that is out of date or incorrect."),
    ("rights.erasure", "- Delete certain personal information we hold about you."),
    ("rights.erasure", "You may be able to review what you gave us and change your settings at any time by signing in to your account and editing or deleting the information."),
    ("rights.erasure", "You have the right to: access your data; be forgotten; and withdraw consent."),
    ("rights.portability", "You may have the right to receive or have your electronic data transferred to another party."),
    ("rights.restriction", "You have the right to: opt out of non-essential cookies; access, correct, delete, restrict, or object to our use of your data."),
    ("rights.automated_decisions", "You can prevent the processing of your personal information for direct marketing purposes, including any direct marketing processing based on profiling."),
    ("rights.complaint", "If you are unhappy with how we handled your complaint, you may escalate it to the regulator."),
    ("children.parental_consent", "Teenagers may not register themselves, but may have a parent or guardian open an account for them."),
    ("transfers.international", "Your information may be transferred to and processed in the U.S.."),
    ("contact.privacy_contact", "Attn: Data Privacy Manager, 1 Main Street, Springfield"),
    ("retention.level", "We may retain information about you for the purposes described in this notice unless the law prohibits it."),
])
def test_synonyms_pass_the_gate(fact_id, text):
    assert gated(fact_id, text)


def test_cookie_blocking_is_still_not_restriction_of_processing():
    assert not gated("rights.restriction", "You can restrict the placement of cookies in your browser.")


@pytest.mark.parametrize("fact_id, text", [
    # common phrasings the gate used to miss (extractor-3)
    ("sharing.no_sale", "We won't sell your data."),
    ("sharing.no_sale", "Your information will never be sold to anyone."),
    ("sharing.no_sale", "Under no circumstances will the data we collect be sold to advertisers."),
    ("sharing.no_sale", "The company is not in the business of selling your information."),
    ("rights.erasure", "You may access, correct, or request deletion of your PII by contacting us."),
    ("rights.erasure", "You have the right to erase any data concerning you."),
    ("rights.erasure", "You also have the right to request that your data be corrected, blocked, or deleted."),
    ("rights.access", "To submit a data access request, open the settings page."),
    ("rights.access", "We will provide you with access, including a copy, on request."),
    ("rights.portability", "The data export tool lets you download all data you have provided to us."),
    ("rights.opt_out_marketing", "If you don't want to be on our mailing list, you can opt out at any time."),
    ("rights.opt_out_marketing", "You can ask us not to use your personal information for direct marketing."),
    ("retention.level", "We may need to retain certain information to comply with our legal obligations."),
    ("retention.level", "Deleted content remains in our backups for up to one year."),
    # extractor-4: reviewing one's account data, need-to-know phrased without the words
    ("rights.access", "You may review and update your subscription or account information at any time."),
    ("rights.access", "You can request to review the personal information held in our records."),
    ("security.access_control", "Only designated staff members who require this access to do their "
                                "duties are given access to it."),
    ("security.access_control", "Contractors have access to the personal information needed to "
                                "perform their functions and may not use it otherwise."),
    ("rights.rectification", "You can edit this information at any time in your account."),
    ("rights.erasure", "If you wish to delete, modify or update the data you provided, use the "
                       "settings page."),
    ("rights.access", "On request we will send you a summary of the personal information we hold."),
    ("rights.opt_out_marketing", "You may manage your direct marketing choices online."),
    ("security.audits", "We rely on access controls, monitoring and regular tests of security "
                        "systems."),
])
def test_common_phrasings_pass_the_gate(fact_id, text):
    assert gated(fact_id, text)


@pytest.mark.parametrize("fact_id, text", [
    ("sharing.no_sale", "You won't be able to sell tickets through the service."),
    ("rights.erasure", "We may delete content at our sole discretion."),
    ("retention.level", "We store your data on servers in Ireland."),
    ("rights.access", "Our payment provider may have access to your card information."),
    ("rights.access", "The company does not handle or have access to any of your payment information."),
    ("rights.access", "We limit the number of people who have access to this information."),
    ("rights.access", "We recommend that you review the privacy policy of each linked site."),
    ("security.encryption", "You must take precautions to protect any information you transmit "
                            "over public wireless networks."),
    ("security.audits", "We use it for internal purposes such as auditing, data analysis and research."),
])
def test_widened_gates_still_refuse(fact_id, text):
    assert not gated(fact_id, text)


def _screen_texts() -> list[str]:
    """Every seed clause, every taxonomy sentence, and the ToS;DR clauses when present."""
    from pathlib import Path

    from extract.learn import SHARED_DIR, tosdr_rows

    root = Path(__file__).resolve().parents[1]
    texts = []
    for path in sorted((root / "data" / "seeds").glob("*.txt")):
        t = path.read_text(encoding="utf-8")
        texts += [c.text for c in segment(Document(path.name, "0" * 64, t, (Page(1, 0, len(t)),),
                                                   "txt"))]
    texts += [s for spec in SPECS.values() for s in spec.examples + spec.counter]
    if (SHARED_DIR / "dev" / "tosdr_clauses.jsonl").is_file():
        texts += [r["text"] for r in tosdr_rows()]
    return texts


def test_the_fast_prechecks_never_change_a_candidate():
    """`FactSpec.any_pattern` (one alternation) matches exactly when one pattern does, and the
    cheaper `FactSpec.may_match` (required strings) never rejects a text a pattern matches."""
    from extract.taxonomy import fold

    texts = _screen_texts()
    checked = screened = 0
    for spec in SPECS.values():
        if not spec.patterns:
            continue
        for text in texts:
            hit = any(p.search(text) for p in spec.patterns)
            assert bool(spec.any_pattern.search(text)) == hit, (spec.id, text)
            may = spec.may_match(fold(text))
            assert may or not hit, (spec.id, text)
            checked += 1
            screened += not may
    assert checked > 10_000
    assert screened > checked / 2  # and it does screen: most texts skip the regex search


@pytest.mark.parametrize("pattern, required", [
    (r"\bwe (?:do not|never) sell\b", {" sell"}),          # the most selective literal run
    (r"\b(?:TLS|SSL|HTTPS)\b(?!:|/)", {"tls", "ssl", "https"}),  # a branch: one of them
    (r"\b(?:right to )?eras(?:e|ure)", {"eras"}),          # an optional group requires nothing
    (r"\bopt[- ]out\b", {"opt"}),                          # a class breaks the run
    (r"\bdata (?:deletion|erasure)", {"deletion", "erasure"}),  # "data" screens nothing
    (r"(?:ab){2,}c", {"ab"}),                               # a required repeat
    (r"\d+ days", {" days"}),
    (r"[a-z]+@", {"@"}),
    (r"(?:foo|\w+) bar", {" bar"}),                         # a branch with no literal in one arm
    (r"\d+", None),                                        # nothing can be required
    (r"x?y*", None),
])
def test_required_strings_are_derived_from_the_pattern(pattern, required):
    import re

    from extract.taxonomy import _required

    assert _required(pattern, re.IGNORECASE) == required


def test_fold_maps_exactly_what_re_matches_to_ascii_letters():
    """Case-insensitive `re` matches a few non-ASCII characters to ASCII letters (İ, ı, ſ, K);
    `fold` must map each of them, over all of Unicode, to the letter it matches."""
    import re

    from extract.taxonomy import fold

    letter = re.compile("[a-z]", re.IGNORECASE)
    for cp in range(0x110000):
        ch = chr(cp)
        if letter.fullmatch(ch):
            assert len(fold(ch)) == 1 and "a" <= fold(ch) <= "z", hex(cp)
            assert re.fullmatch(fold(ch), ch, re.IGNORECASE), hex(cp)
        else:
            assert fold(ch) == ch, hex(cp)


@pytest.mark.parametrize("fact_id, text", [
    ("rights.access", "In accordance with GDPR article 15 you may ask which data we process."),
    ("rights.rectification", "Your rights under Art. 16 GDPR are described below."),
    ("rights.erasure", "You may rely on Article 17 of the UK GDPR."),
    ("rights.restriction", "Requests under Art. 18 GDPR are handled by our support team."),
    ("rights.portability", "Article 20 GDPR applies to data you provided to us."),
    ("rights.objection", "Art. 21 GDPR gives you further options."),
    ("rights.automated_decisions", "Art. 22 GDPR applies where relevant."),
    ("rights.withdraw_consent", "This is without prejudice to Art. 7(3) GDPR."),
    ("rights.complaint", "Art. 77 GDPR entitles you to turn to a regulator."),
    ("rights.rectification", "California residents have the right to correct inaccurate information."),
    ("rights.rectification", "You may ask that your details be corrected."),
    ("rights.access", "We offer several ways of accessing and, where needed, correcting your profile."),
    ("rights.portability", "You may receive your data in a structured, machine-readable format."),
    ("rights.portability", "You can ask us to transfer it to another controller."),
    ("rights.restriction", "You may ask us to limit the use of your sensitive personal information."),
    ("rights.objection", "You can ask us to stop using your information for these purposes."),
    ("security.audits", "We regularly test our systems for weaknesses."),
    ("security.audits", "We regularly test our defences against attack."),
    ("security.access_control", "Only employees who need the information to perform a "
     "specific job are granted access to personal data."),
    ("rights.erasure", "Under the GDPR you have the following rights: to have it erased."),
    ("security.access_control", "Access to customer data is granted on a least-privilege basis."),
    ("security.access_control", "Your data is stored in databases to which only we and our "
     "service providers are provided access."),
    # policies written in the third person ("the user", "a visitor")
    ("rights.access", "Upon request, the Company will provide a user with a summary of the "
     "personal information it retains about that user."),
    ("rights.access", "Members can review their profile information at any time."),
    ("rights.rectification", "A visitor may update the information the site holds about him or "
     "her by contacting the webmaster."),
    ("security.mfa", "Staff sign in with a hardware security key in addition to a password."),
    ("security.mfa", "Enter the verification code from your authenticator app in addition to your "
     "password."),
    ("security.audits", "Our platform is tested against intrusion by outside specialists."),
    ("security.audits", "Our controls are reviewed through independent assessments."),
    ("security.audits", "We monitor our infrastructure for potential vulnerabilities."),
    ("security.certification", "Card data is handled according to the Payment Card Industry Data Security Standard."),
    ("security.breach_notification", "If a data breach affects you, we will let you know promptly."),
    ("transfers.international", "Your data may be transferred outside of Europe."),
    ("children.parental_consent", "A parent or guardian must agree to these terms on the child's behalf."),
    ("rights.access", "You may also view, correct and/or update your details by signing in."),
    ("rights.access", "Users may request confirmation of processing, access to data, correction of "
                      "incomplete data, and portability of data to another provider."),
    ("rights.erasure", "Users may request confirmation of processing, correction of incomplete "
                       "data, anonymization, blocking or deletion of unnecessary data."),
])
def test_rights_and_controls_phrased_in_general_terms_pass_the_gate(fact_id, text):
    assert gated(fact_id, text)


@pytest.mark.parametrize("fact_id, text", [
    ("rights.rectification", "We reserve the right to amend this policy at any time."),
    ("rights.restriction", "We may suspend your use of the service if you break these terms."),
    ("rights.restriction", "Our vendors must limit their use of the data to the services they provide."),
    ("rights.portability", "Destroy any downloaded copies, whether in printed or electronic format."),
    ("security.encryption", "We recommend that you configure SSL on your own web server."),
    ("security.encryption_in_transit", "You should only use websites that support HTTPS."),
    ("security.breach_notification", "You agree to notify us of any breach of security of your account."),
    ("security.breach_notification", "Content in breach of these terms may be removed, and we will tell you why."),
    # a bare denial grants no right to contest anything
    ("rights.automated_decisions", "We do not make automated decisions about you."),
    ("rights.automated_decisions", "The service does not use profiling or automated decision-making."),
    ("rights.access", "Our partners may request access to data only under contract."),
    ("rights.access", "We may ask for more details to give you access to and use of certain "
     "materials and services."),
    ("security.mfa", "Encryption keys are kept in a hardware security module."),
    ("security.access_control", "Premium articles are content to which only subscribers have "
     "access."),
])
def test_false_friends_stay_out_of_the_gate(fact_id, text):
    assert not gated(fact_id, text)


def test_a_denial_that_names_a_way_to_contest_still_passes():
    assert gated("rights.automated_decisions", "We do not make decisions based solely on "
                 "automated processing, but you may contest any decision by contacting us.")


@pytest.mark.parametrize("fact_id, text, passes", [
    # a negation in a condition about the reader does not negate the promise after it
    ("rights.withdraw_consent", "If you are not happy with our approach to marketing, you "
     "have the right to withdraw your consent at any time.", True),
    ("rights.opt_out_marketing", "If you are not happy with our approach to marketing, you "
     "have the right to withdraw your consent at any time.", True),
    # nor does a reader's negated wish ("members who no longer wish to receive newsletters")
    ("rights.opt_out_marketing", "Members who no longer wish to receive newsletters may "
     "unsubscribe using the link in each newsletter.", True),
    ("rights.opt_out_marketing", "Users who do not want promotional e-mails can opt out in "
     "their settings.", True),
    ("rights.opt_out_marketing", "We do not allow you to unsubscribe from service messages.",
     False),
    # a negation in the promise itself still blocks, condition or not
    ("rights.opt_out_marketing", "If you sign up, you cannot opt out of service messages.",
     False),
    ("rights.erasure", "We do not delete your data on request.", False),
])
def test_a_negated_condition_does_not_negate_the_promise(fact_id, text, passes):
    assert gated(fact_id, text) is passes


def _gated_clauses(fact_id: str, text: str) -> list[str]:
    d = _doc(text)
    out = [c.clause for c in find_candidates(SPECS[fact_id], segment(d))]
    assert all(d.text[c.start:c.end] == c.text for c in out)
    return [c.text for c in out]


def test_a_list_item_is_read_with_its_lead_in():
    text = ("Under certain conditions, you have the right to:\n- have it deleted;\n"
            "- receive it in a portable format;\n- ask us to limit the way we process it.\n")
    assert _gated_clauses("rights.erasure", text) == ["- have it deleted;"]
    assert "- receive it in a portable format;" in _gated_clauses("rights.portability", text)
    # without the lead-in, the bare item states nothing
    assert not gated("rights.erasure", "Our backups are rotated and the old ones deleted.")


def test_a_lead_in_alone_does_not_make_every_item_a_candidate():
    text = "You have the right to request access to your personal data, for example:\n- your name;\n"
    assert _gated_clauses("rights.access", text) == [
        "You have the right to request access to your personal data, for example:"]


def test_a_heading_that_names_the_right_lets_a_plain_sentence_through():
    text = "Right to erasure\nYou can ask us to delete it at any time.\n"
    assert _gated_clauses("rights.erasure", text) == ["You can ask us to delete it at any time."]
    other = "Cookies\nYou can ask us to delete it at any time.\n"
    assert _gated_clauses("rights.erasure", other) == []


@pytest.mark.parametrize("fact_id, heading, sentence", [
    ("rights.access", "How to Access or Update Your Information",
     "You may access it on the settings page."),
    ("rights.rectification", "How to Access or Update Your Information",
     "You may modify it on the settings page."),
    ("rights.erasure", "Reviewing, Changing or Deleting Your Personal Data",
     "Send us a request and we will remove it."),
])
def test_a_title_that_names_what_you_can_do_with_your_data_is_such_a_heading(
        fact_id, heading, sentence):
    assert _gated_clauses(fact_id, f"{heading}\n{sentence}\n") == [sentence]
    assert _gated_clauses(fact_id, f"How We Use Cookies\n{sentence}\n") == []


@pytest.mark.parametrize("text, is_min_age", [
    ("If you are under 18 and live in California, you may request removal of content you posted.", False),
    ("We do not sell the personal information of consumers under 16 without their affirmative authorization.", False),
    ("Our service is not directed to children under 13.", True),
])
def test_ages_that_do_not_set_a_minimum_age(text, is_min_age):
    from extract.classify import _NOT_MIN_AGE
    assert (not _NOT_MIN_AGE.search(text)) == is_min_age


class _YesScorer:
    """A calibrated scorer that finds every candidate likely (isolates the age rule)."""

    calibrated = True
    net = not_stated = None

    def score(self, fact_id, embeddings, extra=None):
        return [0.9] * len(embeddings)


def _facts(doc: Document) -> dict:
    """The facts of `doc` when every candidate is likely (isolates the rules)."""
    from extract.classify import FactExtractor
    fx = FactExtractor(lambda texts: [[0.0] * 384 for _ in texts], _YesScorer())
    return fx.extract(segment(doc))


def test_a_refusal_to_collect_sets_the_minimum_age_below_an_adult_audience():
    """"Does not collect from anyone under 13" is the refusal the fact names; a service for
    adults that refuses under-13s has minimum age 13 (facts.md)."""
    text = ("Children's Privacy\n\nWe do not collect any information from anyone under 13 years "
            "of age. Our services are directed to people who are at least 18 years old.\n")
    assert _facts(_doc(text))["children.min_age"].value == 13


@pytest.mark.parametrize("name, text", [
    ("Markdown", "# Retention\n\n| Data | How long we keep it |\n|---|---|\n"
                 "| Account data | 30 days after you close your account |\n| Logs | 90 days |\n"),
    ("HTML", "<h2>Retention</h2><table><tr><th>Data</th><th>Retention period</th></tr>"
             "<tr><td>Account data</td><td>30 days after you close your account</td></tr>"
             "<tr><td>Logs</td><td>90 days</td></tr></table>"),
])
def test_a_retention_table_gives_specific_periods(name, text):
    """A duration in a table cell is a retention period when the header says so."""
    from extract.read import read
    facts = _facts(read(text.encode(), filename="p.md" if name == "Markdown" else "p.html"))
    _assert_retention_table(facts)


def test_a_retention_table_in_a_pdf_gives_specific_periods():
    """The same table drawn in a PDF, whose text layer has no cells, gives the same periods."""
    from extract.read import read_document
    from tests.pdfs import pdf_with_table
    pdf = pdf_with_table(["Retention"], [["Data", "How long we keep it"],
                                         ["Account data", "30 days after you close your account"],
                                         ["Logs", "90 days"]], [], col_widths=(40, 100))
    _assert_retention_table(_facts(read_document(pdf, "p.pdf")))


def _assert_retention_table(facts: dict) -> None:
    assert facts["retention.level"].value == "specific"
    assert facts["retention.periods"].value == "30 days; 90 days"
    assert "Logs | 90 days" in [e.text for e in facts["retention.periods"].evidence]


def test_a_list_lead_in_does_not_make_a_deadline_a_retention_period():
    text = "Deleting your account:\n- Export: we email you a copy of your data within 14 days.\n"
    assert "14 days" not in _facts(_doc(text))["retention.periods"].value


def test_durations_in_a_table_without_a_retention_header_are_no_period():
    text = "Plans\nPlan | Trial length\nBasic | 30 days\nPro | 90 days\n"
    assert _facts(_doc(text))["retention.periods"].value == ""


@pytest.mark.parametrize("sentence, age", [
    ("We never collect information from anyone we know is under 13.", 13),
    ("Our service is not intended for anyone aged 12 or younger.", 13),
    ("This site is not meant for people 15 and under.", 16),
])
def test_an_age_named_without_a_word_for_children_still_counts(sentence, age):
    """"We never collect information from anyone we know is under 13", with no heading about
    children, states the minimum age; so does "anyone aged 12 or younger" (13)."""
    text = f"Privacy\n\n{sentence}\n"
    assert _facts(_doc(text))["children.min_age"].value == age


@pytest.mark.parametrize("text, periods", [
    ("Please allow 10 days for your email to be removed from our mailing list.", []),
    ("It may take up to 10 business days for an unsubscribe request to take effect.", []),
    ("We retain your data for 2 years after your last login; you can unsubscribe at any time.",
     ["2 years"]),
    ("Deleted content remains in our backups for up to 30 days.", ["30 days"]),
])
def test_an_unsubscribe_delay_is_not_a_retention_period(text, periods):
    from extract.classify import _retention_periods
    assert _retention_periods(text) == periods


@pytest.mark.parametrize("text, periods", [
    ("Please keep in mind that it may take up to four weeks to process your request.", []),
    ("It may take up to 30 days to process your deletion request.", []),
    ("We keep call recordings for 90 days to handle any complaints.", ["90 days"]),
    ("Keeping in mind our legal duties, we delete server logs after 30 days.", ["30 days"]),
])
def test_the_time_a_request_takes_is_not_a_retention_period(text, periods):
    """How long a request takes ("four weeks to process your request") keeps no data, and
    "keep in mind" is not keeping; a purpose after a retention period does not undo it."""
    from extract.classify import _retention_periods
    assert _retention_periods(text) == periods


@pytest.mark.parametrize("fact_id, text, passes", [
    ("rights.erasure", "If you want your email address removed from our list, use the unsubscribe "
                       "link in any message.", False),
    ("rights.erasure", "If you would like your information removed from our records, contact us.", True),
    ("rights.erasure", "Your information will be changed or removed from our database upon request.", True),
    ("rights.erasure", "We may disclose health information once we have removed anything that could "
                       "identify you so that it is de-identified.", False),
    ("rights.rectification", "You can access your registration details and edit this information "
                             "by visiting your account page.", True),
    ("rights.rectification", "We will tell you of any change in ownership or control of your "
                             "personal information.", False),
    ("rights.access", "Advertising networks that place these widgets on our pages may have access "
                      "to information about your browsing.", False),
    ("security.breach_notification", "If we learn of unauthorized access to your data, we will "
                                     "let you know by email.", True),
    ("retention.level", "We will keep our e-mails to you to a minimum.", False),
    ("rights.withdraw_consent", "If you agreed to hear from us, you may opt out of these messages "
                                "at any time.", True),
    ("rights.opt_out_marketing", "If you dislike our marketing, you have the right to withdraw "
                                 "consent at any time.", True),
    ("children.min_age", "We never collect information from anyone we know is under 13.", True),
])
def test_account_and_list_phrasings(fact_id, text, passes):
    assert gated(fact_id, text) is passes


@pytest.mark.parametrize("sentence, offered", [
    ("We recommend that you turn on two-factor authentication in your e-mail client.", False),
    ("For your other online accounts, we strongly recommend using multi-factor "
     "authentication.", False),
    ("We encourage you to enable two-factor authentication on your account.", True),
])
def test_advice_to_secure_something_else_is_no_multi_factor_sign_in(sentence, offered):
    """Advice to turn on two-factor authentication elsewhere (an e-mail client, other accounts)
    is not the service's control; advice to turn it on for the account here shows it offers it."""
    text = f"Security\n\nWe protect your account. {sentence}\n"
    assert _facts(_doc(text))["security.mfa"].value is offered


@pytest.mark.parametrize("fact_id, text", [
    ("rights.access", "Patients have the right to inspect and obtain a copy of their health records."),
    ("rights.rectification", "Patients may ask us to amend their records if they believe they "
     "are wrong."),
    ("rights.erasure", "Customers who do not want us to keep their data may ask us to delete it."),
    ("rights.complaint", "If you are unhappy with how we handled your data, you can complain to "
     "the ICO."),
    ("rights.opt_out_marketing", "Text STOP to end SMS marketing messages."),
    ("rights.restriction", "You can ask us to suspend the use of your personal data while we "
     "check its accuracy."),
    ("security.access_control", "Employees can access customer data only when necessary to "
     "provide support."),
    ("rights.portability", "We will provide your information in a format that lets you move it "
     "to another service."),
    ("security.audits", "Our security controls are independently assessed each year."),
    ("rights.withdraw_consent", "You can take back your consent whenever you like."),
    ("security.backups", "Our infrastructure is fully redundant, with automated snapshots every "
     "night."),
    ("security.breach_notification", "We will inform you within 72 hours of discovering a breach "
     "that affects your data."),
    ("rights.rectification", "Please keep your account details accurate; you can edit them in "
     "Settings at any time."),
    ("rights.objection", "You have the right to say no to us using your information for "
     "research."),
    ("rights.restriction", "You can ask us to temporarily stop using your data while a complaint "
     "is resolved."),
    ("children.parental_consent", "If you are under 16, ask a parent or guardian before giving us "
     "any personal information."),
])
def test_more_general_phrasings_are_found(fact_id, text):
    """Records (health, paper) as the data, a pronoun for it, a regulator named by its
    initials, the SMS opt-out keyword, access allowed "only when necessary": the whole
    extractor finds each, not only the gate."""
    assert _facts(_doc(f"Privacy\n\nThis policy explains how we handle data.\n\n{text}\n"))[
        fact_id].value is True


@pytest.mark.parametrize("sentence, age", [
    ("Users must be 16 or older.", 16),
    ("The service is intended for adults aged 18 and over.", 18),
])
def test_an_age_every_user_must_have_is_the_minimum_age(sentence, age):
    assert _facts(_doc(f"Who may use the service\n\n{sentence}\n"))["children.min_age"].value == age


def test_a_merger_is_no_portability():
    assert not gated("rights.portability", "If we merge with another company, we may transfer it "
                     "to another company.")


def test_stop_is_the_sms_keyword_only_in_capitals():
    """"Reply STOP" is the SMS opt-out; "send ads and stop fraud" is not."""
    assert gated("rights.opt_out_marketing", "Reply STOP to any text message to opt out.")
    assert not gated("rights.opt_out_marketing", "We use cookies to send ads and stop fraud.")
