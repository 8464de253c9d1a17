"""The API key goes into the Authorization header of API requests and nowhere else."""

import logging

import httpx
import pytest

from ltxdash.ltx import errors
from ltxdash.ltx.client import LTXClient
from tests.support.ltx_fakes import (
    API_KEY,
    COMPLETED,
    CREATED,
    JOB_ID,
    UPLOAD,
    Script,
    make_client,
    reply,
)

BODY = {"prompt": "p", "model": "ltx-2-3-pro", "duration": 6, "resolution": "1920x1080"}


def echoing_error(status, error_type):
    """A misbehaving server that quotes the request's Authorization header back."""

    def respond(request):
        return reply(
            status,
            {
                "type": "error",
                "error": {
                    "type": error_type,
                    "message": f"bad header {request.headers['authorization']}",
                },
            },
        )(request)

    return respond


def test_it_keeps_the_key_out_of_the_client_repr():
    client = make_client(Script(reply(200, COMPLETED)))

    assert API_KEY not in repr(client)
    assert API_KEY not in str(client)
    assert API_KEY not in repr(vars(client))  # httpx masks the header in its own reprs too


@pytest.mark.parametrize(
    ("status", "error_type", "cls"),
    [
        (401, "authentication_error", errors.AuthenticationError),
        (500, "api_error", errors.APIError),
        (400, "brand_new_error", errors.UnknownAPIError),
    ],
)
def test_it_redacts_a_key_the_server_echoes_back(status, error_type, cls):
    script = Script(echoing_error(status, error_type))

    with pytest.raises(cls) as caught:
        make_client(script, max_attempts=2).get_status("text-to-video", JOB_ID)

    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value)
    assert API_KEY not in caught.value.message
    assert "[redacted]" in caught.value.message


def test_it_never_logs_the_key(caplog, tmp_path):
    for name in (None, "httpx", "httpcore", "ltxdash"):  # settings quieten httpx: undo that here
        caplog.set_level(logging.DEBUG, logger=name)
    source = tmp_path / "in.png"
    source.write_bytes(b"png")
    script = Script(
        echoing_error(503, "service_unavailable"),
        reply(202, CREATED),
        httpx.ReadTimeout("slow"),
        reply(200, COMPLETED),
        reply(200, UPLOAD),
        reply(200),
        reply(200, content=b"video"),
        echoing_error(401, "authentication_error"),
    )
    client = make_client(script)

    client.submit("text-to-video", BODY)
    client.get_status("text-to-video", JOB_ID)
    client.upload_file(source, "image/png")
    client.download(COMPLETED["result"]["video_url"], tmp_path, max_bytes=100, deadline_seconds=5)
    with pytest.raises(errors.AuthenticationError):
        client.get_status("text-to-video", JOB_ID)

    assert len(script.requests) == 8
    logged_by = {record.name.split(".")[0] for record in caplog.records}
    assert {"httpx", "ltxdash"} <= logged_by  # (httpcore logs over real sockets: test_contract)
    assert API_KEY not in caplog.text


def test_it_sends_the_key_only_to_the_api_host(tmp_path):
    source = tmp_path / "in.png"
    source.write_bytes(b"png")
    script = Script(reply(200, UPLOAD), reply(200), reply(200, content=b"video"))
    client = make_client(script)

    client.upload_file(source, "image/png")
    client.download(COMPLETED["result"]["video_url"], tmp_path, max_bytes=100, deadline_seconds=5)

    by_host = {(r.url.host, "authorization" in r.headers) for r in script.requests}
    assert by_host == {
        ("api.ltx.test", True),
        ("uploads.example.com", False),
        ("storage.example.com", False),
    }


@pytest.mark.parametrize("key", ["", "sk-with space", "sk-line\nbreak", "sk-ünicode"])
def test_it_refuses_an_unusable_key_without_echoing_it(key):
    with pytest.raises(ValueError) as caught:
        LTXClient(key, "https://api.ltx.test")

    assert not key or key not in str(caught.value)
