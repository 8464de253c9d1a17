"""Share links in Django admin: listed with clip and owner, revocable, token hash read-only."""

from __future__ import annotations

import pytest

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
    assert f"#{clip.pk}" in html
    assert "alice" in html
    assert '<td class="field-views">17</td>' in html
    assert "live" in html


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
