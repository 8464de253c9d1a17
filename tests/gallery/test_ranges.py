"""Range requests, conditional requests and X-Accel-Redirect for a clip's files, as Django
answers them from local disk (on S3 the object store does: tests/gallery/test_s3_serving.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ltxdash.gallery.ranges import Unsatisfiable, parse_range

pytestmark = pytest.mark.local_media


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),  # a suffix longer than the file is the whole file
        ("bytes=990-5000", (990, 999)),  # the end is clamped
        ("bytes=5-4", None),  # invalid: ignored, whole file
        ("bytes=0-1,5-6", None),  # several ranges: we send the whole file
        ("items=0-1", None),
        ("bytes=-", None),
    ],
)
def test_it_parses_ranges(header, expected):
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=2000-3000", "bytes=-0"])
def test_it_refuses_ranges_outside_the_file(header):
    with pytest.raises(Unsatisfiable):
        parse_range(header, 1000)


HUGE = "9" * 4301  # one digit past int()'s limit on str conversions


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"bytes=0-{HUGE}", (0, 999)),  # an end past the file is clamped
        (f"bytes=-{HUGE}", (0, 999)),  # a suffix longer than the file is all of it
        (f"bytes={'0' * 5000}1-9", (1, 9)),  # leading zeros are still small numbers
        (f"bytes={HUGE}-5", None),  # start after end: ignored
    ],
)
def test_it_parses_ranges_with_numbers_of_any_length(header, expected):
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", [f"bytes={HUGE}-", f"bytes={'9' * 19}-", f"bytes={HUGE}-{HUGE}"])
def test_a_start_with_thousands_of_digits_is_outside_the_file(header):
    with pytest.raises(Unsatisfiable):
        parse_range(header, 1000)


def test_the_file_url_answers_416_to_a_4301_digit_start(owner_client, video, mp4_bytes):
    response = owner_client.get(
        reverse("gallery:file", args=[video.pk]), headers={"Range": f"bytes={HUGE}-"}
    )
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(mp4_bytes)}"


def test_the_share_url_answers_416_to_a_4301_digit_start(owner_client, clip, mp4_bytes):
    from django.test import Client

    from tests.support.pages import token_from

    made = owner_client.post(reverse("gallery:share_create", args=[clip.pk]), {"expires": "7"})
    token = token_from(made.content.decode())
    response = Client().get(f"/s/{token}/video", headers={"Range": f"bytes={HUGE}-"})
    assert response.status_code == 416


def test_it_serves_the_whole_file_with_accept_ranges(owner_client, video, mp4_bytes):
    response = owner_client.get(reverse("gallery:file", args=[video.pk]))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == str(len(mp4_bytes))
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Content-Disposition"].startswith("inline")
    assert _body(response) == mp4_bytes


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=1000-", 1000, None), ("bytes=-500", None, None)],
)
def test_it_answers_a_range_with_206(owner_client, video, mp4_bytes, header, start, end):
    size = len(mp4_bytes)
    if start is None:  # suffix form: the last 500 bytes
        start, end = size - 500, size - 1
    end = size - 1 if end is None else end
    response = owner_client.get(reverse("gallery:file", args=[video.pk]), headers={"Range": header})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert response["Content-Length"] == str(end - start + 1)
    assert _body(response) == mp4_bytes[start : end + 1]


def test_it_answers_416_for_an_unsatisfiable_range(owner_client, video, mp4_bytes):
    response = owner_client.get(
        reverse("gallery:file", args=[video.pk]), headers={"Range": f"bytes={len(mp4_bytes)}-"}
    )
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(mp4_bytes)}"


def test_it_answers_head_without_a_body(owner_client, video, mp4_bytes):
    url = reverse("gallery:file", args=[video.pk])
    response = owner_client.head(url)
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(mp4_bytes))
    assert response["Accept-Ranges"] == "bytes"
    assert response.content == b""
    ranged = owner_client.head(url, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert ranged["Content-Range"] == f"bytes 0-9/{len(mp4_bytes)}"


def test_it_answers_304_to_a_matching_etag(owner_client, video):
    url = reverse("gallery:file", args=[video.pk])
    etag = owner_client.get(url)["ETag"]
    again = owner_client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag


def test_it_ignores_the_range_when_if_range_is_stale(owner_client, video, mp4_bytes):
    url = reverse("gallery:file", args=[video.pk])
    etag = owner_client.get(url)["ETag"]
    fresh = owner_client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert fresh.status_code == 206
    stale = owner_client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"0-1"'})
    assert stale.status_code == 200
    assert _body(stale) == mp4_bytes


def test_it_hands_the_file_to_nginx_with_x_accel_redirect(owner_client, video, settings):
    settings.LTXDASH_X_ACCEL_REDIRECT_PREFIX = "/_protected/"
    response = owner_client.get(
        reverse("gallery:file", args=[video.pk]), headers={"Range": "bytes=0-9"}
    )
    assert response.status_code == 200  # nginx turns it into the 206
    assert response["X-Accel-Redirect"] == f"/_protected/{video.file.name}"
    assert response["Content-Type"] == "video/mp4"
    assert response.content == b""


def test_it_downloads_with_an_attachment_disposition(owner_client, clip, video, mp4_bytes):
    response = owner_client.get(reverse("gallery:download", args=[video.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="ltxdash-{clip.pk}-a-red-fox-runs-through-fresh-snow.mp4"; '
        f"filename*=UTF-8''ltxdash-{clip.pk}-a-red-fox-runs-through-fresh-snow.mp4"
    )
    assert _body(response) == mp4_bytes


def test_it_serves_the_poster(owner_client, video, poster_bytes):
    response = owner_client.get(reverse("gallery:poster", args=[video.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert _body(response) == poster_bytes


def test_it_answers_404_when_the_file_is_gone(owner_client, video):
    video.file.storage.delete(video.file.name)
    assert owner_client.get(reverse("gallery:file", args=[video.pk])).status_code == 404


def test_it_answers_404_for_a_clip_without_a_poster(owner_client, video):
    video.poster = ""
    video.save()
    assert owner_client.get(reverse("gallery:poster", args=[video.pk])).status_code == 404
