"""Create page and status refresh server times with 10,000 clips for one user.

    .venv/bin/python bench/bench_pages.py [--clips 10000] [--runs 100]

Builds a throw-away SQLite database in a temp LTXDASH_DATA_DIR (the default deployment), fills
it with bulk_create (ready clips with a video each, plus a few in flight), then times requests
through Django's test client (middleware, session, templates; no network). Prints the median
and p90 in milliseconds and the SQL queries per request.
Targets: create page median <= 50 ms; unchanged status refresh median <= 10 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from _support import page_django

TARGETS_MS = {"create page": 50.0, "status refresh, unchanged": 10.0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()

    with page_django(prefix="ltxdash-bench-pages-"):
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from ltxdash.generations.models import Generation, State
    from tests.factories import bulk_ready_clips, workspace_of

    user = get_user_model().objects.create_user("bench", password="bench-pass-123")
    now = timezone.now()
    started = time.perf_counter()
    bulk_ready_clips(user, args.clips, start=now - timedelta(minutes=10))
    in_flight = [
        Generation.objects.create(
            owner=user,
            workspace=workspace_of(user),
            endpoint="text-to-video",
            model="ltx-2-3-fast",
            prompt=f"In flight {n}",
            params={"duration": 6, "resolution": "1920x1080", "fps": 24},
            state=state,
            submitted_at=now if state != State.QUEUED else None,
        )
        for n, state in enumerate((State.QUEUED, State.QUEUED, State.PROCESSING, State.PENDING))
    ]
    print(f"{args.clips:,} clips for one user in {time.perf_counter() - started:.1f} s")

    client = Client()
    client.force_login(user)
    page = client.get("/").content.decode()
    stamps = re.findall(r'class="card-stamp" name="c" value="([^"]+)"', page)
    latest = Generation.objects.filter(owner=user, state=State.READY).first()
    htmx = {"HX-Request": "true"}
    processing = in_flight[2]

    def changed_refresh():
        # One card moves on each run, so every run returns exactly one changed card.
        processing.touch(poll_count=processing.poll_count + 1)
        return client.get("/generations/refresh", {"c": stamps}, headers=htmx)

    cases: list[tuple[str, Callable, int]] = [
        ("create page", lambda: client.get("/"), 200),
        ("create page, extend (clip picker)", lambda: client.get("/?mode=extend"), 200),
        (
            "settings fragment (model change)",
            lambda: client.get(
                "/?mode=text-to-video&model=ltx-2-5-pro&count=2",
                headers={**htmx, "HX-Target": "settings"},
            ),
            200,
        ),
        (
            "?source= prefill",
            lambda: client.get(f"/?source={latest.pk}"),
            200,
        ),
        (
            "status refresh, unchanged",
            lambda: client.get("/generations/refresh", {"c": stamps}, headers=htmx),
            204,
        ),
        ("status refresh, one card changed", changed_refresh, 200),
    ]
    print(f"{'request':38} {'median':>8} {'p90':>8} {'queries':>8}  target")
    for name, call, status in cases:
        for _ in range(5):  # warm caches (templates, the time-left estimate, SQLite pages)
            call()
        timings = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            response = call()
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == status, (name, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            call()
        median = statistics.median(timings)
        p90 = statistics.quantiles(timings, n=10)[-1]
        target = TARGETS_MS.get(name)
        verdict = (
            "" if target is None else f"<= {target:g} ms {'ok' if median <= target else 'MISSED'}"
        )
        print(f"{name:38} {median:7.1f}ms {p90:7.1f}ms {len(queries):8}  {verdict}")


if __name__ == "__main__":
    main()
