"""The storage transport: response heads through httpx, large bodies straight off the socket."""

import hashlib
import os
import socket
import ssl
import threading

import httpx
import pytest

from ltxdash.ltx.client import LTXClient
from ltxdash.ltx.egress import EgressPolicy, origin_of
from ltxdash.ltx.retry import RetryPolicy
from ltxdash.ltx.transport import HeadFirstStream, StorageTransport, storage_transport

BODY = os.urandom(3 * 2**20 + 12345)  # not a multiple of any buffer size


def client(*servers):
    """A client that may fetch from the given raw servers: they listen on loopback, an allowed
    origin only when configured (as a self-hosted stand-in's would be)."""
    origins = [origin_of(s if isinstance(s, str) else s.url) for s in servers]
    return LTXClient(
        "sk-real", "http://127.0.0.1:9", retry=RetryPolicy(max_attempts=1), result_origins=origins
    )


@pytest.fixture
def direct_reads(monkeypatch):
    """Counts the body reads that bypass httpx."""
    calls = []
    original = HeadFirstStream.readinto

    def counting(self, view, timeout=None):
        count = original(self, view, timeout)
        calls.append(count)
        return count

    monkeypatch.setattr(HeadFirstStream, "readinto", counting)
    return calls


def send_file(head_extra=b"", body=BODY):
    def respond(conn):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n"
        conn.sendall(head + head_extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)

    return respond


def assert_copied(result, body=BODY):
    assert result.path.read_bytes() == body
    assert result.size == len(body)
    assert result.sha256 == hashlib.sha256(body).hexdigest()


def test_a_large_body_is_read_off_the_socket_not_through_httpx(tmp_path, raw_server, direct_reads):
    server = raw_server(send_file())

    result = client(server).download(server.url, tmp_path, max_bytes=10**8, deadline_seconds=30)

    assert_copied(result)
    assert result.content_type == "video/mp4"
    assert sum(direct_reads) == len(BODY)  # every byte, the ones that came with the head too


def test_body_bytes_that_arrive_with_the_head_are_kept(tmp_path, raw_server, direct_reads):
    small = b"tiny body in the same packet as the head"
    server = raw_server(send_file(body=small))

    result = client(server).download(server.url, tmp_path, max_bytes=10**8, deadline_seconds=30)

    assert_copied(result, small)
    assert direct_reads[0] == len(small)


def test_an_informational_head_before_the_real_one(tmp_path, raw_server, direct_reads):
    def respond(conn):
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        send_file()(conn)

    server = raw_server(respond)

    assert_copied(
        client(server).download(server.url, tmp_path, max_bytes=10**8, deadline_seconds=30)
    )
    assert sum(direct_reads) == len(BODY)


@pytest.mark.parametrize(
    "heads",
    [
        b"HTTP/1.1 200 OK\nContent-Length: %d\n\n",  # bare LF, which h11 accepts too
        b"HTTP/1.1 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n",  # no reason
    ],
)
def test_heads_that_are_unusual_but_valid(tmp_path, raw_server, direct_reads, heads):
    server = raw_server(lambda conn: conn.sendall(heads % len(BODY) + BODY))

    assert_copied(
        client(server).download(server.url, tmp_path, max_bytes=10**8, deadline_seconds=30)
    )
    assert sum(direct_reads) == len(BODY)


def test_a_chunked_body_goes_through_httpx(tmp_path, raw_server, direct_reads):
    def respond(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for start in range(0, len(BODY), 100_000):
            piece = BODY[start : start + 100_000]
            conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        conn.sendall(b"0\r\n\r\n")

    server = raw_server(respond)

    assert_copied(
        client(server).download(server.url, tmp_path, max_bytes=10**8, deadline_seconds=30)
    )
    assert direct_reads == []


def test_an_oversized_body_is_refused_before_reading(tmp_path, raw_server, direct_reads):
    server = raw_server(send_file())

    with pytest.raises(Exception, match="limit is 1000"):
        client(server).download(server.url, tmp_path, max_bytes=1000, deadline_seconds=30)

    assert direct_reads == []
    assert list(tmp_path.iterdir()) == []


def test_extra_bytes_past_the_content_length_are_ignored(tmp_path, raw_server):
    def respond(conn):
        send_file()(conn)
        conn.sendall(b"garbage after the body")

    server = raw_server(respond)

    assert_copied(
        client(server).download(server.url, tmp_path, max_bytes=10**8, deadline_seconds=30)
    )


def test_redirects_are_followed_without_the_api_key(tmp_path, raw_server, direct_reads):
    target = raw_server(send_file())

    def redirect(conn):
        conn.sendall(
            b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 5\r\n\r\nmoved"
            % target.url.encode()
        )

    first = raw_server(redirect)

    assert_copied(
        client(first, target).download(first.url, tmp_path, max_bytes=10**8, deadline_seconds=30)
    )
    for request in first.requests + target.requests:
        assert b"authorization" not in request.lower()
        assert b"sk-real" not in request
    assert sum(direct_reads) == len(BODY)


def test_it_reads_over_tls(tmp_path, monkeypatch, direct_reads):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # httpx trusts it (trust_env)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        with server_context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(65536)
            send_file()(tls)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    out = tmp_path / "out"
    try:
        result = client(f"https://localhost:{port}").download(
            f"https://localhost:{port}/clip.mp4", out, max_bytes=10**8, deadline_seconds=30
        )
    finally:
        listener.close()
        thread.join(timeout=5)

    assert_copied(result)
    assert sum(direct_reads) == len(BODY)


def test_a_proxy_in_the_environment_keeps_httpx_s_own_transport(monkeypatch):
    limits = httpx.Limits(max_connections=2)
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(storage_transport(limits, EgressPolicy()), StorageTransport)

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")

    assert storage_transport(limits, EgressPolicy()) is None  # so httpx applies the proxy


# --- HeadFirstStream on its own ---------------------------------------------------------------


class FakeStream:
    """An httpcore network stream that returns scripted pieces, then EOF."""

    def __init__(self, *pieces):
        self.pieces = list(pieces)
        self.written = b""

    def read(self, max_bytes, timeout=None):
        return self.pieces.pop(0) if self.pieces else b""

    def write(self, buffer, timeout=None):
        self.written += buffer

    def close(self):
        pass

    def get_extra_info(self, info):
        return None


def test_the_head_is_returned_alone_even_when_split_across_reads():
    stream = HeadFirstStream(FakeStream(b"HTTP/1.1 200 OK\r\nContent-", b"Length: 4\r\n\r\nbody"))
    stream.write(b"GET / HTTP/1.1\r\n\r\n")

    assert stream.read(65536) == b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"
    view = memoryview(bytearray(10))
    assert stream.readinto(view) == 4
    assert bytes(view[:4]) == b"body"


def test_after_the_head_reads_pass_through_in_order():
    stream = HeadFirstStream(FakeStream(b"HTTP/1.1 200 OK\r\n\r\nabc", b"def"))
    stream.write(b"GET / HTTP/1.1\r\n\r\n")

    assert stream.read(65536).endswith(b"\r\n\r\n")
    assert stream.read(2) == b"ab"
    assert stream.read(65536) == b"c"
    assert stream.read(65536) == b"def"
    assert stream.read(65536) == b""


def test_a_head_cut_off_by_the_server_is_handed_on_as_it_is():
    stream = HeadFirstStream(FakeStream(b"HTTP/1.1 200 OK\r\nContent-Le"))
    stream.write(b"GET / HTTP/1.1\r\n\r\n")

    assert stream.read(65536) == b"HTTP/1.1 200 OK\r\nContent-Le"  # h11 reports it
    assert stream.read(65536) == b""


def test_a_head_with_no_end_is_handed_on_once_it_is_too_long():
    endless = [b"X-Filler: " + b"a" * 8000 + b"\r\n"] * 20
    stream = HeadFirstStream(FakeStream(b"HTTP/1.1 200 OK\r\n", *endless))
    stream.write(b"GET / HTTP/1.1\r\n\r\n")

    first = stream.read(65536)

    assert 64 * 1024 <= len(first) < 80 * 1024  # bounded, and h11 refuses it as too large


def test_every_request_expects_a_new_head():
    stream = HeadFirstStream(
        FakeStream(b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    )
    stream.write(b"GET /a HTTP/1.1\r\n\r\n")
    assert stream.read(65536) == b"HTTP/1.1 204 No Content\r\n\r\n"
    stream.write(b"GET /b HTTP/1.1\r\n\r\n")
    assert stream.read(65536) == b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
