"""Tables in a PDF page, found from where pypdf's text pieces stand on the page.

pypdf gives no cell structure: a table row comes out as one line, its cells joined by spaces
("Server logs 90 days"), and a wrapped cell adds lines of its own, sometimes mixed into the
lines of the row's other cells. A table shows itself by alignment instead: its rows are lines
whose pieces start at the same x positions (the columns). `mark_tables` finds such runs of
lines, rebuilds each row from where its pieces stand (a cell's wrapped lines are joined; the
cells of a row overlap in height, whether they are aligned at the top or centred) and writes
it with `model.CELL_SEPARATOR` between its cells, as the HTML, Markdown and DOCX readers do,
so the segmenter reads a row with its header ("Data | Retention period").

What looks aligned but is not a table is left alone: lists (the first column holds only list
markers), tables of contents (the last column holds only page numbers), a sentence or a list's
lead-in split by a change of font (its last "cell" ends in punctuation), two text columns
printed side by side (their cells continue each other in lower case), and lines whose pieces
come in any other order than left to right.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from extract.model import CELL_SEPARATOR

__all__ = ["PdfLine", "mark_tables", "COLUMN_TOLERANCE", "MAX_TABLE_LINES", "MAX_COLUMNS"]

COLUMN_TOLERANCE = 2.5  # points: pieces starting this close share a column
_MAX_HEADER_WORDS = 10  # a header cell names a column; a longer one is prose
MAX_TABLE_LINES = 300  # lines of one table on one page (a page holds far fewer)
MAX_COLUMNS = 12
_BUDGET_PER_LINE = 3  # lines examined per line of the page, over all tables tried
_LIST_MARKER = re.compile(r"^(?:[•·▪◦●■□➢►‣○∙⁃\-–*\uf0a7\uf0b7\uf0d8\uf0fc\uf076]"
                          r"|\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-z]|[ivxlc]{1,6})[.)]?)$",
                          re.I)
_PAGE_NUMBER = re.compile(r"^(?:\d{1,4}|[ivxlc]{1,6})$", re.I)


@dataclass
class PdfLine:
    """One extracted line: its pieces as (x, y of the piece's start, or None when unknown;
    text). `y`, its baseline's height, is that of its first positioned piece."""

    parts: list[tuple[float | None, float | None, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(text for _, _, text in self.parts)

    @property
    def y(self) -> float | None:
        return next((y for x, y, text in self.parts if y is not None and text.strip()), None)

    def pieces(self) -> list[tuple[float, float, str]] | None:
        """The non-blank pieces, or None when one has no position."""
        out = []
        for x, y, text in self.parts:
            if not text.strip():
                continue
            if x is None or y is None:
                return None
            out.append((x, y, " ".join(text.split())))
        return out

    def starts(self) -> list[float] | None:
        """Where the line's cells start, left to right: a piece at the x of the piece before
        it continues that cell (a wrapped line pypdf kept on this line). None when a position
        is unknown or a piece stands left of the one before it."""
        pieces = self.pieces()
        if pieces is None:
            return None
        xs: list[float] = []
        for x, _, _ in pieces:
            if xs and abs(x - xs[-1]) <= COLUMN_TOLERANCE:
                continue
            if xs and x < xs[-1]:
                return None
            xs.append(x)
        return xs


@dataclass
class _Piece:
    column: int
    y: float
    text: str
    line: int  # index of the pypdf line it came from


def mark_tables(lines: list[PdfLine]) -> list[tuple[str, float | None]]:
    """The page's lines as (text, baseline height), each table row written as its cells
    joined by `CELL_SEPARATOR`. The search is bounded (a table of at most `MAX_TABLE_LINES`
    lines, a budget of lines examined per page), so a hostile page costs linear time."""
    out: list[tuple[str, float | None]] = []
    starts = [line.starts() for line in lines]
    budget = _BUDGET_PER_LINE * len(lines) + MAX_TABLE_LINES
    i = 0
    while i < len(lines):
        found = None
        if budget > 0 and starts[i] and 2 <= len(starts[i]) <= MAX_COLUMNS:
            found, examined = _table_at(lines, starts, i)
            budget -= examined
        if found is None:
            out.append((lines[i].text, lines[i].y))
            i += 1
            continue
        rows, i = found
        out.extend((CELL_SEPARATOR.join(cells), y) for cells, y in rows)
    return out


def _table_at(lines: list[PdfLine], starts: list[list[float] | None], i: int
              ) -> tuple[tuple[list[tuple[list[str], float | None]], int] | None, int]:
    """The table whose header is line `i` (its rows, and the index of the line after it) or
    None, and how many lines were examined."""
    head = starts[i]
    columns = head
    following = starts[i + 1] if i + 1 < len(lines) else None
    if following and len(following) == len(head) and not _aligned(following, head) \
            and _centred_over(head, following):
        columns = following  # a header centred over its columns
    end = i + 1
    while end < min(len(lines), i + 1 + MAX_TABLE_LINES):
        xs = starts[end]
        if not xs or any(_column(x, columns) is None for x in xs):
            break
        end += 1
    if end == i + 1:
        return None, 1
    pieces = [_Piece(_under(x, columns), y, text, k)
              for k in range(i + 1, end) for x, y, text in lines[k].pieces()]
    rows = _rows(pieces, len(columns))
    header = [" ".join(text for x, _, text in lines[i].pieces() if _under(x, columns) == k)
              for k in range(len(columns))]
    table = [(header, lines[i].y)] + [(cells, top) for cells, top, _ in rows]
    if not rows or not _is_table(table):
        return None, end - i
    used = [p for _, _, row in rows for p in row]
    last = max(p.line for p in used) + 1
    if len(used) != sum(p.line < last for p in pieces):
        return None, end - i  # the rows would leave out a piece: keep the text as it is
    return (table, last), end - i


def _rows(pieces: list[_Piece], n: int) -> list[tuple[list[str], float, list[_Piece]]]:
    """The rows the pieces under a header make: (cell texts, top, the pieces used).

    Cells aligned at their top start each row on a baseline every column shares; a row then
    runs down to the next such baseline. Cells centred in their row (a wrapped cell's lines
    stand above and below its neighbours') are matched instead: from the top, each column
    gives the fewest consecutive lines whose middle is the middle of the others'. Rows end
    where a column runs out or no such match exists: what follows is text after the table.
    """
    columns = [_column_pieces(pieces, k) for k in range(n)]
    if not all(columns):
        return []
    steps = [a.y - b.y for col in columns for a, b in zip(col, col[1:]) if a.y - b.y > 0.5]
    step = min(steps, default=0.0)
    rows = _top_aligned(columns, step)
    if rows is None:
        rows = _centred(columns, step)
    return [([" ".join(p.text for p in cell) for cell in row],
             max(p.y for cell in row for p in cell), [p for cell in row for p in cell])
            for row in rows if any(row)]


def _top_aligned(columns: list[list[_Piece]], step: float) -> list[list[list[_Piece]]] | None:
    """Rows of a table whose cells share their first baseline, or None when the first line
    of the table is not shared by every column."""
    first = columns[0][0].y
    if any(abs(col[0].y - first) > 1.0 for col in columns):
        return None
    heights = [sorted(p.y for p in col) for col in columns[1:]]
    starts = [p.y for p in columns[0] if all(_has(ys, p.y) for ys in heights)]
    rows: list[list[list[_Piece]]] = []
    at = [0] * len(columns)
    for k, top in enumerate(starts):
        below = starts[k + 1] + 1.0 if k + 1 < len(starts) else float("-inf")
        row = []
        for c, col in enumerate(columns):  # each column is sorted top down
            j = at[c]
            while j < len(col) and col[j].y > below:
                j += 1
            row.append(col[at[c]:j])
            at[c] = j
        if k + 1 == len(starts):  # the last row: a line after a gap is text after the table
            row = [_contiguous(cell, step) for cell in row]
        rows.append(row)
    return rows


def _has(heights: list[float], y: float) -> bool:
    """Whether the sorted `heights` hold one within a point of `y`."""
    i = bisect.bisect_left(heights, y - 1.0)
    return i < len(heights) and heights[i] <= y + 1.0


def _centred(columns: list[list[_Piece]], step: float) -> list[list[list[_Piece]]]:
    """Rows of a table whose cells are centred in their row: for each middle the first
    column's next lines can have, the shortest run of each other column centred on it; the
    match with the fewest lines wins."""
    at = [0] * len(columns)
    rows: list[list[list[_Piece]]] = []
    while all(i < len(col) for i, col in zip(at, columns)):
        runs = [_runs(col[i:], step) for i, col in zip(at, columns)]
        best: list[list[_Piece]] | None = None
        for first in runs[0]:
            middle = _middle(first)
            cells = [first] + [next((run for run in options if abs(_middle(run) - middle) <= 1.5),
                                    None) for options in runs[1:]]
            if all(cells) and (best is None or sum(map(len, cells)) < sum(map(len, best))):
                best = cells
        if best is None:
            break
        rows.append(best)
        at = [i + len(cell) for i, cell in zip(at, best)]
    return rows


def _runs(pieces: list[_Piece], step: float) -> list[list[_Piece]]:
    """The column's next 1 to 6 consecutive lines that can make one cell, shortest first."""
    lines = _contiguous(pieces[:6], step)
    return [lines[:length] for length in range(1, len(lines) + 1)]


def _middle(run: list[_Piece]) -> float:
    return (run[0].y + run[-1].y) / 2


def _contiguous(pieces: list[_Piece], step: float) -> list[_Piece]:
    """The leading pieces no further apart than wrapped lines are (1.2 steps)."""
    out = pieces[:1]
    for p in pieces[1:]:
        if out[-1].y - p.y > 1.2 * step:
            break
        out.append(p)
    return out


def _column_pieces(pieces: list[_Piece], k: int) -> list[_Piece]:
    return sorted((p for p in pieces if p.column == k), key=lambda p: -p.y)


def _aligned(xs: list[float], columns: list[float]) -> bool:
    return len(xs) == len(columns) and all(abs(x - c) <= COLUMN_TOLERANCE
                                           for x, c in zip(xs, columns))


def _column(x: float, columns: list[float]) -> int | None:
    for k, c in enumerate(columns):
        if abs(x - c) <= COLUMN_TOLERANCE:
            return k
    return None


def _under(x: float, columns: list[float]) -> int:
    """The column whose span (from its start to the next column's) holds `x`."""
    return max((k for k, c in enumerate(columns) if x >= c - COLUMN_TOLERANCE), default=0)


def _centred_over(head: list[float], columns: list[float]) -> bool:
    """Whether each header cell starts within its own column's span."""
    return all(_under(x, columns) == k for k, x in enumerate(head))


def _is_table(rows: list[tuple[list[str], float | None]]) -> bool:
    header = rows[0][0]
    if len(rows) < 2 or any(len(cell.split()) > _MAX_HEADER_WORDS for cell in header):
        return False
    if header[-1].endswith((".", ":", ";", ",")):
        return False  # a sentence, or the lead-in of a list, split by a change of font
    if all(_LIST_MARKER.match(cells[0]) for cells, _ in rows[1:]):
        return False  # "•  text" or "1.  text" on every line: a list, not a table
    if all(_PAGE_NUMBER.match(cells[-1]) for cells, _ in rows):
        return False  # "Data Retention  7": a table of contents (a table's header is words)
    # Two text columns side by side: a row's cells are line fragments that go on in the row
    # below, in lower case.
    continued = sum(cells[0][:1].islower() for cells, _ in rows[1:])
    return continued * 2 < len(rows) - 1
