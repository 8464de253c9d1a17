"""The dispatcher: fairness, the concurrency limit, 429s, account pauses, crash recovery."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import httpx
import pytest
from django.core.files.storage import default_storage
from django.db import OperationalError, connections
from django.utils import timezone

from ltxdash.generations import explain, pipeline
from ltxdash.generations.models import (
    DispatchState,
    ErrorType,
    Generation,
    GenerationEvent,
    GenerationInput,
    State,
)
from ltxdash.generations.pipeline import dispatch
from ltxdash.ltx.client import LTXClient
from ltxdash.ltx.retry import NO_RETRY
from tests.factories import T2V, ago, make_generation, make_input, make_user
from tests.media_factory import make_image
from tests.support.pipeline import (
    drive,
    queued_tasks_now,
    run_tasks,
    states,
    task_names,
    upload_source,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pipeline_settings"),
]


def queue(owner, n: int = 1, prompt: str = "a lighthouse", **params) -> list[Generation]:
    return pipeline.create_generations(
        owner=owner,
        endpoint="text-to-video",
        params={**T2V, "prompt": prompt, **params},
        inputs={},
        count=n,
    )


def run_dispatch_and_submits() -> list[str]:
    """The dispatch nudge and the submit tasks it enqueues, as workers would run them."""
    results = []
    for _ in range(5):
        tasks = queued_tasks_now()
        if not tasks:
            break
        results += [r for r in run_tasks(tasks) if isinstance(r, str)]
    return results


def test_it_submits_queued_generations_up_to_the_concurrency_limit(ltx_simulator, owner):
    queue(owner, 5)

    outcomes = run_dispatch_and_submits()

    assert outcomes.count("submitted") == 2
    assert sorted(states()) == [State.PENDING] * 2 + [State.QUEUED] * 3
    assert ltx_simulator.stats()["submits"] == 2
    gaps = []
    for generation in Generation.objects.filter(state=State.PENDING):
        assert generation.remote_id and generation.submit_request_id
        assert generation.post_started_at is not None
        assert generation.request_body["prompt"] == "a lighthouse"
        gaps.append((generation.next_poll_at - generation.post_started_at).total_seconds())
    # The first poll one interval after the POST; with clips waiting and nothing yet known of how
    # long this kind takes, the other job's half an interval later (estimates.first_poll_at:
    # between them the kind is polled every half interval, so the first end is seen that soon).
    assert sorted(gaps) == [pytest.approx(0.1, abs=0.01), pytest.approx(0.15, abs=0.005)]


def test_it_shares_slots_round_robin_across_users(ltx_simulator, owner, settings):
    bob, carol = make_user("bob"), make_user("carol")
    queue(owner, 6, prompt="alice")
    queue(bob, 2, prompt="bob")
    queue(carol, 1, prompt="carol")

    drive(lambda: all(s == State.READY for s in states()), timeout=60)

    claims = GenerationEvent.objects.filter(to_state=State.SUBMITTING).order_by("id")
    order = [event.generation.owner.username for event in claims]
    assert set(order[:3]) == {"alice", "bob", "carol"}  # everyone's first clip goes first
    assert order.index("bob", 1) < 5  # Bob's second clip does not wait for Alice's batch
    assert order[5:] == ["alice"] * 4
    assert ltx_simulator.stats()["submits"] == 9


def test_it_never_has_more_in_flight_than_the_limit(ltx_simulator, owner, settings):
    settings.LTX_MAX_CONCURRENCY = 3
    ltx_simulator.configure(concurrency=0)  # the API would take more: the limit is ours
    queue(owner, 8)
    seen = []

    def until() -> bool:
        in_flight = Generation.objects.filter(
            state__in=[State.SUBMITTING, State.PENDING, State.PROCESSING]
        ).count()
        seen.append(in_flight)
        return all(s == State.READY for s in states())

    drive(until, timeout=60)

    assert max(seen) == 3


def test_it_never_exceeds_the_limit_with_two_dispatchers_at_once(ltx_simulator, owner):
    queue(owner, 6)
    queued_tasks_now()  # the nudge: not run here
    barrier = threading.Barrier(2)
    claimed: list[list] = []

    def dispatcher() -> None:
        barrier.wait()
        try:
            while True:
                try:
                    claimed.append(dispatch.claim_slots())
                    return
                except OperationalError:
                    # The test database is SQLite in memory with a shared cache, where a
                    # writer that finds the lock taken fails at once instead of waiting for
                    # it as the real (file) database does: wait and try again.
                    time.sleep(0.01)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(claimed) == 2
    # The database is the truth: exactly the limit moved, and no clip was claimed twice.
    assert states().count(State.SUBMITTING) == 2
    pks = [pk for c in claimed for pk, _ in c]
    assert len(pks) == len(set(pks)) <= 2
    # The returned claims can be fewer: a CI run once saw both threads return none. The likely
    # cause is a COMMIT on the in-memory test database reporting "locked" after it took effect,
    # so the retry found no free slot and the claim's submit task went with the error. The
    # pickup grace (claim_until) recovers such a claim, as it does a worker killed after the
    # commit.


def test_it_uses_a_freed_slot_in_the_pass_that_sees_it_free(ltx_simulator, owner, settings):
    from ltxdash.generations.pipeline import loop

    settings.LTX_MAX_CONCURRENCY = 1
    first, second = queue(owner, 2)
    run_dispatch_and_submits()
    assert Generation.objects.get(pk=first.pk).state == State.PENDING
    deadline = time.monotonic() + 20

    while Generation.objects.get(pk=first.pk).state != State.REHOSTING:
        assert time.monotonic() < deadline
        time.sleep(0.02)
        report = loop.run_pass()

    assert report.claimed == 1
    assert Generation.objects.get(pk=second.pk).state == State.SUBMITTING


def test_it_puts_a_generation_back_in_the_queue_on_a_concurrency_limit_429(ltx_simulator, owner):
    ltx_simulator.configure(concurrency=1)  # someone else's job takes the only upstream slot
    queue(owner, 2)

    outcomes = run_dispatch_and_submits()

    assert sorted(outcomes) == ["held", "submitted"]
    held = Generation.objects.get(state=State.QUEUED)
    assert held.error_type == "concurrency_limit_error"
    assert held.next_attempt_at > timezone.now()
    assert not held.events.filter(to_state__in=[State.REJECTED, State.FAILED]).exists()
    state = DispatchState.get()
    assert state.hold_until is not None and state.hold_until > timezone.now()
    assert not state.paused
    assert dispatch.claim_slots() == []  # held: nothing is sent before Retry-After
    assert "sent again shortly" in explain.reason(held)

    drive(lambda: states() == [State.READY, State.READY], timeout=30)
    assert ltx_simulator.stats()["submits"] == 2


def test_it_backs_off_and_resends_after_a_5xx_on_submit(ltx_simulator, owner):
    ltx_simulator.configure(error_rate=1.0, fault_targets=["submit"], fault_limit=1)
    (generation,) = queue(owner)

    assert run_dispatch_and_submits() == ["backoff"]
    generation.refresh_from_db()
    assert generation.state == State.QUEUED
    assert generation.next_attempt_at > timezone.now()
    assert generation.post_started_at is None

    drive(lambda: states() == [State.READY], timeout=30)
    assert ltx_simulator.stats()["submits"] == 1
    assert Generation.objects.get().submit_attempts == 2


def test_it_marks_a_submit_whose_answer_was_lost_unknown_and_never_resends_it(ltx_simulator, owner):
    ltx_simulator.configure(reset_rate=1.0, fault_targets=["submit"], fault_limit=1)
    (generation,) = queue(owner)

    assert run_dispatch_and_submits() == ["unknown"]

    generation.refresh_from_db()
    assert generation.state == State.UNKNOWN
    assert generation.error_type == ErrorType.OUTCOME_UNKNOWN
    assert "Resubmit" in explain.reason(generation)
    for _ in range(3):
        drive(lambda: True)
    assert ltx_simulator.stats()["submits"] == 1  # the simulator made the job; we never resent

    again = pipeline.retry(generation)  # the one-click resubmit
    drive(lambda: Generation.objects.get(pk=again.pk).state == State.READY)
    assert ltx_simulator.stats()["submits"] == 2


def test_it_rejects_a_request_the_api_refuses_with_its_type_message_and_request_id(
    ltx_simulator, owner
):
    (generation,) = queue(owner, prompt="something [reject]")

    assert run_dispatch_and_submits() == ["rejected"]

    generation.refresh_from_db()
    assert generation.state == State.REJECTED
    assert generation.error_type == "content_filtered_error"
    assert generation.error_message
    assert generation.last_request_id
    assert "safety filter" in explain.reason(generation)
    assert ltx_simulator.stats()["submits"] == 0


def test_it_rejects_parameters_the_catalog_refuses_before_sending(ltx_simulator, owner):
    (generation,) = queue(owner, duration=7)

    assert run_dispatch_and_submits() == ["rejected"]

    generation.refresh_from_db()
    assert generation.error_type == "invalid_request_error"
    assert "duration" in generation.error_message
    assert explain.reason(generation).startswith("LTX refused the request as invalid")
    assert ltx_simulator.stats()["submits"] == 0


def test_it_pauses_everyone_when_the_account_is_out_of_credits(ltx_simulator, owner, client):
    bob = make_user("bob")
    ltx_simulator.configure(out_of_credits=True)
    queue(owner, 3)
    queue(bob, 2)

    outcomes = run_dispatch_and_submits()

    assert "paused" in outcomes and "submitted" not in outcomes
    assert set(states()) == {State.QUEUED}  # nobody's clip is rejected
    pause = DispatchState.get()
    assert pause.paused and pause.reason_type == "insufficient_funds_error"
    assert pause.next_probe_at > timezone.now()
    assert dispatch.claim_slots() == []

    client.force_login(bob)
    page = client.get("/")
    assert page.status_code == 200
    assert "out of credits" in page.content.decode()


def test_it_resumes_by_itself_once_a_probe_submit_works(ltx_simulator, owner):
    ltx_simulator.configure(out_of_credits=True)
    queue(owner, 3)
    run_dispatch_and_submits()
    assert DispatchState.get().paused

    # Still no credits: the probe sends one clip, which goes back to the queue.
    DispatchState.objects.update(next_probe_at=ago(1))
    assert len(dispatch.dispatch()) == 1
    assert run_dispatch_and_submits() == ["paused"]
    assert DispatchState.get().paused and set(states()) == {State.QUEUED}

    ltx_simulator.configure(out_of_credits=False)
    DispatchState.objects.update(next_probe_at=ago(1))
    drive(lambda: set(states()) == {State.READY}, timeout=30)

    assert not DispatchState.get().paused
    assert ltx_simulator.stats()["submits"] == 3


def test_it_checks_a_rejected_key_with_a_free_get_and_resumes(ltx_simulator, owner):
    ltx_simulator.configure(invalid_key=True)
    queue(owner, 2)
    run_dispatch_and_submits()
    pause = DispatchState.get()
    assert pause.paused and pause.reason_type == "authentication_error"
    assert "API key" in explain.pause_reason(pause)

    DispatchState.objects.update(next_probe_at=ago(1))
    assert dispatch.dispatch() == []  # no clip is used to probe a key
    assert task_names(tasks := queued_tasks_now()) == ["probe_account"]
    assert run_tasks(tasks) == ["still paused: authentication_error"]
    assert DispatchState.get().paused

    ltx_simulator.configure(invalid_key=False)
    assert dispatch.probe_account() == "resumed"
    assert not DispatchState.get().paused
    drive(lambda: set(states()) == {State.READY}, timeout=30)


def test_it_resumes_when_an_admin_says_so(ltx_simulator, owner):
    ltx_simulator.configure(out_of_credits=True)
    queue(owner, 1)
    run_dispatch_and_submits()
    ltx_simulator.configure(out_of_credits=False)

    assert pipeline.resume_dispatching("admin") is True

    assert task_names(queued_tasks_now()) == ["dispatch_queued"]
    drive(lambda: states() == [State.READY])


def test_it_uploads_inputs_right_before_submit_once_per_batch(ltx_simulator, owner, tmp_path):
    image = make_image(tmp_path / "first.png", width=640, height=360)
    created = pipeline.create_generations(
        owner=owner,
        endpoint="image-to-video",
        params={**T2V, "prompt": "the picture moves"},
        inputs={"image_uri": upload_source(image, "image/png")},
        count=2,
    )

    run_dispatch_and_submits()

    items = list(GenerationInput.objects.filter(generation__in=created))
    assert {i.storage_uri for i in items} == {items[0].storage_uri}
    assert items[0].storage_uri and items[0].uploaded_at
    jobs = ltx_simulator.jobs()
    assert len(jobs) == 2
    assert {job["body"]["image_uri"] for job in jobs} == {items[0].storage_uri}
    counters = ltx_simulator.stats()["counters"]
    assert counters.get("uploads", counters.get("upload", 1)) == 1


def test_it_uploads_again_when_the_earlier_upload_is_nearly_expired(ltx_simulator, owner, tmp_path):
    image = make_image(tmp_path / "first.png", width=640, height=360)
    (generation,) = pipeline.create_generations(
        owner=owner,
        endpoint="image-to-video",
        params={**T2V, "prompt": "again"},
        inputs={"image_uri": upload_source(image, "image/png")},
    )
    GenerationInput.objects.update(
        storage_uri="ltx://uploads/old", uploaded_at=timezone.now() - timedelta(hours=23, minutes=5)
    )

    assert run_dispatch_and_submits() == ["submitted"]

    item = generation.inputs.get()
    assert item.storage_uri != "ltx://uploads/old"
    assert ltx_simulator.jobs()[0]["body"]["image_uri"] == item.storage_uri


def test_it_rejects_a_clip_whose_input_is_gone(ltx_simulator, owner):
    (generation,) = queue(owner)
    make_input(generation, "image_uri")
    Generation.objects.filter(pk=generation.pk).update(endpoint="image-to-video")

    assert run_dispatch_and_submits() == ["rejected"]
    generation.refresh_from_db()
    assert generation.error_type == ErrorType.INPUT_MISSING
    assert "no longer stored" in explain.reason(generation) or "gone" in explain.reason(generation)


def test_it_requeues_a_claim_whose_worker_died_before_sending(owner):
    generation = make_generation(
        owner, State.SUBMITTING, submit_attempts=1, claim_until=ago(1), submit_started_at=ago(70)
    )

    assert dispatch.recover_stale_submits() == 1

    generation.refresh_from_db()
    assert generation.state == State.QUEUED
    assert "before sending" in generation.events.last().detail


def test_it_marks_unknown_a_claim_whose_worker_died_after_sending(owner):
    generation = make_generation(
        owner, State.SUBMITTING, submit_attempts=1, claim_until=ago(1), post_started_at=ago(70)
    )

    assert dispatch.recover_stale_submits() == 1

    generation.refresh_from_db()
    assert generation.state == State.UNKNOWN
    assert generation.error_type == ErrorType.WORKER_LOST
    assert "stopped after the request" in explain.reason(generation)


def test_it_leaves_a_claim_alone_while_its_worker_is_alive(owner):
    make_generation(
        owner,
        State.SUBMITTING,
        submit_attempts=1,
        claim_until=timezone.now() + timedelta(seconds=30),
    )

    assert dispatch.recover_stale_submits() == 0
    assert states() == [State.SUBMITTING]


def test_it_ignores_a_submit_task_delivered_twice(ltx_simulator, owner):
    queue(owner, 1)
    tasks = queued_tasks_now()
    run_tasks(tasks)  # dispatch: claims and enqueues the submit
    (submit,) = queued_tasks_now()

    assert run_tasks([submit, submit]) == ["submitted", "skipped"]
    assert ltx_simulator.stats()["submits"] == 1


def test_it_ignores_a_stale_submit_task_after_the_claim_moved_on(ltx_simulator, owner):
    queue(owner)
    queued_tasks_now()
    ((pk, attempt),) = dispatch.claim_slots()
    (stale,) = queued_tasks_now()
    # The worker was presumed dead before sending; the clip was claimed again meanwhile.
    Generation.objects.filter(pk=pk).update(claim_until=ago(1))
    dispatch.recover_stale_submits()
    assert dispatch.claim_slots() == [(pk, attempt + 1)]

    assert run_tasks([stale]) == ["skipped"]
    assert run_tasks(queued_tasks_now()) == ["submitted"]
    assert ltx_simulator.stats()["submits"] == 1


def test_it_pauses_everyone_when_a_job_fails_upstream_for_lack_of_credits(
    ltx_simulator, owner, client, settings
):
    settings.LTX_MAX_CONCURRENCY = 1
    (broke,) = queue(owner, 1, prompt="the first clip [funds]")
    waiting = queue(owner, 3, prompt="a clip that would fail the same way")

    drive(lambda: Generation.objects.get(pk=broke.pk).state == State.FAILED)

    broke.refresh_from_db()
    assert broke.error_type == "insufficient_funds_error"
    assert "out of credits" in explain.reason(broke)
    pause = DispatchState.get()
    assert pause.paused and pause.reason_type == "insufficient_funds_error"
    assert pause.next_probe_at > timezone.now()
    for _ in range(5):  # the loop keeps running: nobody else's clip is sent meanwhile
        run_tasks(queued_tasks_now())
        dispatch.dispatch()
    assert {g.state for g in Generation.objects.filter(pk__in=[g.pk for g in waiting])} == {
        State.QUEUED
    }
    assert ltx_simulator.stats()["submits"] == 1

    client.force_login(owner)
    assert "out of credits" in client.get("/").content.decode()

    # The probe: one clip is sent; dispatching resumes once its job has finished.
    DispatchState.objects.update(next_probe_at=ago(1))
    assert len(dispatch.dispatch()) == 1
    assert run_dispatch_and_submits() == ["submitted"]
    assert DispatchState.get().paused
    drive(lambda: set(states()) == {State.FAILED, State.READY}, timeout=30)
    assert not DispatchState.get().paused
    assert ltx_simulator.stats()["submits"] == 4


def image_clip(owner, tmp_path) -> Generation:
    image = make_image(tmp_path / "first.png", width=640, height=360)
    (generation,) = pipeline.create_generations(
        owner=owner,
        endpoint="image-to-video",
        params={**T2V, "prompt": "the picture moves"},
        inputs={"image_uri": upload_source(image, "image/png")},
    )
    queued_tasks_now()  # the dispatch nudge: each test claims and submits itself
    return generation


def upload_client(put_status: int, post_status: int = 200) -> LTXClient:
    """An LTX client whose upload flow answers with these statuses (a unit-test transport)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/upload":
            if post_status != 200:
                return httpx.Response(post_status, json={"type": "error", "error": {}})
            return httpx.Response(
                200,
                json={
                    "upload_url": "https://storage.test/put/1",
                    "storage_uri": "ltx://uploads/1",
                    "expires_at": "2099-01-01T00:00:00Z",
                    "required_headers": {},
                },
            )
        return httpx.Response(put_status, text="refused")

    return LTXClient(
        "sk-test", "https://api.test", transport=httpx.MockTransport(handler), retry=NO_RETRY
    )


def submit_once(generation: Generation, client: LTXClient) -> str:
    Generation.objects.filter(pk=generation.pk).update(next_attempt_at=None)
    DispatchState.objects.update(hold_until=None)
    ((pk, attempt),) = dispatch.claim_slots()
    queued_tasks_now()
    return dispatch.submit_generation(pk, attempt, upload_client=client)


def test_it_rejects_a_clip_whose_upload_ltx_refuses(ltx_simulator, owner, tmp_path):
    generation = image_clip(owner, tmp_path)

    assert submit_once(generation, upload_client(put_status=403)) == "rejected"

    generation.refresh_from_db()
    assert generation.state == State.REJECTED and generation.error_type == ErrorType.UPLOAD_FAILED
    assert "could not be sent to LTX" in explain.reason(generation)
    assert "403" in generation.error_message
    assert ltx_simulator.stats()["submits"] == 0


def test_it_rejects_a_clip_whose_input_file_is_gone_from_storage(ltx_simulator, owner, tmp_path):
    generation = image_clip(owner, tmp_path)
    default_storage.delete(generation.inputs.get().file.name)

    assert submit_once(generation, upload_client(put_status=200)) == "rejected"

    generation.refresh_from_db()
    assert generation.state == State.REJECTED and generation.error_type == ErrorType.INPUT_MISSING
    assert "no longer stored" in explain.reason(generation)


@pytest.mark.parametrize("failure", [{"put_status": 503}, {"put_status": 200, "post_status": 500}])
def test_it_requeues_a_failing_upload_with_backoff_then_gives_up(
    ltx_simulator, owner, tmp_path, failure
):
    generation = image_clip(owner, tmp_path)
    client = upload_client(**failure)
    waits = []
    for attempt in range(1, dispatch.MAX_SUBMIT_FAILURES):
        assert submit_once(generation, client) == "backoff"
        generation.refresh_from_db()
        assert generation.state == State.QUEUED
        assert generation.submit_failures == attempt  # counted, not read off the timeline
        assert "sent again shortly" in explain.reason(generation)
        # From the moment the row went back to the queue: the upload's own retries (a few
        # tenths of a second) are not part of the wait, and made this flaky when included.
        waits.append((generation.next_attempt_at - generation.updated_at).total_seconds())
    assert waits[1] > waits[0] * 1.3 and waits[-1] <= 300 * 1.5 + 1  # grows, capped

    # A 429 hold in between is not a failure of this clip: it does not count.
    DispatchState.objects.update(hold_until=None)
    assert submit_once(generation, upload_client(put_status=429)) == "held"

    assert submit_once(generation, client) == "rejected"
    generation.refresh_from_db()
    assert generation.state == State.REJECTED and generation.error_type == ErrorType.GAVE_UP
    assert "LTX kept failing" in explain.reason(generation) and "try again later" in (
        explain.reason(generation)
    )
    assert generation.submit_attempts == dispatch.MAX_SUBMIT_FAILURES + 1
    assert ltx_simulator.stats()["submits"] == 0
