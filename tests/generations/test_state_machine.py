"""The state machine itself: each allowed move works once, every other move is refused."""

from __future__ import annotations

import time

import pytest

from ltxdash.generations import pipeline
from ltxdash.generations.models import (
    TRANSITIONS,
    Generation,
    GenerationEvent,
    IllegalTransition,
    State,
)
from ltxdash.generations.pipeline import dispatch, poller, rehost
from tests.factories import T2V, make_generation
from tests.support.pipeline import drive, queued_tasks_now, run_tasks

LEGAL = [(old, new) for old, targets in TRANSITIONS.items() for new in sorted(targets)]
ILLEGAL = [
    (old, new)
    for old in State.values
    for new in State.values
    if new not in TRANSITIONS[old] and new != old
]


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), LEGAL)
def test_it_allows_each_legal_transition_once_and_records_it(owner, old, new):
    generation = make_generation(owner, old)
    version = generation.version

    assert generation.transition(new, detail="because") is True

    stored = Generation.objects.get(pk=generation.pk)
    assert stored.state == new
    assert stored.version == version + 1
    event = GenerationEvent.objects.filter(generation=generation).last()
    assert (event.from_state, event.to_state, event.detail) == (old, new, "because")
    # The same move again (a duplicated task holding the old state) changes nothing.
    stale = Generation.objects.get(pk=generation.pk)
    stale.state = old
    assert stale.transition(new) is False
    assert GenerationEvent.objects.filter(generation=generation).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_it_refuses_every_illegal_transition(owner, old, new):
    generation = make_generation(owner, old)

    with pytest.raises(IllegalTransition):
        generation.transition(new)

    assert Generation.objects.get(pk=generation.pk).state == old


@pytest.mark.django_db
def test_it_stamps_terminal_states_and_clears_the_next_poll(owner):
    generation = make_generation(owner, State.PENDING, remote_id="r", next_poll_at=None)
    generation.transition(State.FAILED, error_type="api_error")

    stored = Generation.objects.get(pk=generation.pk)
    assert stored.finished_at is not None and stored.next_poll_at is None


@pytest.mark.django_db
def test_it_refuses_a_move_whose_extra_condition_no_longer_holds(owner):
    generation = make_generation(owner, State.SUBMITTING, submit_attempts=2)

    assert generation.transition(State.QUEUED, where={"submit_attempts": 1}) is False
    assert generation.transition(State.QUEUED, where={"submit_attempts": 2}) is True


# --- duplicated tasks are no-ops ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pipeline_settings")
def test_it_runs_each_task_twice_without_doing_anything_twice(ltx_simulator, owner):
    (generation,) = pipeline.create_generations(
        owner=owner, endpoint="text-to-video", params=dict(T2V), inputs={}
    )
    nudges = queued_tasks_now()
    run_tasks(nudges + nudges)  # the dispatcher twice: one claim
    submits = queued_tasks_now()
    assert len(submits) == 1
    assert run_tasks(submits + submits) == ["submitted", "skipped"]

    def rehosting() -> bool:
        poller.poll_due()
        return Generation.objects.get(pk=generation.pk).state == State.REHOSTING

    deadline = time.monotonic() + 20
    while not rehosting():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    copies = queued_tasks_now()
    assert [t["func"].rsplit(".", 1)[1] for t in copies] == ["rehost_generation"]
    assert run_tasks(copies + copies) == ["ready", "skipped"]
    drive(lambda: True)

    stats = ltx_simulator.stats()
    assert stats["submits"] == 1
    assert stats["downloads"] == 1
    generation.refresh_from_db()
    assert generation.state == State.READY
    assert generation.outputs.count() == 1
    events = list(generation.events.values_list("to_state", flat=True))
    assert events == [
        State.QUEUED,
        State.SUBMITTING,
        State.PENDING,
        *([State.PROCESSING] if State.PROCESSING in events else []),
        State.REHOSTING,
        State.READY,
    ]
    assert dispatch.recover_stale_submits() == 0
    assert rehost.watch()["requeued"] == 0
