"""User text as it is shown: controls that change how text looks without being seen are made
visible, wherever a prompt (or a file name a user gave) is displayed.

Bidirectional controls (U+202A-202E embeddings and overrides, U+2066-2069 isolates, U+200E/F and
U+061C marks) can make text read differently from what it is ("Trojan Source": a right-to-left
override turns "photo<RLO>gnp.exe" into "photoexe.png"), and other invisible characters (zero
width spaces, C0/C1 controls, tag characters) can hide words in plain sight. Each is shown as
``[U+202E]``.

Shown, not stripped on input, on purpose: the stored prompt stays what the member typed and what
was sent to LTX (a Hebrew or Arabic prompt may carry marks on purpose), rows written before this
rule or by other writers (the admin, a retry, later an API) are covered too, and the reader sees
that something is there instead of silently getting a different text. Zero-width joiners and
variation selectors stay: emoji and several scripts need them and they cannot reorder text.

One function for every place: templates use the ``visible`` filter (a builtin, see settings
TEMPLATES), Python code (the admin list, toast payloads) calls ``visible()``.
"""

from __future__ import annotations

import re

_INVISIBLE = re.compile(
    "["
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 and C1 controls, but tab and line breaks
    "\u061c\u200e\u200f"  # bidi marks
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2066-\u2069"  # bidi isolates
    "\u200b\u2028\u2029\u2060-\u2064\ufeff\u180e"  # zero-width and invisible separators
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers (blank, but letters to a font)
    "\U000e0000-\U000e007f"  # tag characters
    "]"
)


def visible(text: object) -> str:
    """``text`` with every invisible control replaced by a visible ``[U+XXXX]``."""
    return _INVISIBLE.sub(lambda m: f"[U+{ord(m.group()):04X}]", "" if text is None else str(text))
