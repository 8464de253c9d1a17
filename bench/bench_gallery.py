"""Gallery page server time with 10,000 clips for one user.

    .venv/bin/python bench/bench_gallery.py [--clips 10000] [--runs 60]

Builds a throw-away SQLite database in a temp LTXDASH_DATA_DIR (the default deployment), fills it
with bulk_create, then times full requests through Django's test client (middleware, session,
templates included; no network). Prints the median and p90 in milliseconds, and the query count.
Target: median <= 50 ms for the first page.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _support import page_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()

    with page_django(prefix="ltxdash-bench-"):
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ltxdash.gallery.listing import encode_cursor
    from ltxdash.generations.models import Generation
    from tests.factories import bulk_ready_clips

    user = get_user_model().objects.create_user("bench", password="bench-pass-123")
    endpoints = ("text-to-video", "image-to-video", "extend", "retake")
    started = time.perf_counter()
    bulk_ready_clips(
        user,
        args.clips,
        endpoint=lambda i: endpoints[i % len(endpoints)],
        model=lambda i: "ltx-2-3-fast" if i % 3 else "ltx-2-3-pro",
        favourite=lambda i: i % 17 == 0,
    )
    print(f"setup: {args.clips} clips in {time.perf_counter() - started:.1f} s")

    client = Client()
    client.force_login(user)
    deep = Generation.objects.order_by("-created_at", "-id")[int(args.clips * 0.9)]
    cases = {
        "first page": {},
        "first page, HTMX grid": {"_htmx": True},
        "search + model filter": {"q": "fox 77", "model": "ltx-2-3-pro"},
        "favourites only": {"favourites": "on"},
        "page at 90% depth": {"after": encode_cursor(deep)},
    }
    for name, params in cases.items():
        headers = {"HX-Request": "true"} if params.pop("_htmx", False) else {}
        for _ in range(5):  # warm caches, template loader, connection
            client.get("/gallery/", params, headers=headers)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/gallery/", params, headers=headers).status_code == 200
        queries = len(captured.captured_queries)  # read now: later requests clear the log
        timings = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            response = client.get("/gallery/", params, headers=headers)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        timings.sort()
        p90 = timings[int(len(timings) * 0.9) - 1]
        print(
            f"{name:<24} median {statistics.median(timings):6.1f} ms   p90 {p90:6.1f} ms   "
            f"{queries} queries"
        )


if __name__ == "__main__":
    main()
