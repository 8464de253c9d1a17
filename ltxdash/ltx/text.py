"""Text the API (or a storage host it names) sends us, made fit to show on a page or in a log.

Everything the LTX client keeps from an answer and may show a person goes through here once, at
the boundary: error messages (``LTXError`` cleans its own), a failed job's reason, error types
and request ids. Templates escape HTML already; what they cannot undo is a bidi override that
reorders the rest of a card (U+202E), zero-width or control characters, or a megabyte of text.
"""

from __future__ import annotations

import re
import unicodedata

# Longest message kept: enough to read, not a whole HTML error page.
MAX_MESSAGE_CHARS = 500
# Unicode "other" categories: controls (Cc), format characters (Cf: bidi embeddings,
# overrides and isolates, zero-width joiners, the BOM), surrogates, private use, unassigned.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_TOKEN = re.compile(r"[a-z][a-z0-9_]{0,63}")
_REQUEST_ID = re.compile(r"[!-~]{1,80}")  # printable ASCII, no spaces; Generation keeps 80


def clean(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` on one line: hidden characters dropped, whitespace runs made one space, at most
    ``limit`` characters (an ellipsis marks a cut)."""
    # Whitespace (tabs, newlines, line separators) first becomes a space, so words stay apart.
    spaced = "".join(" " if ch.isspace() else ch for ch in text[: limit * 4])
    visible = "".join(ch for ch in spaced if unicodedata.category(ch) not in _HIDDEN)
    one_line = " ".join(visible.split())
    if len(one_line) > limit or len(text) > limit * 4:
        return one_line[: max(0, limit - 1)].rstrip() + "…"
    return one_line


def error_type(value: object) -> str | None:
    """An API error type (``content_filtered_error``) as we store and show it, or None when the
    value is not one: lower-case letters, digits and ``_``, at most 64 characters."""
    return value if isinstance(value, str) and _TOKEN.fullmatch(value) else None


def request_id(value: str | None) -> str | None:
    """An ``x-request-id`` fit to store and quote to support, or None."""
    value = (value or "").strip()
    return value if _REQUEST_ID.fullmatch(value) else None


__all__ = ["MAX_MESSAGE_CHARS", "clean", "error_type", "request_id"]
