"""How long a clip usually takes, learned from earlier clips of the same kind (the API reports
no progress): the time left on a card, and the moments the poller aims its polls at."""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

from django.utils import timezone

from ltxdash.generations.models import IN_FLIGHT, Generation, State
from ltxdash.generations.timing import poll_interval

# How many recent finished clips of the same kind the estimate learns from.
HISTORY = 50
_CACHE_SECONDS = 60.0
_duration_cache: dict[tuple[str, str, str, str], tuple[float, float | None]] = {}


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
        if sent is not None
        and done is not None
        and str((params or {}).get("resolution", "")) == resolution
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


# --- When to poll ------------------------------------------------------------------------------
# Landing this long after the expected finish absorbs small clock and scheduling jitter.
_AFTER_EXPECTED = timedelta(milliseconds=100)


def next_poll_after(generation: Generation, sent_at: datetime) -> datetime:
    """When to poll next, given that the last poll left at ``sent_at``: one interval later, or,
    where past clips say this one should finish within that interval, just after that moment
    (never sooner than the interval allows)."""
    interval = timedelta(seconds=poll_interval())
    base = sent_at + interval
    expected = expected_completion(generation)
    if expected is not None and base < expected + _AFTER_EXPECTED < base + interval:
        return expected + _AFTER_EXPECTED
    return base


def first_poll_at(generation: Generation, posted_at: datetime) -> datetime:
    """The first poll of a job whose submit POST left at ``posted_at``."""
    interval = timedelta(seconds=poll_interval())
    base = posted_at + interval
    typical = typical_seconds(generation)
    if typical is not None:
        expected = posted_at + timedelta(seconds=typical) + _AFTER_EXPECTED
        if base < expected < base + interval:
            return expected
    return base
