"""Takes: clips of one request (mode, prompt, source clip and input files) made more than once.

Four takes of a prompt would otherwise carry four identical names. Each gets "Take 2 of 4" and
the settings in which it differs from its other takes ("duration 8 s, model LTX-2.3 Pro"), or
"same settings" when it was simply run again.

Clips of one request share ``Generation.take_key`` (indexed), set when they are queued. Making or
deleting a take changes what its siblings' cards say, so both bump the siblings' ``version``:
every open page redraws them on its next status refresh.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet

from ltxdash.generations.describe import settings_rows
from ltxdash.generations.models import Generation

# Rows read to number the takes on one page: a prompt run thousands of times is numbered among
# its latest ones rather than slowing the page down.
MAX_ROWS = 2000


@dataclass(frozen=True)
class Take:
    number: int
    of: int
    differs: tuple[str, ...]  # this take's value of each setting that varies among its takes

    @property
    def text(self) -> str:
        what = ", ".join(self.differs) if self.differs else "same settings"
        return f"Take {self.number} of {self.of} · {what}"


def key_for(
    endpoint: str, prompt: str, parent_id: int | None, inputs: Mapping[str, Mapping[str, Any]]
) -> str:
    """What makes two clips takes of one request; settings are left out (they are compared)."""
    files = sorted((role, str(row.get("sha256") or "")) for role, row in inputs.items())
    data = json.dumps([endpoint, prompt, parent_id, files], ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def takes_of(clips: Sequence[Generation], among: QuerySet[Generation]) -> dict[int, Take]:
    """The Take of each of ``clips`` that has other takes in ``among`` (one query)."""
    keys = {clip.take_key for clip in clips if clip.take_key}
    if not keys:
        return {}
    rows = list(
        among.filter(take_key__in=keys)
        .order_by("-created_at", "-id")
        .only("id", "take_key", "endpoint", "model", "params", "created_at")[:MAX_ROWS]
    )
    groups: dict[str, list[Generation]] = defaultdict(list)
    for row in reversed(rows):  # oldest first: take 1 is the first made
        groups[row.take_key].append(row)
    takes: dict[int, Take] = {}
    for group in groups.values():
        if len(group) > 1:
            takes |= _numbered(group)
    return {clip.pk: takes[clip.pk] for clip in clips if clip.pk in takes}


def _numbered(group: list[Generation]) -> dict[int, Take]:
    rows = [dict(settings_rows(clip)) for clip in group]
    labels = list(dict.fromkeys(label for row in rows for label in row))
    varying = [label for label in labels if len({row.get(label, "—") for row in rows}) > 1]
    return {
        clip.pk: Take(
            number=index,
            of=len(group),
            differs=tuple(f"{label.lower()} {row.get(label, '—')}" for label in varying),
        )
        for index, (clip, row) in enumerate(zip(group, rows, strict=True), start=1)
    }


def touch_siblings(keys: Iterable[str], exclude: Iterable[int] = ()) -> None:
    """The takes of these requests say something new (a take was made or deleted): bump their
    version so open pages redraw their cards."""
    keys = [key for key in set(keys) if key]
    if keys:
        Generation.objects.filter(take_key__in=keys).exclude(pk__in=list(exclude)).update(
            version=F("version") + 1
        )
