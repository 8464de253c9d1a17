"""The gallery's cost doesn't grow with the number of clips: same queries for 10 and 10,000."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ltxdash.gallery.listing import encode_cursor
from ltxdash.generations.models import Generation
from tests.factories import bulk_ready_clips, make_user


def _queries(client, params: dict) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/gallery/", params)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_it_runs_the_same_queries_for_10_and_10000_clips(owner, make_clip, client):
    few_owner = make_user("few")
    bulk_ready_clips(few_owner, 10, prompt=lambda i: f"clip number {i}")
    bulk_ready_clips(owner, 10_000, prompt=lambda i: f"clip number {i}")

    search = {"q": "clip", "state": "ready"}
    client.force_login(few_owner)
    few = _queries(client, {})
    few_searched = _queries(client, search)
    client.force_login(owner)
    many = _queries(client, {})
    html = client.get("/gallery/").content.decode()
    assert len(re.findall(r'class="clip-card"', html)) == 24
    assert len(few) == len(many)
    assert not any("COUNT(" in sql.upper() for sql in many)

    # A deep page (past 9,000 clips) with a search and a filter costs the same number of
    # queries as that search among 10 clips (a search may look a word up first: search.py).
    deep = Generation.objects.filter(owner=owner).order_by("-created_at", "-id")[9000]
    cursor = encode_cursor(deep)
    deep_queries = _queries(client, {"after": cursor, **search})
    assert len(deep_queries) == len(few_searched) <= len(many) + 2
