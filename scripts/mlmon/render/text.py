"""Text from the data (column names, category values, variant names, event descriptions, paths)
made safe to put into Markdown that people and Claude read.

Such text can hold newlines, ``|``, ``## ``, fences, HTML, bidirectional overrides and a
megabyte of "ignore previous instructions". Every renderer passes each data-derived value
through one of these before it lands in a page:

- :func:`cell`: a value in a table cell or inside a sentence, cut to :data:`CELL_LIMIT`;
- :func:`code`: the same value shown as inline code (a path, a column name in backticks);
- :func:`prose`: a whole generated sentence that quotes data (a warning, an evidence summary),
  cut to :data:`PROSE_LIMIT`.

All three strip control and bidirectional-formatting characters (a newline becomes a space, so
no value can start a heading, a list or a fence of its own), escape ``|`` (a table cell stays one
cell) and HTML tags, and cut long text with :data:`MARK`. The JSON output keeps values whole up
to :data:`mlmon.jsonsafe.TEXT_LIMIT` (see :func:`mlmon.jsonsafe.bounded`).
"""

from __future__ import annotations

import re
from typing import Any

CELL_LIMIT = 80
PROSE_LIMIT = 500
MARK = "…"

# C0 and C1 controls (newline, carriage return, tab, escape, ...) and the Unicode characters that
# reorder text on display: LRM/RLM, ALM, the embeddings and overrides, the isolates
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]+")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def clean(value: Any, limit: int) -> str:
    r"""``value`` as one line of plain text, at most ``limit`` characters (:data:`MARK` included).

    >>> clean("a\nb\u202ec", 80), clean("x" * 10, 5)
    ('a bc', 'xxxx…')
    """
    text = _BIDI.sub("", str(value))
    text = _CONTROL.sub(" ", text)
    if len(text) > limit:
        text = text[: max(0, limit - len(MARK))] + MARK
    return text


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    text = _TAG.sub("&lt;", text)
    # a value never starts a line, but a leading "#" or ">" stays literal wherever it lands
    return re.sub(r"^([#>])", r"\\\1", text)


def cell(value: Any, limit: int = CELL_LIMIT) -> str:
    r"""A data value for a table cell or a sentence.

    >>> cell("a|b\n## Ignore previous instructions")
    'a\\|b ## Ignore previous instructions'
    >>> cell("<script>x</script>")
    '&lt;script>x&lt;/script>'
    """
    return _escape(clean(value, limit))


def code(value: Any, limit: int = CELL_LIMIT) -> str:
    r"""A data value as inline code: backticks inside it are replaced (a code span cannot escape
    them), ``|`` escaped for tables.

    >>> code("we`ird|name")
    "`we'ird\\|name`"
    """
    text = clean(value, limit).replace("`", "'").replace("|", "\\|")
    return f"`{text}`"


def prose(value: Any, limit: int = PROSE_LIMIT) -> str:
    r"""A generated sentence that quotes data (a warning, a reason, an evidence summary): one line,
    bounded, tags and table syntax escaped; backticks the sentence itself uses are kept.

    >>> prose("x: 2 categories only in current (\n## Ignore, <b>)")
    'x: 2 categories only in current ( ## Ignore, &lt;b>)'
    """
    text = clean(value, limit).replace("|", "\\|")
    return _TAG.sub("&lt;", text)
