"""Share links: made by the owner, opened by anyone with the token, nothing else exposed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ltxdash.gallery.models import ShareLink, hash_token
from tests.support.media import fetch
from tests.support.pages import token_from


@pytest.fixture
def token(owner_client, clip) -> str:
    response = owner_client.post(reverse("gallery:share_create", args=[clip.pk]), {"expires": "7"})
    assert response.status_code == 200
    return token_from(response.content.decode())


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_it_creates_a_link_and_shows_the_token_once(owner_client, clip):
    response = owner_client.post(reverse("gallery:share_create", args=[clip.pk]), {"expires": "7"})
    html = response.content.decode()
    token = token_from(html)
    assert len(token) >= 22  # at least 128 bits in URL-safe base64
    assert "Copy this link now" in html
    link = ShareLink.objects.get()
    assert link.token_hash == hash_token(token)
    assert timedelta(days=6, hours=23) < link.expires_at - timezone.now() <= timedelta(days=7)
    # The clip page lists the link afterwards, but never the token again.
    page = owner_client.get(reverse("gallery:clip", args=[clip.pk])).content.decode()
    assert f"#{link.pk}" in page
    assert token not in page


def test_it_creates_a_link_that_never_expires(owner_client, clip):
    owner_client.post(reverse("gallery:share_create", args=[clip.pk]), {"expires": "never"})
    assert ShareLink.objects.get().expires_at is None


def test_it_refuses_an_unknown_expiry(owner_client, clip):
    response = owner_client.post(
        reverse("gallery:share_create", args=[clip.pk]), {"expires": "999"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ShareLink.objects.exists()


def test_it_answers_htmx_with_the_share_panel_only(owner_client, clip):
    response = owner_client.post(
        reverse("gallery:share_create", args=[clip.pk]),
        {"expires": "1"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode().strip()
    assert html.startswith('<section id="shares"')
    assert token_from(html)


def test_it_stores_only_the_hash(token):
    """The token appears in no column of any table (sessions included)."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                assert token not in repr(row), table


def test_it_opens_for_anyone_without_login(token, clip):
    response = Client().get(f"/s/{token}")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<video class="player" controls preload="metadata"' in html
    assert f'src="http://testserver/s/{token}/video"' in html
    assert clip.prompt in html
    assert response["Cache-Control"].startswith("max-age=0")  # never_cache


def test_it_shows_nothing_but_the_video_and_prompt(token, owner, clip):
    html = Client().get(f"/s/{token}").content.decode()
    for secret in (
        owner.username,
        "job_abc123",
        "req-submit-1",
        "LTX-2.3 Fast",
        "/gallery/",
        "Log out",
    ):
        assert secret not in html, secret


def test_it_carries_open_graph_tags(token, video):
    html = Client().get(f"/s/{token}").content.decode()
    for tag in (
        '<meta property="og:type" content="video.other">',
        '<meta property="og:title" content="A red fox runs through fresh snow">',
        f'<meta property="og:video" content="http://testserver/s/{token}/video">',
        '<meta property="og:video:type" content="video/mp4">',
        '<meta property="og:video:width" content="320">',
        '<meta property="og:video:height" content="180">',
        f'<meta property="og:image" content="http://testserver/s/{token}/poster">',
        '<meta name="twitter:card" content="summary_large_image">',
        '<meta name="robots" content="noindex, nofollow">',
    ):
        assert tag in html, tag


def test_it_escapes_the_prompt_in_tags_and_page(owner_client, owner, make_clip):
    clip = make_clip(owner, prompt='Fox "quoted" <script>alert(1)</script> & co')
    response = owner_client.post(reverse("gallery:share_create", args=[clip.pk]), {"expires": "1"})
    html = Client().get(f"/s/{token_from(response.content.decode())}").content.decode()
    assert "<script>alert(1)" not in html
    assert 'content="Fox &quot;quoted&quot; &lt;script&gt;alert(1)&lt;/script&gt; &amp; co"' in html


def test_it_counts_views(token):
    visitor = Client()
    visitor.get(f"/s/{token}")
    visitor.get(f"/s/{token}")
    visitor.head(f"/s/{token}")  # a HEAD is not a view
    link = ShareLink.objects.get()
    assert link.views == 2
    assert link.last_viewed_at is not None


def test_it_serves_the_video_with_range_under_the_token(token, mp4_bytes):
    response = fetch(Client(), f"/s/{token}/video", Range="bytes=0-99")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-99/{len(mp4_bytes)}"
    assert response.asks_again()  # revalidated: revoking bites at once
    assert response.content == mp4_bytes[:100]
    full = fetch(Client(), f"/s/{token}/video")
    assert full.status_code == 200 and full.content == mp4_bytes


def test_it_serves_the_poster_under_the_token(token, poster_bytes):
    response = fetch(Client(), f"/s/{token}/poster")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response.content == poster_bytes


def _not_found_body() -> bytes:
    response = Client().get("/s/" + "A" * 43)
    assert response.status_code == 404
    return response.content


@pytest.mark.parametrize("suffix", ["", "/video", "/poster"])
def test_an_expired_link_is_a_plain_404(token, suffix):
    ShareLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(f"/s/{token}{suffix}")
    assert response.status_code == 404
    assert response.content == _not_found_body()


@pytest.mark.parametrize("suffix", ["", "/video", "/poster"])
def test_a_revoked_link_is_a_plain_404(owner_client, token, suffix):
    link = ShareLink.objects.get()
    response = owner_client.post(reverse("gallery:share_revoke", args=[link.pk]))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    response = Client().get(f"/s/{token}{suffix}")
    assert response.status_code == 404
    assert response.content == _not_found_body()


def test_it_revokes_with_htmx_and_redraws_the_panel(owner_client, token):
    link = ShareLink.objects.get()
    response = owner_client.post(
        reverse("gallery:share_revoke", args=[link.pk]), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.strip().startswith('<section id="shares"')
    assert re.search(r"<td>revoked</td>", html)


def test_a_deleted_clip_takes_its_links_with_it(owner_client, token, clip):
    owner_client.post(reverse("gallery:delete", args=[clip.pk]))
    assert Client().get(f"/s/{token}").status_code == 404
    assert not ShareLink.objects.exists()


def test_a_clip_without_a_video_cannot_be_shared(owner_client, owner, make_clip):
    clip = make_clip(owner, state="processing")
    response = owner_client.post(reverse("gallery:share_create", args=[clip.pk]), {"expires": "1"})
    assert response.status_code == 404
    assert not ShareLink.objects.exists()


def test_share_sits_beside_download(owner_client, clip):
    html = owner_client.get(reverse("gallery:clip", args=[clip.pk])).content.decode()
    actions = html[html.index('<div class="clip-actions">') :]
    actions = actions[: actions.index("</div>")]
    assert re.search(r">Download</a>\s*<a class=\"button\" href=\"#shares\">Share</a>", actions)
    # The panel itself comes right after the actions, before the timeline and the settings.
    assert html.index('id="shares"') < html.index('id="timeline-h"') < html.index('id="settings-h"')


def test_the_owner_chooses_a_title_and_to_hide_the_prompt(owner_client, clip):
    response = owner_client.post(
        reverse("gallery:share_create", args=[clip.pk]),
        {"expires": "7", "title": "  Fox,\n first cut ", "hide_prompt": "on"},
    )
    link = ShareLink.objects.get()
    assert (link.title, link.show_prompt) == ("Fox, first cut", False)
    assert "“Fox, first cut”" in response.content.decode()  # what each link shows

    html = Client().get(f"/s/{token_from(response.content.decode())}").content.decode()
    assert '<h1 class="share-heading">Fox, first cut</h1>' in html
    assert "<title>Fox, first cut · ltxdash</title>" in html
    assert '<meta property="og:title" content="Fox, first cut">' in html
    assert clip.prompt not in html  # not in the page, its title or its tags
    assert '<meta name="description" content="A clip made with ltxdash">' in html


def test_a_link_made_before_the_choice_still_shows_the_prompt(token, clip):
    link = ShareLink.objects.get()
    assert (link.title, link.show_prompt) == ("", True)
    html = Client().get(f"/s/{token}").content.decode()
    assert f'<p class="share-prompt">{clip.prompt}</p>' in html
    assert '<h1 class="visually-hidden">Shared clip</h1>' in html


def test_the_share_title_starts_from_the_clips_name(owner_client, clip):
    from ltxdash.generations.models import Generation

    Generation.objects.filter(pk=clip.pk).update(title="Fox, first cut")
    html = owner_client.get(reverse("gallery:clip", args=[clip.pk])).content.decode()
    assert re.search(r'name="title"[^>]*value="Fox, first cut"[^>]*id="id_title"', html)
