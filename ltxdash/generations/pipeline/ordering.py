"""The order queued generations leave in, and how long a clip usually takes.

Fairness is a round-robin across users, kept without any stored turn: each user's queued clips
are ranked 0, 1, 2 ... by age, and the order is (rank, when that user last had a clip sent,
age). Everyone's next clip goes before anyone's second, and among those the user served
longest ago goes first, so one user's batch of 20 takes turns with a colleague's single clip
instead of standing in front of it.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from ltxdash.generations.models import IN_FLIGHT, Generation, State

# How many recent finished clips of the same kind the estimate learns from.
HISTORY = 50
_CACHE_SECONDS = 60.0
_duration_cache: dict[tuple[str, str, str, str], tuple[float, float | None]] = {}


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


# --- How long a clip takes ------------------------------------------------------------------


def _kind(generation: Generation) -> tuple[str, str, str, str]:
    params = generation.params or {}
    return (
        generation.endpoint,
        generation.model,
        str(params.get("resolution", "")),
        str(params.get("duration", "")),
    )


def typical_seconds(generation: Generation, *, cached: bool = True) -> float | None:
    """Median of (completed_at - submitted_at) over recent ready clips of the same endpoint,
    model, resolution and duration; None without history. The API reports no progress."""
    kind = _kind(generation)
    hit = _duration_cache.get(kind)
    if cached and hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    endpoint, model, resolution, duration = kind
    recent = (
        Generation.objects.filter(
            endpoint=endpoint,
            model=model,
            state=State.READY,
            submitted_at__isnull=False,
            completed_at__isnull=False,
        )
        .order_by("-completed_at")
        .values_list("params", "submitted_at", "completed_at")[: HISTORY * 4]
    )
    samples = [
        (done - sent).total_seconds()
        for params, sent, done in recent
        if str((params or {}).get("resolution", "")) == resolution
        and str((params or {}).get("duration", "")) == duration
        and done >= sent
    ][:HISTORY]
    value = statistics.median(samples) if samples else None
    _duration_cache[kind] = (time.monotonic(), value)
    return value


def forget_typical_durations() -> None:
    _duration_cache.clear()


def expected_completion(generation: Generation) -> datetime | None:
    typical = typical_seconds(generation)
    if typical is None or generation.submitted_at is None:
        return None
    return generation.submitted_at + timedelta(seconds=typical)


def estimate_seconds_left(generation: Generation, now: datetime | None = None) -> float | None:
    """Seconds until the API should finish this clip, from past clips of the same kind.

    None for a clip that is not at the API (queued, finished ...) or without history; 0 when it
    is already late. Saving the copy afterwards usually takes a few seconds more.
    """
    if generation.state not in IN_FLIGHT:
        return None
    typical = typical_seconds(generation)
    if typical is None:
        return None
    if generation.state == State.SUBMITTING or generation.submitted_at is None:
        return typical
    now = now or timezone.now()
    return max(0.0, typical - (now - generation.submitted_at).total_seconds())
