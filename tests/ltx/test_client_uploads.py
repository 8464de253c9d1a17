from datetime import UTC, datetime

import pytest

from ltxdash.ltx import errors
from ltxdash.ltx.client import UploadTarget
from tests.support.ltx_fakes import API_KEY, UPLOAD, Script, api_error, make_client, reply


def test_it_asks_for_an_upload_url_with_an_empty_post():
    script = Script(reply(200, UPLOAD))

    target = make_client(script).create_upload()

    request = script.requests[0]
    assert (request.method, request.url.path, request.content) == ("POST", "/v1/upload", b"")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert target == UploadTarget(
        upload_url=UPLOAD["upload_url"],
        storage_uri="ltx://uploads/abc-123",
        expires_at=datetime(2026, 1, 15, 11, tzinfo=UTC),
        required_headers={"x-goog-content-length-range": "0,104857600"},
    )


def test_it_uploads_a_file_with_the_required_headers(tmp_path):
    source = tmp_path / "first-frame.png"
    source.write_bytes(b"\x89PNG\r\n" + b"pixels" * 1000)
    script = Script(reply(200, UPLOAD), reply(201))

    storage_uri = make_client(script).upload_file(source, "image/png")

    put = script.requests[1]
    assert storage_uri == "ltx://uploads/abc-123"
    assert (put.method, str(put.url)) == ("PUT", UPLOAD["upload_url"])
    assert put.content == source.read_bytes()
    assert put.headers["content-type"] == "image/png"
    assert put.headers["x-goog-content-length-range"] == "0,104857600"
    assert put.headers["content-length"] == str(source.stat().st_size)
    assert "authorization" not in put.headers


def test_it_lets_required_headers_override_ours_whatever_their_case(tmp_path):
    source = tmp_path / "voice.wav"
    source.write_bytes(b"RIFF....WAVE")
    answer = {
        **UPLOAD,
        "required_headers": {"Content-Type": "application/octet-stream", "x-upload-size": 12},
    }
    script = Script(reply(200, answer), reply(200))

    make_client(script).upload_file(source, "audio/wav")

    put = script.requests[1]
    assert put.headers.get_list("content-type") == ["application/octet-stream"]
    assert put.headers["x-upload-size"] == "12"


def test_it_does_not_retry_a_put_the_storage_refused(tmp_path):
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"\x00" * 10)
    script = Script(reply(200, UPLOAD), reply(403, content=b"<Error>SignatureDoesNotMatch</Error>"))

    with pytest.raises(errors.LTXError) as caught:
        make_client(script).upload_file(source, "video/mp4")

    assert caught.value.status == 403
    assert "SignatureDoesNotMatch" not in caught.value.message  # a remote body is never shown
    assert len(script.requests) == 2


def test_it_checks_the_file_before_asking_for_a_url(tmp_path):
    script = Script(reply(200, UPLOAD))

    with pytest.raises(FileNotFoundError):
        make_client(script).upload_file(tmp_path / "missing.png", "image/png")

    assert script.requests == []


def test_it_reports_a_failed_upload_request():
    script = Script(api_error(401, "authentication_error", "Invalid API key"))

    with pytest.raises(errors.AuthenticationError):
        make_client(script).create_upload()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"upload_url": None}, "upload_url"),
        ({"upload_url": "ftp://host/x"}, "upload_url"),
        ({"upload_url": "https://[bad"}, "upload_url"),
        ({"upload_url": "https://"}, "upload_url"),
        ({"storage_uri": ""}, "storage_uri"),
        ({"required_headers": ["x"]}, "required_headers"),
        ({"required_headers": {"x-evil": "a\r\nInjected: 1"}}, "cannot be sent"),
        ({"required_headers": {"bad name": "1"}}, "cannot be sent"),
        ({"required_headers": {"x-trailing\n": "1"}}, "cannot be sent"),
        ({"required_headers": {"x-n": None}}, "cannot be sent"),
    ],
)
def test_it_refuses_upload_answers_it_cannot_use(change, problem):
    script = Script(reply(200, {**UPLOAD, **change}))

    with pytest.raises(errors.InvalidResponseError, match=problem):
        make_client(script).create_upload()


def test_it_tolerates_missing_optional_upload_fields():
    answer = {"upload_url": UPLOAD["upload_url"], "storage_uri": "ltx://uploads/x"}

    target = make_client(Script(reply(200, answer))).create_upload()

    assert (target.expires_at, target.required_headers) == (None, {})


def test_it_never_puts_to_a_plain_http_upload_url_outside_the_allowed_origins(tmp_path):
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"\x00" * 10)
    script = Script(reply(200, {**UPLOAD, "upload_url": "http://10.0.0.1/bucket/put"}))

    with pytest.raises(errors.InvalidResponseError) as caught:
        make_client(script).upload_file(source, "video/mp4")

    assert not caught.value.retryable
    assert len(script.requests) == 1  # the POST /v1/upload; no PUT went out
