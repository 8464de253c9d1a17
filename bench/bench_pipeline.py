"""Benchmarks of the generation pipeline against the simulator (a separate process).

    .venv/bin/python bench/bench_pipeline.py [poller] [makespan] [poll-writes] [--jobs 1000] [--hog]

poller    1,000 generations in flight, no concurrency limit, LTX_POLL_INTERVAL=5, jobs of lengths
          off the poll grid (7.3 to 41.7 s, none a multiple of the interval; each batch of 40
          submits gets one, every length in turn in a shuffled order; 40 % pending, 60 %
          processing). Submitted through the real
          dispatcher (claims, then submit_generation on 16 threads), then polled by the real loop
          (run_loop) in this process until every job has finished. Prints the share of jobs
          whose every poll came within 1.2 x the interval of the previous one (or of the
          submit; a first poll the engine planned past 1.2 x on purpose, on a predicted end or
          a new kind's turn less than two intervals after the POST, counts if it left on its
          plan, within 0.2 x after it: how many were, and the share counting them late, are
          printed too), the gaps' p50/p99/max, status calls per job against the minimum
          ceil(job time / interval) + 1, and, over the steady state (every job submitted), the
          loop's CPU per poll (this process: the loop and its poll threads; the simulator is
          elsewhere) against the client's own CPU per poll (the CPU time of the poll threads
          inside LTXClient.get_status), both measured in the same run.
          --hog keeps one core busy with a separate process (a Python busy loop) for the whole
          run, as a busy web server or a copy would.
makespan  a sweep of job lengths between 7 and 60 s, none a multiple of the 5 s interval
          (``--lengths``), each a fresh run with no history: 10 generations of that length under
          LTX_MAX_CONCURRENCY=2 (the simulator also allows 2), run by a real `manage.py
          qcluster`. Prints, per length, the makespan from the first Generate to the API
          finishing the last job against the ideal ceil(10 / 2) x job time, status calls per job
          against the minimum ceil(job time / interval) + 1, the submits answered 429 (a
          speculative submit into a slot that was not free yet), how long freed slots stayed
          empty, and the median time from the API finishing a clip to its card's state being
          Ready (all ten, and the last five). Then ten more clips of the kind, known by then:
          their completion to Ready median and max ("after ten clips of the same kind"). Status
          calls and 429s count both batches.
poll-writes  The poller's one statement for a pass's unchanged polls, against a CASE per row
          (what bulk_update writes) and an UPDATE per row, for --jobs rows (at most 2,000, a
          pass's limit): wall and CPU of this process, median of 7. On SQLite unless
          DATABASE_URL names an empty PostgreSQL database (it is migrated).

Each scenario runs in a child process with its own data directory (SQLite unless DATABASE_URL
says otherwise for poll-writes, ORM broker).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx
from _support import (
    REPO,
    cpu_seconds,
    process_cpu_seconds,
    run_child,
    run_simulator_process,
    setup_django,
)

T2V = {"model": "ltx-2-3-fast", "duration": 6, "resolution": "1920x1080", "fps": 24}


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class RecordingTransport(httpx.BaseTransport):
    """Notes the moment each status GET leaves (the measurement; the loop is unchanged)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport(limits=httpx.Limits(max_connections=64))
        self.sent: dict[str, list[float]] = defaultdict(list)
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.startswith("/v2/"):
            job = request.url.path.rsplit("/", 1)[1]
            with self.lock:
                self.sent[job].append(time.time())
        return self.inner.handle_request(request)


# Job lengths for the poller scenario: off the 5 s poll grid, as no real job is a round number.
POLLER_JOB_SECONDS = (
    7.3,
    9.4,
    12.1,
    13.8,
    16.6,
    18.7,
    21.2,
    23.9,
    26.3,
    28.6,
    31.7,
    34.2,
    36.9,
    38.8,
    41.7,
)
SUBMIT_BATCH = 40


class ClientClock:
    """The client's own CPU per poll: the CPU time of each poll thread inside get_status
    (request, transport, parsing), summed; the loop around it is not counted."""

    def __init__(self, client) -> None:
        self.lock = threading.Lock()
        self.cpu, self.calls = 0.0, 0
        inner = client.get_status

        def get_status(endpoint: str, job_id: str):
            started = time.thread_time()
            try:
                return inner(endpoint, job_id)
            finally:
                spent = time.thread_time() - started
                with self.lock:
                    self.cpu += spent
                    self.calls += 1

        client.get_status = get_status

    def read(self) -> tuple[float, int]:
        with self.lock:
            return self.cpu, self.calls


def thread_cpu(*, name: str = "", ident: int | None = None) -> float:
    """CPU seconds of one thread (``ident``) or of every thread whose name starts with ``name``."""
    threads = [
        t for t in threading.enumerate() if t.ident == ident or (name and t.name.startswith(name))
    ]
    return sum(time.clock_gettime(time.pthread_getcpuclockid(t.ident)) for t in threads)


def cpu_hog() -> subprocess.Popen:
    """A separate process that keeps one core busy until killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def scenario_poller(jobs: int, hog: bool) -> dict:
    interval = 5.0
    hogging = cpu_hog() if hog else None
    load_before = os.getloadavg()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp,
            run_simulator_process(Path(tmp) / "sim", concurrency=0) as sim,
        ):
            result = _poller_run(jobs, interval, Path(tmp), sim)
    finally:
        if hogging is not None:
            hog_cpu = process_cpu_seconds(hogging.pid)
            hogging.kill()
            hogging.wait()
    if hogging is not None:
        result["hog_cpu_s"] = round(hog_cpu, 1)
    result["load_average_before"] = " ".join(f"{x:.2f}" for x in load_before)
    return result


def _poller_run(jobs: int, interval: float, tmp: Path, sim) -> dict:
    setup_django(
        tmp / "data",
        sim_url=sim.url,
        LTX_POLL_INTERVAL=str(interval),
        LTX_MAX_CONCURRENCY=str(jobs),
        LTXDASH_MAX_ACTIVE_PER_USER=str(jobs),
    )
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django_q.brokers import get_broker

    from ltxdash.generations import pipeline
    from ltxdash.generations.models import Generation, State
    from ltxdash.generations.pipeline import dispatch, loop
    from ltxdash.generations.pipeline.clients import poll_client

    owner = get_user_model().objects.create_user("bench")
    pipeline.create_generations(
        owner=owner,
        endpoint="text-to-video",
        params={**T2V, "prompt": "benchmark"},
        inputs={},
        count=jobs,
    )
    claims = dispatch.claim_slots()
    get_broker().purge_queue()  # the submit tasks: run here instead, on 16 threads

    # When each job's submit POST left and its first poll was planned for (remote id -> two
    # epochs), read right after its submit: a first poll aimed at a predicted end less than two
    # intervals away, or a new kind's turn, is planned past 1.2 intervals on purpose
    # (estimates.first_poll_at), and is judged against its plan.
    planned: dict[str, tuple[float, float]] = {}

    def submit(claim: tuple[int, int]) -> str:
        try:
            outcome = dispatch.submit_generation(*claim)
            row = Generation.objects.filter(pk=claim[0]).values(
                "remote_id", "post_started_at", "next_poll_at"
            )[0]
            if row["next_poll_at"] is not None and row["post_started_at"] is not None:
                planned[row["remote_id"]] = (
                    row["post_started_at"].timestamp(),
                    row["next_poll_at"].timestamp(),
                )
            return outcome
        finally:
            connections.close_all()

    transport = RecordingTransport()
    client = poll_client(transport)
    clock = ClientClock(client)
    stop = threading.Event()
    outcome: list[str] = []

    def run() -> None:
        outcome.append(loop.run_loop("bench", stop=stop, budget=600, client=client))
        connections.close_all()

    looping = threading.Thread(target=run)
    looping.start()  # polling runs while clips are being submitted, as in production
    started = time.time()
    # Every length in turn, in a shuffled order: a batch of each, the shortest and longest too.
    batches = math.ceil(len(claims) / SUBMIT_BATCH)
    lengths = list(POLLER_JOB_SECONDS) * math.ceil(batches / len(POLLER_JOB_SECONDS))
    random.Random(14).shuffle(lengths)
    outcomes = []
    with ThreadPoolExecutor(16) as pool:
        for first, seconds in zip(range(0, len(claims), SUBMIT_BATCH), lengths, strict=False):
            sim.configure(pending_seconds=0.4 * seconds, processing_seconds=0.6 * seconds)
            outcomes += pool.map(submit, claims[first : first + SUBMIT_BATCH])
    submit_seconds = time.time() - started
    assert outcomes.count("submitted") == jobs, outcomes[:5]

    # Steady state: every job submitted, the loop alone at work in this process.
    in_flight = Generation.objects.filter(state__in=[State.PENDING, State.PROCESSING]).count()
    cpu0, client0, sim0 = cpu_seconds(), clock.read(), process_cpu_seconds(sim.process.pid)
    loop0, senders0 = thread_cpu(ident=looping.ident), thread_cpu(name="ltx-poll")
    wall0 = time.time()
    while Generation.objects.filter(state__in=[State.PENDING, State.PROCESSING]).exists():
        time.sleep(1.0)
    wall = time.time() - wall0
    cpu, client1 = cpu_seconds() - cpu0, clock.read()
    loop_thread = thread_cpu(ident=looping.ident) - loop0
    senders = thread_cpu(name="ltx-poll") - senders0
    sim_cpu = process_cpu_seconds(sim.process.pid) - sim0
    stop.set()
    looping.join()
    sim_jobs = {job["id"]: job for job in sim.jobs()}

    within, plain_within, aimed_first, gaps, between, calls, minimum = 0, 0, 0, [], [], 0, 0
    for job_id, job in sim_jobs.items():
        sent = sorted(transport.sent[job_id])
        created, done = epoch(job["created_at"]), epoch(job["completed_at"])
        job_gaps = [b - a for a, b in zip([created, *sent], sent, strict=False)]
        gaps += job_gaps
        between += job_gaps[1:]  # poll to poll (the first gap counts from the API's created_at)
        plain = max(job_gaps) <= 1.2 * interval
        plain_within += plain
        posted, plan = planned.get(job_id, (created, created + interval))
        if plan - created > 1.2 * interval:
            # Planned past the cadence on purpose: on time if the plan is one the engine may
            # make (less than two intervals after the POST left, and never sooner than one),
            # and the poll left on it, no sooner and within a fifth of an interval after it, as
            # any poll within the cadence may.
            aimed_first += 1
            sane = interval <= plan - posted < 2 * interval
            first_ok = sane and -0.05 <= sent[0] - plan <= 0.2 * interval
            within += first_ok and max(job_gaps[1:], default=0.0) <= 1.2 * interval
        else:
            within += plain
        calls += len(sent)
        minimum += math.ceil((done - created) / interval) + 1
    gaps.sort()
    client_cpu, polls = client1[0] - client0[0], client1[1] - client0[1]
    lengths_seen = [epoch(j["completed_at"]) - epoch(j["created_at"]) for j in sim_jobs.values()]
    return {
        "scenario": "poller",
        "jobs": len(sim_jobs),
        "interval_s": interval,
        "job_seconds": f"{min(lengths_seen):.1f} to {max(lengths_seen):.1f}",
        "submit_seconds": round(submit_seconds, 1),
        "polled_within_1.2x_interval": f"{100 * within / len(sim_jobs):.1f}%",
        "first_polls_planned_past_1.2x": aimed_first,
        "within_1.2x_counting_planned_firsts_as_late": f"{100 * plain_within / len(sim_jobs):.1f}%",
        "poll_to_poll_min_s": round(min(between), 3),
        "gap_p50_s": round(statistics.median(gaps), 2),
        "gap_p99_s": round(gaps[int(0.99 * (len(gaps) - 1))], 2),
        "gap_max_s": round(gaps[-1], 2),
        "status_calls": calls,
        "minimum_calls": minimum,
        "calls_vs_minimum": round(calls / minimum, 3),
        "loop_outcome": outcome[0],
        "steady_state_in_flight_at_start": in_flight,
        "steady_state_wall_s": round(wall, 1),
        "steady_state_polls": polls,
        "steady_state_polls_per_s": round(polls / wall, 1),
        "loop_cpu_ms_per_poll": round(1000 * cpu / polls, 3),
        "client_cpu_ms_per_poll": round(1000 * client_cpu / polls, 3),
        "loop_vs_client_cpu": round(cpu / client_cpu, 2),
        "of_which_loop_thread_ms_per_poll": round(1000 * loop_thread / polls, 3),
        "of_which_poll_threads_ms_per_poll": round(1000 * senders / polls, 3),
        "cpu_s_per_minute": round(60 * cpu / wall, 2),
        "simulator_cpu_s_per_minute": round(60 * sim_cpu / wall, 2),
    }


def scenario_poll_writes(rows: int) -> dict:
    """The poller's one statement for a pass's unchanged polls against the alternatives."""
    from datetime import timedelta

    setup_django(tempfile.mkdtemp(prefix="bench-poll-writes-"))
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models import Case, CharField, DateTimeField, F, IntegerField, Q, Value, When
    from django.utils import timezone

    from ltxdash.generations.models import Generation, State
    from ltxdash.generations.pipeline.poller import MAX_PER_PASS, PollRow, save_polls
    from tests.factories import make_generation

    rows = min(rows, MAX_PER_PASS)
    owner = get_user_model().objects.create_user("bench")
    pks = [make_generation(owner, State.PENDING, remote_id=f"job-{n}").pk for n in range(rows)]

    def polls() -> list[PollRow]:
        now = timezone.now()
        return [
            PollRow(pk, State.PENDING, now + timedelta(seconds=5 + n / 1000), n % 3, f"r{n}")
            for n, pk in enumerate(pks)
        ]

    def per_row(batch: list[PollRow]) -> None:
        for poll in batch:
            Generation.objects.filter(pk=poll.pk, state=poll.state).update(
                next_poll_at=poll.next_poll_at,
                poll_count=F("poll_count") + 1,
                poll_failures=poll.poll_failures,
                last_request_id=poll.request_id or F("last_request_id"),
            )

    def case_per_row(batch: list[PollRow]) -> None:
        Generation.objects.filter(Q(pk__in=[p.pk for p in batch], state=State.PENDING)).update(
            next_poll_at=Case(
                *[When(pk=p.pk, then=Value(p.next_poll_at)) for p in batch],
                output_field=DateTimeField(),
            ),
            poll_count=F("poll_count") + 1,
            poll_failures=Case(
                *[When(pk=p.pk, then=Value(p.poll_failures)) for p in batch],
                output_field=IntegerField(),
            ),
            last_request_id=Case(
                *[When(pk=p.pk, then=Value(p.request_id)) for p in batch if p.request_id],
                default=F("last_request_id"),
                output_field=CharField(),
            ),
        )

    result: dict = {"scenario": "poll-writes", "database": connection.vendor, "rows": rows}
    for name, write in [
        ("update_from_values", save_polls),
        ("case_per_row", case_per_row),
        ("update_per_row", per_row),
    ]:
        walls, cpus = [], []
        for _ in range(7):
            batch = polls()
            wall, cpu = time.perf_counter(), time.process_time()
            with transaction.atomic():
                write(batch)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        result[f"{name}_wall_ms"] = round(1000 * statistics.median(walls), 1)
        result[f"{name}_cpu_ms"] = round(1000 * statistics.median(cpus), 1)
    assert Generation.objects.filter(poll_count=21).count() == rows  # every write landed
    return result


# Job lengths (s) for the makespan sweep: 7 to 60 s, none a multiple of the 5 s interval, and
# split unevenly between pending and processing, as real jobs are.
SWEEP = (7.3, 11.8, 18.6, 26.9, 43.4)


def scenario_makespan(lengths: tuple[float, ...] = SWEEP) -> dict:
    """The sweep: one fresh run per job length (no history of the kind at the start)."""
    runs = [makespan_run(length) for length in lengths]
    return {"scenario": "makespan", "runs": runs}


def makespan_run(job_seconds: float) -> dict:
    count, limit, interval = 10, 2, 5.0
    pending = round(job_seconds * 0.23, 2)
    processing = round(job_seconds - pending, 2)
    with (
        tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp,
        run_simulator_process(
            Path(tmp) / "sim",
            pending_seconds=pending,
            processing_seconds=processing,
            concurrency=limit,
        ) as sim,
    ):
        os.environ.update({"LTX_POLL_INTERVAL": str(interval), "LTX_MAX_CONCURRENCY": str(limit)})
        result = run_child(
            __file__,
            "makespan-run",
            "--child",
            "--data",
            str(Path(tmp) / "data"),
            "--sim",
            sim.url,
            "--job-seconds",
            str(job_seconds),
        )
        stats = sim.stats()
    ideal = math.ceil(count / limit) * job_seconds
    minimum = math.ceil(job_seconds / interval) + 1
    return {
        "job_s": job_seconds,
        "ideal_s": round(ideal, 2),
        "makespan_s": result["makespan_s"],
        "ratio": round(result["makespan_s"] / ideal, 3),
        "to_last_copy_s": result["to_last_copy_s"],
        # Over both batches (20 clips): the calls of the second, with history, count too.
        "status_calls_per_job": round(stats["polls"] / (2 * count), 2),
        "min_calls_per_job": minimum,
        "calls_ratio": round(stats["polls"] / (2 * count) / minimum, 3),
        "submits": stats["submits"],
        "extra_submits_answered_429": stats["submit_attempts"] - stats["submits"],
        "slot_idle_mean_s": result["slot_idle_mean_s"],
        "slot_idle_max_s": result["slot_idle_max_s"],
        "slot_idle_each_s": result["slot_idle_each_s"],
        "to_first_submit_s": result["to_first_submit_s"],
        "completion_to_ready_median_s": result["completion_to_ready_median_s"],
        "completion_to_ready_last5_median_s": result["completion_to_ready_last5_median_s"],
        "completion_to_ready_after_ten_median_s": result["completion_to_ready_after_ten_median_s"],
        "completion_to_ready_after_ten_max_s": result["completion_to_ready_after_ten_max_s"],
    }


def makespan_child(data: Path, sim_url: str, job_seconds: float) -> dict:
    """One run of the sweep (in its own process): 10 clips under a limit of 2, run by a real
    ``manage.py qcluster``."""
    count, limit = 10, 2
    setup_django(data, sim_url=sim_url)
    from django.contrib.auth import get_user_model

    from ltxdash.generations import pipeline
    from ltxdash.generations.models import Generation, State

    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        time.sleep(3)  # the cluster is up and its loop runs before the clock starts
        owner = get_user_model().objects.create_user("bench")

        def run_batch() -> tuple[datetime, list[int]]:
            created = pipeline.create_generations(
                owner=owner,
                endpoint="text-to-video",
                params={**T2V, "prompt": "benchmark"},
                inputs={},
                count=count,
            )
            deadline = time.time() + 60 + 12 * job_seconds
            while Generation.objects.exclude(state=State.READY).exists():
                assert time.time() < deadline, "not all ready in time"
                time.sleep(0.2)
            return min(g.created_at for g in created), [g.pk for g in created]

        first, batch = run_batch()
        # Then ten more of the same kind, the kind known from the first ten: completion to
        # Ready "after ten clips of the same kind".
        _, after_ten = run_batch()
    finally:
        os.killpg(cluster.pid, 9)  # measured already; no need to wait for a clean stop
        cluster.wait()
    later_rows = Generation.objects.filter(pk__in=after_ten)
    to_ready_after_ten = [(g.ready_at - g.completed_at).total_seconds() for g in later_rows]
    rows = sorted(Generation.objects.filter(pk__in=batch), key=lambda g: g.completed_at)
    # How long a freed slot stayed empty: from a job finishing at the API to the next job the
    # API created (both on the API's clock), detection and submit latency together.
    done = [g.completed_at for g in rows]
    started = sorted(g.remote_created_at for g in rows)
    idle = [(started[i + limit] - done[i]).total_seconds() for i in range(count - limit)]
    # From the API finishing a clip to its card's state being Ready on the server (the page
    # shows it on its next status refresh, at most 2 s later).
    to_ready = [(g.ready_at - g.completed_at).total_seconds() for g in rows]
    return {
        "makespan_s": round((max(done) - first).total_seconds(), 2),
        "to_last_copy_s": round((max(g.ready_at for g in rows) - first).total_seconds(), 2),
        "slot_idle_mean_s": round(statistics.mean(idle), 2),
        "slot_idle_max_s": round(max(idle), 2),
        "slot_idle_each_s": [round(v, 2) for v in idle],
        "to_first_submit_s": round((min(started) - first).total_seconds(), 2),
        "completion_to_ready_median_s": round(statistics.median(to_ready), 2),
        "completion_to_ready_last5_median_s": round(statistics.median(to_ready[-5:]), 2),
        "completion_to_ready_after_ten_median_s": round(statistics.median(to_ready_after_ten), 2),
        "completion_to_ready_after_ten_max_s": round(max(to_ready_after_ten), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["poller", "makespan"])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument(
        "--lengths", default=",".join(map(str, SWEEP)), help="makespan: job lengths (s)"
    )
    parser.add_argument("--hog", action="store_true", help="poller: keep one core busy")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--sim", help=argparse.SUPPRESS)
    parser.add_argument("--job-seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        (name,) = args.scenarios
        if name == "makespan-run":
            result = makespan_child(Path(args.data), args.sim, args.job_seconds)
        elif name == "poller":
            result = scenario_poller(args.jobs, args.hog)
        elif name == "poll-writes":
            result = scenario_poll_writes(args.jobs)
        else:
            result = scenario_makespan(tuple(float(v) for v in args.lengths.split(",")))
        print(json.dumps(result))
        return
    for name in args.scenarios:
        hog = ["--hog"] if args.hog else []
        result = run_child(
            __file__, name, "--child", "--jobs", str(args.jobs), "--lengths", args.lengths, *hog
        )
        print(f"== {result.pop('scenario')}")
        for key, value in result.items():
            if key == "runs":
                for run in value:
                    print("  " + "  ".join(f"{k}={v}" for k, v in run.items()))
            else:
                print(f"  {key:32} {value}")


if __name__ == "__main__":
    main()
