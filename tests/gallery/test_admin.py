"""Share links in Django admin: listed with clip and owner, revocable, token hash read-only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ltxdash.gallery.models import ShareLink
from tests.factories import make_share_link, make_user

URL = "/admin/gallery/sharelink/"


@pytest.fixture
def admin_client(client, db):
    admin = make_user("root", superuser=True)
    client.force_login(admin)
    return client


@pytest.fixture
def links(clip):
    return [make_share_link(clip) for _ in range(2)]


def test_it_lists_share_links_with_clip_owner_and_views(admin_client, links, clip):
    ShareLink.objects.filter(pk=links[0].pk).update(views=17)
    html = admin_client.get(URL).content.decode()
    assert f"#{clip.pk} Text → Video</a>" in html  # the clip by its name
    assert "alice" in html
    assert '<td class="field-views">17</td>' in html
    assert '<span class="pill pill-ok">Live</span>' in html


def test_it_filters_by_status_in_words(admin_client, links):
    ShareLink.objects.filter(pk=links[0].pk).update(revoked_at=timezone.now())
    expired = make_share_link(links[0].generation, timedelta(hours=1))
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    html = admin_client.get(URL).content.decode()
    sidebar = html[html.index('id="changelist-filter"') :]
    assert ">Live</a>" in sidebar and ">Expired</a>" in sidebar and ">Revoked</a>" in sidebar
    assert "Not empty" not in sidebar  # not "revoked at: empty / not empty"
    assert '<span class="pill pill-bad">Revoked</span>' in html
    assert '<span class="pill pill-muted">Expired</span>' in html

    def listed(status: str) -> set[int]:
        page = admin_client.get(URL, {"status": status}).content.decode()
        return {int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', page)}

    assert listed("live") == {links[1].pk}
    assert listed("revoked") == {links[0].pk}
    assert listed("expired") == {expired.pk}


def test_it_revokes_with_an_action(admin_client, links):
    response = admin_client.post(
        URL, {"action": "revoke", "_selected_action": [links[0].pk]}, follow=True
    )
    assert "Revoked 1 share link(s)." in response.content.decode()
    links[0].refresh_from_db()
    links[1].refresh_from_db()
    assert links[0].revoked_at is not None
    assert links[1].revoked_at is None


def test_it_keeps_the_token_hash_read_only_and_allows_no_adding(admin_client, links):
    link = links[0]
    page = admin_client.get(f"{URL}{link.pk}/change/").content.decode()
    assert link.token_hash in page
    assert 'name="token_hash"' not in page
    admin_client.post(
        f"{URL}{link.pk}/change/", {"token_hash": "0" * 64, "expires_at_0": "", "expires_at_1": ""}
    )
    link.refresh_from_db()
    assert link.token_hash != "0" * 64
    assert admin_client.get(f"{URL}add/").status_code == 403
