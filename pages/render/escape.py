"""The one escaping helper for third-party text, and two text shapers built on it.

Policy text, vendor names and file names come from third parties and are treated as hostile:
everything they reach goes through `escape()` before it is shown as Markdown, HTML or Plotly text.
"""
from __future__ import annotations

import html
import re
import textwrap
from typing import Literal

__all__ = ["escape", "wrap_html", "vendor_tick"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")
# Streamlit turns `:material/x:` into an icon (in HTML blocks it mangles it into `:material_x:`)
# by matching the raw source, where a backslash escape does not stop it; a character reference
# does, and reads as ":". Only a colon that could open a shortcode, a directive or a URL (one
# followed by a letter, digit, `/` or `[`) needs it; "Note: text" stays as it is.
_OPENING_COLON = re.compile(r":(?=[\w/\[])")
_COLON = "&#58;"
# GFM links bare www. / http(s):// / e-mail literals AFTER escapes and references are decoded,
# so only a character in the text itself stops it: U+2060 WORD JOINER (invisible, no line
# break) between "www" and ".", between ":" and "//", and before "@".
_WJ = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\\\.)|(?<=&#58;)(?=//)|(?=@)")


def escape(text: object, target: Literal["markdown", "html"] = "markdown") -> str:
    """Make third-party text inert: the ONE helper for every vendor name, file name and quote.

    target="markdown": for st.markdown / st.caption / st.title / labels / st.error. Markdown
    punctuation is backslash-escaped (no links, images, emphasis, LaTeX `$`, or Streamlit
    `:color[...]` directives), `<`, `>`, `&` become entities so `<img onerror=...>` shows as
    text, a `:` before a word becomes a character reference (no `:material/icon:` shortcodes),
    and bare `www.`, `https://` and e-mail literals get an invisible word joiner so they are
    not auto-linked.
    target="html": for our HTML fragments and Plotly text: `html.escape` (quotes too, for
    attributes) and that `:` as a character reference (Streamlit rewrites icon shortcodes even
    inside HTML blocks; browsers and Plotly decode it).
    """
    s = "" if text is None else str(text)
    if target == "html":
        return _OPENING_COLON.sub(_COLON, html.escape(s, quote=True))
    s = _MD_SPECIAL.sub(r"\\\1", s)
    # Entities after the backslashes: `&lt;` holds no Markdown punctuation, and `quote=False`
    # avoids `&#x27;` whose `#` would otherwise need escaping too.
    s = _OPENING_COLON.sub(_COLON, html.escape(s, quote=False))
    s = _AUTOLINK.sub(_WJ, s)
    # Line breaks would start new Markdown blocks (headings, lists); keep quotes on one line.
    return re.sub(r"\s*\n\s*", " ", s)


def wrap_html(text: str, width: int = 60, max_chars: int = 320) -> str:
    """Escape and wrap a quote for Plotly hover text (Plotly reads `<br>` as a line break)."""
    text = " ".join(str(text).split())
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return "<br>".join(escape(line, "html") for line in textwrap.wrap(text, width)) or ""


def vendor_tick(name: str, max_chars: int = 28) -> str:
    """A vendor name on one line, shortened and escaped for HTML (matrix heads, chart ticks)."""
    # One line: Plotly tilts the labels by itself when columns get narrow, and tilted
    # multi-line labels are hard to read.
    name = " ".join(name.split())
    return escape(name if len(name) <= max_chars else name[: max_chars - 1] + "…", "html")
