"""Media on S3: every media view checks permission here, then redirects to a short-lived
presigned URL that the object store (a real one, over HTTP) serves, Range included. Share and
board links cap the URL's lifetime at their own expiry; revoking stops new redirects at once."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ltxdash.gallery.models import ShareLink
from tests.factories import add_video, make_clip, make_generation, make_output
from tests.support.pages import token_from

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_media")]


def _presigned(response) -> str:
    assert response.status_code == 302, response.status_code
    assert response["Cache-Control"] == "private, no-store"  # each play asks us again
    return response["Location"]


def _lifetime(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])


def _share(owner_client, clip, expires: str = "7") -> str:
    response = owner_client.post(
        reverse("gallery:share_create", args=[clip.pk]), {"expires": expires}
    )
    assert response.status_code == 200
    return token_from(response.content.decode())


def test_the_clip_plays_and_seeks_from_the_object_store(
    owner_client, clip, video, mp4_bytes, s3_media
):
    url = _presigned(owner_client.get(reverse("gallery:file", args=[video.pk])))
    assert url.startswith(s3_media.server.url + "/" + s3_media.bucket + "/")
    assert _lifetime(url) == 300

    whole = httpx.get(url)
    assert whole.status_code == 200 and whole.content == mp4_bytes
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["content-disposition"].startswith("inline; filename=")

    part = httpx.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{len(mp4_bytes)}"
    assert part.content == mp4_bytes[100:1100]


def test_a_download_is_an_attachment_and_a_poster_a_jpeg(owner_client, video, poster_bytes):
    download = httpx.get(_presigned(owner_client.get(reverse("gallery:download", args=[video.pk]))))
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    poster = httpx.get(_presigned(owner_client.get(reverse("gallery:poster", args=[video.pk]))))
    assert poster.headers["content-type"] == "image/jpeg" and poster.content == poster_bytes


def test_a_file_of_an_unknown_type_is_served_as_a_download_of_bytes(owner, owner_client):
    generation = make_generation(owner, "ready")
    output = make_output(generation, data=b"<script>alert(1)</script>", content_type="text/html")
    answer = httpx.get(_presigned(owner_client.get(reverse("gallery:file", args=[output.pk]))))
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment")


def test_a_stranger_gets_no_url(stranger_client, video):
    assert stranger_client.get(reverse("gallery:file", args=[video.pk])).status_code == 404
    assert Client().get(reverse("gallery:file", args=[video.pk])).status_code == 302  # to login


def test_a_share_links_expiry_caps_the_urls_lifetime(owner_client, clip, mp4_bytes, settings):
    token = _share(owner_client, clip)
    assert _lifetime(_presigned(Client().get(f"/s/{token}/video"))) == 300  # 7 days away

    ShareLink.objects.update(expires_at=timezone.now() + timedelta(seconds=42))
    url = _presigned(Client().get(f"/s/{token}/video"))
    assert 40 <= _lifetime(url) <= 42
    assert httpx.get(url, headers={"Range": "bytes=0-9"}).content == mp4_bytes[:10]

    settings.LTXDASH_S3_URL_SECONDS = 20
    assert _lifetime(_presigned(Client().get(f"/s/{token}/poster"))) == 20

    ShareLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(f"/s/{token}/video").status_code == 404


def test_revoking_a_share_link_stops_new_redirects_at_once(owner_client, clip):
    token = _share(owner_client, clip, expires="never")
    assert _lifetime(_presigned(Client().get(f"/s/{token}/video"))) == 300
    link = ShareLink.objects.get()
    owner_client.post(reverse("gallery:share_revoke", args=[link.pk]))
    for suffix in ("/video", "/poster"):
        assert Client().get(f"/s/{token}{suffix}").status_code == 404


def test_the_zip_export_streams_each_video_from_the_bucket(owner, owner_client):
    big = os.urandom(6 * 1024 * 1024 + 12345)  # past the one-GET size: read in ranged parts
    clips = [make_clip(owner, title="small"), make_clip(owner, title="big", video=False)]
    add_video(clips[1], big, size=len(big))
    response = owner_client.post(reverse("gallery:export_zip"), {"ids": [c.pk for c in clips]})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    by_size = sorted(
        (archive.read(info) for info in archive.infolist() if info.filename.endswith(".mp4")),
        key=len,
    )
    assert by_size[1] == big
    assert (
        by_size[0]
        == clips[0].outputs.get().file.storage.open(clips[0].outputs.get().file.name).read()
    )


def test_deleting_a_clip_removes_its_objects(
    owner_client, clip, video, s3_media, django_capture_on_commit_callbacks
):
    assert sorted(s3_media.keys()) == sorted([video.file.name, video.poster.name])
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("gallery:delete", args=[clip.pk]))
    assert response.status_code in (200, 302)
    assert s3_media.keys() == []
