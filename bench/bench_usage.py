"""The usage page over a big ledger: 100,000 entries over 12 months, the page asked for one
month, six months and twelve months.

    .venv/bin/python bench/bench_usage.py [--entries 100000] [--runs 15] [--database-url URL]

A throw-away SQLite database (the default deployment; ``--database-url``: that empty database
instead), filled with bulk_create: six members, every mode and model of the catalog's common
ones, an uneven number of clips a day (weekends and a launch week busier, quiet days), amounts
that aren't round, and the statuses and outcomes of a real ledger (mostly charged and ready;
some released, waived, held and flagged; failed, expired, rejected and unknown clips). Full
requests through Django's test client, as the workspace's admin (everyone's entries) and as a
creator (their own). It prints the median and p90 server time of /spend/usage/ for each range
and its query count, which must not change with the range. Target: <= 100 ms.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from _support import page_django
from bench_board_link import measure  # median, p90 and query count of a page

RANGES = {"1 month": 1, "6 months": 6, "12 months": 12}
MODES = [
    ("text-to-video", "ltx-2-3-fast", Decimal("0.04")),
    ("text-to-video", "ltx-2-3-pro", Decimal("0.08")),
    ("image-to-video", "ltx-2-3-fast", Decimal("0.04")),
    ("image-to-video", "ltx-2-3-pro", Decimal("0.08")),
    ("audio-to-video", "ltx-2-3-pro", Decimal("0.1")),
    ("retake", "", Decimal("0.1")),
    ("extend", "ltx-2-3-pro", Decimal("0.08")),
]
SECONDS = [Decimal(s) for s in ("4", "6", "6", "8", "10", "5.5", "7.25", "12")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with page_django(prefix="ltxdash-bench-usage-", database_url=args.database_url):
        run(args)


def last_day_of_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months_back(end: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before ``end``'s."""
    year, month = end.year, end.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def fill(entries: int, end: date) -> tuple[object, object]:
    """A workspace with ``entries`` ledger entries (and their clips) over the 12 months that
    end with ``end``'s month; returns its admin and one creator."""
    from django.contrib.auth import get_user_model

    from ltxdash.generations.models import TERMINAL, Generation, State
    from ltxdash.spend.models import LedgerEntry, Status
    from ltxdash.workspaces import current
    from ltxdash.workspaces.models import Membership, Role, Workspace

    rng = random.Random(12)
    workspace = Workspace.objects.create(name="Studio", slug="studio", time_zone="UTC")
    users = get_user_model().objects
    people = []
    for i, name in enumerate(("ada", "cam", "dee", "eli", "fay", "gus")):
        user = users.create_user(name, password="bench-pass-123")
        Membership.objects.create(
            workspace=workspace, user=user, role=Role.ADMIN if i == 0 else Role.CREATOR
        )
        current.choose(user, workspace)
        people.append(user)
    weights = [5, 9, 3, 1, 6, 2]  # members spend unevenly

    start = months_back(end, 12)
    days = [start + timedelta(days=n) for n in range((last_day_of_month(end) - start).days + 1)]
    # Uneven days: busy weekdays, quiet weekends, a launch week, a few days with nothing.
    day_weight = []
    for day in days:
        weight = 1.0 if day.weekday() < 5 else 0.35
        if day.month == 3 and day.day <= 7:
            weight *= 4
        if rng.random() < 0.04:
            weight = 0
        day_weight.append(weight * rng.uniform(0.5, 1.5))
    # Oldest first, as a ledger grows: the rows of a day stand together.
    chosen_days = sorted(rng.choices(days, weights=day_weight, k=entries))

    outcomes = [
        (State.READY, Status.CHARGED, 82),
        (State.FAILED, Status.CHARGED, 3),
        (State.FAILED, Status.WAIVED, 2),
        (State.EXPIRED, Status.CHARGED, 1),
        (State.REJECTED, Status.RELEASED, 4),
        (State.CANCELED, Status.RELEASED, 3),
        (State.UNKNOWN, Status.RESERVED, 1),  # flagged
        (State.QUEUED, Status.RESERVED, 2),
        (State.PROCESSING, Status.CHARGED, 2),
    ]
    picked = rng.choices(outcomes, weights=[w for *_, w in outcomes], k=entries)
    generations = []
    plan = []
    for i in range(entries):
        day = chosen_days[i]
        member = rng.choices(people, weights=weights)[0]
        endpoint, model, per_second = rng.choice(MODES)
        seconds = rng.choice(SECONDS)
        state, status, _ = picked[i]
        created = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(86_400)
        )
        submitted = created + timedelta(seconds=rng.uniform(1, 30))
        ready = submitted + timedelta(seconds=rng.uniform(25, 240))
        generations.append(
            Generation(
                owner=member,
                workspace=workspace,
                endpoint=endpoint,
                model=model,
                prompt=f"Take {i}: a harbour at dawn",
                params={"duration": int(seconds)},
                state=state,
                created_at=created,
                submitted_at=submitted if status != Status.RELEASED else None,
                ready_at=ready if state == State.READY else None,
                finished_at=ready if state != State.QUEUED else None,
            )
        )
        # Not round: the per-second price times seconds, now and then a price change.
        amount = (per_second * seconds * Decimal(rng.choice(("1", "1", "1.125", "0.9")))).quantize(
            Decimal("0.0001")
        )
        plan.append((member, endpoint, model, status, amount, seconds, day, created, state))
    made = Generation.objects.bulk_create(generations, batch_size=2000)
    LedgerEntry.objects.bulk_create(
        (
            LedgerEntry(
                workspace=workspace,
                member=member,
                generation=generation,
                clip_number=generation.pk,
                endpoint=endpoint,
                model=model,
                status=status,
                amount=amount,
                billed_seconds=seconds,
                priced_on="output_seconds",
                flagged=state == State.UNKNOWN,
                outcome=state if state in TERMINAL else "",
                seconds_to_ready=(
                    (generation.ready_at - generation.submitted_at).total_seconds()
                    if generation.ready_at and generation.submitted_at
                    else None
                ),
                day=day,
                month=day.replace(day=1),
                created_at=created,
            )
            for generation, (
                member,
                endpoint,
                model,
                status,
                amount,
                seconds,
                day,
                created,
                state,
            ) in zip(made, plan, strict=True)
        ),
        batch_size=2000,
    )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return people[0], people[1]


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client

    end = date.today()
    started = time.perf_counter()
    admin, creator = fill(args.entries, end)
    print(f"setup: {args.entries:,} ledger entries (and clips) over 12 months, "
          f"{connection.vendor}, in {time.perf_counter() - started:.1f} s")  # fmt: skip
    for who, user in (("admin", admin), ("creator", creator)):
        client = Client()
        client.force_login(user)
        counts = set()
        for label, months in RANGES.items():
            start = months_back(end, months)
            path = f"/spend/usage/?start={start}&end={last_day_of_month(end)}"
            median, p90, queries = measure(client, path, args.runs)
            counts.add(queries)
            print(
                f"usage page, {who:<7} {label:<9}  median {median:6.1f} ms   p90 {p90:6.1f} ms   "
                f"{queries} queries"
            )
        assert len(counts) == 1, f"the query count changes with the range: {sorted(counts)}"


if __name__ == "__main__":
    main()
