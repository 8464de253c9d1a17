"""Request bodies over the sender's limit are refused before they are read (core/bodylimits.py):
by Content-Length alone, and for members' uploads as soon as one file passes the cap."""

from __future__ import annotations

import json
import select
import socket
import time

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ltxdash.ltx import catalog
from tests.factories import make_user

GIB = 1024**3


@pytest.fixture
def upload_tmp(settings, tmp_path):
    """Django spools uploads here: a test can check nothing was written."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def test_the_defaults_come_from_the_catalog():
    assert catalog.largest_upload_bytes() == django_settings.LTXDASH_MAX_UPLOAD_BYTES
    assert (
        catalog.most_inputs() * catalog.largest_upload_bytes() + 1024 * 1024
    ) == django_settings.LTXDASH_MAX_REQUEST_BYTES
    assert django_settings.LTXDASH_MAX_ANONYMOUS_REQUEST_BYTES == 64 * 1024


def test_the_limit_runs_before_anything_reads_the_body():
    middleware = list(django_settings.MIDDLEWARE)
    limit = middleware.index("ltxdash.core.bodylimits.RequestBodyLimitMiddleware")
    assert limit < middleware.index("django.middleware.csrf.CsrfViewMiddleware")
    assert limit > middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")


# --- Content-Length, with the test client ---------------------------------------------------
# The test client's body holds only the bytes given: reading more than that fails the test, so a
# 413 here also proves nothing tried to read the declared gigabyte.


@pytest.mark.django_db
def test_an_anonymous_post_declaring_a_gigabyte_is_refused_unread(client, upload_tmp):
    response = client.generic(
        "POST",
        reverse("login"),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(GIB),
    )
    assert response.status_code == 413
    assert "without logging in the limit is 66 kB" in response.content.decode()
    assert list(upload_tmp.iterdir()) == []


@pytest.mark.django_db
def test_an_anonymous_post_just_over_the_small_limit_is_refused(client):
    body = b"a=" + b"x" * (64 * 1024)
    response = client.generic(
        "POST", reverse("login"), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


@pytest.mark.django_db
def test_the_login_form_still_works_under_the_limit(client):
    make_user("alice", password="a-long-password-9")
    response = client.post(reverse("login"), {"username": "alice", "password": "a-long-password-9"})
    assert response.status_code == 302


def test_a_members_post_over_the_request_limit_is_refused_unread(owner_client, upload_tmp):
    response = owner_client.generic(
        "POST",
        reverse("generations:create"),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(2 * GIB),
    )
    assert response.status_code == 413
    text = response.content.decode()
    # The most inputs one request takes (audio-to-video: audio, image, last frame), 100 MB each,
    # and 1 MB for the form.
    limit = catalog.most_inputs() * 100 + 1
    assert f"This request is 2147 MB; the limit is {limit} MB (each file up to 100 MB)." in text
    assert list(upload_tmp.iterdir()) == []


def test_htmx_gets_the_refusal_as_an_event_the_page_shows(owner_client):
    response = owner_client.generic(
        "POST",
        reverse("generations:create"),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(2 * GIB),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 413
    assert response["HX-Reswap"] == "none"
    event = json.loads(response["HX-Trigger"])["request-refused"]
    assert event["title"] == "That request is too large"
    assert f"the limit is {catalog.most_inputs() * 100 + 1} MB" in event["body"]


def test_a_file_over_the_upload_cap_stops_the_parse_and_leaves_nothing_on_disk(
    owner_client, settings, upload_tmp
):
    settings.LTXDASH_MAX_UPLOAD_BYTES = 200_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000  # spool to disk, as a large upload would
    big = SimpleUploadedFile("huge.png", b"\x89PNG" + b"\0" * 300_000, "image/png")
    response = owner_client.post(
        reverse("generations:create"), {"mode": "image-to-video", "prompt": "x", "image_uri": big}
    )
    assert response.status_code == 413
    assert "“huge.png” is over 200 kB, the largest file ltxdash takes" in response.content.decode()
    assert list(upload_tmp.iterdir()) == []


def test_a_file_under_the_cap_reaches_the_form(owner_client, settings, upload_tmp, tmp_path):
    from tests.media_factory import make_image

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    image = make_image(tmp_path / "ok.png")
    with image.open("rb") as handle:
        response = owner_client.post(
            reverse("generations:create"),
            {
                "mode": "image-to-video",
                "prompt": "a fox",
                "model": "ltx-2-3-fast",
                "resolution": "1920x1080",
                "fps": "24",
                "duration": "6",
                "image_uri": handle,
            },
        )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert list(upload_tmp.iterdir()) == []  # the spooled file is gone after the request


# --- Over a real socket ---------------------------------------------------------------------


def _raw_request(live_server, head: str, body_parts=(), *, timeout: float = 5.0) -> tuple[str, int]:
    """Send ``head``, then ``body_parts`` until the server answers; the status line and how many
    body bytes were sent before the answer came."""
    host, port = live_server.thread.host, live_server.thread.port
    sent = 0
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(head.encode())
        for part in body_parts:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(part)
            except OSError:  # the server closed its side
                break
            sent += len(part)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode(), sent


def test_a_real_server_refuses_a_declared_gigabyte_at_once(live_server, upload_tmp):
    started = time.monotonic()
    status, _ = _raw_request(
        live_server,
        f"POST {reverse('login')} HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {GIB}\r\n\r\n",
    )
    assert status.split()[1] == "413"
    assert time.monotonic() - started < 3
    assert list(upload_tmp.iterdir()) == []


def test_a_real_server_stops_reading_a_members_upload_once_it_passes_the_cap(
    live_server, transactional_db, settings, upload_tmp, client
):
    settings.LTXDASH_MAX_UPLOAD_BYTES = 1_000_000
    client.force_login(make_user("carol"))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    total = 64 * 1024 * 1024
    part_head = (
        b'--x\r\nContent-Disposition: form-data; name="image_uri"; filename="big.png"\r\n'
        b"Content-Type: image/png\r\n\r\n"
    )
    head = (
        f"POST {reverse('generations:create')} HTTP/1.1\r\nHost: localhost\r\n"
        f"Cookie: {settings.SESSION_COOKIE_NAME}={cookie}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {total}\r\n\r\n"
    )
    chunks = [part_head] + [b"\0" * 64 * 1024] * (total // (64 * 1024))
    status, sent = _raw_request(live_server, head, chunks)
    assert status.split()[1] == "413"
    assert sent < total // 2  # answered long before the body was all sent
    assert list(upload_tmp.iterdir()) == []
