import hashlib
import time

import httpx
import pytest

from ltxdash.ltx.downloads import WRITE_BYTES, HashingWriter
from ltxdash.ltx.egress import origin_of
from ltxdash.ltx.errors import DownloadError, LTXError
from tests.support.ltx_fakes import FakeTime, Script, make_client, reply

URL = "https://storage.example.com/outputs/clip.mp4?X-Goog-Signature=secret-sig"
PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


def chunks(data, size=64 * 1024):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_it_downloads_hashes_and_names_the_file(tmp_path):
    script = Script(reply(200, content=PAYLOAD, headers={"content-type": "video/mp4"}))

    result = make_client(script).download(URL, tmp_path, max_bytes=10**7, deadline_seconds=60)

    assert result.path.parent == tmp_path
    assert result.path.suffix == ".mp4"
    assert result.path.read_bytes() == PAYLOAD
    assert result.size == len(PAYLOAD)
    assert result.sha256 == hashlib.sha256(PAYLOAD).hexdigest()
    assert result.content_type == "video/mp4"
    assert leftovers(tmp_path) == [result.path.name]  # no .part file left behind


def test_it_sends_no_api_key_to_storage_and_follows_redirects(tmp_path):
    final = "https://cdn.other-host.example/blob/7?sig=2"
    script = Script(reply(302, headers={"location": final}), reply(200, content=b"video"))

    result = make_client(script).download(URL, tmp_path, max_bytes=100, deadline_seconds=60)

    assert [str(r.url) for r in script.requests] == [URL, final]
    assert all("authorization" not in r.headers for r in script.requests)
    assert result.path.read_bytes() == b"video"


def test_it_creates_the_destination_folder(tmp_path):
    target = tmp_path / "a" / "b"

    result = make_client(Script(reply(200, content=b"x"))).download(
        URL, target, max_bytes=10, deadline_seconds=5
    )

    assert result.path.parent == target


def test_it_retries_and_then_reports_a_truncated_download(tmp_path):
    short = reply(200, content=PAYLOAD[:1000], headers={"content-length": str(len(PAYLOAD))})
    script = Script(short)
    fake = FakeTime()

    with pytest.raises(DownloadError) as caught:
        make_client(script, fake, max_attempts=3).download(
            URL, tmp_path, max_bytes=10**7, deadline_seconds=60
        )

    assert caught.value.reason == "truncated"
    assert caught.value.retryable
    assert len(script.requests) == 3
    assert fake.sleeps == [0.5, 1.0]
    assert leftovers(tmp_path) == []


def test_it_recovers_when_a_retry_gets_the_whole_file(tmp_path):
    script = Script(
        reply(200, content=PAYLOAD[:10], headers={"content-length": str(len(PAYLOAD))}),
        reply(503, content=b"busy", headers={"retry-after": "2"}),
        reply(200, content=PAYLOAD),
    )
    fake = FakeTime()

    result = make_client(script, fake).download(URL, tmp_path, max_bytes=10**7, deadline_seconds=60)

    assert result.sha256 == hashlib.sha256(PAYLOAD).hexdigest()
    assert fake.sleeps == [0.5, 2.0]
    assert leftovers(tmp_path) == [result.path.name]


def test_it_refuses_an_announced_oversized_file_without_reading_it(tmp_path):
    read = []

    def body():
        for chunk in chunks(PAYLOAD):
            read.append(len(chunk))
            yield chunk

    def handler(request):
        return httpx.Response(200, content=body(), headers={"content-length": str(len(PAYLOAD))})

    script = Script(handler)
    with pytest.raises(DownloadError) as caught:
        make_client(script).download(URL, tmp_path, max_bytes=1000, deadline_seconds=60)

    assert caught.value.reason == "too_large"
    assert not caught.value.retryable
    assert read == []
    assert len(script.requests) == 1
    assert leftovers(tmp_path) == []


def test_it_stops_an_unannounced_oversized_file_early(tmp_path):
    read = []

    def body():
        for chunk in chunks(PAYLOAD):
            read.append(len(chunk))
            yield chunk

    script = Script(lambda request: httpx.Response(200, content=body()))  # chunked, no length

    with pytest.raises(DownloadError) as caught:
        make_client(script).download(URL, tmp_path, max_bytes=200_000, deadline_seconds=60)

    assert caught.value.reason == "too_large"
    assert sum(read) < 400_000  # stopped within a chunk or two of the limit, not at 1 MiB
    assert leftovers(tmp_path) == []


def test_it_gives_up_at_the_deadline(tmp_path):
    fake = FakeTime()

    def slow_body():
        for chunk in chunks(PAYLOAD):
            fake.now += 1.0  # each chunk takes a second
            yield chunk

    script = Script(lambda request: httpx.Response(200, content=slow_body()))

    with pytest.raises(DownloadError) as caught:
        make_client(script, fake).download(URL, tmp_path, max_bytes=10**7, deadline_seconds=5)

    assert caught.value.reason == "deadline"
    assert 5 <= fake.now - 1000.0 <= 7
    assert leftovers(tmp_path) == []


def test_it_does_not_retry_past_the_deadline(tmp_path):
    script = Script(reply(503, content=b"busy", headers={"retry-after": "30"}))
    fake = FakeTime()

    with pytest.raises(DownloadError) as caught:
        make_client(script, fake).download(URL, tmp_path, max_bytes=100, deadline_seconds=10)

    assert caught.value.status == 503
    assert fake.sleeps == []
    assert len(script.requests) == 1


@pytest.mark.parametrize("status", [403, 404, 410])
def test_it_does_not_retry_a_refused_or_expired_url(tmp_path, status):
    script = Script(reply(status, content=b"<Error><Code>ExpiredToken</Code></Error>"))

    with pytest.raises(DownloadError) as caught:
        make_client(script).download(URL, tmp_path, max_bytes=100, deadline_seconds=10)

    assert (caught.value.reason, caught.value.status) == ("http_status", status)
    assert caught.value.message == f"storage answered HTTP {status}"  # never the body
    assert "secret-sig" not in str(caught.value)  # the signed query string is a credential
    assert len(script.requests) == 1
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "https://[bad", "https://", "ftp://x/y"])
def test_it_rejects_unusable_urls(tmp_path, url):
    script = Script(reply(200, content=b"x"))

    with pytest.raises(DownloadError) as caught:
        make_client(script).download(url, tmp_path, max_bytes=10, deadline_seconds=5)

    assert caught.value.reason == "invalid_url"
    assert script.requests == []


def test_it_reports_a_failing_disk_from_the_writer_thread():
    class FullDisk:
        def write(self, chunk):
            raise OSError(28, "No space left on device")

    sink = HashingWriter(FullDisk(), depth=2)
    with pytest.raises(OSError, match="No space"):
        for _ in range(100):  # the producer learns of it on a later write ...
            sink.write(b"x" * 1024)
            time.sleep(0.001)
    with pytest.raises(OSError, match="No space"):  # ... and again when closing
        sink.close()


def test_it_hashes_what_it_writes_in_order(tmp_path):
    pieces = [bytes([n]) * (1000 + n) for n in range(200)]
    with (tmp_path / "f").open("wb") as out:
        sink = HashingWriter(out, depth=3)
        for piece in pieces:
            sink.write(piece)
        digest = sink.hexdigest()

    assert (tmp_path / "f").read_bytes() == b"".join(pieces)
    assert digest == hashlib.sha256(b"".join(pieces)).hexdigest()


# --- Over real sockets: what a mock transport cannot show -------------------------------------


def real_client(*origins, **policy):
    from ltxdash.ltx.client import LTXClient
    from ltxdash.ltx.retry import RetryPolicy

    # The raw servers listen on loopback: an allowed origin, as a self-hosted stand-in's is.
    return LTXClient(
        "sk-real", "http://127.0.0.1:9", retry=RetryPolicy(**policy), result_origins=origins
    )


def trickle_then_stall(head):
    def respond(conn):
        conn.sendall(head)
        for _ in range(18):  # a byte every 0.1 s keeps each socket read under its timeout ...
            conn.sendall(b"x")
            time.sleep(0.1)
        time.sleep(6)  # ... then silence, until the client gives up

    return respond


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n",
        # HTTP/1.0 without a length: the body ends at EOF, so a forced close looks complete.
        b"HTTP/1.0 200 OK\r\n\r\n",
    ],
)
def test_it_cuts_off_a_slow_transfer_at_the_deadline(tmp_path, raw_server, head):
    server = raw_server(trickle_then_stall(head))
    started = time.monotonic()

    with pytest.raises(DownloadError) as caught:
        real_client(origin_of(server.url), max_attempts=1).download(
            server.url, tmp_path, max_bytes=10**7, deadline_seconds=2.0
        )

    # Per-read timeouts alone would end this near 1.8 s + 2.0 s.
    assert time.monotonic() - started < 3.0
    assert caught.value.reason == "deadline"
    assert leftovers(tmp_path) == []


def test_it_notices_a_connection_closed_mid_body(tmp_path, raw_server):
    def cut(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 1000)

    server = raw_server(cut)

    with pytest.raises(DownloadError) as caught:
        real_client(origin_of(server.url), max_attempts=2, base_delay=0.01).download(
            server.url, tmp_path, max_bytes=10**7, deadline_seconds=10
        )

    assert caught.value.reason == "truncated"
    assert leftovers(tmp_path) == []


def test_borrowed_buffers_are_bounded_recycled_and_written_in_small_pieces(tmp_path):
    class Recorder:
        def __init__(self):
            self.writes = []

        def write(self, piece):
            self.writes.append(bytes(piece))

    out = Recorder()
    sink = HashingWriter(out, depth=3, buffer_bytes=300 * 1024)
    seen = set()
    expected = b""
    for n in range(20):
        view = sink.buffer()
        seen.add(id(view))
        filled = 250 * 1024 + n
        view[:filled] = bytes([n]) * filled
        sink.commit(view, filled)
        expected += bytes([n]) * filled
    digest = sink.hexdigest()

    assert len(seen) <= 3  # never more buffers than the depth: memory stays bounded
    assert b"".join(out.writes) == expected
    assert digest == hashlib.sha256(expected).hexdigest()
    assert max(len(piece) for piece in out.writes) <= WRITE_BYTES


def test_the_api_client_follows_no_redirect(tmp_path):
    script = Script(reply(302, headers={"location": "http://169.254.169.254/latest"}))

    with pytest.raises(LTXError) as caught:  # an error of the client's, never a fetch there
        make_client(script).get_status("text-to-video", "job-1")

    assert "169.254" not in str(caught.value)
    assert [r.url.host for r in script.requests] == ["api.ltx.test"]
