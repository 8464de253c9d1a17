"""`make run`'s process supervisor: everything starts, and one signal stops all of it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_it_serves_and_stops_everything_on_one_signal(tmp_path, signum):
    web, sim = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LTX", "DJANGO_", "DATABASE"))}
    env |= {"LTXDASH_DATA_DIR": str(tmp_path), "LTXDASH_SIMULATOR_PORT": str(sim)}
    env |= {"DJANGO_SETTINGS_MODULE": "ltxdash.settings", "PORT": str(web), "LTXDASH_WORKERS": "1"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    proc = subprocess.Popen(
        [*manage, "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # As a shell's background job gets it: SIGINT ignored. Our own handler must still work.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        # /healthz answers 200 once the web server, the database, the broker and a worker are up
        # (pages need `collectstatic`, which `make run` does and this test skips).
        while not _answers(f"http://127.0.0.1:{web}/healthz"):
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.monotonic() < deadline, "ltxdash never became healthy"
            time.sleep(0.3)
        assert _answers(f"http://127.0.0.1:{sim}/_sim/health")  # no key: the simulator runs too
        proc.send_signal(signum)
        assert proc.wait(timeout=40) == 0
        output = proc.stdout.read().decode()
        assert "ltxdash: stopping" in output
        assert not _answers(f"http://127.0.0.1:{web}/healthz")
        assert not _answers(f"http://127.0.0.1:{sim}/_sim/health")
        leftovers = subprocess.run(
            ["pgrep", "-f", f"--port {sim}|127.0.0.1:{web}"], capture_output=True, text=True
        )
        assert leftovers.stdout == ""
    finally:
        if proc.poll() is None:  # a failed assertion: still stop everything it started
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def test_its_children_do_not_outlive_it(tmp_path):
    """Even a SIGKILLed supervisor leaves no server running (the kernel tells the children)."""
    web, sim = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LTX", "DJANGO_", "DATABASE"))}
    env |= {"LTXDASH_DATA_DIR": str(tmp_path), "LTXDASH_SIMULATOR_PORT": str(sim)}
    env |= {"DJANGO_SETTINGS_MODULE": "ltxdash.settings", "PORT": str(web), "LTXDASH_WORKERS": "1"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    proc = subprocess.Popen(
        [*manage, "serve"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 90
    while not _answers(f"http://127.0.0.1:{sim}/_sim/health"):
        assert time.monotonic() < deadline, "the simulator never answered"
        time.sleep(0.3)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 30
    while _answers(f"http://127.0.0.1:{sim}/_sim/health") or _answers(
        f"http://127.0.0.1:{web}/healthz"
    ):
        assert time.monotonic() < deadline, "a child outlived the supervisor"
        time.sleep(0.3)
