"""Build test PDFs in code, so tests and benchmarks need no binary fixtures.

Every builder returns the bytes of a complete PDF. Text is set in DejaVuSans when the font
is installed (curly quotes and dashes survive); otherwise in core Helvetica, with the text
transliterated to Latin-1 first. `UNICODE_FONT` tells callers which of the two applies.
"""
from __future__ import annotations

import io
import re
import subprocess
import tempfile
import unicodedata
import zlib
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, NumberObject

__all__ = [
    "UNICODE_FONT",
    "latin1",
    "pdf_from_text",
    "pdf_from_lines",
    "one_word_per_line_pdf",
    "pdf_with_table",
    "pdf_from_pieces",
    "browser_pdf",
    "PATHOLOGIES",
    "pathological_pdf",
    "encrypted_pdf",
    "aes_encrypted_pdf",
    "scanned_pdf",
    "many_pages_pdf",
    "bomb_pdf",
]

_FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_FONT = _FONT_PATH.is_file()

# Characters Helvetica (Latin-1) lacks, spelled the way a typist would.
_LATIN1_SPELLING = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"',
    "–": "-", "—": "-", "‐": "-", "‑": "-", "…": "...", "•": "-",
    "€": "EUR", "™": "(TM)", "\u200b": "", "\u2009": " ", "\u202f": " ",
})


def latin1(text: str) -> str:
    """Return `text` spelled in Latin-1 only (what core Helvetica can show)."""
    text = text.translate(_LATIN1_SPELLING)
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
        else:  # drop accents (ł stays unknown → "?"), as a transliterator would
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


class _PolicyPDF(FPDF):
    """An A4 page with an optional running header and a "Page N of M" footer."""

    def __init__(self, header_text: str | None, footer: bool, font_size: float,
                 footer_text: str = "Page {n} of {{nb}}", core_font: bool = False) -> None:
        super().__init__(format="A4")
        self.header_text = header_text
        self.with_footer = footer
        self.footer_text = footer_text
        self.body_size = font_size
        self.unicode = UNICODE_FONT and not core_font
        if self.unicode:
            self.add_font("Body", "", str(_FONT_PATH))
            self.family = "Body"
        else:
            self.family = "Helvetica"
        self.set_auto_page_break(True, margin=20)
        self.alias_nb_pages()
        self.set_font(self.family, size=font_size)

    def text_for_font(self, text: str) -> str:
        return text if self.unicode else latin1(text)

    def header(self) -> None:
        if self.header_text:
            self.set_font(self.family, size=8)
            self.cell(0, 6, self.text_for_font(self.header_text), new_x="LMARGIN", new_y="NEXT")
            self.ln(4)
            self.set_font(self.family, size=self.body_size)

    def footer(self) -> None:
        if self.with_footer:
            self.set_y(-15)
            self.set_font(self.family, size=8)
            self.cell(0, 6, self.footer_text.format(n=self.page_no()), align="C")
            self.set_font(self.family, size=self.body_size)

    def line_out(self, text: str) -> None:
        self.cell(0, self.body_size * 0.5, text, new_x="LMARGIN", new_y="NEXT")


def _wrap(pdf: _PolicyPDF, paragraph: str, hyphenate: bool) -> list[str]:
    """Greedy word wrap to the text width; optionally hyphenate long words at line ends."""
    width = pdf.epw
    lines: list[str] = []
    current = ""
    for word in paragraph.split():
        candidate = f"{current} {word}" if current else word
        if pdf.get_string_width(candidate) <= width:
            current = candidate
            continue
        if hyphenate and current and len(word) >= 8:
            head, tail = _split_word(pdf, current, word, width)
            if head:
                lines.append(f"{current} {head}")
                current = tail
                continue
        if current:
            lines.append(current)
        current = word
    if current:
        lines.append(current)
    return lines


def _split_word(pdf: _PolicyPDF, current: str, word: str, width: float) -> tuple[str, str]:
    """Split `word` so its head (ending in '-') still fits after `current`.

    A word that already holds a hyphen is split right after it ("third-" / "party"), as a
    typesetter would; other words are split at the longest fitting point, keeping at least
    three letters on each side and breaking between two letters. URLs, paths and e-mail
    addresses are split only at a hyphen of their own.
    """
    if re.search(r"://|@|www\.|/", word) and "-" not in word[2:-2]:
        return "", word  # nobody hyphenates addresses; they break at their own hyphens only
    if "-" in word[2:-2]:
        cut = word.index("-", 2) + 1
        head, tail = word[:cut], word[cut:]
        fits = pdf.get_string_width(f"{current} {head}") <= width
        return (head, tail) if fits else ("", word)
    letters_only = word.rstrip(".,;:!?)")
    for cut in range(len(letters_only) - 3, 2, -1):
        if not (word[cut - 1].isalpha() and word[cut].isalpha()):
            continue  # typesetters break between letters only ("SMS/-" never happens)
        head = word[:cut] + "-"
        if pdf.get_string_width(f"{current} {head}") <= width:
            return head, word[cut:]
    return "", word


def pdf_from_text(text: str, *, header: str | None = "Acme Corp — Privacy Policy",
                  footer: bool = True, font_size: float = 11, hyphenate: bool = False) -> bytes:
    """Set `text` on A4 pages: one paragraph per input line, wrapped to the text width.

    Every page gets `header` at the top (if not None) and "Page N of M" at the bottom (if
    `footer`). With `hyphenate`, long words that do not fit at a line end are broken with
    '-' (words that hold a hyphen are broken right after it, e.g. "third-" / "party").
    A form feed ("\f") starts a new page, so tests know which page a paragraph is on.
    """
    pdf = _PolicyPDF(header, footer, font_size)
    pdf.add_page()
    for paragraph in text.replace("\f", "\n\f\n").split("\n"):  # splitlines eats \f
        if paragraph == "\f":
            pdf.add_page()
            continue
        paragraph = pdf.text_for_font(paragraph).strip()
        if not paragraph:
            continue
        for line in _wrap(pdf, paragraph, hyphenate):
            pdf.line_out(line)
        pdf.ln(font_size * 0.2)
    return bytes(pdf.output())


def pdf_from_lines(pages: list[list[str]], *, header: str | None = None, footer: bool = False,
                   font_size: float = 11) -> bytes:
    """Set exactly the given lines, page by page, without wrapping: for precise layouts.

    An empty string leaves a paragraph gap (half a line of extra space).
    """
    pdf = _PolicyPDF(header, footer, font_size)
    pdf.set_auto_page_break(False)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            if line:
                pdf.line_out(pdf.text_for_font(line))
            else:
                pdf.ln(font_size * 0.25)
    return bytes(pdf.output())


def one_word_per_line_pdf(text: str) -> bytes:
    """Set every word of `text` on a line of its own, as some broken text layers read."""
    pdf = _PolicyPDF(None, False, 10)
    pdf.add_page()
    for word in pdf.text_for_font(text).split():
        pdf.line_out(word)
    return bytes(pdf.output())


def pdf_with_table(before: list[str], rows: list[list[str]], after: list[str], *,
                   col_widths: tuple[float, ...] | None = None, font_size: float = 10) -> bytes:
    """Paragraphs, a table drawn with cell borders (its first row the header; a cell too long
    for its column wraps onto more lines), then more paragraphs, on one A4 page."""
    pdf = _PolicyPDF(None, False, font_size)
    pdf.add_page()
    for paragraph in before:
        pdf.multi_cell(0, font_size * 0.5, pdf.text_for_font(paragraph), new_x="LMARGIN",
                       new_y="NEXT")
        pdf.ln(2)
    with pdf.table(col_widths=col_widths, first_row_as_headings=False) as table:
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(pdf.text_for_font(cell))
    for paragraph in after:
        pdf.ln(2)
        pdf.multi_cell(0, font_size * 0.5, pdf.text_for_font(paragraph), new_x="LMARGIN",
                       new_y="NEXT")
    return bytes(pdf.output())


def pdf_from_pieces(lines: list[list[tuple]], font_size: float = 10) -> bytes:
    """Draw each line's pieces as separate text objects, in the order given: (x, text) at x mm
    from the page's left edge on the line's baseline, or (x, dy, text) dy mm below it (above
    when negative). So: a bullet apart from its text, a page number apart from its heading,
    every word placed on its own (justified text), a table cell's wrapped lines centred
    beside a one-line cell."""
    pdf = _PolicyPDF(None, False, font_size)
    pdf.add_page()
    y = 20.0
    for pieces in lines:
        for piece in pieces:
            x, dy, text = piece if len(piece) == 3 else (piece[0], 0.0, piece[1])
            pdf.text(x, y + dy, pdf.text_for_font(text))
        y += font_size * 0.5
    return bytes(pdf.output())


def browser_pdf(page: str) -> bytes:
    """The HTML `page` printed to PDF by headless Chromium, as a browser's "Save as PDF" does
    (Skia's text layer, with the browser's header and footer: date, title, address, "1/5")."""
    from tests.e2e_support import CHROMIUM, CHROMIUM_ARGS
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp, "policy.html"), Path(tmp, "policy.pdf")
        source.write_text(page, encoding="utf-8")
        done = subprocess.run([CHROMIUM, "--headless", *CHROMIUM_ARGS, f"--print-to-pdf={out}",
                               source.as_uri()], capture_output=True, timeout=120)
        if not out.is_file():
            raise RuntimeError(f"Chromium printed no PDF: {done.stderr[-500:]!r}")
        return out.read_bytes()


def encrypted_pdf(text: str, user_password: str = "secret", owner_password: str = "owner",
                  algorithm: str = "RC4-128") -> bytes:
    """Return `pdf_from_text(text)` encrypted by pypdf.

    `user_password=""` gives "owner-only" encryption: anyone may open it, editing is
    restricted. RC4 is the default because pypdf writes AES only with a crypto library.
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_from_text(text))))
    writer.encrypt(user_password, owner_password, algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def aes_encrypted_pdf(text: str) -> bytes:
    """Return an owner-only encrypted PDF whose dictionary declares AES-128 (/AESV2).

    pypdf can check the (empty) user password of such a file with its built-in MD5/RC4, but
    decrypting its strings and streams needs AES, i.e. the `cryptography` package. Without
    one this reproduces "opens in a viewer, pypdf needs a dependency". The data inside is
    RC4-encrypted (same key as AES-128 would use), so with a crypto library installed the
    reader sees garbage rather than text; tests use the file only for the missing-library
    path. Relies on pypdf internals (`PdfWriter._encrypt_entry`) — a test helper only.
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_from_text(text))))
    writer.encrypt("", "owner", algorithm="RC4-128")
    entry = writer._encrypt_entry  # noqa: SLF001 - see docstring
    std_cf = DictionaryObject({
        NameObject("/AuthEvent"): NameObject("/DocOpen"),
        NameObject("/CFM"): NameObject("/AESV2"),
        NameObject("/Length"): NumberObject(16),
    })
    entry[NameObject("/V")] = NumberObject(4)
    entry[NameObject("/R")] = NumberObject(4)
    entry[NameObject("/CF")] = DictionaryObject({NameObject("/StdCF"): std_cf})
    entry[NameObject("/StmF")] = NameObject("/StdCF")
    entry[NameObject("/StrF")] = NameObject("/StdCF")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scanned_pdf(pages: int = 2) -> bytes:
    """Return a PDF whose pages hold only drawings and a small image: no text layer."""
    from PIL import Image, ImageDraw  # fpdf2 depends on Pillow, so it is installed

    image = Image.new("L", (120, 160), 255)
    draw = ImageDraw.Draw(image)
    for y in range(10, 150, 8):  # grey bars where the "text" would be
        draw.rectangle((10, y, 110, y + 3), fill=60)
    pdf = FPDF(format="A4")
    for _ in range(pages):
        pdf.add_page()
        pdf.image(image, x=20, y=20, w=170)
        pdf.rect(15, 15, 180, 260)
    return bytes(pdf.output())


_RECORDS = ("billing", "support", "login", "payment", "shipping", "device", "survey",
            "marketing", "security", "backup", "analytics")
_PERIODS = ("one month", "two months", "six months", "one year", "two years", "three years",
            "five years", "seven years", "ten years", "ninety days", "thirty days", "a week", "a day")


def many_pages_pdf(n: int) -> bytes:
    """Return an `n`-page PDF with one numbered sentence per page (core font: fast).

    Page i reads "Section i. We keep <kind> record number i for <period>.", kind and period
    rotating, so pages differ by more than their digits (equal-but-for-digits lines at the
    page edges would be taken for running headers).
    """
    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=11)
    for i in range(1, n + 1):
        pdf.add_page()
        kind, period = _RECORDS[i % len(_RECORDS)], _PERIODS[i % len(_PERIODS)]
        pdf.cell(0, 8, f"Section {i}. We keep {kind} record number {i} for {period}.")
    return bytes(pdf.output())


@lru_cache(maxsize=4)
def bomb_pdf(inflated_mb: int = 320, chunk: bytes = b" ") -> bytes:
    """Return a small PDF whose one page content stream inflates to `inflated_mb` MiB.

    The stream is `chunk` repeated (spaces by default; pass e.g. b"(x) Tj " for text
    operators) and deflated at level 9, which shrinks it about 1000-fold, so the default
    file is ~330 KB. It is compressed piecewise, so building it never holds the inflated
    data in memory. Cached: tests call it more than once.
    """
    compressor = zlib.compressobj(9)
    block = chunk * max(1, (1 << 20) // len(chunk))
    parts = [compressor.compress(b"BT /F1 12 Tf 72 720 Td (Privacy policy) Tj ET\n")]
    parts += [compressor.compress(block) for _ in range(inflated_mb)]
    parts.append(compressor.flush())
    return _assemble_pdf(b"".join(parts))


def _assemble_pdf(deflated_content: bytes) -> bytes:
    """Wrap one deflated page content stream into a minimal, valid PDF with a correct xref."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(deflated_content)
        + deflated_content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --------------------------------------------------------------------------- broken text layers

PATHOLOGIES: tuple[str, ...] = ("one_word_lines", "tabs", "zero_width", "ligatures",
                                "duplicated_runs", "glued_lines", "page_furniture",
                                "hyphenated_wraps")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+(\S.*)$")
# Ligatures as a broken font maps them: "ti" as "Ɵ" (Calibri), "ff" as an arbitrary glyph,
# "ffi" / "fi" / "fl" as the Unicode ligature code points.
_LIGATURE_GLYPHS = (("ffi", "\ufb03"), ("ti", "\u019f"), ("ff", "\u2c60"), ("fi", "\ufb01"),
                    ("fl", "\ufb02"))


def pathological_pdf(text: str, pathology: str) -> bytes:
    """Set `text` (one paragraph a line) as a PDF whose text layer has one pathology.

    Lines are wrapped to the page and flow over page breaks (sentences run across pages),
    as in `pdf_from_text`; the pathology (one of `PATHOLOGIES`) is then applied to what
    is drawn: every word on its own line; tabs or zero-width spaces instead of spaces;
    ligature glyphs; headings and clause numbers drawn twice; the first word of each
    wrapped line glued to the line before; "1 | P a g e" footers and a "Page N of M"
    header; long words hyphenated at line ends.
    """
    if pathology == "one_word_lines":
        return one_word_per_line_pdf(text)
    core = pathology == "tabs"  # core Helvetica keeps tab characters in the text layer
    header = "Page {n} of {{nb}}" if pathology == "page_furniture" else None
    pdf = _PolicyPDF(None, pathology == "page_furniture", 10, "{n} | P a g e", core)
    pdf.add_page()
    for paragraph in text.split("\n"):
        paragraph = pdf.text_for_font(paragraph).strip()
        if not paragraph:
            continue
        if header:
            pdf.header_text = header.format(n=pdf.page_no())
        for line in _pathological_lines(pdf, paragraph, pathology):
            pdf.line_out(line)
        pdf.ln(2)
    return bytes(pdf.output())


def _pathological_lines(pdf: _PolicyPDF, paragraph: str, pathology: str) -> list[str]:
    lines = _wrap(pdf, paragraph, pathology == "hyphenated_wraps")
    if pathology == "tabs":
        return [line.replace(" ", "\t") for line in lines]
    if pathology == "zero_width":
        return [line.replace(" ", "\u200b") for line in lines]
    if pathology == "ligatures":
        return [_with_ligature_glyphs(line) for line in lines]
    if pathology == "duplicated_runs":
        return _duplicated(lines)
    if pathology == "glued_lines":
        return _glued(lines)
    return lines


def _with_ligature_glyphs(line: str) -> str:
    for letters, glyph in _LIGATURE_GLYPHS:
        line = line.replace(letters, glyph)
    return line


def _duplicated(lines: list[str]) -> list[str]:
    """Draw a heading twice (on one line, or on two lines, alternately) and a clause
    number and its dot twice ("2.1 2.1 . . Sharing")."""
    if len(lines) != 1 or len(lines[0].split()) > 8 or lines[0][-1:] in ".:;!?,":
        return lines
    line = lines[0]
    numbered = _NUMBERED.match(line)
    if numbered:
        return [f"{numbered.group(1)} {numbered.group(1)} . . {numbered.group(2)}"]
    return [f"{line} {line}"] if len(line) % 2 else [line, line]


def _glued(lines: list[str]) -> list[str]:
    """Move each wrapped line's first word to the end of the line before, without a space,
    as a text layer that lost the break between two lines reads ("howthis")."""
    out = list(lines)
    for i in range(1, len(out)):
        head, _, rest = out[i].partition(" ")
        if rest and out[i - 1][-1:].isalpha() and head[:1].isalpha():
            out[i - 1] += head
            out[i] = rest
    return out
