"""How long a clip usually takes, learned from earlier clips of the same kind (the API reports
no progress): the time left on a card, and the moments the poller aims its polls at."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.utils import timezone

from ltxdash.generations.models import IN_FLIGHT, POLLED, Generation, State
from ltxdash.generations.timing import poll_interval

# How many recent finished clips of the same kind the estimate learns from.
HISTORY = 50
# How long a process keeps what it learned before asking the database again: a well-known kind
# for a minute; a kind learned from few clips, or not at all, only briefly, so that a worker
# process sees the first clips of a kind finish (the poller, in another process, records them)
# within a second of it happening.
_CACHE_SECONDS = 60.0
_CACHE_SECONDS_FEW = 1.0
_FEW = 5
Kind = tuple[str, str, str, str]


class _Learned(NamedTuple):
    read_at: float  # time.monotonic() of the database read it started from
    keep: float  # seconds until the next read
    value: float | None
    samples: tuple[float, ...]  # the recent durations, newest first (at most HISTORY)


_duration_cache: dict[Kind, _Learned] = {}


def _kind(generation: Generation) -> Kind:
    params = generation.params or {}
    return (
        generation.endpoint,
        generation.model,
        str(params.get("resolution", "")),
        str(params.get("duration", "")),
    )


def robust_typical(samples: list[float]) -> float | None:
    """The duration to aim at, from recent ones: sane with few samples and with outliers.

    Aiming early costs nothing (the poll finds the job still running and the next one comes an
    interval later, as without an estimate); aiming late delays the clip. So with one or two
    samples the shorter is taken, and with more the median of those within a factor of two of
    the median (a job stuck for ten minutes, or one that failed fast, does not move it).
    """
    if not samples:
        return None
    if len(samples) < 3:
        return min(samples)
    middle = statistics.median(samples)
    sane = [s for s in samples if middle / 2 <= s <= middle * 2]
    return statistics.median(sane) if sane else middle


def typical_seconds(generation: Generation, *, cached: bool = True) -> float | None:
    """How long LTX takes for clips of this kind (endpoint, model, resolution, duration), on
    LTX's own clock (its created_at to its completed_at, so a skew between its clock and ours
    does not count), from the most recent ones it finished; None without history."""
    kind = _kind(generation)
    hit = _duration_cache.get(kind)
    if cached and hit and time.monotonic() - hit.read_at < hit.keep:
        return hit.value
    endpoint, model, resolution, duration = kind
    recent = (
        Generation.objects.filter(
            endpoint=endpoint,
            model=model,
            state__in=(State.REHOSTING, State.READY),
            completed_at__isnull=False,
        )
        .exclude(submitted_at__isnull=True, remote_created_at__isnull=True)
        .order_by("-completed_at")
        .values_list("params", "remote_created_at", "submitted_at", "completed_at")[: HISTORY * 4]
    )
    samples: list[float] = []
    for params, created, sent, done in recent:
        took = _took(created or sent, done)
        values = params or {}
        if took is not None and (
            str(values.get("resolution", "")) == resolution
            and str(values.get("duration", "")) == duration
        ):
            samples.append(took)
    return _keep(kind, time.monotonic(), tuple(samples[:HISTORY])).value


def _took(start: datetime | None, done: datetime | None) -> float | None:
    if start is None or done is None or done < start:
        return None
    return (done - start).total_seconds()


def _keep(kind: Kind, read_at: float, samples: tuple[float, ...]) -> _Learned:
    keep = _CACHE_SECONDS if len(samples) >= _FEW else _CACHE_SECONDS_FEW
    entry = _Learned(read_at, keep, robust_typical(list(samples)), samples)
    _duration_cache[kind] = entry
    return entry


def learned(generation: Generation) -> None:
    """A clip of this kind just finished at LTX: the next estimate knows it (this process).

    Given the finished clip, its duration joins what this process knows without a query (the
    poller sees tens of clips finish a second); otherwise the next estimate reads the database.
    """
    kind = _kind(generation)
    took = _took(generation.remote_created_at or generation.submitted_at, generation.completed_at)
    hit = _duration_cache.get(kind)
    if took is None or hit is None:
        _duration_cache.pop(kind, None)
        return
    _keep(kind, hit.read_at, (took, *hit.samples)[:HISTORY])


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
# Every poll of a job comes between one interval and this many intervals after the one before
# (the first: after the submit). Within that window a poll may wait, to land just after the
# moment the job should finish. Two first polls may come later, and no sooner: one aimed at a
# predicted end the window cannot reach (``_FIRST_REACH``), and a new kind's turn
# (``first_poll_at``), at most 2 intervals after the submit either way.
_CADENCE = 1.2
# The first poll may instead wait for a predicted end less than this many intervals after the
# submit, if the cadence cannot reach it (``_aim``).
_FIRST_REACH = 2.0


def next_poll_after(generation: Generation, sent_at: datetime) -> datetime:
    """When to poll next, given that the last poll left at ``sent_at``: between one interval and
    1.2 intervals later, timed so that a later poll lands just after the moment past clips say
    this one should finish (``_aim``)."""
    expected = expected_completion(generation)
    return _aim(sent_at, None if expected is None else expected + _AFTER_EXPECTED)


def _aim(last: datetime, target: datetime | None, *, first: bool = False) -> datetime:
    """The next poll after one at ``last``: one interval on, or, when ``target`` (just after
    the predicted end) can be reached by polls spaced 1 to 1.2 intervals apart, the first of
    the fewest such polls, spaced evenly so that the last of them lands on it.

    Each gap stays within the cadence whatever the prediction: a wrong one costs at most a
    fifth of an interval per poll, and a poll never comes sooner than the interval allows.
    Asked again after each poll, with the time it actually left, the plan corrects itself for a
    poll that went late.

    One exception, the ``first`` poll after the submit: a target too close to reach within the
    cadence but less than two intervals away (7.3 s with 5 s polls: one poll can wait at most
    6 s, two take at least 10 s) is polled once, on it. That is one call fewer than the plain
    cadence, and the job is seen up to 4 s sooner; a prediction too long costs at most the
    difference between it and the poll at one interval. Later holes (12 to 15 s, 18 to 20 s)
    keep the cadence, which costs at most 3 s, and less the longer the job."""
    seconds = poll_interval()
    base = last + timedelta(seconds=seconds)
    if target is None or target <= base:
        return base
    span = (target - last).total_seconds()
    polls = math.ceil(span / (_CADENCE * seconds) - 1e-9)
    if polls * seconds <= span:
        return last + timedelta(seconds=span / polls)
    if first and span < _FIRST_REACH * seconds:
        return target
    return base


def first_poll_at(
    generation: Generation, posted_at: datetime, *, slots: Callable[[], int] = lambda: 1
) -> datetime:
    """The first poll of a job whose submit POST left at ``posted_at``: timed like every later
    one (``_aim``) towards just after the moment past clips of its kind say it should finish,
    and on that moment if it comes too soon for the cadence to reach (``_aim``'s ``first``).

    A kind with no history yet, sent while clips wait for the key's slots (``slots()``, its
    limit, asked only then): the jobs of the kind in flight take turns at first polls spread
    over the interval after the first one (with 2 slots, at 1 and 1.5 intervals; with 4, a
    quarter apart), so that between them a job of the kind is polled every interval / slots,
    and the first seen finished is seen that soon after its end, not up to an interval late.
    It teaches the kind's length, and the dispatcher then fills the slots of the others too,
    as soon as they should be done (``predicted_free``). Their later polls keep the cadence,
    each from its own first."""
    interval = timedelta(seconds=poll_interval())
    base = posted_at + interval
    typical = typical_seconds(generation)
    if typical is not None:
        target = posted_at + timedelta(seconds=typical) + _AFTER_EXPECTED
        return _aim(posted_at, target, first=True)
    if _slots_matter(generation):
        count = slots()
        if count > 1:
            return base + interval * (_turn_among_peers(generation) % count / count)
    return base


def _slots_matter(generation: Generation) -> bool:
    return Generation.objects.filter(state=State.QUEUED, api_key=generation.api_key_id).exists()


def _turn_among_peers(generation: Generation) -> int:
    """How many jobs of the same kind (``_kind``), sent with the same key, are at LTX or being
    sent, and were queued before this one: its place among them, the same whichever of two
    submits running at once asks first. A peer that left early (a failure teaches no length)
    can make two share a turn; that costs only the spread, never the cadence."""
    kind = _kind(generation)
    peers = Generation.objects.filter(
        state__in=IN_FLIGHT,
        endpoint=generation.endpoint,
        model=generation.model,
        api_key=generation.api_key_id,
        pk__lt=generation.pk,
    ).only("endpoint", "model", "params")
    return sum(1 for peer in peers if _kind(peer) == kind)


_PREDICT_AT_MOST = 50


def _longest_running(key: int | None) -> Any:
    """The key's jobs at LTX, longest-running first (the likeliest done): at most
    _PREDICT_AT_MOST, so a key with a high limit is not read whole on every pass."""
    return (
        Generation.objects.filter(state__in=POLLED, api_key=key)
        .order_by("submitted_at")
        .only("endpoint", "model", "params", "submitted_at", "next_poll_at")[:_PREDICT_AT_MOST]
    )


def next_predicted_free(now: datetime) -> datetime | None:
    """The next moment after ``now`` at which a job at LTX should finish, by its kind's learned
    length, for a key with clips waiting to be sent, before that job's own poll: when the
    dispatcher should look again (``predicted_free``). None when no clip waits."""
    waiting = set(
        Generation.objects.filter(state=State.QUEUED).values_list("api_key", flat=True).distinct()
    )
    if not waiting:
        return None
    earliest: datetime | None = None
    for key in waiting:
        for generation in _longest_running(key):
            expected = expected_completion(generation)
            if expected is None:
                continue
            moment = expected + _AFTER_EXPECTED
            if moment <= now or (generation.next_poll_at and generation.next_poll_at <= moment):
                continue  # past already, or its own poll comes first
            if earliest is None or moment < earliest:
                earliest = moment
    return earliest


def predicted_free(key: int | None, now: datetime) -> int:
    """How many of the key's jobs at LTX should have finished by ``now``, by their kind's
    learned length, but will not be polled in the next moment: slots the dispatcher may fill
    before a poll confirms it. A guess that is early costs one submit answered 429
    (``concurrency_limit_error``), which creates nothing: the clip goes back to the queue
    silently and the key tries again a moment later (``dispatch.EARLY_RETRY``)."""
    soon = now + timedelta(seconds=poll_interval() / 10)
    count = 0
    for generation in _longest_running(key):
        expected = expected_completion(generation)
        if expected is None or expected + _AFTER_EXPECTED > now:
            continue
        if generation.next_poll_at is not None and generation.next_poll_at <= soon:
            continue  # its own poll comes first
        count += 1
    return count
