"""The load test (`make loadtest`; not part of `make test` or `make bench`).

    .venv/bin/python bench/loadtest.py [--members 50] [--jobs 1000] [--minutes 4] [--interval 5]
                                       [--s3] [--locust-nice 10]

A deployment on this machine as the README's scale-out recipe runs it (tests/e2e/deployment.py):
two gunicorn web processes (2 workers x 4 threads each), two `qcluster` processes, PostgreSQL
and Redis (DATABASE_URL / REDIS_URL, default the local ones; the test makes its own database
`ltxdash_load` and uses Redis db 7), and the simulator in a process of its own. Then:

1. 40 short clips are made and copied, for the members to open and seek in;
2. ``--jobs`` clips are queued and sent, each a job of ``--minutes`` x 60 + 47.3 s at the
   simulator (off the poll grid), so they are all in flight while the members work;
3. locust (headless, loopback only, at nice ``--locust-nice``, 10: it stands for the members'
   browsers, which are other machines in a real deployment) runs ``--members`` members for
   ``--minutes``: they log in, browse the gallery, open clips, seek in videos, refresh status
   and generate;
4. every clip is waited for until it is ready.

Prints p50/p95/p99 latency per page type, the error count, the share of jobs whose every poll
came within 1.2 x the interval of the one before (the simulator records each job's longest
wait; a poll the scheduler aims later on purpose, just after a clip's predicted end, counts as
late here), whether every clip is ready with one upstream job, and the peak RSS of each process.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from _support import REPO

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from tests.e2e.clusters import wait_for
from tests.e2e.deployment import deployment

SHORT = {"pending_seconds": 1.3, "processing_seconds": 2.9}
# locust's niceness (--locust-nice): 0 puts the browsers' load on equal terms with the deployment.
LOCUST_NICE = 10


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def group_pids(leader: int) -> list[int]:
    found = subprocess.run(["pgrep", "-g", str(leader)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


class PeakRss(threading.Thread):
    """Samples every process of the deployment once a second: the peak RSS of each, and the CPU
    time each used while sampled (with the machine's, for the share the deployment had)."""

    def __init__(self, roles: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.roles, self.peaks = roles, defaultdict(int)
        self.cpu_first: dict[str, float] = {}
        self.cpu_last: dict[str, float] = {}
        self.machine_first = self.machine_last = machine_busy()
        self.stop = threading.Event()

    def run(self) -> None:
        self.machine_first = machine_busy()
        while not self.stop.wait(1.0):
            for role, leader in self.roles.items():
                for pid in group_pids(leader) or [leader]:
                    key = f"{role} (pid {pid})" if pid != leader else f"{role} (main)"
                    self.peaks[key] = max(self.peaks[key], rss_kib(pid))
                    used = cpu_seconds(pid)
                    if used:
                        self.cpu_first.setdefault(key, used)
                        self.cpu_last[key] = used
            self.machine_last = machine_busy()

    def cpu_used(self) -> dict[str, float]:
        return {key: self.cpu_last[key] - self.cpu_first[key] for key in self.cpu_last}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--s3", action="store_true", help="media on a local S3 server (moto)")
    parser.add_argument(
        "--locust-nice", type=int, default=LOCUST_NICE, help="locust's niceness (0: equal terms)"
    )
    args = parser.parse_args()
    long_job = args.minutes * 60 + 47.3
    # Every background job in flight at once (LTX_MAX_CONCURRENCY allows up to 1,000); the
    # members' own clips wait for slots as a team's would behind a big batch.
    limit = min(args.jobs, 1000)
    with tempfile.TemporaryDirectory(prefix="ltxdash-load-") as tmp:
        tmp_path = Path(tmp)
        started = time.monotonic()
        with deployment(
            tmp_path,
            database="ltxdash_load",
            redis_db=7,
            s3=args.s3,
            concurrency=limit + args.members * 20,
            environment={
                "DJANGO_SETTINGS_MODULE": "loadtest.settings",
                "LTX_MAX_CONCURRENCY": str(limit),
                "LTXDASH_MAX_ACTIVE_PER_USER": str(limit),
                "LTX_POLL_INTERVAL": str(args.interval),
                "LTXDASH_WORKERS": "4",
            },
            **SHORT,
        ) as running:
            running.team("members", args.members)
            running.team("background", 40)
            ready = wait_for(lambda: _ready(running), timeout=300, every=1.0)
            clips = [
                [g["id"], *g["outputs"]["video_url"][:2]]
                for g in ready["generations"]
                if g["state"] == "ready"
            ]
            clips_file = tmp_path / "clips.json"
            clips_file.write_text(json.dumps(clips))

            running.sim.configure(pending_seconds=0.3 * long_job, processing_seconds=0.7 * long_job)
            running.team("background", args.jobs)
            wait_for(lambda: running.sim.stats()["in_flight"] >= args.jobs, timeout=300, every=1.0)
            setup_seconds = time.monotonic() - started

            roles = {f"web {w.name}": w.process.pid for w in running.webs if w.process}
            roles |= {f"cluster {c.name}": c.process.pid for c in running.clusters if c.process}
            if running.sim.process:
                roles["simulator"] = running.sim.process.pid
            sampler = PeakRss(roles)
            sampler.start()
            stats_prefix = tmp_path / "locust"
            hosts = " ".join(w.url for w in running.webs)
            locust = subprocess.run(
                [
                    str(Path(sys.executable).with_name("locust")),
                    "-f",
                    str(REPO / "loadtest" / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.members),
                    "--spawn-rate",
                    "10",
                    "--run-time",
                    f"{int(args.minutes * 60)}s",
                    "--host",
                    running.webs[0].url,
                    "--csv",
                    str(stats_prefix),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                env={**os.environ, "LOADTEST_HOSTS": hosts, "LOADTEST_CLIPS": str(clips_file)},
                # The members' browsers run on machines of their own in a real deployment; here
                # they share its two cores, so locust takes only what the deployment leaves.
                preexec_fn=lambda: os.nice(args.locust_nice),
                capture_output=True,
                text=True,
                timeout=args.minutes * 60 + 120,
            )
            in_flight_at_end = running.sim.stats()["in_flight"]
            final = wait_for(lambda: _all_done(running), timeout=long_job + 600, every=2.0)
            sampler.stop.set()
            jobs = running.sim.jobs()
            wall = time.monotonic() - started
        pages = _locust_figures(stats_prefix)
        failed = Path(f"{stats_prefix}_failures.csv")  # read before the folder goes
        failures = failed.read_text() if failed.exists() else ""
    generations = final["generations"]
    remote_ids = [g["remote_id"] for g in generations]
    on_time = [j for j in jobs if j["poll_gap_max"] <= 1.2 * args.interval]
    print(
        f"== load test: {args.members} members for {args.minutes:g} min, {args.jobs} jobs in flight"
    )
    print(f"  setup {setup_seconds:.0f} s, whole run {wall:.0f} s; locust exit {locust.returncode}")
    print(f"  {'page':22} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for name, row in pages.items():
        print(
            f"  {name:22} {row['requests']:>8} {row['errors']:>6} {row['p50']:>7} "
            f"{row['p95']:>7} {row['p99']:>7}"
        )
    print(f"  errors: {sum(r['errors'] for n, r in pages.items() if n != 'Aggregated')}")
    if failures.strip():
        print("  failures (locust's own table):\n" + failures)
    print(f"  jobs in flight at the simulator when the members stopped: {in_flight_at_end}")
    print(
        f"  jobs polled within 1.2 x {args.interval:g} s: {100 * len(on_time) / len(jobs):.1f} % "
        f"({len(on_time)} of {len(jobs)}; longest wait {max(j['poll_gap_max'] for j in jobs):.2f} s)"
    )
    print(
        f"  clips: {len(generations)}, ready {sum(g['state'] == 'ready' for g in generations)}; "
        f"upstream jobs {len(jobs)}, one per clip: {sorted(remote_ids) == sorted(j['id'] for j in jobs)}"
    )
    print("  peak RSS (MiB), and CPU seconds used from the members' start to the last clip:")
    used = sampler.cpu_used()
    for key, kib in sorted(sampler.peaks.items()):
        print(f"    {key:28} {kib / 1024:7.1f} MiB {used.get(key, 0.0):8.1f} CPU-s")
    busy = sampler.machine_last[0] - sampler.machine_first[0]
    total = sampler.machine_last[1] - sampler.machine_first[1]
    print(
        f"    the machine: {busy:.0f} of {total:.0f} CPU-s busy ({100 * busy / max(total, 1):.0f} %),"
        f" the processes above {sum(used.values()):.0f} (the rest: PostgreSQL, Redis, the S3"
        " server, locust)"
    )
    if locust.returncode not in (0, 1):
        print(locust.stdout[-3000:], locust.stderr[-3000:])
    ok = (
        len(jobs) == len(generations) == len(set(remote_ids))
        and all(g["state"] == "ready" for g in generations)
        and locust.returncode in (0, 1)
    )
    sys.exit(0 if ok else 1)


def _ready(running) -> dict | None:
    snap = running.team("snapshot")
    states = [g["state"] for g in snap["generations"]]
    return snap if states and all(s == "ready" for s in states) else None


def _all_done(running) -> dict | None:
    snap = running.team("snapshot")
    working = {"queued", "submitting", "pending", "processing", "rehosting"}
    return snap if all(g["state"] not in working for g in snap["generations"]) else None


def _locust_figures(prefix: Path) -> dict[str, dict]:
    rows = {}
    with open(f"{prefix}_stats.csv") as stats:
        for row in csv.DictReader(stats):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "p50": row["50%"],
                "p95": row["95%"],
                "p99": row["99%"],
            }
    return rows


if __name__ == "__main__":
    main()
