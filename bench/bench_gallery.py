"""Gallery page server time with 10,000 clips for one user.

    .venv/bin/python bench/bench_gallery.py [--clips 10000] [--runs 60]

Builds a throw-away SQLite database in a temp LTXDASH_DATA_DIR (the default deployment), fills it
with bulk_create, then times full requests through Django's test client (middleware, session,
templates included; no network). Prints the median and p90 in milliseconds, and the query count.
Target: median <= 50 ms for the first page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="ltxdash-bench-")
    try:
        run(args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace, data_dir: str) -> None:
    os.environ["LTXDASH_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ltxdash.settings"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"

    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic needed
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ltxdash.gallery.listing import encode_cursor
    from ltxdash.generations.models import Generation
    from tests.factories import bulk_ready_clips

    # Manifest storage needs collectstatic; plain storage serves {% static %} from the tree.
    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    call_command("migrate", verbosity=0)
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
