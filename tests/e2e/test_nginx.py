"""The shipped nginx site (deploy/nginx/) in front of gunicorn with the shipped settings
(deploy/gunicorn.conf.py), over TLS, with local media sent by nginx (X-Accel-Redirect).

Only what a real deployment needs is changed in the site: the ports, the certificate (a
self-signed one made here), and the paths of the log, the proxy snippet and the media folder.
Skipped, with its reason, where nginx or openssl is not installed (.ci/run installs nginx-light).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.clusters import REPO
from tests.e2e.deployment import CSRF, deployment, settle
from tests.fixtures.simulator import free_port

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
)
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(NGINX is None, reason="needs nginx (apt-get install nginx-light)"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl"),
]

SITE = REPO / "deploy" / "nginx" / "ltxdash.conf"
PROXY = REPO / "deploy" / "nginx" / "ltxdash_proxy.conf"


def site_for_test(
    *, https: int, http: int, upstream: int, media: Path, log: Path, cert: Path
) -> str:
    """The shipped site with this machine's ports and paths, each substitution checked."""
    site = SITE.read_text()
    swaps = [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("/etc/letsencrypt/live/video.example.com/fullchain.pem", str(cert / "cert.pem")),
        ("/etc/letsencrypt/live/video.example.com/privkey.pem", str(cert / "key.pem")),
        ("/var/log/nginx/ltxdash.log", str(log)),
        ("/etc/nginx/ltxdash_proxy.conf", str(PROXY)),
        ("/srv/ltxdash/data/media/", f"{media}/"),
    ]
    for old, new in swaps:
        assert old in site, f"deploy/nginx/ltxdash.conf no longer has {old!r}"
        site = site.replace(old, new)
    return site


@pytest.fixture
def nginx_in_front(tmp_path: Path) -> Iterator[dict]:
    https, http = free_port(), free_port()
    origin = f"https://127.0.0.1:{https}"
    with deployment(
        tmp_path,
        webs=1,
        clusters=1,
        s3=False,  # the local-media path: nginx sends the bytes
        database="ltxdash_nginx",
        redis_db=10,
        pending_seconds=0.3,
        processing_seconds=0.9,
        environment={
            "LTXDASH_HTTPS": "1",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_CSRF_TRUSTED_ORIGINS": origin,
            "LTXDASH_X_ACCEL_REDIRECT_PREFIX": "/_media/",
        },
    ) as running:
        cert = tmp_path / "tls"
        cert.mkdir()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(cert / "key.pem"), "-out", str(cert / "cert.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
        prefix = tmp_path / "nginx"
        (prefix / "temp").mkdir(parents=True)
        log = prefix / "access.log"
        media = Path(running.env["LTXDASH_DATA_DIR"]) / "media"
        media.mkdir(parents=True, exist_ok=True)
        (prefix / "site.conf").write_text(
            site_for_test(
                https=https,
                http=http,
                upstream=running.webs[0].port,
                media=media,
                log=log,
                cert=cert,
            )
        )
        # As root, nginx's workers would drop to "nobody", who cannot read pytest's folders.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log info;\n"
            "events { worker_connections 256; }\n"
            "http {\n  include /etc/nginx/mime.types;\n"
            f"  client_body_temp_path {prefix}/temp/body;\n  proxy_temp_path {prefix}/temp/proxy;\n"
            f"  fastcgi_temp_path {prefix}/temp/fcgi;\n  uwsgi_temp_path {prefix}/temp/uwsgi;\n"
            f"  scgi_temp_path {prefix}/temp/scgi;\n  include {prefix}/site.conf;\n}}\n"
        )
        conf = ["-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        checked = subprocess.run([NGINX, "-t", *conf], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        server = subprocess.Popen([NGINX, *conf, "-g", "daemon off;"], stderr=subprocess.PIPE)
        try:
            settle(lambda: _listening(https), timeout=20, every=0.1)
            yield {
                "running": running,
                "origin": origin,
                "http": http,
                "https": https,
                "log": log,
                "tls": ssl.create_default_context(cafile=cert / "cert.pem"),
            }
        finally:
            server.terminate()
            server.wait(10)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _client(origin: str, tls: ssl.SSLContext) -> httpx.Client:
    # Origin: what a browser sends with a POST; Django's CSRF check over HTTPS needs it.
    return httpx.Client(
        base_url=origin,
        verify=tls,
        timeout=30,
        headers={"Origin": origin},
        follow_redirects=False,
    )


def _log_in(client: httpx.Client, username: str, password: str) -> None:
    page = client.get("/accounts/login/")
    assert page.status_code == 200, page.status_code
    token = CSRF.search(page.text)
    assert token
    answer = client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
    )
    assert answer.status_code == 302, (answer.status_code, answer.text[:300])


def test_the_shipped_nginx_site_serves_ltxdash_and_its_media(nginx_in_front: dict) -> None:
    running, origin, log = (
        nginx_in_front["running"],
        nginx_in_front["origin"],
        nginx_in_front["log"],
    )

    # Plain http goes to https; the app itself knows it is behind TLS (secure cookies, HSTS).
    plain = httpx.get(f"http://127.0.0.1:{nginx_in_front['http']}/gallery/?q=1", timeout=10)
    assert plain.status_code == 301
    assert plain.headers["location"] == "https://127.0.0.1/gallery/?q=1"

    running.team("members", 1)
    member = _client(origin, nginx_in_front["tls"])
    _log_in(member, "member1", "member-pass-123")
    assert "strict-transport-security" in member.get("/").headers
    made = member.post(
        "/",
        data={"mode": "text-to-video", "prompt": "behind nginx", "model": "ltx-2-3-fast",
              "resolution": "1920x1080", "fps": "24", "duration": "6", "count": "1"},
        headers={"HX-Request": "true", "X-CSRFToken": member.cookies["csrftoken"]},
    )  # fmt: skip
    assert made.status_code == 200, made.text[:300]

    def ready() -> dict | None:
        clips = running.team("snapshot")["generations"]
        return clips[0] if clips and clips[0]["state"] == "ready" else None

    clip = settle(ready, timeout=90)

    # The video: ltxdash checks the permission, nginx sends the bytes, Range included, with
    # ltxdash's safety headers and no trace of the internal location. Just after Ready the
    # file may still be rewritten for fast start (new bytes, same length): compare with what
    # the database says once the two agree.
    def whole_file() -> tuple[httpx.Response, int] | None:
        answer = member.get(f"/gallery/files/{clip['outputs']['video_url'][0]}")
        assert answer.status_code == 200
        now = next(g for g in running.team("snapshot")["generations"] if g["id"] == clip["id"])
        pk, size, sha256 = now["outputs"]["video_url"]
        if len(answer.content) == size and hashlib.sha256(answer.content).hexdigest() == sha256:
            return answer, pk
        return None

    whole, output_pk = settle(whole_file, timeout=30)
    size = len(whole.content)
    part = member.get(f"/gallery/files/{output_pk}", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.content == whole.content[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{size}"
    for answer in (whole, part):
        assert answer.headers["content-type"] == "video/mp4"
        assert answer.headers.get("x-content-type-options") == "nosniff", dict(answer.headers)
        assert "sandbox" in answer.headers["content-security-policy"]
        assert "x-accel-redirect" not in answer.headers
    # The internal location cannot be fetched directly, nor the file without a session.
    stored = next(Path(running.env["LTXDASH_DATA_DIR"], "media").rglob("*.mp4"))
    media_root = Path(running.env["LTXDASH_DATA_DIR"], "media")
    assert member.get(f"/_media/{stored.relative_to(media_root)}").status_code == 404
    stranger = _client(origin, nginx_in_front["tls"])
    assert stranger.get(f"/gallery/files/{output_pk}").status_code == 302  # to the login page

    # A share link plays for anyone, and its token is in neither nginx's log nor gunicorn's.
    shared = member.post(
        f"/gallery/{clip['id']}/share",
        data={"expires": "1", "title": ""},
        headers={"HX-Request": "true", "X-CSRFToken": member.cookies["csrftoken"]},
    )
    assert shared.status_code == 200
    token = re.search(r"/s/([A-Za-z0-9_-]{20,})", shared.text)
    assert token, shared.text[:500]
    video = stranger.get(f"/s/{token[1]}/video", headers={"Range": "bytes=0-99"})
    assert video.status_code == 206 and video.content == whole.content[:100]
    settle(lambda: "/s/[token]/video" in log.read_text(), timeout=10, every=0.2)
    # Invitation and reset tokens too, also inside a query string.
    invite = "i" * 43
    stranger.get(f"/invite/{invite}")
    stranger.get(f"/accounts/login/?next=%2Fs%2F{token[1]}")
    stranger.get(f"/accounts/reset/MQ/{invite}/")
    settle(lambda: "/accounts/reset/MQ/[token]/" in log.read_text(), timeout=10, every=0.2)
    logged = log.read_text()
    assert "/invite/[token]" in logged and "?next=%2Fs%2F[token]" in logged
    for secret in (token[1], invite):
        assert secret not in logged
        assert secret not in running.webs[0].log()

    # Bodies are refused by nginx on their Content-Length, unread: 1 MiB anywhere but the create
    # page, which takes uploads up to LTXDASH_MAX_REQUEST_BYTES.
    for path, length in (("/accounts/login/", 2 * 1024 * 1024), ("/", 300 * 1024 * 1024)):
        status = _status_of_raw_request(
            nginx_in_front["https"],
            nginx_in_front["tls"],
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n\r\n",
        )
        assert status == 413, (path, status)

    # The login page's rate limit: a burst of 20 at once, then 10 a minute per address.
    statuses = [stranger.get("/accounts/login/").status_code for _ in range(30)]
    assert statuses[:15] == [200] * 15
    assert 429 in statuses


def _status_of_raw_request(port: int, tls: ssl.SSLContext, head: str) -> int:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        tls.wrap_socket(raw, server_hostname="127.0.0.1") as conn,
    ):
        conn.sendall(head.encode())
        first = conn.recv(200).decode("latin-1")
    return int(first.split()[1])
