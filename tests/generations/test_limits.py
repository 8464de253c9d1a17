"""The per-member cap on clips queued or in progress (generations/limits.py), at queue time."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connections

from ltxdash.generations import pipeline
from ltxdash.generations.models import Generation, State
from ltxdash.generations.pipeline import actions
from tests.factories import T2V, make_generation, make_user
from tests.support.pages import HTMX, T2V_FORM

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_broker")]

FORM = T2V_FORM


def create(owner, count: int = 1) -> list[Generation]:
    return pipeline.create_generations(
        owner=owner, endpoint="text-to-video", params=dict(T2V), inputs={}, count=count
    )


def test_the_default_is_twenty(settings):
    assert settings.LTXDASH_MAX_ACTIVE_PER_USER == 20


def test_a_member_at_the_limit_cannot_queue_more(owner, settings):
    settings.LTXDASH_MAX_ACTIVE_PER_USER = 3
    for state in (State.QUEUED, State.PROCESSING, State.REHOSTING):
        make_generation(owner, state)
    with pytest.raises(pipeline.PipelineError) as refused:
        create(owner)
    assert str(refused.value) == (
        "You have 3 clips queued or in progress; wait for some to finish "
        "(the limit is 3 per person, LTXDASH_MAX_ACTIVE_PER_USER)."
    )
    assert Generation.objects.count() == 3


def test_finished_clips_and_other_members_do_not_count(owner, settings):
    settings.LTXDASH_MAX_ACTIVE_PER_USER = 2
    for state in (State.READY, State.FAILED, State.CANCELED, State.UNKNOWN, State.REJECTED):
        make_generation(owner, state)
    for _ in range(5):
        make_generation(make_user(f"other{_}"), State.QUEUED)
    assert len(create(owner, 2)) == 2


def test_a_batch_of_takes_is_checked_as_a_whole(owner, settings):
    settings.LTXDASH_MAX_ACTIVE_PER_USER = 5
    create(owner, 3)
    with pytest.raises(pipeline.PipelineError, match="You have 3 clips .* asked for 4 more"):
        create(owner, 4)
    assert Generation.objects.count() == 3  # none of the four
    assert len(create(owner, 2)) == 2


def test_a_retry_counts_too(owner, settings):
    settings.LTXDASH_MAX_ACTIVE_PER_USER = 1
    failed = make_generation(owner, State.FAILED)
    make_generation(owner, State.QUEUED)
    with pytest.raises(pipeline.PipelineError, match="You have 1 clips queued or in progress"):
        pipeline.retry(failed)


def test_the_form_says_so_next_to_the_generate_button(owner_client, owner, settings):
    settings.LTXDASH_MAX_ACTIVE_PER_USER = 2
    make_generation(owner, State.QUEUED)
    make_generation(owner, State.PENDING)
    response = owner_client.post("/", FORM, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="form-error" role="alert"' in html
    assert "You have 2 clips queued or in progress; wait for some to finish" in html
    assert Generation.objects.count() == 2


def test_twelve_creates_at_once_queue_no_more_than_the_limit(owner, settings, monkeypatch):
    settings.LTXDASH_MAX_ACTIVE_PER_USER = 4
    # The dispatcher's nudge writes to the ORM broker after the commit: on the in-memory test
    # database it can meet the lock and fail a create that did queue (which the retry below
    # would then count twice). The cap is about the queueing transaction, so leave it out.
    monkeypatch.setattr(actions, "nudge_dispatcher", lambda: None)
    attempts = 12
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []

    def post() -> None:
        barrier.wait()
        try:
            while True:
                try:
                    create(owner, 1)
                    outcomes.append("queued")
                    return
                except pipeline.PipelineError:
                    outcomes.append("refused")
                    return
                except OperationalError:
                    # SQLite in memory with a shared cache (the test database) fails a writer
                    # that finds the lock taken at once, where a file database waits: retry.
                    time.sleep(0.01)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["queued"] * 4 + ["refused"] * 8
    assert Generation.objects.filter(owner=owner, state=State.QUEUED).count() == 4
