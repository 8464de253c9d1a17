"""The poller and the loop around it: intervals, per-job backoff, outcomes, one loop at a time."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from ltxdash.core.health import POLLER_LEASE, check_workers
from ltxdash.core.models import Lease
from ltxdash.generations import explain, pipeline, tasks
from ltxdash.generations.apps import WATCHDOG_SCHEDULE
from ltxdash.generations.estimates import forget_typical_durations
from ltxdash.generations.models import Generation, GenerationEvent, IllegalTransition, State
from ltxdash.generations.models.moves import Move, move_many
from ltxdash.generations.pipeline import loop, poller
from ltxdash.generations.pipeline.poller import PollRow, save_polls
from ltxdash.ltx.client import LTXClient
from ltxdash.ltx.retry import NO_RETRY
from ltxdash.spend import ledger
from ltxdash.spend.models import LedgerEntry
from ltxdash.spend.models import Status as Entry
from tests.factories import T2V, ago, make_generation
from tests.support.pipeline import drain_broker, drive, queued_tasks_now, states, task_names

JOB = "11111111-2222-3333-4444-555555555555"


def mock_client(handler) -> LTXClient:
    return LTXClient(
        "sk-test", "https://api.test", transport=httpx.MockTransport(handler), retry=NO_RETRY
    )


def pending_answer(request: httpx.Request) -> httpx.Response:
    job_id = request.url.path.rsplit("/", 1)[1]
    return httpx.Response(
        200,
        json={"id": job_id, "status": "pending", "created_at": "2026-01-15T10:00:00.000Z"},
        headers={"x-request-id": "req-1"},
    )


# --- unit tests with a mocked transport -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("window", [0.0, 0.15], ids=["due-now", "a-window-ahead"])
def test_it_never_polls_a_job_more_often_than_the_interval(owner, settings, window):
    settings.LTX_POLL_INTERVAL = 0.2
    for n in range(3):
        make_generation(owner, State.PENDING, remote_id=f"{JOB[:-1]}{n}", next_poll_at=ago(0))
    sent: dict[str, list[float]] = defaultdict(list)

    def handler(request: httpx.Request) -> httpx.Response:
        sent[request.url.path].append(time.monotonic())
        return pending_answer(request)

    client = mock_client(handler)
    started = time.monotonic()
    while time.monotonic() - started < 1.5:
        poller.poll_due(client=client, window=window)
        time.sleep(0.005)

    assert len(sent) == 3
    for times in sent.values():
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 0.2
        # About 1.5 / 0.2, none skipped (a last pass may still send within its window).
        assert 6 <= len(times) <= 1 + (1.5 + window) // 0.2
    assert Generation.objects.filter(poll_count__gte=6).count() == 3


@pytest.mark.django_db
def test_it_backs_off_only_the_job_whose_poll_failed(owner, settings):
    settings.LTX_POLL_INTERVAL = 1.0
    bad = make_generation(owner, State.PENDING, remote_id=JOB, next_poll_at=ago(0))
    good = make_generation(owner, State.PENDING, remote_id=JOB[:-1] + "6", next_poll_at=ago(0))
    answers = {"status": 503}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(JOB) and answers["status"] != 200:
            return httpx.Response(
                answers["status"],
                json={"type": "error", "error": {"type": "service_unavailable", "message": "x"}},
            )
        return pending_answer(request)

    client = mock_client(handler)
    gaps = []
    for _ in range(3):
        Generation.objects.filter(pk=bad.pk).update(next_poll_at=ago(0))
        before = timezone.now()
        poller.poll_due(client=client)
        bad.refresh_from_db()
        gaps.append((bad.next_poll_at - before).total_seconds())

    assert bad.state == State.PENDING and bad.poll_failures == 3
    assert gaps[0] >= 1.0 and gaps[1] >= 2.0 and gaps[2] >= 4.0  # exponential, with jitter
    assert gaps[2] <= 4.0 * 1.5 + 0.1
    good.refresh_from_db()
    assert good.poll_failures == 0
    assert (good.next_poll_at - good.updated_at).total_seconds() <= 1.1

    answers["status"] = 200
    Generation.objects.filter(pk=bad.pk).update(next_poll_at=ago(0))
    poller.poll_due(client=client)
    bad.refresh_from_db()
    assert bad.poll_failures == 0


@pytest.mark.django_db
@pytest.mark.parametrize("status, kind", [(429, "rate_limit_error"), (503, "service_unavailable")])
def test_it_polls_a_job_no_sooner_than_the_retry_after_its_server_asked(
    owner, settings, status, kind
):
    settings.LTX_POLL_INTERVAL = 1.0
    job = make_generation(owner, State.PENDING, remote_id=JOB, next_poll_at=ago(0))
    other = make_generation(owner, State.PENDING, remote_id=JOB[:-1] + "6", next_poll_at=ago(0))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(JOB):
            return httpx.Response(
                status,
                json={"type": "error", "error": {"type": kind, "message": "slow down"}},
                headers={"Retry-After": "120"},
            )
        return pending_answer(request)

    poller.poll_due(client=mock_client(handler))
    after = timezone.now()

    job.refresh_from_db()
    assert job.state == State.PENDING and job.poll_failures == 1
    assert job.next_poll_at >= after + timedelta(seconds=119.9)  # not the 1-2 s backoff
    assert job.next_poll_at <= after + timedelta(seconds=121)
    other.refresh_from_db()
    assert (other.next_poll_at - after).total_seconds() <= 1.1  # only that job waits


@pytest.mark.django_db
def test_it_caps_the_backoff_of_a_job_that_keeps_failing(owner, settings):
    settings.LTX_POLL_INTERVAL = 5.0
    bad = make_generation(
        owner, State.PENDING, remote_id=JOB, next_poll_at=ago(0), poll_failures=30
    )
    client = mock_client(lambda request: httpx.Response(500))

    before = timezone.now()
    poller.poll_due(client=client)

    bad.refresh_from_db()
    assert (bad.next_poll_at - before).total_seconds() <= 300 * 1.5 + 1


@pytest.mark.django_db
def test_it_times_polls_to_land_just_after_the_expected_finish(owner, settings):
    settings.LTX_POLL_INTERVAL = 5.0
    for _ in range(3):
        make_generation(owner, State.READY, submitted_at=ago(100), completed_at=ago(87.5))
    pipeline_ordering_cache_clear()
    running = make_generation(
        owner, State.PENDING, remote_id=JOB, submitted_at=ago(1), next_poll_at=ago(0)
    )

    poller.poll_due(client=mock_client(pending_answer))

    running.refresh_from_db()
    # Plain polling would come back 6 s after the submit, then at 11 s and 16 s. Clips like this
    # one take 12.5 s: two polls 5.8 s apart (within the 1.2-interval cadence) land just after.
    since_submit = (running.next_poll_at - running.submitted_at).total_seconds()
    assert 6.7 < since_submit < 6.9


def pipeline_ordering_cache_clear() -> None:
    from ltxdash.generations.estimates import forget_typical_durations

    forget_typical_durations()


# --- one pass: its answers, its queries, its timing ------------------------------------------


def answer(job_id: str, status: str, **fields) -> httpx.Response:
    body = {"id": job_id, "status": status, "created_at": "2026-01-15T10:00:00.000Z", **fields}
    return httpx.Response(200, json=body, headers={"x-request-id": f"req-{job_id[:8]}"})


def api_error(status: int, kind: str, **headers: str) -> httpx.Response:
    body = {"type": "error", "error": {"type": kind, "message": "x"}}
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.django_db
def test_it_applies_every_kind_of_answer_in_one_pass(
    owner, settings, django_capture_on_commit_callbacks
):
    settings.LTX_POLL_INTERVAL = 5.0
    forget_typical_durations()
    answers = {
        "still pending": lambda job: answer(job, "pending"),
        "now processing": lambda job: answer(job, "processing"),
        "still processing": lambda job: answer(job, "processing"),
        "finished": lambda job: answer(
            job,
            "completed",
            completed_at="2026-01-15T10:02:30.000Z",
            result={"video_url": "https://storage.example.com/v.mp4"},
        ),
        "filtered": lambda job: answer(
            job,
            "failed",
            completed_at="2026-01-15T10:00:09.000Z",
            error={"type": "content_filtered_error", "message": "Prompt rejected"},
        ),
        "forgotten": lambda job: api_error(404, "not_found_error"),
        "unavailable": lambda job: api_error(503, "service_unavailable"),
        "rate limited": lambda job: api_error(429, "rate_limit_error", **{"Retry-After": "120"}),
    }
    jobs = {}
    for name in answers:
        state = State.PROCESSING if name == "still processing" else State.PENDING
        jobs[name] = make_generation(
            owner,
            state,
            remote_id=str(uuid.uuid4()),
            submitted_at=ago(3),
            next_poll_at=ago(0),
            poll_count=4,
            poll_failures=2,
            last_request_id="before",
        )
        ledger.reserve([jobs[name]], ledger.Price(amount=Decimal("1.5")), jobs[name].workspace)
    LedgerEntry.objects.update(status=Entry.CHARGED)  # each was accepted by LTX
    by_remote_id = {g.remote_id: name for name, g in jobs.items()}
    client = mock_client(
        lambda request: answers[by_remote_id[request.url.path.rsplit("/", 1)[1]]](
            request.url.path.rsplit("/", 1)[1]
        )
    )
    drain_broker()

    before = timezone.now()
    with (
        CaptureQueriesContext(connection) as captured,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = poller.poll_due(client=client)
    after = timezone.now()

    # Each job is read once, by the pass's one SELECT: no field a pass needs is left unloaded
    # (a deferred field would be read row by row). The other read is the learned durations.
    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    rows_read = [sql for sql in reads if sql.startswith('SELECT "generations_generation"."id"')]
    assert len(rows_read) == 1, reads

    assert report.polled == 8 and report.failures == 2
    assert report.changed == {
        "unchanged": 2,
        "processing": 1,
        "completed": 1,
        "failed": 1,
        "expired": 1,
        "backoff": 2,
    }
    rows = {name: Generation.objects.get(pk=g.pk) for name, g in jobs.items()}
    for name in ("still pending", "still processing"):
        row = rows[name]
        assert row.state == jobs[name].state and row.version == jobs[name].version  # no bump
        assert (row.poll_count, row.poll_failures) == (5, 0)
        assert row.last_request_id == f"req-{row.remote_id[:8]}"
        assert before + timedelta(seconds=5) <= row.next_poll_at <= after + timedelta(seconds=5)
    moved = rows["now processing"]
    assert moved.state == State.PROCESSING and moved.processing_at is not None
    assert (moved.poll_count, moved.poll_failures) == (5, 0)
    assert before + timedelta(seconds=5) <= moved.next_poll_at <= after + timedelta(seconds=5)
    finished = rows["finished"]
    assert finished.state == State.REHOSTING and finished.next_poll_at is None
    assert finished.result_urls == {"video_url": "https://storage.example.com/v.mp4"}
    assert task_names(queued_tasks_now()) == ["rehost_generation"]
    filtered = rows["filtered"]
    assert filtered.state == State.FAILED and filtered.error_type == "content_filtered_error"
    assert rows["forgotten"].state == State.EXPIRED
    # The third failure in a row: 4 intervals and up to half as much again; or the Retry-After.
    for name, shortest, longest in (("unavailable", 20, 30.1), ("rate limited", 119.9, 121)):
        row = rows[name]
        assert row.state == State.PENDING and (row.poll_count, row.poll_failures) == (5, 3)
        assert row.last_request_id == "before"
        assert before + timedelta(seconds=shortest) <= row.next_poll_at
        assert row.next_poll_at <= after + timedelta(seconds=longest)
    # Each change of state has its event, and the cost ledger followed the clips that ended.
    for name in ("now processing", "finished", "filtered", "forgotten"):
        assert GenerationEvent.objects.filter(generation=jobs[name], from_state=jobs[name].state)
    entries = {e.generation_id: e for e in LedgerEntry.objects.all()}
    assert entries[jobs["filtered"].pk].note == ledger.FAILED_NOTE
    assert entries[jobs["filtered"].pk].outcome == "failed"
    assert entries[jobs["forgotten"].pk].outcome == "expired"
    assert entries[jobs["still pending"].pk].outcome == ""


def due_jobs(owner, count: int) -> list[Generation]:
    return [
        make_generation(owner, State.PENDING, remote_id=str(uuid.uuid4()), next_poll_at=ago(0))
        for _ in range(count)
    ]


@pytest.mark.django_db
def test_it_runs_the_same_queries_for_ten_or_three_hundred_due_jobs(owner, settings):
    settings.LTX_POLL_INTERVAL = 5.0
    flaky = set()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.rsplit("/", 1)[1] in flaky:
            return api_error(503, "service_unavailable")
        return pending_answer(request)

    client = mock_client(handler)
    queries = {}
    for count in (10, 300):
        Generation.objects.all().delete()
        jobs = due_jobs(owner, count)
        flaky.clear()
        flaky.update(g.remote_id for g in jobs[::3])  # backoffs go in the same statement
        forget_typical_durations()
        with CaptureQueriesContext(connection) as captured:
            report = poller.poll_due(client=client)
        assert report.polled == count and report.changed["backoff"] == len(jobs[::3])
        queries[count] = [q["sql"].split()[0] for q in captured.captured_queries]
        assert set(Generation.objects.values_list("poll_count", flat=True)) == {1}

    assert queries[10] == queries[300]
    # The due jobs, the learned durations of their one kind, and one UPDATE for all of them,
    # inside the pass's transaction.
    assert [q for q in queries[300] if q not in ("SAVEPOINT", "RELEASE")] == [
        "SELECT",
        "SELECT",
        "UPDATE",
    ]


@pytest.mark.django_db
def test_jobs_ltx_started_processing_move_together_in_the_same_queries_for_ten_or_three_hundred(
    owner, settings
):
    settings.LTX_POLL_INTERVAL = 5.0

    def handler(request: httpx.Request) -> httpx.Response:
        job_id = request.url.path.rsplit("/", 1)[1]
        status = "processing" if int(job_id[-1], 16) % 2 else "pending"
        return httpx.Response(
            200,
            json={"id": job_id, "status": status, "created_at": "2026-01-15T10:00:00.000Z"},
            headers={"x-request-id": f"req-{job_id[:6]}"},
        )

    queries = {}
    for count in (10, 300):
        Generation.objects.all().delete()
        jobs = due_jobs(owner, count)
        started = {g.pk for g in jobs if int(g.remote_id[-1], 16) % 2}
        versions = {g.pk: g.version for g in jobs}
        forget_typical_durations()
        before = timezone.now()
        with CaptureQueriesContext(connection) as captured:
            report = poller.poll_due(client=mock_client(handler))
        assert report.changed.get("processing", 0) == len(started)
        queries[count] = [q["sql"].split()[0] for q in captured.captured_queries]
        for job in Generation.objects.filter(pk__in=[g.pk for g in jobs]):
            moved = job.pk in started
            assert job.state == (State.PROCESSING if moved else State.PENDING)
            assert job.version == versions[job.pk] + moved  # a card redraws only what moved
            assert (job.processing_at is not None and job.processing_at >= before) == moved
            assert job.poll_count == 1 and job.next_poll_at > before
            assert job.last_request_id == f"req-{job.remote_id[:6]}"
        events = GenerationEvent.objects.filter(generation__in=jobs, at__gte=before)
        assert sorted(e.generation_id for e in events) == sorted(started)
        assert {(e.from_state, e.to_state) for e in events} == {(State.PENDING, State.PROCESSING)}

    assert queries[10] == queries[300]
    assert [q for q in queries[300] if q not in ("SAVEPOINT", "RELEASE")] == [
        "SELECT",  # the due jobs
        "SELECT",  # the learned durations of their one kind
        "UPDATE",  # the polls that moved nothing
        "UPDATE",  # the jobs now processing ...
        "INSERT",  # ... and their events
    ]


@pytest.mark.django_db
def test_a_job_canceled_while_its_poll_was_out_is_not_moved_to_processing(owner):
    started, canceled = due_jobs(owner, 2)
    Generation.objects.filter(pk=canceled.pk).update(state=State.CANCELED)
    fields = {"next_poll_at": timezone.now() + timedelta(seconds=5), "poll_count": 1}

    moved = move_many(
        State.PENDING,
        State.PROCESSING,
        [Move(started.pk, fields, "req-a"), Move(canceled.pk, fields, "req-b")],
    )

    assert moved == [started.pk]
    assert states() == [State.PROCESSING, State.CANCELED]
    assert list(
        GenerationEvent.objects.filter(to_state=State.PROCESSING).values_list(
            "generation_id", "request_id"
        )
    ) == [(started.pk, "req-a")]
    started.refresh_from_db()
    assert (started.poll_count, started.last_request_id) == (1, "req-a")


@pytest.mark.django_db
def test_many_move_only_as_the_state_machine_allows_and_never_past_the_ledger(owner):
    with pytest.raises(IllegalTransition):
        move_many(State.READY, State.PROCESSING, [])
    with pytest.raises(ValueError, match="use Generation.transition"):
        move_many(State.PROCESSING, State.FAILED, [])  # the ledger follows a failure


@pytest.mark.django_db
def test_it_writes_an_unchanged_poll_only_while_the_job_is_in_the_state_it_was_read_in(owner):
    kept, moved = due_jobs(owner, 2)
    Generation.objects.filter(pk=moved.pk).update(state=State.PROCESSING)
    was_due = moved.next_poll_at
    later_on = timezone.now() + timedelta(seconds=5)

    written = save_polls(
        [
            PollRow(kept.pk, State.PENDING, later_on, 0, "req-a"),
            PollRow(moved.pk, State.PENDING, later_on, 2, "req-b"),
        ]
    )

    assert written == 1
    kept.refresh_from_db()
    assert (kept.next_poll_at, kept.poll_count, kept.last_request_id) == (later_on, 1, "req-a")
    moved.refresh_from_db()
    assert (moved.next_poll_at, moved.poll_count, moved.last_request_id) == (was_due, 0, "")
    assert save_polls([]) == 0


@pytest.mark.django_db
def test_it_sends_each_poll_of_a_window_at_its_own_due_moment(owner, settings):
    settings.LTX_POLL_INTERVAL = 5.0
    start = timezone.now()
    due = {}
    for n in range(5):
        generation = make_generation(
            owner,
            State.PENDING,
            remote_id=str(uuid.uuid4()),
            next_poll_at=start + timedelta(seconds=0.1 * n),
        )
        due[generation.remote_id] = generation.next_poll_at
    make_generation(  # due after the window: not this pass
        owner, State.PENDING, remote_id=JOB, next_poll_at=start + timedelta(seconds=0.6)
    )
    sent: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        sent[request.url.path.rsplit("/", 1)[1]] = timezone.now()
        return pending_answer(request)

    report = poller.poll_due(start, client=mock_client(handler), window=0.45)

    assert report.polled == 5 and set(sent) == set(due)
    for job, moment in due.items():
        assert sent[job] >= moment  # never before it is due ...
    first = min(due, key=due.__getitem__)
    assert sent[first] < max(due.values())  # ... and not held back for the last of the batch


# --- against the simulator --------------------------------------------------------------------

sim = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("pipeline_settings")]


def submitted(owner, prompt: str = "a lighthouse") -> Generation:
    (generation,) = pipeline.create_generations(
        owner=owner, endpoint="text-to-video", params={**T2V, "prompt": prompt}, inputs={}
    )
    drive(lambda: Generation.objects.get(pk=generation.pk).state != State.QUEUED)
    generation.refresh_from_db()
    return generation


@pytest.mark.parametrize("_", [None], ids=[""])
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pipeline_settings")
def test_it_moves_a_finished_job_to_rehosting_with_the_apis_times(_, ltx_simulator, owner):
    ltx_simulator.configure(pending_seconds=0.2, processing_seconds=0.4)
    generation = submitted(owner)
    seen = set()
    deadline = time.monotonic() + 20
    while generation.state != State.REHOSTING:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        poller.poll_due()
        generation.refresh_from_db()
        seen.add(generation.state)

    assert State.PROCESSING in seen
    (job,) = ltx_simulator.jobs()
    completed = timezone.datetime.fromisoformat(job["completed_at"].replace("Z", "+00:00"))
    assert abs((generation.completed_at - completed).total_seconds()) < 0.01
    assert generation.retention_ends_at == generation.completed_at + timedelta(hours=24)
    assert generation.result_urls["video_url"].startswith("http")
    assert task_names(queued_tasks_now()) == ["rehost_generation"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pipeline_settings")
def test_it_fails_a_job_the_api_failed_with_its_type_and_message(ltx_simulator, owner):
    generation = submitted(owner, prompt="something [filter]")

    drive(lambda: Generation.objects.get(pk=generation.pk).state == State.FAILED)

    generation.refresh_from_db()
    assert generation.error_type == "content_filtered_error"
    assert generation.error_message
    assert "safety filter" in explain.reason(generation)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pipeline_settings")
def test_it_expires_a_job_the_api_no_longer_knows(ltx_simulator, owner):
    ltx_simulator.configure(pending_seconds=30)
    generation = submitted(owner)
    ltx_simulator.expire(generation.remote_id)

    drive(lambda: Generation.objects.get(pk=generation.pk).state == State.EXPIRED)

    generation.refresh_from_db()
    assert generation.error_type == "not_found_error"
    assert "no longer knows this job" in explain.reason(generation)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pipeline_settings")
def test_it_keeps_polling_through_5xx_answers(ltx_simulator, owner):
    ltx_simulator.configure(error_rate=1.0, fault_targets=["poll"], fault_limit=2)
    generation = submitted(owner)

    drive(lambda: Generation.objects.get(pk=generation.pk).state == State.READY)

    generation.refresh_from_db()
    assert generation.poll_failures == 0
    assert ltx_simulator.stats()["fault_budget_left"] == 0


# --- the loop and its lease -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pipeline_settings")
def test_it_runs_a_single_poller_under_two_concurrent_runners(ltx_simulator, owner, settings):
    settings.LTXDASH_POLLER_LEASE_SECONDS = 1.0
    settings.LTX_POLL_INTERVAL = 0.2
    ltx_simulator.configure(pending_seconds=60)
    for n in range(2):
        submitted(owner, prompt=f"clip {n}")
    polls_before = ltx_simulator.stats()["polls"]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def runner(name: str) -> None:
        barrier.wait()
        try:
            while True:
                try:
                    outcomes[name] = loop.run_loop(name, budget=2.0)
                    return
                except OperationalError:
                    # SQLite in memory (the test database) fails a locked write at once where
                    # the real file database waits for the lock.
                    time.sleep(0.01)
        finally:
            connections.close_all()

    started = time.monotonic()
    threads = [threading.Thread(target=runner, args=(f"runner-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    assert sorted(outcomes.values()) == ["busy", "handover"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "handover")
    assert Lease.objects.get(name=POLLER_LEASE).holder == winner
    polls = ltx_simulator.stats()["polls"] - polls_before
    # One poller: each job at most once per interval over the whole run.
    assert polls <= 2 * (elapsed / 0.2 + 1)
    assert polls >= 2 * 5


@pytest.mark.django_db(transaction=True)  # the loop closes stale connections, as workers do
def test_it_stops_a_loop_on_request_and_releases_the_lease(settings):
    settings.LTX_POLL_INTERVAL = 0.1
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()

    assert loop.run_loop("only", stop=stop, budget=30) == "stopped"
    assert not Lease.is_held(POLLER_LEASE)


@pytest.mark.django_db(transaction=True)  # the loop closes stale connections, as workers do
def test_it_hands_the_lease_over_to_its_successor_by_name(settings):
    settings.LTX_POLL_INTERVAL = 0.1
    assert loop.run_loop("first", budget=0.2) == "handover"
    assert Lease.objects.get(name=POLLER_LEASE).holder == "first"
    assert check_workers()["ok"] is True  # the renewal is the workers' heartbeat

    stop = threading.Event()
    stop.set()
    assert loop.run_loop("second", previous="first", stop=stop) == "stopped"
    # A copy of the first task delivered again later cannot take the lease back.
    Lease.objects.filter(name=POLLER_LEASE).update(
        holder="third", expires_at=timezone.now() + timedelta(seconds=30)
    )
    assert loop.take_lease("first") is False


@pytest.mark.django_db(transaction=True)  # the loop closes stale connections, as workers do
def test_it_takes_over_from_a_loop_that_died(settings):
    settings.LTX_POLL_INTERVAL = 0.1
    settings.LTXDASH_POLLER_LEASE_SECONDS = 0.5
    assert loop.take_lease("dead")  # ... and never renewed again

    assert loop.run_loop("heir", budget=0.1) == "handover"
    assert Lease.objects.get(name=POLLER_LEASE).holder == "heir"


@pytest.mark.django_db
def test_it_starts_a_loop_from_the_watchdog_only_when_none_is_alive(settings):
    drain_broker()
    settings.LTX_POLL_INTERVAL = 0.1
    assert tasks.watchdog() is True
    assert task_names(queued_tasks_now()) == ["poller_loop"]

    loop.take_lease("alive")
    assert tasks.watchdog() is False
    assert queued_tasks_now() == []


@pytest.mark.django_db
def test_it_has_a_watchdog_schedule_every_minute():
    schedule = Schedule.objects.get(name=WATCHDOG_SCHEDULE)
    assert schedule.func == "ltxdash.generations.tasks.watchdog"
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1
    assert schedule.repeats == -1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pipeline_settings")
def test_it_polls_every_due_job_in_one_pass(ltx_simulator, owner, settings):
    settings.LTX_MAX_CONCURRENCY = 10
    ltx_simulator.configure(pending_seconds=60, concurrency=0)
    pipeline.create_generations(
        owner=owner, endpoint="text-to-video", params=dict(T2V), inputs={}, count=10
    )
    drive(lambda: states().count(State.PENDING) == 10)
    Generation.objects.update(next_poll_at=ago(0))

    report = loop.run_pass()

    assert report.polled == 10
    assert ltx_simulator.stats()["polls"] >= 10


@pytest.mark.django_db
def test_it_pauses_dispatching_once_when_polls_say_the_key_is_revoked(owner, settings):
    settings.LTX_POLL_INTERVAL = 1.0
    for n in range(3):
        make_generation(owner, State.PENDING, remote_id=f"{JOB[:-1]}{n}", next_poll_at=ago(0))
    revoked = {"type": "error", "error": {"type": "authentication_error", "message": "bad key"}}

    poller.poll_due(client=mock_client(lambda request: httpx.Response(401, json=revoked)))

    from ltxdash.generations.models import DispatchState

    pause = DispatchState.get()
    assert pause.paused and pause.reason_type == "authentication_error"
    assert set(Generation.objects.values_list("state", "poll_failures")) == {(State.PENDING, 1)}
