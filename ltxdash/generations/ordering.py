"""The order queued generations leave in, and each one's place in the queue.

Fairness is a round-robin across users, kept without any stored turn: each user's queued clips
are ranked 0, 1, 2 ... by age, and the order is (rank, when that user last had a clip sent,
age). Everyone's next clip goes before anyone's second, and among those the user served
longest ago goes first, so one user's batch of 20 takes turns with a colleague's single clip
instead of standing in front of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db.models import Max

from ltxdash.generations.models import Generation, State


def last_sent_by_owner(owner_ids: Iterable[int]) -> dict[int, datetime]:
    rows = (
        Generation.objects.filter(owner_id__in=set(owner_ids), submit_started_at__isnull=False)
        .values("owner_id")
        .annotate(last=Max("submit_started_at"))
        .order_by()
    )
    return {row["owner_id"]: row["last"] for row in rows}


def fair_order(queued: Iterable[Any], last_sent: dict[int, datetime]) -> list[Any]:
    """``queued`` rows (with owner_id, created_at, id) in the order the dispatcher submits them."""
    seen: Counter[int] = Counter()
    keyed = []
    for row in sorted(queued, key=lambda r: (r.created_at, r.id)):
        rank = seen[row.owner_id]
        seen[row.owner_id] += 1
        served = last_sent.get(row.owner_id)
        keyed.append(
            ((rank, served is not None, served or row.created_at, row.created_at, row.id), row)
        )
    keyed.sort(key=lambda pair: pair[0])
    return [row for _, row in keyed]


def queued_in_order() -> list[Generation]:
    queued = list(
        Generation.objects.filter(state=State.QUEUED).only(
            "id", "owner_id", "created_at", "next_attempt_at", "state", "submit_attempts"
        )
    )
    return fair_order(queued, last_sent_by_owner(g.owner_id for g in queued))


def queue_positions(generations: Sequence[Generation]) -> dict[int, int]:
    """1-based positions of the given generations that are queued (one query for a whole page)."""
    if not any(g.state == State.QUEUED for g in generations):
        return {}
    order = {g.id: index for index, g in enumerate(queued_in_order(), start=1)}
    return {g.id: order[g.id] for g in generations if g.id in order}


def queue_position(generation: Generation) -> int | None:
    """Where a queued generation stands (1 = next to be submitted), None when not queued."""
    return queue_positions([generation]).get(generation.id)
