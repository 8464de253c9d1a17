"""The cost ledger through every path a clip can take (spend/ledger.py), with the real pipeline
against the simulator over HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ltxdash.generations import pipeline
from ltxdash.generations.models import Generation, State
from ltxdash.spend import budgets, ledger
from ltxdash.spend.models import LedgerEntry, Status
from tests.factories import workspace_of
from tests.support.pipeline import drive, run_until_idle, states
from tests.support.spend import CLIP, queue

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pipeline_settings"),
]


def entry(generation: Generation) -> LedgerEntry:
    return LedgerEntry.objects.get(clip_number=generation.pk)


def mine(owner, **params):
    return queue(owner, workspace_of(owner), **params)


def test_queueing_reserves_the_estimate_with_what_it_is_priced_on(owner):
    (clip,) = mine(owner)
    found = entry(clip)
    assert found.status == Status.RESERVED
    assert found.amount == CLIP
    assert found.priced_on == "output_seconds"
    assert found.billed_seconds == Decimal("6")
    assert found.usd_per_second == Decimal("0.06")
    assert found.member_id == owner.pk and found.workspace_id == clip.workspace_id
    assert (found.endpoint, found.model) == ("text-to-video", "ltx-2-3-fast")
    assert found.day == ledger.local_day(clip.workspace) and found.month == found.day.replace(day=1)


def test_it_is_charged_once_when_ltx_accepts_and_copy_again_charges_nothing(ltx_simulator, owner):
    (clip,) = mine(owner)
    assert run_until_idle() == ["submitted"]
    assert entry(clip).status == Status.CHARGED
    assert entry(clip).charged_at is not None

    drive(lambda: states() == [State.READY], timeout=30)
    clip.refresh_from_db()
    assert pipeline.copy_again(clip)
    drive(lambda: Generation.objects.get(pk=clip.pk).state == State.READY, timeout=30)

    assert LedgerEntry.objects.count() == 1
    assert entry(clip).status == Status.CHARGED and entry(clip).amount == CLIP
    assert budgets.committed(clip.workspace_id, entry(clip).month) == CLIP


def test_a_429_put_back_keeps_the_one_reservation_and_charges_once(ltx_simulator, owner):
    ltx_simulator.configure(concurrency=1)  # another job holds the only upstream slot
    mine(owner, count=2)

    assert sorted(run_until_idle()) == ["held", "submitted"]
    held = Generation.objects.get(state=State.QUEUED)
    assert entry(held).status == Status.RESERVED  # held, not released: it will be sent
    assert budgets.committed(held.workspace_id, entry(held).month) == 2 * CLIP

    drive(lambda: states() == [State.READY, State.READY], timeout=30)
    assert LedgerEntry.objects.filter(status=Status.CHARGED).count() == 2
    assert LedgerEntry.objects.count() == 2


def test_a_refused_submit_releases_it(ltx_simulator, owner):
    (clip,) = mine(owner, prompt="a storm [reject]")
    assert run_until_idle() == ["rejected"]
    found = entry(clip)
    assert found.status == Status.RELEASED and found.settled_at is not None
    assert budgets.committed(clip.workspace_id, found.month) == 0


def test_canceling_releases_it(owner):
    (clip,) = mine(owner)
    assert pipeline.cancel(clip)
    assert entry(clip).status == Status.RELEASED


def test_an_unknown_outcome_stays_reserved_and_flagged_until_an_admin_settles_it(
    ltx_simulator, owner
):
    ltx_simulator.configure(reset_rate=1.0, fault_targets=["submit"], fault_limit=1)
    first, second = mine(owner, count=2)
    run_until_idle()
    unknown = [g for g in (first, second) if Generation.objects.get(pk=g.pk).state == State.UNKNOWN]
    assert len(unknown) == 1
    found = entry(unknown[0])
    assert found.status == Status.RESERVED and found.flagged
    assert budgets.committed(found.workspace_id, found.month) == 2 * CLIP  # still counts

    assert not ledger.waive(found, owner)  # not a charge: nothing to waive
    assert ledger.settle_unknown(found, billed=False, by=owner)
    found.refresh_from_db()
    assert found.status == Status.RELEASED and found.settled_by == owner
    assert not ledger.settle_unknown(found, billed=True, by=owner)  # settled once


def test_an_unknown_outcome_the_console_shows_billed_becomes_a_charge(owner):
    (clip,) = mine(owner)
    clip.transition(State.SUBMITTING)
    clip.transition(State.UNKNOWN)
    assert ledger.settle_unknown(entry(clip), billed=True, by=owner)
    assert entry(clip).status == Status.CHARGED and entry(clip).charged_at is not None


def test_a_job_that_fails_at_ltx_stays_charged_with_a_note_and_can_be_waived(ltx_simulator, owner):
    (clip,) = mine(owner, prompt="a storm [fail]")
    drive(lambda: states() == [State.FAILED], timeout=30)
    found = entry(clip)
    assert found.status == Status.CHARGED
    assert "may waive" in found.note
    assert budgets.committed(found.workspace_id, found.month) == CLIP

    assert ledger.waive(found, owner)
    found.refresh_from_db()
    assert found.status == Status.WAIVED and found.settled_by == owner
    assert budgets.committed(found.workspace_id, found.month) == 0
    assert not ledger.waive(found, owner)  # a second waive changes nothing


def test_a_job_lost_at_ltx_after_it_was_accepted_stays_charged(owner):
    (clip,) = mine(owner)
    clip.transition(State.SUBMITTING)
    clip.transition(State.PENDING)
    clip.transition(State.EXPIRED)
    assert entry(clip).status == Status.CHARGED


def test_the_entry_outlives_the_clip(owner):
    (clip,) = mine(owner)
    clip.transition(State.SUBMITTING)
    clip.transition(State.PENDING)
    pk = clip.pk
    pipeline.delete_generation(clip)
    found = LedgerEntry.objects.get(clip_number=pk)
    assert found.generation_id is None and found.status == Status.CHARGED


def test_a_retry_is_a_new_billable_event(owner):
    (clip,) = mine(owner)
    pipeline.cancel(clip)
    again = pipeline.retry(clip)
    assert entry(again).status == Status.RESERVED
    assert entry(clip).status == Status.RELEASED
    assert LedgerEntry.objects.count() == 2


def test_automatic_duration_is_priced_at_the_longest_clip_it_can_be(owner):
    found = ledger.price(
        "text-to-video",
        {"prompt": "x", "model": "ltx-2-5-fast", "resolution": "1920x1080", "duration": "auto"},
    )
    longest = max(ledger.catalog.choices("text-to-video", "ltx-2-5-fast", "1920x1080").durations)
    exact = ledger.price(
        "text-to-video",
        {"prompt": "x", "model": "ltx-2-5-fast", "resolution": "1920x1080", "duration": longest},
    )
    assert found.amount == exact.amount > 0
    assert "longest" in found.note


def test_deleting_a_clip_before_it_is_sent_releases_what_it_held(owner):
    queued, sending = mine(owner, count=2)
    sending.transition(State.SUBMITTING)
    pipeline.delete_generation(queued)
    pipeline.delete_generation(sending)
    released = LedgerEntry.objects.get(clip_number=queued.pk)
    assert released.status == Status.RELEASED and released.generation_id is None
    held = LedgerEntry.objects.get(clip_number=sending.pk)  # it may have reached LTX
    assert held.status == Status.RESERVED and held.flagged


def test_the_time_to_ready_is_the_first_copy_s_not_a_later_copy_again(ltx_simulator, owner):
    (clip,) = mine(owner)
    drive(lambda: states() == [State.READY], timeout=30)
    first = entry(clip).seconds_to_ready
    assert first is not None and entry(clip).outcome == State.READY
    clip.refresh_from_db()
    assert pipeline.copy_again(clip)
    drive(lambda: Generation.objects.get(pk=clip.pk).state == State.READY, timeout=30)
    assert entry(clip).seconds_to_ready == first


def test_a_ready_clip_s_charge_cannot_be_waived(ltx_simulator, owner):
    (clip,) = mine(owner)
    drive(lambda: states() == [State.READY], timeout=30)
    assert not ledger.waive(entry(clip), owner)
    assert entry(clip).status == Status.CHARGED
