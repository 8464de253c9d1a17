"""Run the whole product in the foreground: web server, django-q2 cluster and, with no API key,
the LTX simulator. Each child's output is prefixed with its name; Ctrl-C stops all of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import IO

from django.conf import settings
from django.core.management.base import BaseCommand

COLOURS = {"web": "\033[36m", "worker": "\033[35m", "sim": "\033[33m"}


class Command(BaseCommand):
    help = "Start the web server, a django-q2 cluster and (without LTX_API_KEY) the simulator."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args, port: int, host: str, web_workers: int, **options) -> None:
        python = sys.executable
        children: dict[str, list[str]] = {}
        if settings.LTX_SIMULATED and settings.LTX_API_BASE_URL.startswith("http://127.0.0.1:"):
            children["sim"] = [
                python,
                "manage.py",
                "simulate_ltx",
                "--port",
                str(settings.LTXDASH_SIMULATOR_PORT),
            ]
        children["web"] = [
            python, "-m", "gunicorn", "ltxdash.wsgi",
            "--bind", f"{host}:{port}",
            "--workers", str(web_workers), "--worker-class", "gthread", "--threads", "8",
            "--access-logfile", "-", "--graceful-timeout", "5", "--timeout", "120",
        ]  # fmt: skip
        children["worker"] = [python, "manage.py", "qcluster"]

        procs: dict[str, subprocess.Popen] = {}
        color = sys.stdout.isatty()
        # Ctrl-C, `kill` and a closed terminal all stop everything. Set explicitly: a process
        # started in the background by a shell inherits SIGINT as ignored.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _raise_stop)
        try:
            for name, cmd in children.items():
                procs[name] = subprocess.Popen(
                    cmd,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # we deliver the signals, in order
                    preexec_fn=_die_with_parent,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
                threading.Thread(
                    target=_pump, args=(name, procs[name].stdout, color), daemon=True
                ).start()
            self._announce(host, port, procs)
            while all(p.poll() is None for p in procs.values()):
                time.sleep(0.5)
            dead = [n for n, p in procs.items() if p.poll() is not None]
            self.stderr.write(f"ltxdash: {', '.join(dead)} stopped unexpectedly; stopping the rest")
            exit_code = 1
        except _Stop:
            self.stdout.write("\nltxdash: stopping ...")
            exit_code = 0
        finally:
            _stop_all(procs)
        sys.exit(exit_code)

    def _announce(self, host: str, port: int, procs: dict[str, subprocess.Popen]) -> None:
        url = f"http://{host}:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and all(p.poll() is None for p in procs.values()):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2)  # noqa: S310 (our own URL)
                break
            except urllib.error.HTTPError:
                break  # 503 while the worker warms up: the web server answers, that is enough
            except OSError:
                time.sleep(0.3)
        mode = "the built-in LTX simulator" if settings.LTX_SIMULATED else settings.LTX_API_BASE_URL
        self.stdout.write(
            self.style.SUCCESS(f"\n  ltxdash is running at {url}/  (API: {mode})\n")
            + "  Press Ctrl-C to stop.\n"
        )


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if this supervisor dies, even by SIGKILL (no orphans)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


def _pump(name: str, stream: IO[bytes], color: bool) -> None:
    prefix = f"{COLOURS[name]}{name:>6} |\033[0m " if color else f"{name:>6} | "
    for raw in iter(stream.readline, b""):
        sys.stdout.write(prefix + raw.decode(errors="replace"))
        sys.stdout.flush()


# How long each child may take to stop after SIGTERM before its whole process group is killed.
# The cluster waits for running tasks (the poller loop hands over every ~30 s); killing it is
# safe because every task is idempotent and every state recovers, so we don't wait that long.
STOP_GRACE = {"web": 10.0, "worker": 6.0, "sim": 5.0}


def _stop_all(procs: dict[str, subprocess.Popen]) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
    # Web first (no new requests), then the cluster, then the simulator it was talking to.
    for name in ("web", "worker", "sim"):
        proc = procs.get(name)
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_GRACE[name])
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
