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
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ltxdash.ltx.client import JobStatus, LTXClient  # noqa: E402
from ltxdash.ltx.responses import parse_job_status  # noqa: E402

KEY = "bench-key"
BODY = {
    "prompt": "benchmark job",
    "model": "ltx-2-3-fast",
    "duration": 6,
    "resolution": "1920x1080",
    "fps": 25,
}
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of another process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def start_simulator(state_dir: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, str(REPO / "manage.py"), "simulate_ltx", "--port", str(port),
        "--state-dir", str(state_dir), "--pending", "3600", "--concurrency", "0",
    ]  # fmt: skip
    env = {
        **os.environ,
        "LTXDASH_DATA_DIR": str(state_dir / "data"),
        "LTXDASH_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_sim/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the simulator did not start")
        time.sleep(0.1)


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

    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        port = free_port()
        simulator = start_simulator(Path(tmp), port)
        base_url = f"http://127.0.0.1:{port}"
        try:
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
                    cpu0, sim0 = own_cpu_seconds(), process_cpu_seconds(simulator.pid)
                    started = time.perf_counter()
                    results = client.poll_many(jobs, max_connections=args.connections)
                    wall = time.perf_counter() - started
                    cpu, sim = own_cpu_seconds() - cpu0, process_cpu_seconds(simulator.pid) - sim0
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
                    cpu0 = own_cpu_seconds()
                    started = time.perf_counter()
                    count = asyncio.run(poll_async(base_url, jobs, args.connections))
                    wall = time.perf_counter() - started
                    cpu = own_cpu_seconds() - cpu0
                    print(
                        f"asyncio round {round_number}: {count} polls in {wall:.2f}s = "
                        f"{count / wall:.0f} polls/s; client CPU {cpu:.2f}s"
                    )
        finally:
            simulator.terminate()
            simulator.wait(timeout=10)

    median = statistics.median(rates)
    verdict = "meets" if median >= 200 else "MISSES"
    print(f"poll_many median: {median:.0f} polls/s ({verdict} the 200 polls/s target)")


if __name__ == "__main__":
    main()
