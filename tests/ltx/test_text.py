"""API text on its way to a page: one line, no hidden characters, capped."""

from __future__ import annotations

import httpx

from ltxdash.ltx import text
from ltxdash.ltx.errors import error_from_response
from ltxdash.ltx.responses import parse_job_status


def test_clean_drops_bidi_controls_and_zero_width_and_caps():
    assert text.clean("a\u202eb\u2066c\u200bd\x00e\x1b[0m\tf\ng") == "abcde[0m f g"
    long = text.clean("word " * 1000)
    assert len(long) == 500 and long.endswith("…")
    assert text.clean("x" * 10**7, 40) == "x" * 39 + "…"


def test_error_types_and_request_ids_must_look_like_them():
    assert text.error_type("content_filtered_error") == "content_filtered_error"
    assert text.error_type("api_error\u202e") is None
    assert text.error_type("x" * 65) is None
    assert text.request_id("req-1234") == "req-1234"
    assert text.request_id("r" * 81) is None
    assert text.request_id("a b") is None


def test_an_api_error_message_is_kept_but_cleaned_and_the_raw_body_never():
    shout = "Bad \u202eparameter\u202c " * 100
    response = httpx.Response(
        400,
        json={"type": "error", "error": {"type": "invalid_request_error", "message": shout}},
        headers={"x-request-id": "req-" + "x" * 200},
    )
    error = error_from_response(response)
    assert error.message.startswith("Bad parameter Bad parameter")
    assert len(error.message) <= 500 and "\u202e" not in error.message
    assert error.request_id is None

    page = httpx.Response(400, content=b"<html>secret=hunter2</html>")
    assert "hunter2" not in error_from_response(page).message


def test_a_failed_job_s_reason_is_cleaned():
    response = httpx.Response(
        200,
        json={
            "id": "j1",
            "status": "failed",
            "error": {"type": "api_error", "message": "\u2067boom\u2069\n" * 400},
        },
    )
    status = parse_job_status(response, "j1")
    assert status.error is not None
    assert status.error.message.startswith("boom boom") and len(status.error.message) <= 500
