"""Benchmark: the gallery's ZIP of many clips over real HTTP, against ``zip -0`` of the same files.

Makes 37 Ready clips whose video Outputs are random bytes (nothing compresses) of sizes that line
up with nothing, ~20-45 MiB each, about 1.2 GiB in all, in a throw-away data directory; starts
the product's web server (``python -m ltxdash.core.webserver``: waitress, what ``make run``
serves) on loopback; then alternates

- ``curl`` POSTing ``/gallery/export.zip`` (``all=1``, logged in) with the body to /dev/null, and
- ``zip -0 -q -r - <the same files> > /dev/null`` (Debian's zip),

after one warm-up of each (the files in the page cache for both). Prints each round, the median
wall times and their ratio (target <= 1.2x zip), and the peak RSS growth of the web server
process during each download (target <= 64 MiB): before a download the kernel's peak mark is
reset (``echo 5 > /proc/<pid>/clear_refs``) and VmRSS read; after it, VmHWM.

    .venv/bin/python bench/bench_zip.py [--files 37] [--rounds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

from _support import REPO, setup_django

MIB = 2**20
SECRET = "bench-only-secret-key-" + "z" * 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _proc_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def make_clips(count: int, media_root: Path) -> tuple[list[Path], str, str]:
    """``count`` Ready clips of a user's with random-byte videos; returns the files, and a
    session id and CSRF token to download as that user."""
    from django.contrib.auth import get_user_model
    from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
    from django.test import Client

    from ltxdash.generations.models import Output
    from tests.factories import make_clip

    user = get_user_model().objects.create_user("bench", "", "bench-pass-123")
    rng = random.Random(37)
    folder = media_root / "outputs" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        size = rng.randint(20 * MIB, 45 * MIB) + rng.randint(1, 4095)
        path = folder / f"clip-{i:02d}.mp4"
        digest = hashlib.sha256()
        with path.open("wb") as out:
            left = size
            while left:
                chunk = os.urandom(min(MIB, left))
                digest.update(chunk)
                out.write(chunk)
                left -= len(chunk)
        clip = make_clip(user, title=f"Bench clip {i}", video=False)
        Output.objects.create(
            generation=clip,
            label="video_url",
            file=str(path.relative_to(media_root)),
            size=size,
            sha256=digest.hexdigest(),
            content_type="video/mp4",
        )
        files.append(path)
    client = Client()
    client.force_login(user)
    return files, client.cookies["sessionid"].value, _get_new_csrf_string()


def download(url: str, session: str, csrf: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["curl", "-sS", "--fail", "-o", "/dev/null", "-X", "POST", "--data", "all=1",
         "-H", f"Cookie: sessionid={session}; csrftoken={csrf}", "-H", f"X-CSRFToken: {csrf}",
         url],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def zip_reference(media_root: Path, files: list[Path]) -> float:
    started = time.perf_counter()
    names = [str(p.relative_to(media_root)) for p in files]
    with open(os.devnull, "wb") as sink:
        subprocess.run(
            ["zip", "-0", "-q", "-r", "-", *names], cwd=media_root, stdout=sink, check=True
        )
    return time.perf_counter() - started


def check_archive(url: str, session: str, csrf: str, files: list[Path], scratch: Path) -> None:
    """One download kept on disk, opened and checked member by member (not timed)."""
    target = scratch / "check.zip"
    request = urllib.request.Request(
        url,
        data=b"all=1",
        headers={"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf},
    )
    with urllib.request.urlopen(request, timeout=600) as answer, target.open("wb") as out:
        shutil.copyfileobj(answer, out, MIB)
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        videos = [n for n in archive.namelist() if n.endswith(".mp4")]
        assert len(videos) == len(files), videos
        assert all(archive.getinfo(n).compress_type == zipfile.ZIP_STORED for n in videos)
    target.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=37)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for tool in ("curl", "zip"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (Debian: apt-get install {tool})")

    with tempfile.TemporaryDirectory(prefix="bench-zip-") as tmp:
        data_dir = Path(tmp)
        os.environ.pop("DATABASE_URL", None)
        setup_django(data_dir, DJANGO_SECRET_KEY=SECRET, LTXDASH_LOG_LEVEL="WARNING")
        from django.conf import settings

        media_root = Path(settings.MEDIA_ROOT)
        files, session, csrf = make_clips(args.files, media_root)
        total = sum(p.stat().st_size for p in files)
        print(f"{len(files)} files, {total / MIB:.0f} MiB in all")

        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("LTX", "DJANGO_", "DATABASE"))
        }
        env |= {
            "LTXDASH_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "ltxdash.settings",
            "DJANGO_SECRET_KEY": SECRET,
            "LTXDASH_LOG_LEVEL": "WARNING",
        }
        port = _free_port()
        from ltxdash.core.webserver import command

        log = (data_dir / "web.log").open("wb")
        server = subprocess.Popen(
            command("127.0.0.1", port), cwd=REPO, env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/gallery/export.zip"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:  # listening (no page needed: the login page wants collectstatic's manifest)
                    socket.create_connection(("127.0.0.1", port), timeout=2).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit((data_dir / "web.log").read_text()) from None
                    time.sleep(0.2)
            check_archive(url, session, csrf, files, data_dir)
            zip_reference(media_root, files)  # warm-ups: the files are in the page cache
            download(url, session, csrf)
            http_times, zip_times, growths = [], [], []
            for round_number in range(1, args.rounds + 1):
                zip_times.append(zip_reference(media_root, files))
                Path(f"/proc/{server.pid}/clear_refs").write_text("5")
                before = _proc_kib(server.pid, "VmRSS")
                http_times.append(download(url, session, csrf))
                growths.append((_proc_kib(server.pid, "VmHWM") - before) / 1024)
                print(
                    f"round {round_number}: zip -0 {zip_times[-1]:.2f}s; HTTP ZIP "
                    f"{http_times[-1]:.2f}s ({total / MIB / http_times[-1]:.0f} MiB/s); web server "
                    f"peak RSS growth {growths[-1]:.1f} MiB (from {before / 1024:.0f} MiB)"
                )
        finally:
            server.terminate()
            server.wait(timeout=20)
            log.close()

    ratio = statistics.median(http_times) / statistics.median(zip_times)
    print(
        f"median: zip -0 {statistics.median(zip_times):.2f}s, HTTP ZIP "
        f"{statistics.median(http_times):.2f}s -> {ratio:.2f}x zip "
        f"({'meets' if ratio <= 1.2 else 'MISSES'} the 1.2x target); "
        f"max peak RSS growth {max(growths):.1f} MiB "
        f"({'meets' if max(growths) <= 64 else 'MISSES'} the 64 MiB target)"
    )


if __name__ == "__main__":
    sys.exit(main())
