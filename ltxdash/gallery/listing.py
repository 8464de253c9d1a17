"""Keyset pagination over (created_at, id), newest first.

An OFFSET page costs a scan of every clip before it, and a page count costs a COUNT(*) over all
of them; a cursor ("the clips older than this one") costs the same on page 1 and page 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Prefetch, Q, QuerySet

from ltxdash.generations.models import Generation, Output

PAGE_SIZE = 24
_FORMAT = "%Y%m%d%H%M%S%f"


@dataclass(frozen=True)
class Page:
    clips: list[Generation]
    next_cursor: str | None


def encode_cursor(clip: Generation) -> str:
    return f"{clip.created_at.astimezone(UTC).strftime(_FORMAT)}-{clip.pk}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """None for a missing or malformed cursor (a hand-edited URL starts at the newest clip)."""
    if not cursor:
        return None
    stamp, _, pk = cursor.partition("-")
    try:
        return datetime.strptime(stamp, _FORMAT).replace(tzinfo=UTC), int(pk)
    except ValueError:
        return None


def page_of(clips: QuerySet[Generation], cursor: str | None, size: int = PAGE_SIZE) -> Page:
    after = decode_cursor(cursor)
    if after:
        created_at, pk = after
        # The <= bound lets the (owner, -created_at) index seek; the OR breaks ties by id.
        clips = clips.filter(created_at__lte=created_at).filter(
            Q(created_at__lt=created_at) | Q(pk__lt=pk)
        )
    clips = clips.order_by("-created_at", "-id").prefetch_related(
        Prefetch("outputs", queryset=Output.objects.order_by("id"))
    )
    rows = list(clips[: size + 1])  # one extra row says whether a next page exists
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor(rows[-1]) if more else None)
