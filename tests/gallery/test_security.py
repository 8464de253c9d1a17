"""Every gallery URL is the owner's alone: 404 for anyone else, login for anonymous, CSRF on POST."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import Generation
from tests.factories import make_share_link
from tests.support.media import fetch


@pytest.fixture
def link(clip) -> ShareLink:
    return make_share_link(clip)


def _get_urls(clip, video) -> list[str]:
    return [
        reverse("gallery:clip", args=[clip.pk]),
        reverse("gallery:file", args=[video.pk]),
        reverse("gallery:poster", args=[video.pk]),
        reverse("gallery:download", args=[video.pk]),
        reverse("gallery:delete", args=[clip.pk]),
    ]


def _post_urls(clip, link) -> list[tuple[str, dict]]:
    return [
        (reverse("gallery:favourite", args=[clip.pk]), {"favourite": "1"}),
        (reverse("gallery:delete", args=[clip.pk]), {}),
        (reverse("gallery:share_create", args=[clip.pk]), {"expires": "never"}),
        (reverse("gallery:share_revoke", args=[link.pk]), {}),
    ]


@pytest.mark.parametrize("who", ["teammate", "stranger"])
def test_others_get_404_on_every_url(request, clip, video, link, who):
    client = Client()
    client.force_login(request.getfixturevalue(who))
    for url in _get_urls(clip, video):
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404, url
    for url, data in _post_urls(clip, link):
        assert client.post(url, data).status_code == 404, url
        assert client.post(url, data, headers={"HX-Request": "true"}).status_code == 404, url
    clip.refresh_from_db()
    link.refresh_from_db()
    assert not clip.favourite and link.revoked_at is None
    assert ShareLink.objects.count() == 1
    assert Generation.objects.filter(pk=clip.pk).exists()


def test_others_do_not_see_the_clip_in_their_gallery(stranger_client, clip):
    assert f"/gallery/{clip.pk}/" not in stranger_client.get("/gallery/").content.decode()


def test_anonymous_visitors_are_sent_to_log_in(clip, video, link):
    client = Client()
    for url in _get_urls(clip, video) + [url for url, _ in _post_urls(clip, link)]:
        response = client.get(url) if "favourite" not in url else client.post(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_posts_need_a_csrf_token(owner, clip, link):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for url, data in _post_urls(clip, link):
        assert client.post(url, data).status_code == 403, url
    assert Generation.objects.filter(pk=clip.pk).exists()
    link.refresh_from_db()
    assert link.revoked_at is None


def test_pages_reject_unsafe_methods(owner_client, clip, video):
    assert owner_client.post(reverse("gallery:clip", args=[clip.pk])).status_code == 405
    assert owner_client.post(reverse("gallery:file", args=[video.pk])).status_code == 405
    assert owner_client.get(reverse("gallery:favourite", args=[clip.pk])).status_code == 405


def test_share_media_needs_the_token_not_a_pk(clip, video, link):
    """A share token opens only its own clip; media pk URLs stay closed to anonymous visitors."""
    assert Client().get(reverse("gallery:file", args=[video.pk])).status_code == 302


# --- media answers: inert types only, never sniffed, never a page of ours ---------------------


@pytest.mark.parametrize("stored_type", ["text/html", "image/svg+xml", "application/xml", ""])
def test_a_file_of_any_other_type_is_only_ever_a_download(owner_client, clip, stored_type):
    """Rows stored before outputs were checked by content may say anything."""
    video = clip.outputs.get()
    video.content_type = stored_type
    video.save()
    urls = [reverse("gallery:file", args=[video.pk]), reverse("gallery:download", args=[video.pk])]

    for url in urls:
        response = fetch(owner_client, url)  # from the bucket too, with media on S3
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")
        assert response.ours["X-Content-Type-Options"] == "nosniff"
        assert response.ours["Content-Security-Policy"].endswith("; sandbox")


@pytest.mark.local_media  # our own Range, 416 and 304 answers (S3: tests/gallery/test_s3_serving.py)
def test_every_media_answer_is_nosniff_and_sandboxed(owner_client, clip, poster_bytes):
    video = clip.outputs.get()
    # Whatever a poster's name says, it is served as the JPEG we made.
    video.poster.name = default_storage.save("posters/odd.svg", ContentFile(poster_bytes))
    video.save()
    _link, token = ShareLink.create_for(clip, None)
    for url in (reverse("gallery:poster", args=[video.pk]), reverse("share:poster", args=[token])):
        response = owner_client.get(url)
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].endswith("; sandbox")
    shared = Client().get(reverse("share:video", args=[token]))
    assert shared.status_code == 200 and shared["Content-Type"] == "video/mp4"
    for response in (shared,):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].endswith("; sandbox")
    for name, status, extra in [
        ("gallery:file", 200, {}),
        ("gallery:file", 206, {"HTTP_RANGE": "bytes=0-9"}),
        ("gallery:file", 416, {"HTTP_RANGE": "bytes=99999999-"}),
        ("gallery:download", 200, {}),
    ]:
        response = owner_client.get(reverse(name, args=[video.pk]), **extra)
        assert response.status_code == status
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].endswith("; sandbox")
    etag = owner_client.get(reverse("gallery:file", args=[video.pk]))["ETag"]
    cached = owner_client.get(reverse("gallery:file", args=[video.pk]), HTTP_IF_NONE_MATCH=etag)
    assert cached.status_code == 304 and cached["Content-Security-Policy"].endswith("; sandbox")
    assert owner_client.get(reverse("gallery:file", args=[video.pk]))["Content-Type"] == "video/mp4"


def test_the_404_page_keeps_the_navigation_and_is_the_same_for_every_case(
    owner_client, stranger_client, clip
):
    """Logged in, a 404 still leads back to every section of the main menu; it tells no one
    which case (no such clip, someone else's) they hit."""
    missing = owner_client.get("/gallery/999999/")
    others = stranger_client.get(f"/gallery/{clip.pk}/")
    anonymous = Client().get("/s/no-such-token")
    assert missing.status_code == others.status_code == anonymous.status_code == 404
    html = missing.content.decode()
    assert 'href="/">Create</a>' in html and 'href="/gallery/">Gallery</a>' in html
    assert 'href="/boards/">Boards</a>' in html
    menu = owner_client.get("/gallery/").content.decode()
    links = re.compile(r'<nav class="mainnav".*?</nav>', re.S)
    plain = re.sub(r' aria-current="page"', "", links.search(menu).group(0))
    assert links.search(html).group(0) == plain  # the same menu as every page's
    assert missing.content == others.content == anonymous.content
