"""A deployment beyond one machine, on this one: gunicorn web processes and qcluster processes
sharing PostgreSQL, Redis and the media storage, against the simulator in a process of its own.
The multi-process test (tests/e2e/test_deployment.py) and the load test (bench/loadtest.py)
both stand on it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.clusters import (
    REPO,
    Cluster,
    ProcessGroup,
    e2e_environment,
    manage,
    run_json,
    wait_for,
)
from tests.fixtures.simulator import SimulatorProcess, free_port, run_simulator_process
from tests.support.s3server import S3Server, s3_everywhere

GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def scale_out_configured() -> str:
    """Why the deployment cannot run here ("" when it can): it needs PostgreSQL and Redis."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if not os.environ.get("REDIS_URL"):
        return "needs Redis: set REDIS_URL=redis://..."
    return ""


class Web(ProcessGroup):
    """``gunicorn ltxdash.wsgi -c deploy/gunicorn.conf.py``, as a web machine's unit
    (deploy/systemd/ltxdash-web.service) runs it: the arbiter and its workers in one group."""

    log_name = "gunicorn"
    stop_seconds = 15.0

    def __init__(
        self, name: str, env: dict[str, str], log_dir: Path, workers: int = 2, threads: int = 4
    ) -> None:
        super().__init__(name, env, log_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers, self.threads = workers, threads

    def start(self, timeout: float = 60) -> None:
        self.popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "ltxdash.wsgi",
                "-c",
                str(GUNICORN_CONF),  # the shipped settings; the command line wins over them
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
            ]
        )
        wait_for(self._answers, timeout=timeout, every=0.2)

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"gunicorn {self.name} exited:\n{self.log()[-3000:]}")
        try:
            # Any answer but a server error: with LTXDASH_HTTPS=1 plain http is a redirect.
            return httpx.get(f"{self.url}/accounts/login/", timeout=2).status_code < 500
        except httpx.HTTPError:
            return False


class Member:
    """One person in a browser, as far as the server can tell: a session cookie, the CSRF
    token, and htmx's header on the requests htmx sends."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)

    def use(self, base_url: str) -> None:
        """Go on with the same session through another web process."""
        self.http.base_url = httpx.URL(base_url)

    def log_in(self, username: str, password: str) -> None:
        page = self.http.get("/accounts/login/")
        token = CSRF.search(page.text)
        assert token, page.text[:500]
        answer = self.http.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        )
        assert answer.status_code == 302, (answer.status_code, answer.text[:500])

    def generate(self, prompt: str, takes: int = 1) -> httpx.Response:
        answer = self.http.post(
            "/",
            data={
                "mode": "text-to-video",
                "prompt": prompt,
                "model": "ltx-2-3-fast",
                "resolution": "1920x1080",
                "fps": "24",
                "duration": "6",
                "count": str(takes),
            },
            headers={"HX-Request": "true", "X-CSRFToken": self.http.cookies["csrftoken"]},
        )
        assert answer.status_code == 200, (answer.status_code, answer.text[:500])
        return answer

    def close(self) -> None:
        self.http.close()


class Deployment:
    def __init__(self, tmp_path: Path, env: dict[str, str], sim: SimulatorProcess) -> None:
        self.tmp_path, self.env, self.sim = tmp_path, env, sim
        self.webs: list[Web] = []
        self.clusters: list[Cluster] = []

    def team(self, *args: str | int) -> dict[str, Any]:
        return run_json(self.env, "tests.e2e.team", *map(str, args), timeout=300)

    def logs(self) -> str:
        parts = [f"== {w.name}\n{w.log()[-3000:]}" for w in self.webs]
        parts += [f"== {c.name}\n{c.log()[-3000:]}" for c in self.clusters]
        return "\n".join(parts)


@contextlib.contextmanager
def deployment(
    tmp_path: Path,
    *,
    webs: int = 2,
    clusters: int = 2,
    database: str = "ltxdash_deploy",
    redis_db: int = 8,
    environment: dict[str, str] | None = None,
    s3: bool | None = None,
    **simulator: Any,
) -> Iterator[Deployment]:
    """Start the simulator, migrate a fresh database, then ``webs`` gunicorn processes and
    ``clusters`` qcluster processes; stop everything on the way out. With ``s3`` (by default
    when LTXDASH_TEST_S3=1, as in CI's scale-out pass) the media live in a bucket of a real S3
    server (moto's, a process of its own), configured by the LTXDASH_S3_* variables."""
    s3 = s3_everywhere() if s3 is None else s3
    with contextlib.ExitStack() as stack:
        sim = stack.enter_context(run_simulator_process(tmp_path / "sim", **simulator))
        env = e2e_environment(tmp_path, sim.url, database=database, redis_db=redis_db)
        if s3:
            store = S3Server(log_path=tmp_path / "s3.log").start()
            stack.callback(store.stop)
            env |= store.env(store.new_bucket())
        env |= environment or {}
        manage(env, "migrate", "--no-input", "-v", "0", timeout=300)
        running = Deployment(tmp_path, env, sim)
        try:
            for n in range(webs):
                running.webs.append(Web(chr(ord("a") + n), env, tmp_path))
                running.webs[-1].start()
            for n in range(clusters):
                running.clusters.append(Cluster(chr(ord("a") + n), env, tmp_path))
                running.clusters[-1].start()
            yield running
        finally:
            for process in [*running.clusters, *running.webs]:
                try:
                    process.stop()
                except Exception:  # stop the others all the same
                    logging.getLogger(__name__).exception("Could not stop %s", process.name)


def settle(check: Any, *, timeout: float, every: float = 0.5) -> Any:
    """wait_for, with a little time for the processes to start."""
    time.sleep(0.1)
    return wait_for(check, timeout=timeout, every=every)
