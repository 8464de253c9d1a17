"""Share tokens never reach a log line: Django's request and error logs, the access log."""

import io
import logging
import secrets
import wsgiref.util

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from ltxdash.core import media_storage
from ltxdash.core.logs import AccessLog, redact
from ltxdash.gallery.models import ShareLink
from tests.factories import make_clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    """What the product's one log handler (LOGGING's "console") writes, as text."""
    handler = logging.getHandlerByName("console")
    assert handler is not None and isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.fixture
def token(owner):
    return ShareLink.create_for(make_clip(owner), None)[1]


def _wsgi_get(path: str) -> str:
    environ: dict = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "REMOTE_ADDR": "127.0.0.1"}
    wsgiref.util.setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "127.0.0.1"
    status: list[str] = []
    # As Django's test client does: the request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        b"".join(AccessLog(WSGIHandler())(environ, lambda s, h, *e: status.append(s)))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return status[0]


def test_the_access_log_has_one_line_per_request_without_the_token(log_output, token):
    media = "302" if media_storage.is_remote() else "200"  # S3: a redirect to the bucket
    for path, status in ((f"/s/{token}", "200"), (f"/s/{token}/video", media)):
        assert _wsgi_get(path).startswith(status)
    assert _wsgi_get(f"/s/{token}/poster").startswith(media)
    lines = [line for line in log_output.getvalue().splitlines() if "ltxdash.access" in line]
    assert len(lines) == 3
    assert '"GET /s/[token] HTTP/1.0" 200' in lines[0]
    assert f'"GET /s/[token]/video HTTP/1.0" {media}' in lines[1]
    assert token not in log_output.getvalue()


def test_a_404_share_url_is_logged_without_its_token(log_output, client):
    guessed = secrets.token_urlsafe(32)
    assert client.get(f"/s/{guessed}/video").status_code == 404
    assert _wsgi_get(f"/s/{guessed}").startswith("404")
    output = log_output.getvalue()
    assert "Not Found: /s/[token]/video" in output  # django.request's warning
    assert '"GET /s/[token] HTTP/1.0" 404' in output  # the access line
    assert guessed not in output


def test_a_traceback_through_a_share_url_is_redacted(log_output):
    secret = secrets.token_urlsafe(32)
    try:
        raise RuntimeError(f"failed while serving http://host/s/{secret}/video")
    except RuntimeError:
        logging.getLogger("django.request").exception("Internal Server Error: /s/%s", secret)
    output = log_output.getvalue()
    assert "Internal Server Error: /s/[token]" in output
    assert "http://host/s/[token]/video" in output  # inside the traceback
    assert secret not in output


def test_it_redacts_every_form_a_token_takes_and_nothing_else():
    t = secrets.token_urlsafe(32)
    assert redact(f"GET /s/{t}/poster?x=1") == "GET /s/[token]/poster?x=1"
    assert redact(f"https://video.example.com/s/{t}") == "https://video.example.com/s/[token]"
    assert redact(f"/accounts/login/?next=%2Fs%2F{t}") == "/accounts/login/?next=%2Fs%2F[token]"
    assert redact(f"/accounts/reset/MQ/{t[:39]}/") == "/accounts/reset/MQ/[token]/"
    assert redact(f"GET /b/{t}/files/3") == "GET /b/[token]/files/3"
    # An invitation's token lets anyone join the workspace: only its hash is stored.
    assert redact(f"GET /invite/{t} 302") == "GET /invite/[token] 302"
    assert redact(f"/accounts/login/?next=/invite/{t}") == "/accounts/login/?next=/invite/[token]"
    assert redact(f"?next=%2Finvite%2F{t}") == "?next=%2Finvite%2F[token]"
    for plain in (
        "/static/css/ltxdash.css",
        "/gallery/12/",
        "/accounts/reset/MQ/set-password/",
        "/workspaces/invitations/",
    ):
        assert redact(plain) == plain


def test_the_gunicorn_logger_of_the_production_recipe_redacts_too():
    from gunicorn.config import Config

    from ltxdash.core.gunicorn_logging import GunicornLogger

    class Request:
        method, uri, path, query, version, headers = "GET", "", "", "", (1, 1), []

    class Response:
        status, sent, headers = "200 OK", 10, []

    t = secrets.token_urlsafe(32)
    req = Request()
    req.uri = req.path = f"/s/{t}/video"
    environ = {"RAW_URI": req.uri, "PATH_INFO": req.path, "REQUEST_METHOD": "GET"}
    environ |= {"QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.1"}
    from datetime import timedelta

    atoms = GunicornLogger(Config()).atoms(Response(), req, environ, timedelta(seconds=0.1))
    assert t not in repr(atoms)
    assert atoms["r"] == "GET /s/[token]/video HTTP/1.1"
