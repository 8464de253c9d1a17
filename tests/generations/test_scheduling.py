"""When freed slots are filled (issue: no slot left idle whatever the job length): learned
durations that stay sane, polls aimed just after the predicted end, the cold start spread, and
a clip sent into a slot predicted free that LTX answers 429 going back to the queue silently."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from ltxdash.generations import estimates, explain, pipeline
from ltxdash.generations.models import DispatchState, Generation, State
from ltxdash.generations.pipeline import dispatch
from tests.factories import T2V, ago, make_generation
from tests.support.pipeline import drive, run_until_idle, states

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pipeline_settings"),
]


def test_a_typical_length_is_none_without_history_the_shorter_of_two_and_robust_to_outliers():
    assert estimates.robust_typical([]) is None
    assert estimates.robust_typical([7.3]) == 7.3
    assert estimates.robust_typical([9.0, 7.3]) == 7.3  # aiming early costs nothing
    # A job stuck for ten minutes and one that failed at once do not move it.
    assert estimates.robust_typical([7.2, 7.4, 600.0, 7.3, 0.4]) == pytest.approx(7.3)


def test_it_learns_from_clips_still_being_copied_on_ltx_s_own_clock(owner):
    created = timezone.now() - timedelta(seconds=100)
    for _ in range(3):
        make_generation(  # finished at LTX 7.3 s after LTX made the job; our clock 40 s ahead
            owner,
            State.REHOSTING,
            remote_created_at=created,
            submitted_at=created + timedelta(seconds=40),
            completed_at=created + timedelta(seconds=7.3),
        )
    running = make_generation(owner, State.PROCESSING, remote_id="x", submitted_at=ago(1))
    assert estimates.typical_seconds(running, cached=False) == pytest.approx(7.3)


def test_a_kind_seen_finishing_is_known_at_once_not_a_minute_later(owner):
    running = make_generation(owner, State.PROCESSING, remote_id="x", submitted_at=ago(1))
    assert estimates.typical_seconds(running) is None  # cached, briefly
    make_generation(owner, State.REHOSTING, submitted_at=ago(20), completed_at=ago(12.7))
    estimates.learned(running)  # what the poller does when it sees a clip of the kind finish
    assert estimates.typical_seconds(running) == pytest.approx(7.3, abs=0.05)


def test_a_clip_seen_finishing_joins_what_is_known_without_a_query(
    owner, django_assert_num_queries
):
    for took in (7.0, 7.2, 7.4, 7.6, 7.8):  # a well-known kind
        make_generation(owner, State.READY, submitted_at=ago(40), completed_at=ago(40 - took))
    running = make_generation(owner, State.PROCESSING, remote_id="x", submitted_at=ago(1))
    assert estimates.typical_seconds(running) == pytest.approx(7.4, abs=0.05)
    for _ in range(6):  # six more finish, each a second slower than the last known
        done = make_generation(owner, State.REHOSTING, submitted_at=ago(30), completed_at=ago(21))
        with django_assert_num_queries(0):
            estimates.learned(done)
            typical = estimates.typical_seconds(running)
    assert typical == pytest.approx(9.0, abs=0.05)  # the median moved to the new ones
    # A process that reads afresh (another worker) agrees with what this one learned.
    assert estimates.typical_seconds(running, cached=False) == pytest.approx(typical)


def _learn(owner, took: float) -> None:
    make_generation(owner, State.READY, submitted_at=ago(120), completed_at=ago(120 - took))


def _plan(clip, posted, lateness: float = 0.0, polls: int = 12, slots: int = 1) -> list[float]:
    """The seconds after the submit at which the poller polls ``clip``, each poll leaving
    ``lateness`` seconds after it was due (a busy loop)."""
    times, due = [], estimates.first_poll_at(clip, posted, slots=lambda: slots)
    for _ in range(polls):
        sent = due + timedelta(seconds=lateness)
        times.append((sent - posted).total_seconds())
        due = estimates.next_poll_after(clip, sent)
    return times


def test_a_poll_lands_just_after_the_predicted_end_by_waiting_within_the_cadence(owner, settings):
    settings.LTX_POLL_INTERVAL = interval = 5.0
    _learn(owner, 27.0)  # 5.4 intervals: five polls 5.42 s apart end on it
    clip = make_generation(owner, State.PENDING, remote_id="y", submitted_at=timezone.now())
    times = _plan(clip, clip.submitted_at, polls=6)
    assert times[4] == pytest.approx(27.1, abs=0.01)  # just after the predicted end
    gaps = [b - a for a, b in zip([0.0, *times], times, strict=False)]
    assert all(interval - 1e-6 <= gap <= 1.2 * interval + 1e-6 for gap in gaps), gaps


def test_a_first_end_too_soon_for_the_cadence_is_polled_once_on_it(owner, settings):
    """7.3 s with 5 s polls: one poll within the cadence can wait at most 6 s and two take at
    least 10 s. The first poll waits for it instead: one call, seen 2.6 s sooner."""
    settings.LTX_POLL_INTERVAL = 5.0
    _learn(owner, 7.3)
    clip = make_generation(owner, State.PENDING, remote_id="y", submitted_at=timezone.now())
    assert _plan(clip, clip.submitted_at, polls=3) == pytest.approx([7.4, 12.4, 17.4], abs=1e-3)


def test_a_later_end_out_of_the_cadences_reach_keeps_the_plain_interval(owner, settings):
    """13 s: out of reach of polls 1 to 1.2 intervals apart (two end by 12 s, three take 15 s),
    and too far for the first poll alone: the plain cadence, seen at 15 s. The exception is
    the first poll's only: granted to the second, it would wait 8.1 s, for 13.1 s."""
    settings.LTX_POLL_INTERVAL = 5.0
    _learn(owner, 13.0)
    clip = make_generation(owner, State.PENDING, remote_id="y", submitted_at=timezone.now())
    assert _plan(clip, clip.submitted_at, polls=3) == pytest.approx([5.0, 10.0, 15.0], abs=1e-3)


@pytest.mark.parametrize("lateness", [0.0, 0.4, 2.3])
@pytest.mark.parametrize("took", [None, 3.1, 5.5, 7.3, 9.85, 11.9, 13.0, 18.6, 26.9, 41.7, 600.0])
def test_every_gap_between_polls_is_one_to_one_point_two_intervals_on_every_path(
    owner, settings, took, lateness
):
    """Whatever the learned length (none, shorter than an interval, unreachable, reachable,
    far off) and however late each poll leaves, the next is due one to 1.2 intervals after it
    left: never sooner than the interval allows, never later than the cadence. A first poll
    aimed at an end 1.2 to 2 intervals after the submit is the exception: it lands on that
    end, and the cadence holds from there. (The other, a new kind's turns, is tested below.)"""
    settings.LTX_POLL_INTERVAL = interval = 5.0
    if took is not None:
        _learn(owner, took)
    clip = make_generation(owner, State.PENDING, remote_id="y", submitted_at=timezone.now())
    times = _plan(clip, clip.submitted_at, lateness=lateness, polls=15)
    gaps = [b - a - lateness for a, b in zip([0.0, *times], times, strict=False)]
    first, *later = gaps
    assert all(interval - 1e-6 <= gap <= 1.2 * interval + 1e-6 for gap in later), gaps
    if took is not None and 1.2 * interval < took + 0.1 < 2 * interval:
        assert first == pytest.approx(took + 0.1, abs=1e-3)
    else:
        assert interval - 1e-6 <= first <= 1.2 * interval + 1e-6, gaps


def test_a_poll_that_went_late_is_planned_again_from_when_it_left(owner, settings):
    settings.LTX_POLL_INTERVAL = interval = 5.0
    _learn(owner, 27.0)
    clip = make_generation(owner, State.PROCESSING, remote_id="y", submitted_at=timezone.now())
    posted = clip.submitted_at
    # The third poll left at 17 s instead of about 16.3 s: 10.1 s remain, two polls of 5.05 s.
    after = estimates.next_poll_after(clip, posted + timedelta(seconds=17.0))
    assert (after - posted).total_seconds() == pytest.approx(17.0 + 5.05, abs=0.01)
    assert estimates.next_poll_after(clip, posted + timedelta(seconds=27.5)) == (
        posted + timedelta(seconds=27.5 + interval)  # past the end: the plain cadence
    )


def queue(owner, n: int, prompt: str = "a harbour") -> list[Generation]:
    return pipeline.create_generations(
        owner=owner, endpoint="text-to-video", params={**T2V, "prompt": prompt}, inputs={}, count=n
    )


def test_a_slot_predicted_free_is_filled_before_its_poll(ltx_simulator, owner, settings):
    settings.LTX_MAX_CONCURRENCY = 1
    ltx_simulator.configure(concurrency=1, pending_seconds=0.0, processing_seconds=0.13)
    # History: this kind takes 0.13 s at LTX.
    make_generation(owner, State.READY, submitted_at=ago(30), completed_at=ago(30 - 0.13))
    first, second = queue(owner, 2)
    assert run_until_idle() == ["submitted"]
    first.refresh_from_db()
    # Its next poll is an interval away; the job should be done at 0.13 s.
    first.next_poll_at = timezone.now() + timedelta(seconds=10)
    Generation.objects.filter(pk=first.pk).update(next_poll_at=first.next_poll_at)
    estimates.forget_typical_durations()
    drive(lambda: Generation.objects.get(pk=second.pk).state != State.QUEUED, timeout=10)
    assert Generation.objects.get(pk=first.pk).state == State.PENDING  # not polled yet
    assert ltx_simulator.stats()["submits"] == 2  # the second went into its slot


def test_a_send_into_a_slot_not_free_yet_goes_back_silently_and_makes_no_job(
    ltx_simulator, owner, settings
):
    settings.LTX_MAX_CONCURRENCY = 1
    # A hold of 0.4 s: long enough to still be ahead when asserted on a slow machine.
    settings.LTX_POLL_INTERVAL = interval = 2.0
    ltx_simulator.configure(concurrency=1, pending_seconds=0.5, processing_seconds=3.0)
    # History says the kind takes 0.1 s: wrong, the job takes 3.5 s.
    make_generation(owner, State.READY, submitted_at=ago(30), completed_at=ago(29.9))
    first, second = queue(owner, 2)
    assert run_until_idle() == ["submitted"]
    estimates.forget_typical_durations()
    Generation.objects.filter(pk=first.pk).update(
        submitted_at=ago(1), next_poll_at=timezone.now() + timedelta(seconds=5)
    )
    claimed = dispatch.dispatch()
    assert [pk for pk, _ in claimed] == [second.pk]
    assert run_until_idle() == ["early"]
    second.refresh_from_db()
    assert second.state == State.QUEUED
    assert second.error_type == "" and explain.reason(second) == ""  # nothing for the card
    assert not second.events.filter(to_state__in=[State.REJECTED, State.FAILED]).exists()
    assert ltx_simulator.stats()["submits"] == 1  # no second job
    # The key tries again a fifth of an interval later (or at its next poll, if sooner): no
    # storm of early sends meanwhile, and no slot left empty until a poll 1.2 intervals away.
    hold = DispatchState.get().hold_until
    assert hold is not None
    assert 0 < (hold - timezone.now()).total_seconds() <= dispatch.EARLY_RETRY * interval
    assert dispatch.dispatch() == []
    drive(lambda: states() == [State.READY] * 3, timeout=30)  # the history's clip, and both
    assert ltx_simulator.stats()["submits"] == 2


def test_a_slot_filled_before_its_poll_is_not_filled_twice(owner, settings):
    """Limit 2: one job should be done (its poll is not due), one runs, and a clip was sent into
    the first one's slot already. Nothing more is sent until a poll says what is done."""
    settings.LTX_MAX_CONCURRENCY = 2
    make_generation(owner, State.READY, submitted_at=ago(60), completed_at=ago(60 - 7.3))
    later_poll = timezone.now() + timedelta(seconds=4)
    make_generation(
        owner, State.PROCESSING, remote_id="a", submitted_at=ago(8), next_poll_at=later_poll
    )
    make_generation(
        owner, State.PROCESSING, remote_id="b", submitted_at=ago(2), next_poll_at=later_poll
    )
    waiting = queue(owner, 2)
    estimates.forget_typical_durations()
    assert [pk for pk, _ in dispatch.dispatch()] == [waiting[0].pk]  # into a's slot
    Generation.objects.filter(pk=waiting[0].pk).update(state=State.PENDING, remote_id="c")
    assert dispatch.dispatch() == []  # a's slot is taken; b's is not free yet


def test_the_loop_knows_when_a_slot_should_free_next(owner, settings):
    settings.LTX_POLL_INTERVAL = 5.0
    make_generation(owner, State.READY, submitted_at=ago(60), completed_at=ago(60 - 7.3))
    now = timezone.now()
    sent = now - timedelta(seconds=6.8)  # should end 0.6 s after now
    poll = now + timedelta(seconds=4)
    running = make_generation(
        owner, State.PROCESSING, remote_id="a", submitted_at=sent, next_poll_at=poll
    )
    estimates.forget_typical_durations()
    assert estimates.next_predicted_free(now) is None  # nothing waits to be sent
    queue(owner, 1)
    moment = estimates.next_predicted_free(now)
    assert moment is not None
    expected = running.submitted_at + timedelta(seconds=7.3 + 0.1)
    assert abs((moment - expected).total_seconds()) < 0.01
    # The loop sleeps until then (0.6 s), not until its next poll or housekeeping pass (1 s).
    from ltxdash.generations.pipeline import loop

    assert loop.seconds_until_next_pass(now, moment) == pytest.approx(0.6, abs=0.05)
    # Its own poll coming first, the poll will tell.
    Generation.objects.filter(pk=running.pk).update(next_poll_at=sent + timedelta(seconds=7.2))
    assert estimates.next_predicted_free(now) is None


@pytest.mark.parametrize("slots", [2, 4])
def test_a_new_kinds_first_polls_take_turns_over_the_interval(owner, settings, slots):
    """No history, clips waiting for the key's slots: the jobs in flight are first polled in
    turn, an interval / slots apart, so that between them the kind is polled that often and
    the first end is seen that soon (then the dispatcher fills the others' slots by it)."""
    settings.LTX_POLL_INTERVAL = interval = 5.0
    queue(owner, 1)
    posted = timezone.now()
    # Sent at once (two workers): each is still being sent while the others ask, in any order.
    clips = [
        make_generation(owner, State.SUBMITTING, submitted_at=posted) for _ in range(slots + 1)
    ]
    firsts = [
        (estimates.first_poll_at(clip, posted, slots=lambda: slots) - posted).total_seconds()
        for clip in reversed(clips)
    ][::-1]
    turns = [interval * (1 + n / slots) for n in range(slots)]
    assert firsts == pytest.approx([*turns, interval])  # and round again
    assert all(interval <= first < 2 * interval for first in firsts)
    # Nothing waiting for a slot: no hurry to learn the kind, the plain interval.
    Generation.objects.filter(state=State.QUEUED).delete()
    clip = make_generation(owner, State.PENDING, remote_id="alone", submitted_at=posted)
    assert estimates.first_poll_at(clip, posted, slots=lambda: slots) == posted + timedelta(
        seconds=5
    )


def test_a_new_kinds_polls_after_its_turn_keep_the_cadence(owner, settings):
    """The second of two slots is first polled at 1.5 intervals; from there every poll comes
    one interval after the one before, sooner never, and the slots are not asked when the kind
    is known (no query for them on every submit)."""
    settings.LTX_POLL_INTERVAL = 5.0
    queue(owner, 1)
    posted = timezone.now()
    make_generation(owner, State.SUBMITTING, submitted_at=posted)
    clip = make_generation(owner, State.SUBMITTING, submitted_at=posted)
    for lateness in (0.0, 0.4):
        times = _plan(clip, posted, lateness=lateness, polls=5, slots=2)
        assert times[0] == pytest.approx(7.5 + lateness)
        gaps = [b - a - lateness for a, b in itertools.pairwise(times)]
        assert gaps == pytest.approx([5.0] * 4)

    def not_asked() -> int:
        raise AssertionError("the slots were asked for a known kind")

    _learn(owner, 7.3)
    estimates.forget_typical_durations()
    due = estimates.first_poll_at(clip, posted, slots=not_asked)
    assert (due - posted).total_seconds() == pytest.approx(7.4, abs=1e-3)


def test_a_peer_of_another_kind_takes_no_turn(owner, settings):
    """Turns are per kind: a 1080p clip at LTX beside a new 720p one leaves the 720p one the
    first turn (the 1080p one teaches nothing about 720p)."""
    settings.LTX_POLL_INTERVAL = 5.0
    queue(owner, 1)
    posted = timezone.now()
    make_generation(
        owner,
        State.PENDING,
        remote_id="other",
        submitted_at=posted,
        params={**T2V, "resolution": "1920x1080"},
    )
    clip = make_generation(
        owner, State.SUBMITTING, submitted_at=posted, params={**T2V, "resolution": "1280x720"}
    )
    first = estimates.first_poll_at(clip, posted, slots=lambda: 2)
    assert (first - posted).total_seconds() == pytest.approx(5.0)
    make_generation(
        owner,
        State.PENDING,
        remote_id="same",
        submitted_at=posted,
        params={**T2V, "resolution": "1280x720"},
    )
    later = make_generation(
        owner, State.SUBMITTING, submitted_at=posted, params={**T2V, "resolution": "1280x720"}
    )
    # Peers queued before it: the 720p clip above and the one just made; the 1080p does not count.
    assert (estimates.first_poll_at(later, posted, slots=lambda: 4) - posted).total_seconds() == (
        pytest.approx(5.0 + 5.0 * 2 / 4)
    )
