"""Gallery search server time with 100,000 clips for one user: full-text search against the
substring search it replaced, and what the index costs on writes.

    .venv/bin/python bench/bench_search.py [--clips 100000] [--runs 30]
    .venv/bin/python bench/bench_search.py --postgres postgres://postgres@127.0.0.1:5432

Builds a throw-away database (SQLite in a temp LTXDASH_DATA_DIR, the default deployment; with
``--postgres``, a new database on that server, dropped afterwards), fills it with bulk_create
(prompts made of varied words, a tenth of the clips named), then times full gallery requests
through Django's test client for a common word, a rare word, prefixes, two words and a word no
clip has, each with today's search (gallery/search.py) and with the old one (each word
``prompt__icontains``, swapped in), in turns. Prints median and p90 in milliseconds;
then the first page without a search, the time to index the existing rows (what the migration
does on an existing database), the index size, and the cost of writing 1,000 clips with the
index and without it.
Target: every search no slower than the old one; the first page and writes about as before.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from _support import page_django

SUBJECTS = [
    "a red fox",
    "a grey wolf",
    "an old fisherman",
    "a young dancer",
    "two children",
    "a black cat",
    "a white horse",
    "a cyclist",
    "a street vendor",
    "an astronaut",
    "a golden retriever",
    "a pair of swans",
    "a lone surfer",
    "a jazz trio",
    "a chef",
    "a hot air balloon",
    "a vintage car",
    "a paper boat",
    "a steam train",
    "a hummingbird",
    "a knight in armour",
    "a robot",
    "a ballerina",
    "a skateboarder",
    "a polar bear",
]
ACTIONS = [
    "running",
    "walking slowly",
    "dancing",
    "jumps",
    "drifts",
    "flies",
    "waits",
    "sleeps",
    "turns towards the camera",
    "races",
    "climbs",
    "swims",
    "glides",
    "wanders",
    "plays",
]
PLACES = [
    "through fresh snow",
    "across a misty valley",
    "along a neon street",
    "on a quiet beach",
    "in a crowded market",
    "over rolling hills",
    "beside a frozen lake",
    "inside a greenhouse",
    "under a stone bridge",
    "through a bamboo forest",
    "on a rooftop garden",
    "in the desert",
    "around a busy harbour",
    "through falling leaves",
    "past a waterfall",
    "in a cathedral",
]
TIMES = ["at sunset", "at dawn", "at night", "in the rain"]  # "sunset" is in a quarter
STYLES = [
    "cinematic",
    "handheld",
    "slow motion",
    "aerial shot",
    "close-up",
    "wide angle",
    "35mm film",
    "soft light",
    "high contrast",
    "pastel colours",
    "long take",
    "tracking shot",
]
TITLES = ["Harbour study", "Take", "Draft", "Final cut", "Morning series"]

CASES: dict[str, dict[str, str]] = {
    "common word": {"q": "sunset"},  # 1 clip in 4
    "rare word": {"q": "lighthouse"},  # 1 clip in 1,000
    "prefix, rare": {"q": "lightho"},
    "prefix, short": {"q": "wa"},  # walking, waits, wanders, waterfall, ...
    "two words": {"q": "red fox"},
    "stem": {"q": "dancers"},
    "no match": {"q": "zebra"},
    "fox 77 + model": {"q": "fox 77", "model": "ltx-2-3-pro"},
}


def prompt(rng: random.Random, i: int) -> str:
    place = "beside an old lighthouse" if i % 1000 == 0 else rng.choice(PLACES)
    return (
        f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(ACTIONS)} {place} "
        f"{rng.choice(TIMES)}, {rng.choice(STYLES)}, number {i}"
    )


def old_matching(clips: Any, text: str) -> Any:
    """The search before full-text search: each word a case-insensitive substring of the prompt."""
    for word in text.split()[:8]:
        clips = clips.filter(prompt__icontains=word)
    return clips


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("BENCH_POSTGRES_URL"),
        help="a PostgreSQL server (postgres://user@host:port) to make the throw-away database on",
    )
    args = parser.parse_args()

    if not args.postgres:
        with page_django(prefix="ltxdash-bench-search-"):
            run(args)
        return
    import psycopg

    server = args.postgres.rstrip("/")
    name = f"ltxdash_bench_search_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with page_django(prefix="ltxdash-bench-search-", database_url=f"{server}/{name}"):
            try:
                run(args)
            finally:
                from django.db import connections

                connections.close_all()
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _figures(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[max(int(len(timings) * 0.9) - 1, 0)]


def _time_both(
    new: Callable[[], Any], old: Callable[[], Any], runs: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median and p90 ms of ``new`` and of ``old``, run in turns so that both see the same load
    (the machine may be busy with other work)."""
    for _ in range(3):  # warm caches, template loader, connection
        new()
        old()
    spent: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, timings in zip((new, old), spent, strict=True):
            t0 = time.perf_counter()
            fn()
            timings.append((time.perf_counter() - t0) * 1000)
    return _figures(spent[0]), _figures(spent[1])


def run(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from ltxdash import access
    from ltxdash.gallery import search
    from ltxdash.gallery.forms import GalleryFilterForm
    from ltxdash.gallery.listing import page_of
    from tests.factories import bulk_ready_clips

    vendor = connection.vendor
    version = connection.Database.sqlite_version if vendor == "sqlite" else connection.pg_version
    print(f"database: {vendor} {version}")
    user = get_user_model().objects.create_user("bench", password="bench-pass-123")
    rng = random.Random(16)
    prompts = [prompt(rng, i) for i in range(args.clips)]
    endpoints = ("text-to-video", "image-to-video", "extend", "retake")
    started = time.perf_counter()
    bulk_ready_clips(
        user,
        args.clips,
        endpoint=lambda i: endpoints[i % len(endpoints)],
        model=lambda i: "ltx-2-3-fast" if i % 3 else "ltx-2-3-pro",
        favourite=lambda i: i % 17 == 0,
        prompt=lambda i: prompts[i],
        title=lambda i: f"{TITLES[i % len(TITLES)]} {i // 10}" if i % 10 == 0 else "",
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"setup: {args.clips} clips in {time.perf_counter() - started:.1f} s")

    client = Client()
    client.force_login(user)
    mine = access.generations(user)
    new_matching = search.matching

    def old_way(fn: Callable[[], Any]) -> Callable[[], Any]:
        def call() -> Any:
            search.matching = old_matching  # the form calls search.matching
            try:
                return fn()
            finally:
                search.matching = new_matching

        return call

    def request(params: dict[str, str]) -> Callable[[], Any]:
        def get() -> Any:
            response = client.get("/gallery/", params)
            assert response.status_code == 200
            return response

        return get

    def listing(params: dict[str, str]) -> Callable[[], Any]:
        return lambda: page_of(GalleryFilterForm(params).filter(mine), None)

    def found(params: dict[str, str]) -> int:
        return GalleryFilterForm(params).filter(mine).count()

    print(
        "\nmedian / p90 ms. request: the whole gallery request (middleware, queries, template);"
        "\nlisting: the queries alone (the form's filter and page_of, no template)."
    )
    print(
        f"{'':<16} {'matches':>15}   {'request':>31}   {'listing':>27}\n"
        f"{'search':<16} {'new':>7} {'old':>7}   {'full-text':>15} {'old icontains':>15}   "
        f"{'full-text':>13} {'old icontains':>13}"
    )
    for name, params in CASES.items():
        counts = found(params), old_way(lambda params=params: found(params))()
        request_ms = _time_both(request(params), old_way(request(params)), args.runs)
        listing_ms = _time_both(listing(params), old_way(listing(params)), args.runs)
        print(
            f"{name:<16} {counts[0]:>7} {counts[1]:>7}   "
            + " ".join(f"{m:6.1f} / {p:6.1f}" for m, p in request_ms)
            + "   "
            + " ".join(f"{m:5.1f} / {p:5.1f}" for m, p in listing_ms)
        )
    first_request, first_listing = _time_both(request({}), listing({}), args.runs)
    print(
        f"{'first page':<16} {'':>15}   {first_request[0]:6.1f} / {first_request[1]:6.1f} "
        f"{'':>15}   {first_listing[0]:5.1f} / {first_listing[1]:5.1f}"
    )

    print()
    index_cost(vendor)
    write_cost(user, vendor, bulk_ready_clips)


def index_cost(vendor: str) -> None:
    """How long indexing the rows already there takes (what the migration does on an existing
    database), and how much room the index takes."""
    import importlib

    from django.db import connection

    migration = importlib.import_module("ltxdash.gallery.migrations.0004_search")
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            started = time.perf_counter()
            for table in migration.SQLITE_TABLES:
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
            seconds = time.perf_counter() - started
            cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'gallery_search_%'")
            size = cursor.fetchone()[0]
            cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = 'generations_generation'")
        else:
            cursor.execute("DROP INDEX gen_search")
            cursor.execute("ALTER TABLE generations_generation DROP COLUMN search_vector")
            cursor.execute("VACUUM FULL generations_generation")
            started = time.perf_counter()
            for sql in migration.PG_FORWARDS[-2:]:  # the column, then its index
                cursor.execute(sql)
            seconds = time.perf_counter() - started
            cursor.execute(
                "SELECT pg_relation_size('gen_search') + "
                "(SELECT SUM(pg_column_size(search_vector)) FROM generations_generation)"
            )
            size = cursor.fetchone()[0]
            cursor.execute("SELECT pg_table_size('generations_generation')")
        table_size = cursor.fetchone()[0]
    print(
        f"indexing the existing rows: {seconds:.1f} s; index {size / 2**20:.1f} MiB "
        f"(the clips table {table_size / 2**20:.1f} MiB)"
    )


def write_cost(user: Any, vendor: str, bulk_ready_clips: Callable[..., list[int]]) -> None:
    """Writing 1,000 clips with the index kept up to date and with no index to keep, in turns,
    three times each: on SQLite the triggers dropped and created again, on PostgreSQL the
    generated column and its index."""
    import importlib

    from django.db import connection

    from ltxdash.generations.models import Generation
    from tests.factories import workspace_of

    workspace = workspace_of(user)
    migration = importlib.import_module("ltxdash.gallery.migrations.0004_search")
    triggers = [sql for sql in migration._sqlite_forwards() if sql.startswith("CREATE TRIGGER")]

    def measure() -> tuple[float, float, float]:
        rng = random.Random(77)
        t0 = time.perf_counter()
        ids = bulk_ready_clips(user, 1000, prompt=lambda i: prompt(rng, i + 1))
        bulk = time.perf_counter() - t0
        t0 = time.perf_counter()
        singles = [
            Generation.objects.create(
                owner=user,
                workspace=workspace,
                endpoint="text-to-video",
                prompt=prompt(rng, i + 1),
            )
            for i in range(1000)
        ]
        single = time.perf_counter() - t0
        t0 = time.perf_counter()
        for clip in singles:
            clip.prompt += " again"
            clip.save(update_fields=["prompt"])
        edit = time.perf_counter() - t0
        Generation.objects.filter(pk__in=ids + [c.pk for c in singles]).delete()
        return bulk * 1000, single * 1000, edit * 1000

    def index(on: bool) -> None:
        with connection.cursor() as cursor:
            if vendor == "sqlite":
                for sql in triggers:
                    if on:
                        cursor.execute(sql)
                    else:
                        cursor.execute(sql.split(" AFTER ")[0].replace("CREATE", "DROP"))
            elif on:
                for sql in migration.PG_FORWARDS[-2:]:  # the column, then its index
                    cursor.execute(sql)
            else:
                cursor.execute("DROP INDEX gen_search")
                cursor.execute("ALTER TABLE generations_generation DROP COLUMN search_vector")

    rounds = 3
    with_index, without = [], []
    for _ in range(rounds):
        with_index.append(measure())
        index(on=False)
        without.append(measure())
        index(on=True)
    print(f"writing 1,000 clips (median of {rounds})   with the index   without   difference")
    labels = ("bulk_create (+ outputs)", "one create each", "prompt edit, one save each")
    for n, label in enumerate(labels):
        a = statistics.median(m[n] for m in with_index)
        b = statistics.median(m[n] for m in without)
        print(f"  {label:<28} {a:10.0f} ms {b:8.0f} ms   {a - b:+6.0f} ms")


if __name__ == "__main__":
    main()
