"""Reading the pages the views answer with."""

from __future__ import annotations

import re

HTMX = {"HX-Request": "true"}  # the header htmx sends with every request it makes
# What the create page posts for one standard clip (LTX-2.3 Fast, 1080p, 6 s: $0.36).
T2V_FORM = {
    "mode": "text-to-video",
    "prompt": "A lighthouse in a storm",
    "model": "ltx-2-3-fast",
    "resolution": "1920x1080",
    "fps": "24",
    "duration": "6",
    "count": "1",
}


def field_html(content: bytes | str, name: str) -> str:
    """The markup of one field's wrapper (label, widget, help, errors)."""
    text = content.decode() if isinstance(content, bytes) else content
    at = text.index(f'id="field-{name}"')
    start, end = text.rfind("<", 0, at), text.find('id="field-', at + 10)
    return text[start : end if end != -1 else None]


def token_from(html: str) -> str:
    """The share token in a page that has just created a link."""
    match = re.search(r'value="https?://[^/"]+/s/([A-Za-z0-9_-]+)"', html)
    assert match, "no share link on the page"
    return match.group(1)
