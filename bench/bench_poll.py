"""Benchmark: polling 1,000 distinct jobs with LTXClient.poll_many over loopback.

Starts the simulator as a separate process (``manage.py simulate_ltx``), submits 1,000 jobs that
stay pending, then times rounds of ``poll_many`` over all of them. Prints polls per second, the
client's CPU seconds and the simulator's. Target: at least 200 polls/s.

    .venv/bin/python bench/bench_poll.py [--jobs 1000] [--rounds 3] [--connections 16]
                                         [--compare-async]

``--compare-async`` also times the same polls made with ``httpx.AsyncClient`` under a semaphore,
the alternative to poll_many's threads, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from _support import cpu_seconds, process_cpu_seconds, run_simulator_process

from ltxdash.ltx.client import JobStatus, LTXClient
from ltxdash.ltx.responses import parse_job_status

KEY = "bench-key"
BODY = {
    "prompt": "benchmark job",
    "model": "ltx-2-3-fast",
    "duration": 6,
    "resolution": "1920x1080",
    "fps": 25,
}


async def poll_async(base_url: str, jobs: list[tuple[str, str]], connections: int) -> int:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    semaphore = asyncio.Semaphore(connections)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=base_url, limits=limits, headers=headers) as client:

        async def one(endpoint: str, job_id: str) -> JobStatus:
            async with semaphore:
                response = await client.get(f"/v2/{endpoint}/{job_id}")
            return parse_job_status(response, job_id)

        results = await asyncio.gather(*(one(e, j) for e, j in jobs))
    return len(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--compare-async", action="store_true")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp,
        run_simulator_process(Path(tmp), pending_seconds=3600, concurrency=0) as simulator,
    ):
        base_url, server_pid = simulator.url, simulator.process.pid
        with LTXClient(KEY, base_url) as client:
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                submitted = list(
                    pool.map(lambda _: client.submit("text-to-video", BODY), range(args.jobs))
                )
            jobs = [("text-to-video", job.id) for job in submitted]
            print(f"submitted {len(jobs)} jobs in {time.perf_counter() - started:.1f}s")

            rates = []
            for round_number in range(1, args.rounds + 1):
                cpu0, sim0 = cpu_seconds(), process_cpu_seconds(server_pid)
                started = time.perf_counter()
                results = client.poll_many(jobs, max_connections=args.connections)
                wall = time.perf_counter() - started
                cpu, sim = cpu_seconds() - cpu0, process_cpu_seconds(server_pid) - sim0
                failures = [r for r in results.values() if not isinstance(r, JobStatus)]
                if len(results) != len(jobs) or failures:
                    raise SystemExit(f"round {round_number}: {len(failures)} polls failed")
                rates.append(len(jobs) / wall)
                print(
                    f"poll_many round {round_number}: {len(jobs)} polls in {wall:.2f}s = "
                    f"{rates[-1]:.0f} polls/s; client CPU {cpu:.2f}s "
                    f"({cpu / len(jobs) * 1000:.2f} ms/poll), simulator CPU {sim:.2f}s"
                )

        if args.compare_async:
            for round_number in range(1, args.rounds + 1):
                cpu0 = cpu_seconds()
                started = time.perf_counter()
                count = asyncio.run(poll_async(base_url, jobs, args.connections))
                wall = time.perf_counter() - started
                cpu = cpu_seconds() - cpu0
                print(
                    f"asyncio round {round_number}: {count} polls in {wall:.2f}s = "
                    f"{count / wall:.0f} polls/s; client CPU {cpu:.2f}s"
                )

    median = statistics.median(rates)
    verdict = "meets" if median >= 200 else "MISSES"
    print(f"poll_many median: {median:.0f} polls/s ({verdict} the 200 polls/s target)")


if __name__ == "__main__":
    main()
