"""Everything the LTX API sends back is untrusted: hostile answers over real sockets.

The API here is tests/support/hostile_api.py, at LTX_API_BASE_URL (so its own origin is
allowed, as the simulator's is); forbidden targets are listeners that count connections.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from ltxdash.generations import explain
from ltxdash.generations.models import ErrorType, Generation, State
from ltxdash.generations.pipeline import poller, rehost
from tests.factories import ago, clip_media, make_generation
from tests.media_factory import make_image
from tests.support.hostile_api import JOB_ID, ipv6_loopback_available
from tests.support.media import fetch
from tests.support.pipeline import stored_files

pytestmark = [pytest.mark.django_db(transaction=True)]

CLIMBING_KEY = "../../outside/x_url"  # from tmp/ltxdash-rehost-*/ up into the test's own folder
LONG_KEY = "v" * 296 + "_url"
SECRET = "AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"></svg>'
HTML = b"<!doctype html><script>fetch('/gallery/').then(r=>r.text()).then(alert)</script>"


def in_flight(owner, state=State.PROCESSING):
    return make_generation(owner, state, remote_id=JOB_ID, submitted_at=ago(60))


def copying(owner, result_urls):
    return make_generation(
        owner,
        State.REHOSTING,
        remote_id=JOB_ID,
        result_urls=result_urls,
        completed_at=ago(60),
        retention_ends_at=timezone.now() + timedelta(hours=23),
    )


def shown_to_a_person(generation: Generation) -> str:
    """Everything about a problem a user or an admin reads: the card's reason, the stored
    message, the timeline."""
    generation.refresh_from_db()
    details = " ".join(generation.events.values_list("detail", flat=True))
    return f"{explain.reason(generation)} {generation.error_message} {details}"


def assert_nothing_kept(generation, tmp_path):
    assert stored_files(generation) == [] and not generation.outputs.exists()
    assert not (tmp_path / "outside").exists()
    assert list(Path(tmp_path / "tmp").glob("ltxdash-*")) == []


# --- 1. result keys are data, never paths -----------------------------------------------------


@pytest.mark.parametrize("key", [CLIMBING_KEY, LONG_KEY, "Video_URL", "video url", "é_url"])
def test_a_poll_answer_with_an_unusable_result_key_fails_the_clip_at_once(
    hostile_api, owner, tmp_path, key
):
    video = hostile_api.serve("v.mp4", clip_media()[0])
    hostile_api.complete({"video_url": video, key: video})
    generation = in_flight(owner)

    report = poller.poll_due()

    assert report.changed == {"failed": 1}
    generation.refresh_from_db()
    assert generation.state == State.FAILED  # a clear end, not a retry as "Saving"
    assert generation.error_type == ErrorType.RESULT_UNUSABLE
    assert generation.result_urls in ({}, None)
    text = shown_to_a_person(generation)
    assert "answer named the output in a way we do not accept" in text
    assert key not in text and str(tmp_path) not in text
    assert [h for h in hostile_api.hits if h.startswith("/files/")] == []  # nothing fetched
    assert_nothing_kept(generation, tmp_path)


@pytest.mark.parametrize("key", [CLIMBING_KEY, LONG_KEY])
def test_a_copy_never_builds_a_path_from_a_result_key(hostile_api, owner, tmp_path, key):
    # A row stored before keys were checked (or a retry whose fresh answer has such a key).
    video = hostile_api.serve("v.mp4", clip_media()[0])
    hostile_api.complete({key: video})
    generation = copying(owner, {key: video})

    assert rehost.rehost_generation(generation.pk) == "failed"

    generation.refresh_from_db()
    assert generation.state == State.FAILED
    assert generation.error_type == ErrorType.RESULT_UNUSABLE
    text = shown_to_a_person(generation)
    assert str(tmp_path) not in text and "too long" not in text.lower()
    assert hostile_api.hits == []
    assert_nothing_kept(generation, tmp_path)


def test_a_retry_whose_fresh_answer_has_a_climbing_key_fails(hostile_api, owner, tmp_path):
    video = hostile_api.serve("v.mp4", clip_media()[0])
    hostile_api.complete({CLIMBING_KEY: video})
    generation = copying(owner, {"video_url": video})
    Generation.objects.filter(pk=generation.pk).update(rehost_attempts=1)  # a retry: asks again

    assert rehost.rehost_generation(generation.pk) == "failed"

    generation.refresh_from_db()
    assert generation.error_type == ErrorType.RESULT_UNUSABLE
    assert_nothing_kept(generation, tmp_path)


# --- 2. only documented media, detected by content --------------------------------------------


@pytest.mark.parametrize(
    ("body", "claimed"),
    [
        (HTML, "text/html"),
        (HTML, "video/mp4"),  # a lie in the header changes nothing
        (SVG, "image/svg+xml"),
        (b"PK\x03\x04 not really a zip", "application/zip"),
    ],
)
def test_an_output_that_is_not_an_mp4_is_refused_and_never_served(
    hostile_api, owner, tmp_path, body, claimed
):
    url = hostile_api.serve("out.mp4", body, content_type=claimed)
    generation = copying(owner, {"video_url": url})

    assert rehost.rehost_generation(generation.pk) == "failed"  # not retried: same bytes again

    generation.refresh_from_db()
    assert generation.state == State.FAILED
    assert generation.error_type == ErrorType.OUTPUT_WRONG_TYPE
    assert "was not the kind of media this endpoint makes" in explain.reason(generation)
    assert_nothing_kept(generation, tmp_path)


@pytest.mark.parametrize(
    ("key", "body", "claimed"),
    [("poster_url", SVG, "image/svg+xml"), ("page_url", HTML, "text/html")],
)
def test_an_extra_output_of_a_type_no_endpoint_makes_fails_the_clip(
    hostile_api, owner, tmp_path, key, body, claimed
):
    generation = copying(
        owner,
        {
            "video_url": hostile_api.serve("v.mp4", clip_media()[0]),
            key: hostile_api.serve("extra", body, content_type=claimed),
        },
    )

    assert rehost.rehost_generation(generation.pk) == "failed"

    generation.refresh_from_db()
    assert generation.error_type == ErrorType.OUTPUT_WRONG_TYPE
    assert_nothing_kept(generation, tmp_path)


def test_an_image_posing_as_a_video_is_refused(hostile_api, owner, tmp_path):
    png = make_image(tmp_path / "x.png").read_bytes()
    generation = copying(owner, {"video_url": hostile_api.serve("v.mp4", png)})

    assert rehost.rehost_generation(generation.pk) == "failed"
    generation.refresh_from_db()
    assert generation.error_type == ErrorType.OUTPUT_WRONG_TYPE


def test_a_real_mp4_is_stored_by_its_content_and_served_as_inert_media(
    hostile_api, owner, owner_client
):
    url = hostile_api.serve("page.html", clip_media()[0], content_type="text/html")
    generation = copying(owner, {"video_url": url})

    assert rehost.rehost_generation(generation.pk) == "ready"

    output = generation.outputs.get()
    assert output.content_type == "video/mp4" and output.file.name.endswith(".mp4")
    assert output.poster.name.endswith(".jpg")
    with default_storage.open(output.poster.name) as poster:
        assert poster.read(3) == b"\xff\xd8\xff"  # our own JPEG
    for name in ("gallery:file", "gallery:poster", "gallery:download"):
        response = fetch(owner_client, reverse(name, args=[output.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] in ("video/mp4", "image/jpeg")
        assert response.ours["X-Content-Type-Options"] == "nosniff"
        assert response.ours["Content-Security-Policy"].endswith("; sandbox")


# --- 3. result URLs never reach inwards -------------------------------------------------------


def forbidden_targets():
    targets = [
        pytest.param("127.0.0.2", "http", id="http-127.0.0.2"),
        pytest.param("127.0.0.2", "https", id="https-127.0.0.2"),
    ]
    if ipv6_loopback_available():
        targets.append(pytest.param("::1", "http", id="http-[::1]"))
    return targets


@pytest.mark.parametrize(("host", "scheme"), forbidden_targets())
def test_a_result_url_on_a_loopback_address_is_never_fetched(
    hostile_api, listener, owner, tmp_path, host, scheme
):
    target = listener(host)
    generation = copying(owner, {"video_url": target.url(scheme)})

    assert rehost.rehost_generation(generation.pk) == "failed"  # at once: no retry storm

    assert target.hits == 0
    generation.refresh_from_db()
    assert generation.state == State.FAILED
    assert generation.error_type == ErrorType.OUTPUT_HOST_REFUSED
    assert "never fetches from" in explain.reason(generation)
    assert_nothing_kept(generation, tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:169.254.169.254]/latest/meta-data/",
        "https://10.0.0.1/internal.mp4",
        "https://0.0.0.0/x.mp4",
        "http://example.com/video.mp4",  # plain http: only for allowed origins
    ],
)
def test_a_result_url_on_a_private_or_link_local_address_fails_without_a_retry(
    hostile_api, owner, tmp_path, url
):
    generation = copying(owner, {"video_url": url})

    assert rehost.rehost_generation(generation.pk) == "failed"

    generation.refresh_from_db()
    assert generation.error_type == ErrorType.OUTPUT_HOST_REFUSED
    assert generation.rehost_attempts == 1 and generation.next_attempt_at is None
    assert_nothing_kept(generation, tmp_path)


@pytest.mark.parametrize("where", ["127.0.0.2", "another loopback port", "::ffff:127.0.0.1"])
def test_a_redirect_from_the_allowed_origin_to_loopback_is_not_followed(
    hostile_api, listener, owner, tmp_path, where
):
    target = listener("127.0.0.1" if where != "127.0.0.2" else "127.0.0.2")
    location = target.url()
    if where == "::ffff:127.0.0.1":
        location = f"https://[::ffff:127.0.0.1]:{target.port}/x.mp4"
    generation = copying(owner, {"video_url": hostile_api.redirect("moved", location)})

    assert rehost.rehost_generation(generation.pk) == "failed"

    assert hostile_api.hits == ["/files/moved"]  # the allowed origin was asked ...
    assert target.hits == 0  # ... and what it pointed at was not
    generation.refresh_from_db()
    assert generation.error_type == ErrorType.OUTPUT_HOST_REFUSED
    assert_nothing_kept(generation, tmp_path)


def test_an_extra_result_origin_is_allowed(hostile_api, listener, owner, settings):
    target = listener("127.0.0.2")
    settings.LTXDASH_EXTRA_RESULT_ORIGINS = (target.origin,)
    generation = copying(owner, {"video_url": target.url()})

    assert rehost.rehost_generation(generation.pk) == "ready"
    assert target.hits == 1


def test_a_storage_error_body_never_reaches_a_person(hostile_api, owner, tmp_path):
    body = f"<Error><Code>AccessDenied</Code><Message>{SECRET}</Message></Error>".encode()
    url = hostile_api.serve("v.mp4", body, content_type="application/xml", status=403)
    hostile_api.complete({"video_url": url})
    generation = copying(owner, {"video_url": url})

    outcomes = []
    for _ in range(rehost.REFUSED_ATTEMPTS):
        Generation.objects.filter(pk=generation.pk).update(next_attempt_at=ago(1))
        outcomes.append(rehost.rehost_generation(generation.pk))
        text = shown_to_a_person(generation)
        assert "AKIA" not in text and "AccessDenied" not in text and "X-Amz" not in text

    assert outcomes[-1] == "failed"
    generation.refresh_from_db()
    assert generation.error_message == "storage answered HTTP 403"


# --- 4. API text on a page is cleaned and capped ----------------------------------------------


def test_a_failure_message_with_bidi_and_control_characters_is_cleaned_and_capped(
    hostile_api, owner
):
    hostile_api.fail(
        {"type": "api_error\u202e", "message": "Render \u202eevil\u2066\x00\x1b[31m failed " * 2000}
    )
    generation = in_flight(owner)

    poller.poll_due()

    generation.refresh_from_db()
    assert generation.state == State.FAILED
    assert generation.error_type == "unknown_error"  # not a clean type: not shown as one
    message = generation.error_message
    assert message.startswith("Render evil[31m failed Render")
    assert len(message) <= 500 and message.endswith("…")
    for hidden in ("\u202e", "\u2066", "\x00", "\x1b"):
        assert hidden not in shown_to_a_person(generation)


def test_an_output_too_large_to_open_fails_before_a_poster_is_decoded(
    hostile_api, owner, tmp_path, monkeypatch
):
    """A real MP4 whose frames are wider than any endpoint makes (9,000 px; the most we open is
    8,192): refused from its header, at once (not retried), before a frame is decoded."""
    from ltxdash import media
    from tests.media_factory import make_video

    wide = make_video(tmp_path / "wide.mp4", seconds=0.2, width=9000, height=64, fps=10)
    decoded: list[str] = []
    monkeypatch.setattr(media, "make_poster", lambda *a, **k: decoded.append("poster"))
    generation = copying(owner, {"video_url": hostile_api.serve("v.mp4", wide.read_bytes())})

    assert rehost.rehost_generation(generation.pk) == "failed"
    generation.refresh_from_db()
    assert generation.error_type == ErrorType.OUTPUT_WRONG_TYPE
    assert "9000x64" in generation.error_message
    assert decoded == []
    assert_nothing_kept(generation, tmp_path)
