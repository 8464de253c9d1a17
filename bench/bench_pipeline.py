"""Benchmarks of the generation pipeline against the simulator (a separate process).

    .venv/bin/python bench/bench_pipeline.py [poller] [makespan] [--jobs 1000]

poller    1,000 generations in flight, no concurrency limit, LTX_POLL_INTERVAL=5, jobs of 30 s
          (10 s pending + 20 s processing). Submitted through the real dispatcher (claims, then
          submit_generation on 16 threads), then polled by the real loop (run_loop) in this
          process until every job has finished. Prints the share of jobs whose every poll came
          within 1.2 x the interval of the previous one (or of the submit), status calls per job
          against the minimum ceil(job time / interval) + 1, and the loop's CPU seconds per
          minute (this process: the loop and its poll threads; the simulator is elsewhere).
makespan  10 generations of equal length (2 s pending + 8 s processing) under
          LTX_MAX_CONCURRENCY=2 (the simulator also allows 2), run by a real `manage.py
          qcluster`. Prints the makespan from the first Generate to the API finishing the last
          job, against the ideal 5 x job time, and to the last copy being stored.

Each scenario runs in a child process with its own data directory (SQLite, ORM broker).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
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
from _support import REPO, run_child, run_simulator_process, setup_django

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


def scenario_poller(jobs: int) -> dict:
    interval, pending, processing = 5.0, 10.0, 20.0
    with (
        tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp,
        run_simulator_process(
            Path(tmp) / "sim",
            pending_seconds=pending,
            processing_seconds=processing,
            concurrency=0,
        ) as sim,
    ):
        setup_django(
            Path(tmp) / "data",
            sim_url=sim.url,
            LTX_POLL_INTERVAL=str(interval),
            LTX_MAX_CONCURRENCY=str(jobs),
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

        def submit(claim: tuple[int, int]) -> str:
            try:
                return dispatch.submit_generation(*claim)
            finally:
                connections.close_all()

        transport = RecordingTransport()
        client = poll_client(transport)
        stop = threading.Event()
        outcome: list[str] = []

        def run() -> None:
            outcome.append(loop.run_loop("bench", stop=stop, budget=600, client=client))
            connections.close_all()

        looping = threading.Thread(target=run)
        looping.start()  # polling runs while clips are being submitted, as in production
        started = time.time()
        with ThreadPoolExecutor(16) as pool:
            outcomes = list(pool.map(submit, claims))
        submit_seconds = time.time() - started
        assert outcomes.count("submitted") == jobs, outcomes[:5]

        # Steady state: every job submitted, the loop alone at work in this process.
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        wall0 = time.time()
        while Generation.objects.filter(state__in=[State.PENDING, State.PROCESSING]).exists():
            time.sleep(1.0)
        wall = time.time() - wall0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        stop.set()
        looping.join()
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        sim_jobs = {job["id"]: job for job in sim.jobs()}

    within, gaps, between, calls, minimum = 0, [], [], 0, 0
    for job_id, job in sim_jobs.items():
        sent = sorted(transport.sent[job_id])
        created, done = epoch(job["created_at"]), epoch(job["completed_at"])
        job_gaps = [b - a for a, b in zip([created, *sent], sent, strict=False)]
        gaps += job_gaps
        between += job_gaps[1:]  # poll to poll (the first gap counts from the API's created_at)
        within += max(job_gaps) <= 1.2 * interval
        calls += len(sent)
        minimum += math.ceil((done - created) / interval) + 1
    gaps.sort()
    return {
        "scenario": "poller",
        "jobs": len(sim_jobs),
        "interval_s": interval,
        "job_seconds": pending + processing,
        "submit_seconds": round(submit_seconds, 1),
        "polled_within_1.2x_interval": f"{100 * within / len(sim_jobs):.1f}%",
        "poll_to_poll_min_s": round(min(between), 3),
        "gap_p50_s": round(statistics.median(gaps), 2),
        "gap_p99_s": round(gaps[int(0.99 * (len(gaps) - 1))], 2),
        "gap_max_s": round(gaps[-1], 2),
        "status_calls": calls,
        "minimum_calls": minimum,
        "calls_vs_minimum": round(calls / minimum, 3),
        "loop_outcome": outcome[0],
        "steady_state_wall_s": round(wall, 1),
        "steady_state_cpu_s": round(cpu, 1),
        "cpu_s_per_minute": round(60 * cpu / wall, 2),
    }


def scenario_makespan() -> dict:
    count, limit, pending, processing, interval = 10, 2, 2.0, 8.0, 5.0
    with (
        tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp,
        run_simulator_process(
            Path(tmp) / "sim",
            pending_seconds=pending,
            processing_seconds=processing,
            concurrency=limit,
        ) as sim,
    ):
        env = {"LTX_POLL_INTERVAL": str(interval), "LTX_MAX_CONCURRENCY": str(limit)}
        setup_django(Path(tmp) / "data", sim_url=sim.url, **env)
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
            created = pipeline.create_generations(
                owner=owner,
                endpoint="text-to-video",
                params={**T2V, "prompt": "benchmark"},
                inputs={},
                count=count,
            )
            first = min(g.created_at for g in created)
            deadline = time.time() + 300
            while Generation.objects.exclude(state=State.READY).exists():
                assert time.time() < deadline, "not all ready after 300 s"
                time.sleep(0.2)
        finally:
            os.killpg(cluster.pid, 9)  # measured already; no need to wait for a clean stop
            cluster.wait()
        rows = list(Generation.objects.all())
        submits = sim.stats()["submits"]
    ideal = 5 * (pending + processing)
    # How long a freed slot stayed empty: from a job finishing at the API to the next job the
    # API created (both on the API's clock), detection and submit latency together.
    done = sorted(g.completed_at for g in rows)
    started = sorted(g.remote_created_at for g in rows)
    idle = [(started[i + limit] - done[i]).total_seconds() for i in range(count - limit)]
    upstream = (max(g.completed_at for g in rows) - first).total_seconds()
    stored = (max(g.ready_at for g in rows) - first).total_seconds()
    return {
        "scenario": "makespan",
        "generations": count,
        "limit": limit,
        "interval_s": interval,
        "job_seconds": pending + processing,
        "submits": submits,
        "first_submit_after_s": round((started[0] - first).total_seconds(), 2),
        "api_job_time_mean_s": round(
            statistics.mean((g.completed_at - g.remote_created_at).total_seconds() for g in rows), 2
        ),
        "slot_idle_mean_s": round(statistics.mean(idle), 2),
        "slot_idle_max_s": round(max(idle), 2),
        "ideal_s": ideal,
        "makespan_to_last_completion_s": round(upstream, 2),
        "ratio": round(upstream / ideal, 3),
        "makespan_to_last_copy_s": round(stored, 2),
        "ratio_to_last_copy": round(stored / ideal, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["poller", "makespan"])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        (name,) = args.scenarios
        result = scenario_poller(args.jobs) if name == "poller" else scenario_makespan()
        print(json.dumps(result))
        return
    for name in args.scenarios:
        result = run_child(__file__, name, "--child", "--jobs", str(args.jobs))
        print(f"== {result.pop('scenario')}")
        for key, value in result.items():
            print(f"  {key:32} {value}")


if __name__ == "__main__":
    main()
