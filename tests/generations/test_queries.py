"""The create page and the status refresh cost the same number of SQL queries whether a user
has 10 clips or 10,000."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ltxdash.generations.estimates import forget_typical_durations
from ltxdash.generations.models import Generation, State
from tests.factories import bulk_ready_clips, make_generation
from tests.support.pages import HTMX

pytestmark = pytest.mark.django_db


def populate(owner, clips: int) -> None:
    """`clips` ready clips with a video each, plus a few in flight (what a busy page shows)."""
    bulk_ready_clips(owner, clips, start=timezone.now() - timedelta(days=30))
    make_generation(owner, State.QUEUED)
    make_generation(owner, State.QUEUED)
    make_generation(owner, State.PROCESSING, submitted_at=timezone.now())


def count_queries(client, method: str, url: str, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, **kwargs)
    assert response.status_code in (200, 204), (url, response.status_code)
    return len(captured), response


def measure(client, owner) -> dict[str, int]:
    """Queries per request type; `owner` has the clips. Also checks what the answers hold."""
    forget_typical_durations()  # the time-left estimate caches one query for a minute
    counts: dict[str, int] = {}
    counts["page"], page = count_queries(client, "get", "/")
    counts["extend page"], _ = count_queries(client, "get", "/?mode=extend")
    latest = Generation.objects.filter(owner=owner, state=State.READY).first()
    counts["source page"], _ = count_queries(client, "get", f"/?source={latest.pk}")
    counts["settings"], _ = count_queries(
        client,
        "get",
        f"/?mode=retake&source={latest.pk}",
        headers={**HTMX, "HX-Target": "settings"},
    )
    stamps = re.findall(r'class="card-stamp" name="c" value="([^"]+)"', page.content.decode())
    counts["refresh unchanged"], unchanged = count_queries(
        client, "get", "/generations/refresh", data={"c": stamps}, headers=HTMX
    )
    assert unchanged.status_code == 204
    processing = Generation.objects.get(owner=owner, state=State.PROCESSING)
    processing.transition(State.REHOSTING)
    counts["refresh changed"], changed = count_queries(
        client, "get", "/generations/refresh", data={"c": stamps}, headers=HTMX
    )
    assert changed.content.decode().count("<article") == 1
    return counts


def test_queries_do_not_grow_with_the_number_of_clips(client, owner, teammate):
    populate(owner, 10)
    client.force_login(owner)
    small = measure(client, owner)

    populate(teammate, 10_000)
    client.force_login(teammate)
    large = measure(client, teammate)

    assert Generation.objects.filter(owner=teammate).count() == 10_003
    assert large == small
    # And they are few: session, user, membership, pause banner, cards (+ outputs, queue), picker...
    assert small["page"] <= 11
    # The background refresh: session, user, membership, the account pause (the banner follows it), the
    # shown and newer cards (one UNION ALL), and the queue's order (two) for queued cards.
    assert small["refresh unchanged"] <= 7
