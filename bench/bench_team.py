"""The team's pages at scale: 20 members, 100,000 clips in their workspace and 10,000 in
another's, against the same team at 1,000 clips in the same run.

    .venv/bin/python bench/bench_team.py [--clips 100000] [--other 10000] [--small 1000]
                                         [--members 20] [--runs 40]

A throw-away SQLite database (the default deployment), filled with bulk_create; full requests
through Django's test client. For the gallery's first page, a "made by" filter (one member) and
the create page it prints the median and p90 server time, the query count, and the ratio of
each median to the same page of the 1,000-clip team. Targets: <= 30 ms, a query count that
does not change with clips or members, ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from _support import page_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=100_000)
    parser.add_argument("--other", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with page_django(prefix="ltxdash-bench-team-"):
        run(args)


def team(name: str, members: int, clips: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from ltxdash.workspaces import current
    from ltxdash.workspaces.models import Membership, Role, Workspace
    from tests.factories import bulk_ready_clips

    workspace = Workspace.objects.create(name=name, slug=name)
    people = []
    for n in range(members):
        user = get_user_model().objects.create_user(f"{name}-{n}", password="bench-pass-123")
        Membership.objects.create(
            workspace=workspace, user=user, role=Role.ADMIN if n == 0 else Role.CREATOR
        )
        current.choose(user, workspace)
        people.append(user)
    # Members take turns: one clip each, round after round (37 s apart), as a team works.
    per, now = clips // members, timezone.now()
    for n, user in enumerate(people):
        bulk_ready_clips(
            user,
            per,
            workspace=workspace,
            start=now - timedelta(seconds=37 * n),
            step=timedelta(seconds=37 * members),
            prompt=lambda i, n=n: f"Take {i} by member {n}: a lighthouse in a storm, wide",
        )
    return people


def measure(client, path: str, params: dict, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        client.get(path, params)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params).status_code == 200
    queries = len(captured.captured_queries)
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        assert client.get(path, params).status_code == 200
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.9) - 1], queries


def run(args: argparse.Namespace) -> None:
    from django.test import Client

    started = time.perf_counter()
    big = team("big", args.members, args.clips)
    team("other", args.members // 4 or 1, args.other)
    small = team("small", args.members, args.small)
    print(
        f"setup: {args.clips} + {args.other} + {args.small} clips, "
        f"{args.members} members a team, in {time.perf_counter() - started:.1f} s"
    )
    cases = {
        "gallery, first page": ("/gallery/", lambda people: {}),
        "gallery, made by one member": ("/gallery/", lambda people: {"made_by": people[7].pk}),
        "create page": ("/", lambda people: {}),
    }
    for name, (path, params) in cases.items():
        figures = {}
        for label, people in (("big", big), ("small", small)):
            client = Client()
            client.force_login(people[3])
            figures[label] = measure(client, path, params(people), args.runs)
        (median, p90, queries), (small_median, _, small_queries) = figures["big"], figures["small"]
        print(
            f"{name:<30} median {median:6.1f} ms   p90 {p90:6.1f} ms   {queries} queries   "
            f"at {args.small} clips: {small_median:5.1f} ms, {small_queries} queries   "
            f"ratio {median / small_median:4.2f}x"
        )


if __name__ == "__main__":
    main()
