"""Real processes for the end-to-end tests: a database of their own, and qcluster processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
E2E_DATABASE = "ltxdash_e2e"
E2E_REDIS_DB = 9  # CI's suite uses db 0
_SERVERS = ("DATABASE_URL", "REDIS_URL")


def e2e_environment(
    tmp_path: Path,
    simulator_url: str,
    *,
    embedded: bool = False,
    data: str = "data",
    database: str = E2E_DATABASE,
    redis_db: int = E2E_REDIS_DB,
) -> dict[str, str]:
    """The environment of every process of the run: SQLite in ``tmp_path / data`` unless the
    suite runs on PostgreSQL/Redis, in which case a database and a Redis db of its own
    (``database``, ``redis_db``; emptied). ``embedded``: the embedded default whatever the
    suite runs on (SQLite, the ORM broker)."""
    env = {
        **{k: v for k, v in os.environ.items() if not (embedded and k in _SERVERS)},
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
        "PYTHONUNBUFFERED": "1",
        "LTXDASH_DATA_DIR": str(tmp_path / data),
        "LTX_API_KEY": "sk-e2e",
        "LTX_API_BASE_URL": simulator_url,
        "LTX_POLL_INTERVAL": "0.2",
        "LTX_MAX_CONCURRENCY": "3",
        "LTXDASH_WORKERS": "2",
        "LTXDASH_LOG_LEVEL": "WARNING",
    }
    if embedded:
        return env
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        env["DATABASE_URL"] = _fresh_postgres_database(os.environ["DATABASE_URL"], database)
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = _fresh_redis_db(os.environ["REDIS_URL"], redis_db)
    return env


def _fresh_postgres_database(url: str, name: str) -> str:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def _fresh_redis_db(url: str, db: int) -> str:
    import redis

    parts = urlsplit(url)
    fresh = urlunsplit(parts._replace(path=f"/{db}"))
    redis.Redis.from_url(fresh).flushdb()
    return fresh


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def scenario(env: dict[str, str], command: str, *args: str) -> dict[str, Any]:
    return run_json(env, "tests.e2e.scenario", command, *args)


def run_json(env: dict[str, str], module: str, *args: str, timeout: float = 60) -> dict[str, Any]:
    """``python -m module args`` in the run's environment; the JSON of its last line."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise AssertionError(f"{module} {args} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class ProcessGroup:
    """A command in its own process group, logging to a file: SIGKILL takes every process it
    started down with it (a cluster's workers, gunicorn's)."""

    log_name = "process"
    stop_seconds = 10.0

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name, self.env = name, env
        self.log_path = log_dir / f"{self.log_name}-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def popen(self, command: list[str]) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the whole group, mid-whatever."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # it died on its own
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=self.stop_seconds)
        self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Cluster(ProcessGroup):
    """``manage.py qcluster``: sentinel, workers, pusher and monitor in one group."""

    log_name = "qcluster"

    def start(self) -> None:
        self.popen([sys.executable, "manage.py", "qcluster"])


def wait_for(check: Callable[[], Any], *, timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout}s")
        time.sleep(every)
