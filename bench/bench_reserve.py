"""Budget reservations under a crowd: 200 submits at once against one workspace's budget on
PostgreSQL, and the spend they leave.

    .venv/bin/python bench/bench_reserve.py [--submits 200] [--connections 80] [--fits 73]
        [--database postgres://postgres@127.0.0.1:5432/ltx_bench_reserve]

A fresh database (dropped and made again). Twelve creators of one workspace share a monthly
budget that fits ``--fits`` clips and a few cents more (never a whole number of clips); each
submit is one 7-second LTX-2.3 Fast clip ($0.42), made through ``create_generations``, the path
the create page takes. ``--connections`` threads (PostgreSQL allows 100 connections here) start
together at a barrier and share the submits. It prints how many were queued and refused, the
committed total against the budget (no overspend: queued == fits), the wall time, and the
submits per second with the median and p99 time of one submit.
"""

from __future__ import annotations

import argparse
import queue as queues
import statistics
import threading
import time
from decimal import Decimal
from urllib.parse import urlparse

from _support import page_django

CLIP = {
    "prompt": "a harbour at dusk",
    "model": "ltx-2-3-fast",
    "duration": 7,
    "resolution": "1920x1080",
    "fps": 24,
}


def fresh_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument("--connections", type=int, default=80)
    parser.add_argument("--fits", type=int, default=73)
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/ltx_bench_reserve"
    )
    args = parser.parse_args()
    fresh_database(args.database)
    with page_django(prefix="ltxdash-bench-reserve-", database_url=args.database):
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connections

    from ltxdash.generations import pipeline
    from ltxdash.generations.pipeline import actions
    from ltxdash.spend import budgets, ledger
    from ltxdash.spend.models import Budget
    from ltxdash.workspaces.models import Membership, Role, Workspace

    actions.nudge_dispatcher = lambda: None  # the race is the reservation, not the broker
    workspace = Workspace.objects.create(name="Crowd", slug="crowd", time_zone="Asia/Kolkata")
    each = ledger.price("text-to-video", CLIP).amount
    limit = each * args.fits + Decimal("0.17")
    Budget.objects.create(workspace=workspace, monthly_limit=limit)
    users = []
    for i in range(12):
        user = get_user_model().objects.create_user(f"creator{i}", password="bench-pass-123")
        Membership.objects.create(workspace=workspace, user=user, role=Role.CREATOR)
        users.append(user)
    connections.close_all()

    work: queues.SimpleQueue[int] = queues.SimpleQueue()
    for i in range(args.submits):
        work.put(i)
    barrier = threading.Barrier(args.connections + 1)
    outcomes: list[str] = []
    seconds: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            while True:
                try:
                    i = work.get_nowait()
                except queues.Empty:
                    return
                started = time.perf_counter()
                try:
                    pipeline.create_generations(
                        owner=users[i % len(users)],
                        workspace=workspace,
                        endpoint="text-to-video",
                        params=dict(CLIP),
                        inputs={},
                    )
                    outcome = "queued"
                except pipeline.PipelineError:
                    outcome = "refused"
                with lock:
                    outcomes.append(outcome)
                    seconds.append(time.perf_counter() - started)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began

    committed = budgets.committed(workspace.pk, budgets.month_of(workspace))
    queued = outcomes.count("queued")
    ms = sorted(s * 1000 for s in seconds)
    print(
        f"submits            {len(outcomes)} from {args.connections} connections, {len(users)} members"
    )
    print(f"budget             {limit} (fits {args.fits} clips of {each})")
    print(f"queued / refused   {queued} / {outcomes.count('refused')}")
    print(
        f"committed          {committed}  overspend: {'NONE' if committed <= limit else committed - limit}"
    )
    print(f"exactly the fit    {'yes' if queued == args.fits else 'NO'}")
    print(f"wall time          {wall:.2f} s  ({len(outcomes) / wall:.0f} submits/s)")
    print(
        f"one submit         median {statistics.median(ms):.1f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
