"""`serve`'s web server, started as `serve` starts it: slow clients don't starve it, and its
access log has one line per request and no share token."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ltxdash.core import webserver
from tests.support.slowloris import Slowloris, time_to_answer

ROOT = Path(__file__).resolve().parents[2]
MAKE_LINK = (
    "from django.test import Client;"
    "from tests.factories import make_user, make_clip;"
    "from ltxdash.gallery.models import ShareLink;"
    "alice = make_user('alice'); browser = Client(); browser.force_login(alice);"
    "print(ShareLink.create_for(make_clip(alice), None)[1], browser.cookies['sessionid'].value)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("web")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LTX", "DJANGO_", "DATABASE"))}
    # The test settings: static files without `collectstatic` (which `make run` does first).
    env |= {"LTXDASH_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    env |= {"PYTHONUNBUFFERED": "1"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    made = subprocess.run(
        [*manage, "shell", "-c", MAKE_LINK], cwd=ROOT, env=env, check=True, timeout=120,
        capture_output=True, text=True,
    )  # fmt: skip
    token, session = made.stdout.strip().splitlines()[-1].split()
    port = _free_port()
    log = data / "web.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            webserver.command("127.0.0.1", port), cwd=ROOT, env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time_to_answer(f"{base}/healthz", timeout=2) == float("inf"):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the web server never answered"
            time.sleep(0.2)
        yield base, port, token, log, session
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_healthz_answers_at_once_while_48_slow_clients_hold_connections(server):
    base, port, *_ = server
    # gunicorn gthread (2 workers x 8 threads, what `serve` ran before) answered none of these:
    # 16 slow sockets took every thread for as long as they kept sending.
    with Slowloris(port, 48, every=1.0, for_seconds=30) as slow:
        time.sleep(2.5)  # they have each sent a few more header lines
        timings = [time_to_answer(f"{base}/healthz", timeout=10) for _ in range(5)]
        assert all(t < 2.0 for t in timings), timings
        alive = sum(1 for sock in slow.sockets if sock.fileno() != -1)
        assert alive == 48  # they are still connected: the server answered beside them


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_access_log_has_a_line_per_request_and_no_token(server):
    base, _, token, log, _ = server
    guessed = secrets.token_urlsafe(32)
    assert _get(f"{base}/s/{token}") == 200
    assert _get(f"{base}/s/{token}/video") == 200
    assert _get(f"{base}/s/{guessed}") == 404
    time.sleep(0.5)
    text = log.read_text()
    assert token not in text and guessed not in text
    access = [line for line in text.splitlines() if "ltxdash.access" in line and "/s/" in line]
    assert len(access) == 3, access
    # A line is written once its answer has gone, by the thread that served it: on a busy
    # machine the lines of back-to-back requests may come in either order.
    for expected in (
        '"GET /s/[token] HTTP/1.1" 200',
        '"GET /s/[token]/video HTTP/1.1" 200',
        '"GET /s/[token] HTTP/1.1" 404',
    ):
        assert sum(expected in line for line in access) == 1, (expected, access)
    assert "Not Found: /s/[token]" in text  # Django's own warning, redacted the same way


def test_it_refuses_a_huge_request_head(server):
    _, port, *_ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
        assert b" 431 " in sock.recv(200).split(b"\r\n")[0] + b" "


def _answer_without_sending_the_body(port: int, head: str) -> bytes:
    """The server's first answer to a request head alone: a refusal comes back at once."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(head.encode())
        try:
            return sock.recv(200).split(b"\r\n")[0]
        except TimeoutError:
            return b"(no answer: the server waits for the body)"


def _post_head(length: int, cookie: str = "") -> str:
    return (
        f"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n{cookie}\r\n"
    )


def test_a_strangers_large_body_is_refused_before_it_is_buffered(server):
    """The anonymous limit (64 KiB) is applied by the server itself, by Content-Length: a
    stranger's 150 MB body used to be spooled to disk before Django refused it."""
    _, port, *_ = server
    for cookie in ("", "Cookie: sessionid=forged-session-key\r\n"):
        status = _answer_without_sending_the_body(port, _post_head(150_000_000, cookie))
        assert status.startswith(b"HTTP/1.1 413"), (cookie, status)
    # A chunked body is counted as it arrives, and refused once past the limit.
    chunk = b"%x\r\n%s\r\n" % (32 * 1024, b"a" * 32 * 1024)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 3  # 96 KiB: past 64 KiB
        )
        try:
            answer = sock.recv(200)
        except ConnectionResetError:  # refused and closed before the answer was read
            answer = b"(reset)"
        assert answer.startswith(b"HTTP/1.1 413"), answer


def test_a_members_body_is_held_to_the_members_limit(server, settings):
    _, port, _, _, session = server
    # Other cookies before it (one that Python's SimpleCookie cannot read) do not hide it.
    cookie = f'Cookie: theme="dark mode"; x=a b; sessionid={session}\r\n'
    # 10 MB from a logged-in member: the server waits for it (Django decides, as for uploads).
    waiting = _answer_without_sending_the_body(port, _post_head(10_000_000, cookie))
    assert not waiting.startswith(b"HTTP/1.1 413"), waiting
    # Over LTXDASH_MAX_REQUEST_BYTES: refused at once, even for a member.
    over = int(settings.LTXDASH_MAX_REQUEST_BYTES) + 1
    assert _answer_without_sending_the_body(port, _post_head(over, cookie)).startswith(
        b"HTTP/1.1 413"
    )
