"""Word (.docx): word/document.xml streamed to lines (paragraphs, list items, table rows as
"cell | cell"), after checking the ZIP package against zip-bomb limits; XML constructs Word
never writes (DTDs, entities) and absurd tag counts are refused."""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from xml.etree import ElementTree as ET

from extract.errors import CorruptFile, FileTooLarge
from extract.model import CELL_SEPARATOR

from .assemble import Text
from .limits import MiB, current, refuse_long_text
from .lines import merge_bullets, normalise_chars, tidy_line
from .markup import check_xml

__all__ = ["read_docx"]

_W_NAMESPACES = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                 "http://purl.oclc.org/ooxml/wordprocessingml/main")  # transitional, strict
_MC_NAMESPACE = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def read_docx(data: bytes, filename: str) -> Text:
    xml = _docx_document_xml(data, filename)
    if re.search(rb"<!\s*(?:DOCTYPE|ENTITY)", xml, re.I) or b"\x00" in xml[:200]:
        # Word never writes these; DTDs enable entity-expansion attacks, UTF-16 would hide them.
        raise CorruptFile(f"“{filename}” contains XML constructs Word never writes; it was not read.")
    check_xml(xml, filename)  # each tag costs microseconds to parse: millions would stall
    try:
        lines = _docx_lines(xml)
    except ET.ParseError as exc:
        raise CorruptFile(f"“{filename}” is a damaged Word document ({exc}).") from exc
    refuse_long_text("\n".join(lines), filename)
    lines = [line for line in (tidy_line(x) for x in normalise_chars("\n".join(lines)).split("\n"))
             if line]
    return Text(["\n".join(merge_bullets(lines))])


def _docx_document_xml(data: bytes, filename: str) -> bytes:
    """Return word/document.xml after checking the archive against zip-bomb limits."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise CorruptFile(f"“{filename}” is not a Word document we can open: "
                          "the ZIP package is damaged.") from exc
    limits = current()
    with zf:
        _check_zip_limits(zf, filename)
        if "word/document.xml" not in zf.NameToInfo:
            raise CorruptFile(f"“{filename}” is not a Word document: {_zip_kind(zf)}.")
        try:
            with zf.open("word/document.xml") as member:
                xml = member.read(limits.max_docx_uncompressed + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError,
                OSError, ValueError) as exc:
            raise CorruptFile(f"“{filename}” is a damaged or password-protected Word "
                              "document.") from exc
    if len(xml) > limits.max_docx_uncompressed:  # the header lied about the size
        raise FileTooLarge(_docx_too_large(filename))
    return xml


def _check_zip_limits(zf: zipfile.ZipFile, filename: str) -> None:
    limits = current()
    infos = zf.infolist()
    if len(infos) > limits.max_zip_members:
        raise FileTooLarge(f"“{filename}” holds more than {limits.max_zip_members:,} parts; "
                           "it is not a normal Word document.")
    if sum(info.file_size for info in infos) > limits.max_docx_uncompressed:
        raise FileTooLarge(_docx_too_large(filename))
    for info in infos:
        if info.file_size > MiB and info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise FileTooLarge(f"“{filename}” contains a part that unpacks {ratio:,}-fold; "
                               "it looks like a zip bomb and was not read.")


def _docx_too_large(filename: str) -> str:
    return (f"“{filename}” unpacks to more than {current().max_docx_uncompressed / MiB:g} MB, "
            "the limit for a Word document.")


def _zip_kind(zf: zipfile.ZipFile) -> str:
    names = zf.NameToInfo
    if "xl/workbook.xml" in names:
        return "it is an Excel workbook"
    if "ppt/presentation.xml" in names:
        return "it is a PowerPoint presentation"
    if "mimetype" in names and "content.xml" in names:
        return "it is an OpenDocument file — save it as .docx or PDF"
    return "it is a ZIP archive without word/document.xml"


def _local(tag: str) -> tuple[str, str]:
    namespace, _, name = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, name


class _DocxWalker:
    """Stream word/document.xml: paragraphs to lines, table rows to "cell | cell" lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.rows: list[list[list[str]]] = []  # per open table: cells of the current row
        self.fallback = 0  # inside mc:Fallback, which repeats mc:Choice content

    def start(self, elem: ET.Element) -> None:
        namespace, name = _local(elem.tag)
        if namespace == _MC_NAMESPACE and name == "Fallback":
            self.fallback += 1
        elif namespace in _W_NAMESPACES:
            if name == "tbl":
                self.rows.append([])
            elif name == "tr" and self.rows:
                self.rows[-1] = []
            elif name == "tc" and self.rows:
                self.rows[-1].append([])

    def end(self, elem: ET.Element) -> None:
        namespace, name = _local(elem.tag)
        if namespace == _MC_NAMESPACE and name == "Fallback":
            self.fallback -= 1
            elem.clear()
        elif namespace in _W_NAMESPACES:
            if name == "p":
                if not self.fallback:
                    self._add(_paragraph_text(elem, namespace))
                elem.clear()  # keeps memory flat: the text is taken
            elif name == "tr" and self.rows:
                cells = [" ".join(part for part in cell if part) for cell in self.rows[-1]]
                self.rows[-1] = []
                self._add(CELL_SEPARATOR.join(cell for cell in cells if cell), outer=True)
            elif name == "tbl" and self.rows:
                self.rows.pop()

    def _add(self, text: str, *, outer: bool = False) -> None:
        """Put text in the open table cell (the enclosing table's, for a finished row)."""
        cells = self.rows[-2 if outer else -1] if len(self.rows) > outer else None
        if cells:
            cells[-1].append(text)
        elif text:
            self.lines.append(text)


def _paragraph_text(p: ET.Element, namespace: str) -> str:
    """Text of one w:p: w:t runs, w:tab as a space, w:br/w:cr as a line break."""
    w = "{%s}" % namespace
    parts: list[str] = []
    for elem in p.iter():
        tag = elem.tag
        if tag == w + "t":
            parts.append(elem.text or "")
        elif tag in (w + "tab", w + "ptab"):
            parts.append(" ")
        elif tag in (w + "br", w + "cr"):
            parts.append("\n")
        elif tag == w + "noBreakHyphen":
            parts.append("-")
    text = "".join(parts)
    props = p.find(w + "pPr")
    if props is not None and text.strip() and _is_list_paragraph(props, w):
        text = "- " + text.lstrip()
    return text


def _is_list_paragraph(props: ET.Element, w: str) -> bool:
    if props.find(w + "numPr") is not None:
        return True
    style = props.find(w + "pStyle")
    return style is not None and (style.get(w + "val") or "").lower().startswith("list")


def _docx_lines(xml: bytes) -> list[str]:
    parser = ET.XMLPullParser(events=("start", "end"))
    walker = _DocxWalker()
    for offset in range(0, len(xml), MiB):
        parser.feed(xml[offset:offset + MiB])
        _drain(parser, walker)
    parser.close()
    _drain(parser, walker)
    return walker.lines


def _drain(parser: ET.XMLPullParser, walker: _DocxWalker) -> None:
    for event, elem in parser.read_events():
        (walker.start if event == "start" else walker.end)(elem)
