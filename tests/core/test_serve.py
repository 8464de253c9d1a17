"""`make run`'s process supervisor: everything starts, and one signal stops all of it."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_env(tmp_path: Path, web: int, sim: int) -> dict[str, str]:
    """`make run`'s environment: SQLite in ``tmp_path`` and, when the suite runs on Redis, a Redis
    db of this test's own. A cluster of an earlier test may still be draining its poller loop
    (a SIGKILLed supervisor's cluster stops gracefully, in up to a loop's length): on a shared
    db it would take this cluster's first task, and this one would never start a poller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LTX", "DJANGO_", "DATABASE"))}
    env |= {"LTXDASH_DATA_DIR": str(tmp_path), "LTXDASH_SIMULATOR_PORT": str(sim)}
    env |= {"DJANGO_SETTINGS_MODULE": "ltxdash.settings", "PORT": str(web), "LTXDASH_WORKERS": "1"}
    if env.get("REDIS_URL"):
        import redis

        global _redis_db
        _redis_db += 1
        parts = urlsplit(env["REDIS_URL"])
        env["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{_redis_db}"))
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    return env


_redis_db = 10  # 0 is the suite's, 9 the end-to-end tests'; each test here takes the next one


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_it_serves_and_stops_everything_on_one_signal(tmp_path, signum):
    web, sim = _free_port(), _free_port()
    env = _serve_env(tmp_path, web, sim)
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
            ["pgrep", "-f", f"--port ({sim}|{web})( |$)"], capture_output=True, text=True
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
    env = _serve_env(tmp_path, web, sim)
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


def _health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _health_or_error(url: str) -> object:
    try:
        return _health(url)
    except OSError as error:
        return error


def test_a_killed_worker_is_restarted_while_the_web_keeps_answering(tmp_path):
    web, sim = _free_port(), _free_port()
    env = _serve_env(tmp_path, web, sim)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*manage, "serve"], cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    healthz = f"http://127.0.0.1:{web}/healthz"
    status_file = tmp_path / "serve-status.json"
    try:
        deadline = time.monotonic() + 90
        while not _answers(healthz):  # 200: web, database, broker and a worker are up
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, (
                f"never healthy: {_health_or_error(healthz)}\n{log.read_text()}"
            )
            time.sleep(0.3)
        worker = json.loads(status_file.read_text())["children"]["worker"]
        assert worker["running"] and worker["restarts"] == 0

        os.kill(worker["pid"], signal.SIGKILL)
        killed_at = time.monotonic()
        # Within seconds (not the lease's minute) health says so, and the web still answers.
        while True:
            code, body = _health(healthz)
            if code == 503 and not body["workers"]["ok"]:
                break
            assert time.monotonic() - killed_at < 5, body
            time.sleep(0.2)
        assert "down" in body["workers"]["detail"]
        assert body["database"]["ok"] and body["broker"]["ok"]
        assert _answers(f"http://127.0.0.1:{sim}/_sim/health")  # the others keep running

        # It comes back (after a 1 s pause) and health recovers.
        while _health(healthz)[0] != 200:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() - killed_at < 60, _health(healthz)
            time.sleep(0.3)
        worker = json.loads(status_file.read_text())["children"]["worker"]
        assert worker["running"] and worker["restarts"] == 1 and worker["last_exit"] == -9
        output = log.read_text()
        assert "worker stopped unexpectedly (killed by SIGKILL); starting it again in 1 s" in output
        assert "restarting worker (restart 1)" in output

        # One of the cluster's own pool processes killed: django-q's sentinel starts another,
        # the cluster itself stays up, and so does everything else.
        cluster = worker["pid"]
        deadline = time.monotonic() + 30
        while not _descendants(cluster):
            assert time.monotonic() < deadline, "the cluster started no processes"
            time.sleep(0.3)
        time.sleep(1)  # all of them
        pool = _descendants(cluster)
        os.kill(pool[-1], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while pool[-1] in _descendants(cluster) or len(_descendants(cluster)) < len(pool):
            assert time.monotonic() < deadline, (pool, _descendants(cluster))
            time.sleep(0.3)
        assert _health(healthz)[0] == 200
        worker = json.loads(status_file.read_text())["children"]["worker"]
        assert worker["pid"] == cluster and worker["restarts"] == 1  # not restarted by serve

        proc.send_signal(signal.SIGTERM)  # and one signal still stops everything
        assert proc.wait(timeout=40) == 0
        assert not _answers_at_all(healthz)
        assert not status_file.exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """The live processes below ``pid`` (Linux /proc: parent ids), zombies left out."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        below = sorted(child for child, parent in parents.items() if parent in frontier)
        found += below
        frontier = below
    return found


def _answers_at_all(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True
