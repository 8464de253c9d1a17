"""Every URL, for everyone who may ask: the owner, another user, and an anonymous visitor.

The table below lists each URL of the product with what each of them gets. A URL missing from
the table fails ``test_every_url_is_in_the_table``, so a new view cannot ship without saying who
may reach it. (Roles and workspaces will add rows per role here.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import Generation, State
from tests.factories import make_clip, make_generation

HTMX = {"HX-Request": "true"}
LOGIN = "login"  # a redirect to the login page


@dataclass(frozen=True)
class Row:
    name: str  # URL name, namespaced
    method: str
    args: str  # which object the URL names: "", "clip", "queued", "video", "link", "token"
    owner: int
    other: int | str  # another user (a stranger, a teammate: today the same)
    anonymous: int | str
    data: dict[str, Any] | None = None


TABLE = [
    # 503 while no worker is alive (as in these tests): public either way.
    Row("healthz", "get", "", 503, 503, 503),
    Row("generations:create", "get", "", 200, 200, LOGIN),
    Row("generations:refresh", "get", "", 200, 200, LOGIN),
    Row("generations:card", "get", "clip", 200, 404, LOGIN),
    Row("generations:cancel", "post", "queued", 200, 404, LOGIN),
    Row("generations:retry", "post", "failed", 200, 404, LOGIN),
    Row("gallery:index", "get", "", 200, 200, LOGIN),
    Row("gallery:clip", "get", "clip", 200, 404, LOGIN),
    Row("gallery:favourite", "post", "clip", 200, 404, LOGIN, {"favourite": "1"}),
    Row("gallery:rename", "post", "clip", 200, 404, LOGIN, {"title": "Harbour, wide"}),
    Row("gallery:delete", "get", "clip", 200, 404, LOGIN),
    Row("gallery:delete", "post", "clip", 200, 404, LOGIN),
    Row("gallery:share_create", "post", "clip", 200, 404, LOGIN, {"expires": "never"}),
    Row("gallery:share_revoke", "post", "link", 200, 404, LOGIN),
    Row("gallery:file", "get", "video", 200, 404, LOGIN),
    Row("gallery:poster", "get", "video", 200, 404, LOGIN),
    Row("gallery:download", "get", "video", 200, 404, LOGIN),
    # Public: the token is the permission, for everyone alike.
    Row("share:page", "get", "token", 200, 200, 200),
    Row("share:video", "get", "token", 200, 200, 200),
    Row("share:poster", "get", "token", 200, 200, 200),
]


# Django's own pages, which Django tests: the login, logout and password views and the admin.
DJANGOS = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def _names(resolver: URLResolver, namespace: str | None = None) -> set[str]:
    """Every URL the project serves, by name; an unnamed one shows as its pattern."""
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                names |= _names(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or f"<unnamed {pattern.pattern}>"
            names.add(f"{namespace}:{name}" if namespace else name)
    return names


def test_every_url_is_in_the_table():
    assert _names(get_resolver()) - DJANGOS == {row.name for row in TABLE}


@pytest.fixture
def objects(owner) -> dict[str, Any]:
    clip = make_clip(owner)
    link, token = ShareLink.create_for(clip, None)
    return {
        "clip": clip.pk,
        "queued": make_generation(owner, State.QUEUED).pk,
        "failed": make_generation(owner, State.FAILED).pk,
        "video": clip.video.pk,
        "link": link.pk,
        "token": token,
    }


def _client(request, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


@pytest.mark.parametrize("who", ["owner", "stranger", "teammate", "anonymous"])
@pytest.mark.parametrize("row", TABLE, ids=lambda row: f"{row.method}-{row.name}")
def test_each_url_answers_each_visitor_as_the_table_says(request, objects, row, who):
    expected = {"owner": row.owner, "anonymous": row.anonymous}.get(who, row.other)
    url = reverse(row.name, args=[objects[row.args]] if row.args else [])
    client = _client(request, who)
    headers = HTMX if row.method == "post" else {}
    response = getattr(client, row.method)(url, row.data or {}, headers=headers)
    if expected == LOGIN:
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    else:
        assert response.status_code == expected, (url, who)


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_nothing_of_the_owners_changes_after_every_url(request, objects, who):
    """Refused requests leave everything as it was."""
    client = _client(request, who)
    for row in TABLE:
        url = reverse(row.name, args=[objects[row.args]] if row.args else [])
        getattr(client, row.method)(url, row.data or {}, headers=HTMX)
    clip = Generation.objects.get(pk=objects["clip"])
    assert not clip.favourite
    assert Generation.objects.get(pk=objects["queued"]).state == State.QUEUED
    assert Generation.objects.count() == 3  # no retry was queued, nothing was deleted
    assert ShareLink.objects.get(pk=objects["link"]).revoked_at is None
    assert ShareLink.objects.count() == 1
