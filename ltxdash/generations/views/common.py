"""What the generation views share: the page's template and the status column's context."""

from __future__ import annotations

from typing import Any

from ltxdash import access
from ltxdash.generations.cards import any_active, build_cards, page_generations

TEMPLATE = "generations/create.html"
# How often a page with clips in flight asks for changes. An unchanged answer is a 204 and a
# single indexed query, so this can be short; the workers poll LTX on their own schedule.
POLL_SECONDS = 2


def status_context(user: access.User) -> dict[str, Any]:
    cards = build_cards(page_generations(user), user)
    return {"cards": cards, "polling": any_active(cards), "poll_seconds": POLL_SECONDS}
