"""Status cards: what a card shows about one generation, which cards a page holds, and how a
refresh finds the ones that changed.

A card carries a *stamp* (``models.states.stamp``). The page sends back the stamps it shows; the
server answers with the cards whose stamp differs. What a state allows and how it looks are the
model's (``Generation.can_retry``, ``.tone`` ...); a card only puts them in front of the user.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ltxdash import access
from ltxdash.core.text import visible
from ltxdash.generations import explain
from ltxdash.generations.estimates import estimate_seconds_left
from ltxdash.generations.models import ACTIVE, DispatchState, Generation, Output, State
from ltxdash.generations.models.states import stamp, state_of_stamp
from ltxdash.generations.ordering import queue_positions
from ltxdash.generations.takes import Take, takes_of
from ltxdash.ltx import catalog

RECENT_FINISHED = 12  # finished cards shown under the ones in flight
MAX_ACTIVE = 60  # a page never shows more live cards than this (a huge batch pages in later)
MAX_NEW = 20  # new cards (e.g. from another tab) added by one refresh


def url_or_none(name: str, *args: Any) -> str | None:
    """A URL of another app that may not be installed yet (the page works without it)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def about_left(seconds: float | None) -> str:
    """ "about 40 s left": rounded so the number doesn't pretend to precision it lacks.
    static/js/status.js counts down with the same wording."""
    if seconds is None:
        return ""
    if seconds <= 5:
        return "any moment now"
    if seconds < 60:
        return f"about {max(5, round(seconds / 5) * 5)} s left"
    return f"about {round(seconds / 60)} min left"


def clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class Card:
    """One generation as its card shows it. Build lists with ``build_cards`` (batched queries)."""

    g: Generation
    position: int | None = None
    seconds_left: float | None = None
    now: Any = field(default_factory=timezone.now)
    take: Take | None = (
        None  # "Take 2 of 4 · duration 8 s" when the request was made more than once
    )

    @property
    def pk(self) -> int:
        return self.g.pk

    @property
    def state(self) -> str:
        return self.g.state

    @property
    def stamp(self) -> str:
        return self.g.stamp(self.position)

    @property
    def title(self) -> str:
        return self.g.display_title

    @property
    def tone(self) -> str:
        return self.g.tone

    @property
    def state_label(self) -> str:
        return self.g.get_state_display()

    @property
    def is_active(self) -> bool:
        return self.g.is_active

    @property
    def in_flight(self) -> bool:
        return self.g.in_flight

    @property
    def has_problem(self) -> bool:
        return self.g.has_problem

    @property
    def summary(self) -> list[str]:
        params = self.g.params or {}
        parts = [catalog.model_label(self.g.model)] if self.g.model else []
        if params.get("resolution"):
            parts.append(catalog.resolution_label(str(params["resolution"])))
        if params.get("fps"):
            parts.append(f"{params['fps']} fps")
        if "duration" in params:
            duration = params["duration"]
            parts.append("auto length" if duration is None else f"{duration:g} s")
        return parts

    @cached_property
    def reason(self) -> str:
        return explain.reason(self.g)

    @cached_property
    def approved(self) -> str:
        """ "Approved by ann: keep it short" on a clip an admin let through."""
        return explain.approved(self.g)

    @cached_property
    def video(self) -> Output | None:
        return self.g.video

    @property
    def poster_url(self) -> str | None:
        video = self.video
        return url_or_none("gallery:poster", video.pk) if video and video.poster else None

    @property
    def video_url(self) -> str | None:
        video = self.video
        return url_or_none("gallery:file", video.pk) if video and video.file else None

    @property
    def files(self) -> list[tuple[str, str | None]]:
        """Outputs that aren't the playable video (HDR's ZIP of EXR frames): (name, download URL)."""
        return [
            (o.display_name, url_or_none("gallery:download", o.pk))
            for o in self.g.outputs.all()
            if not o.content_type.startswith("video/")
        ]

    @property
    def clip_url(self) -> str | None:
        return url_or_none("gallery:clip", self.g.pk)

    @property
    def duration(self) -> str:
        video = self.video
        return f"{video.duration:.1f} s" if video and video.duration else ""

    # Timing: the server renders the first text, static/js/status.js keeps it ticking.
    @property
    def since(self) -> Any:
        g = self.g
        return g.processing_at or g.submitted_at or g.created_at

    # Seconds, not timestamps: the page counts from when it received them, so a browser
    # whose clock is off still shows the right numbers.
    @property
    def elapsed_seconds(self) -> int:
        return int(max(0.0, (self.now - self.since).total_seconds()))

    @property
    def elapsed(self) -> str:
        return clock(self.elapsed_seconds)

    @property
    def time_left(self) -> str:
        return about_left(self.seconds_left)

    @property
    def took(self) -> str:
        end = self.g.ready_at or self.g.finished_at
        return clock((end - self.g.created_at).total_seconds()) if end else ""

    @property
    def can_cancel(self) -> bool:
        return self.g.can_cancel

    @property
    def can_retry(self) -> bool:
        return self.g.can_retry

    @property
    def retry_label(self) -> str:
        return self.g.retry_label

    @property
    def takes_video_input(self) -> bool:
        return self.g.state == State.READY and self.video is not None


def build_cards(generations: Iterable[Generation], user: access.User) -> list[Card]:
    """Cards for generations (prefetch ``outputs``); one query for all queue positions, one for
    the takes among the clips ``user`` may see."""
    generations = list(generations)
    positions = queue_positions(generations)
    numbered = takes_of(generations, access.generations(user))
    now = timezone.now()
    return [
        Card(
            g,
            position=positions.get(g.pk),
            seconds_left=estimate_seconds_left(g, now) if g.in_flight else None,
            now=now,
            take=numbered.get(g.pk),
        )
        for g in generations
    ]


def _cards_queryset(user: access.User) -> QuerySet[Generation]:
    """The create page's cards are the member's own takes (the gallery shows the team's)."""
    return (
        access.own_generations(user)
        .select_related("approval__decided_by")
        .prefetch_related("outputs")
    )


def page_generations(user: access.User) -> list[Generation]:
    """What the create page shows: everything in flight, then the latest finished ones."""
    active = list(_cards_queryset(user).filter(state__in=ACTIVE)[:MAX_ACTIVE])
    finished = list(_cards_queryset(user).exclude(state__in=ACTIVE)[:RECENT_FINISHED])
    return sorted([*active, *finished], key=lambda g: (g.created_at, g.pk), reverse=True)


MAX_STAMPS = 200  # more than a page ever shows: the rest of a forged request is ignored


def parse_stamps(values: Iterable[str]) -> dict[int, str]:
    """ "12:5.queued.3" -> {12: "5.queued.3"}; malformed entries are ignored."""
    stamps: dict[int, str] = {}
    for value in list(values)[:MAX_STAMPS]:
        pk, _, stamp = value.partition(":")
        if pk.isascii() and pk.isdigit() and len(pk) <= 18 and stamp:  # a 64-bit integer
            stamps[int(pk)] = stamp[:60]
    return stamps


@dataclass
class Changes:
    changed: list[Card]
    new: list[Card]
    gone: list[int]
    finished: list[Card]  # were in flight on the page, now terminal: toast + notification
    moved: list[Card] = field(default_factory=list)  # changed state (not just queue position)
    active: bool = False  # anything on the page still in flight: keep polling

    def __bool__(self) -> bool:
        return bool(self.changed or self.new or self.gone)


def changes(user: access.User, seen: dict[int, str]) -> Changes:
    """Compare the page's stamps with the database: one small query when nothing changed."""
    if not seen:
        return Changes([], [], [], [])
    # The page's cards, plus anything newer (made in another tab). Ids grow with time, so
    # "newer than the newest card" is an index range, not a scan of the user's history.
    # UNION ALL of two index lookups: an OR of the two makes SQLite walk the user's whole history.
    mine = access.own_generations(user).order_by()
    shown = mine.filter(pk__in=list(seen)).values_list("pk", "version", "state")
    newer = mine.filter(pk__gt=max(seen)).values_list("pk", "version", "state")
    rows = list(shown.union(newer, all=True).order_by("-pk"))
    rows = [row for row in rows if row[0] in seen] + [row for row in rows if row[0] not in seen][
        :MAX_NEW
    ]
    queued = [pk for pk, _, state in rows if state == State.QUEUED]
    positions = _queue_positions(queued) if queued else {}
    current = {pk: stamp(version, state, positions.get(pk)) for pk, version, state in rows}
    wanted = [pk for pk, stamp in current.items() if seen.get(pk) != stamp]
    gone = [pk for pk in seen if pk not in current]
    active = any(state in ACTIVE for _, _, state in rows)
    if not wanted:
        return Changes([], [], gone, [], active=active)
    fresh = {g.pk: g for g in _cards_queryset(user).filter(pk__in=wanted)}
    cards = build_cards((fresh[pk] for pk in wanted if pk in fresh), user)
    changed = [c for c in cards if c.pk in seen]
    new = [c for c in cards if c.pk not in seen]
    finished = [c for c in changed if not c.is_active and state_of_stamp(seen[c.pk]) in ACTIVE]
    moved = [c for c in changed if c.state != state_of_stamp(seen[c.pk])]
    return Changes(changed, new, gone, finished, moved, active)


def _queue_positions(pks: Sequence[int]) -> dict[int, int]:
    # queue_positions() only needs id and state of the rows it is asked about.
    stubs = [Generation(pk=pk, state=State.QUEUED) for pk in pks]
    return queue_positions(stubs)


def any_active(cards: Iterable[Card]) -> bool:
    return any(card.is_active for card in cards)


def stale_if_queued(seen: dict[int, str]) -> dict[int, str]:
    """The page's stamps with its queued cards marked out of date (they are drawn again)."""
    return {
        pk: f"{value}.redraw" if state_of_stamp(value) == State.QUEUED else value
        for pk, value in seen.items()
    }


def announcement(changes: Changes, news: str = "") -> str:
    """One sentence for screen readers about what changed (the cards themselves are not live),
    led by ``news`` (see pause_news)."""
    parts = [f"{c.title} #{c.pk}: {c.state_label.lower()}." for c in [*changes.new, *changes.moved]]
    return " ".join([news, *parts[:5]] if news else parts[:5])


def pause_news(pause: DispatchState | None) -> str:
    """What to announce when the account pause began or ended since the page last looked."""
    if pause is None:
        return "Sending to LTX has resumed."
    return f"{explain.pause_headline(pause)}."


def finished_events(cards: Sequence[Card]) -> list[dict[str, Any]]:
    """The HX-Trigger payload static/js/status.js turns into toasts and notifications."""
    return [
        {
            "id": c.pk,
            "ok": c.state == State.READY,
            "title": f"{c.title} #{c.pk} {c.g.finished_phrase}",
            "body": shorten(visible(c.g.prompt), 120)
            if c.state == State.READY
            else shorten(c.reason, 160),
            "url": c.clip_url if c.state == State.READY else None,
        }
        for c in cards
    ]


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
