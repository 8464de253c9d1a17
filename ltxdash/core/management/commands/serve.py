"""Run the whole product in the foreground: web server, django-q2 cluster and, with no API key,
the LTX simulator. Each child's output is prefixed with its name; Ctrl-C stops all of them.

A child that dies (a crash, an OOM kill, ``kill -9``) is started again after a pause that doubles
from 1 s to 60 s while it keeps dying, and starts over at 1 s once it has stayed up a minute; the
others keep running meanwhile. The supervisor writes what it sees into a small status file that
``/healthz`` reads (``ltxdash/core/supervision.py``), so a dead worker shows within seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ltxdash.core import media_storage, supervision, webserver

COLOURS = {"web": "\033[36m", "worker": "\033[35m", "sim": "\033[33m"}

# Restart pauses: the first after 1 s, doubling to 60 s; back to 1 s once a child stayed up 60 s.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
STABLE_AFTER = 60.0
TICK = 0.5  # how often the supervisor looks at its children (and rewrites the status file)


@dataclass
class Child:
    name: str
    cmd: list[str]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = FIRST_BACKOFF
    restarts: int = 0
    restart_at: float | None = None
    last_exit: int | None = None


class Command(BaseCommand):
    help = "Start the web server, a django-q2 cluster and (without LTX_API_KEY) the simulator."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port: int, host: str, **options) -> None:
        problem = media_storage.check()
        if not problem["ok"]:  # nothing can be stored: say so now, not at the first clip
            raise CommandError(
                f"media storage (LTXDASH_S3_BUCKET) is not usable: {problem['error']}"
            )
        python = sys.executable
        children: list[Child] = []
        if settings.LTX_SIMULATED and settings.LTX_API_BASE_URL.startswith("http://127.0.0.1:"):
            sim = [
                python,
                "manage.py",
                "simulate_ltx",
                "--port",
                str(settings.LTXDASH_SIMULATOR_PORT),
            ]
            children.append(Child("sim", sim))
        children.append(Child("web", webserver.command(host, port)))
        children.append(Child("worker", [python, "manage.py", "qcluster"]))

        color = sys.stdout.isatty()
        # Ctrl-C, `kill` and a closed terminal all stop everything. Set explicitly: a process
        # started in the background by a shell inherits SIGINT as ignored.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _raise_stop)
        exit_code = 0
        try:
            for child in children:
                _start(child, color)
            _report(children, time.monotonic())  # before the web answers its first /healthz
            web = next(c for c in children if c.name == "web")
            if not self._announce(host, port, web):
                # The web server never came up (a port in use, a broken setting): no point
                # restarting it forever, say so and stop.
                self.stderr.write(
                    "ltxdash: the web server stopped while starting; stopping the rest"
                )
                exit_code = 1
            else:
                self._supervise(children, color)
        except _Stop:
            self.stdout.write("\nltxdash: stopping ...")
        finally:
            _stop_all(children)
            supervision.clear()
        sys.exit(exit_code)

    def _supervise(self, children: list[Child], color: bool) -> None:
        """Restart whatever dies, with backoff, until a signal raises _Stop."""
        while True:
            now = time.monotonic()
            for child in children:
                if child.proc is not None and child.proc.poll() is not None:
                    self._died(child, now)
                if child.proc is None and child.restart_at is not None and now >= child.restart_at:
                    child.restarts += 1
                    self.stderr.write(
                        f"ltxdash: restarting {child.name} (restart {child.restarts})"
                    )
                    _start(child, color)
            _report(children, now)
            time.sleep(TICK)

    def _died(self, child: Child, now: float) -> None:
        assert child.proc is not None
        child.last_exit = child.proc.returncode
        _kill_group(child.proc)  # what it started (a cluster's workers) goes with it
        child.proc = None
        if now - child.started_at >= STABLE_AFTER:
            child.backoff = FIRST_BACKOFF
        child.restart_at = now + child.backoff
        self.stderr.write(
            f"ltxdash: {child.name} stopped unexpectedly ({_describe(child.last_exit)}); "
            f"starting it again in {child.backoff:g} s"
        )
        child.backoff = min(child.backoff * 2, MAX_BACKOFF)

    def _announce(self, host: str, port: int, web: Child) -> bool:
        url = f"http://{host}:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if web.proc is None or web.proc.poll() is not None:
                return False
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
        return True


def _report(children: list[Child], now: float) -> None:
    """Tell /healthz what runs (ltxdash/core/supervision.py)."""
    supervision.write(
        {
            c.name: supervision.ChildStatus(
                running=c.proc is not None,
                pid=c.proc.pid if c.proc is not None else None,
                restarts=c.restarts,
                last_exit=c.last_exit,
                restart_in=(
                    max(0.0, round(c.restart_at - now, 1))
                    if c.proc is None and c.restart_at is not None
                    else None
                ),
            )
            for c in children
        }
    )


def _start(child: Child, color: bool) -> None:
    proc = subprocess.Popen(
        child.cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # we deliver the signals, in order
        preexec_fn=_die_with_parent,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    child.proc, child.started_at, child.restart_at = proc, time.monotonic(), None
    assert proc.stdout is not None
    pump = threading.Thread(target=_pump, args=(child.name, proc.stdout, color), daemon=True)
    pump.start()


def _describe(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing of it is left
        os.killpg(proc.pid, signal.SIGKILL)


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
# The cluster waits for running tasks (the poller loop hands over after 30 s to a minute);
# killing it is safe because every task is idempotent and every state recovers, so we don't
# wait that long.
STOP_GRACE = {"web": 10.0, "worker": 6.0, "sim": 5.0}


def _stop_all(children: list[Child]) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
    # Web first (no new requests), then the cluster, then the simulator it was talking to.
    by_name = {child.name: child for child in children}
    for name in ("web", "worker", "sim"):
        child = by_name.get(name)
        proc = child.proc if child else None
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_GRACE[name])
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
