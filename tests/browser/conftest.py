"""End-to-end journeys in a real Chromium: a live server, the simulator over sockets, and the
real pipeline running beside them (Debian's /usr/bin/chromium, no browser download).

The worker
----------
``pipeline`` runs what a django-q2 cluster would, inside the test process:

- a thread does what the pipeline loop (``ltxdash.generations.pipeline.loop.run_loop``) does:
  it holds and renews the "poller" lease and calls ``loop.run_pass()`` until the test ends;
- django-q2 runs in ``sync`` mode, so a task the product enqueues (a dispatch nudge from the
  create view, a submit, a rehost after a poll) runs at once in the thread that enqueued it.
  Nothing goes through a broker, so nothing can be picked up by another process sharing the
  same Redis (the PostgreSQL+Redis run) and there is no broker to drain between tests.

Because the thread holds the lease, the workers' "start a loop if none runs" hook (which sync
mode fires on every task) sees a live loop and starts none, as in production.

SQLite: the test database is an in-memory, shared-cache database, which has no busy timeout
(a second writer fails at once with "database table is locked", where a real SQLite file waits
its turn). One lock therefore gives the live server's requests and the worker's passes the
database in turn. PostgreSQL needs no such thing: every thread has its own connection, as
every process has in production, and the worker closes its connection when it stops.

Playwright's sync API runs an event loop in the test's thread, where Django refuses (and on
PostgreSQL leaks) database work: do it before opening the browser, or in ``pipeline.query``.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import connection
from django_q.conf import Conf

from ltxdash.core.health import POLLER_LEASE
from ltxdash.core.models import Lease
from ltxdash.generations.estimates import forget_typical_durations
from ltxdash.generations.pipeline import loop
from tests.support.browser import CHROMIUM, CspWatch, assert_accessible, serialized

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
T = TypeVar("T")


class Pipeline:
    """The pipeline loop in a thread of this process (see the module docstring)."""

    def __init__(self, serialize: bool) -> None:
        # Reentrant: a request that holds it may run a sync task that queries again.
        self.lock: Any = threading.RLock() if serialize else contextlib.nullcontext()
        self.errors: list[str] = []
        self.passes = 0
        self._stop = threading.Event()
        self._first_pass = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pipeline-loop", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._first_pass.wait(30):
            raise AssertionError("the pipeline loop did not make its first pass")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        assert not self._thread.is_alive(), "the pipeline loop did not stop"

    def _run(self) -> None:
        holder = loop.new_holder()
        try:
            while not self._stop.is_set():
                wait = 0.05
                with self.lock:
                    try:
                        if not loop.take_lease(holder):
                            raise AssertionError("another pipeline loop holds the lease")
                        loop.run_pass()
                        wait = loop.seconds_until_next_pass()
                    except Exception:
                        self.errors.append(traceback.format_exc())
                self.passes += 1
                self._first_pass.set()
                self._stop.wait(min(max(wait, 0.05), 0.2))
        finally:
            with self.lock:
                with contextlib.suppress(Exception):
                    Lease.release(POLLER_LEASE, holder)
                connection.close()

    def query(self, work: Callable[[], T]) -> T:
        """Run ``work`` (ORM code) in a plain thread with its own connection, in turn with the
        server and the worker: safe while Playwright's loop runs in the test's thread."""
        result: list[T] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with self.lock:
                    result.append(work())
            except BaseException as exc:
                failure.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(60)
        assert not thread.is_alive(), "a database query took over a minute"
        if failure:
            raise failure[0]
        return result[0]


@pytest.fixture
def pipeline(settings, monkeypatch, live_server, ltx_simulator) -> Iterator[Pipeline]:
    """The live server and a pipeline worker, both talking to ``ltx_simulator``."""
    settings.LTX_API_BASE_URL = ltx_simulator.url
    settings.LTX_POLL_INTERVAL = 0.2
    settings.LTX_MAX_CONCURRENCY = 2
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    # django-q2 reads Q_CLUSTER once, at import: its Conf has to hear about "sync" too.
    monkeypatch.setattr(Conf, "SYNC", True)
    forget_typical_durations()

    serialize = connection.vendor == "sqlite" and connection.is_in_memory_db()
    worker = Pipeline(serialize)
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    if serialize:
        httpd.set_app(serialized(app, worker.lock))
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        httpd.set_app(app)
    assert not worker.errors, "a pipeline pass failed:\n" + "\n".join(worker.errors)


class Browser:
    """A launched Chromium, with the helpers the journeys share."""

    def __init__(self, chromium: Any, base_url: str) -> None:
        self.chromium = chromium
        self.base_url = base_url
        self.page_errors: list[str] = []
        self.overflows: dict[str, int] = {}
        self.csp = CspWatch()

    def new_page(self) -> Any:
        """A page in a fresh context: no cookies, no cache, desktop size."""
        context = self.csp.attach(
            self.chromium.new_context(viewport=DESKTOP, base_url=self.base_url)
        )
        page = context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        return page

    def log_in(self, page: Any, username: str, password: str, *, shot: str | None = None) -> None:
        """Through the login form, as a person would; lands on the create page."""
        page.goto("/")
        assert "/accounts/login/" in page.url  # a logged-out visitor is sent to the form
        if shot:
            self.shoot(page, shot)
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(self.base_url + "/")
        assert page.get_by_role("heading", name="Create").is_visible()

    def shoot(self, page: Any, name: str) -> None:
        """Full-page screenshots at desktop and phone width, into test-artifacts/screenshots/;
        notes how far the page overflows sideways on the phone (it should not). axe-core checks
        the page at both widths first."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        size = page.viewport_size
        assert_accessible(page, f"{name} (desktop)")
        page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            self.overflows[name] = overflow
        assert_accessible(page, f"{name} (phone)")
        page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
        page.set_viewport_size(size)


@pytest.fixture
def browser(live_server) -> Iterator[Callable[[], contextlib.AbstractContextManager[Browser]]]:
    """``with browser() as b:`` launches Chromium; open it after the test's database work."""

    @contextlib.contextmanager
    def launch() -> Iterator[Browser]:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
            )
            session = Browser(chromium, live_server.url)
            try:
                yield session
            finally:
                chromium.close()
            assert not session.page_errors, f"JavaScript errors: {session.page_errors}"
            assert not session.overflows, f"wider than a 390 px phone: {session.overflows}"
            session.csp.check()

    return launch
