"""The browser tests' Chromium (Debian's, never a downloaded one), axe-core on its pages, and
the watch that fails them on any Content-Security-Policy violation."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# axe's impacts, worst last: the last two fail a test.
IMPACTS = ("minor", "moderate", "serious", "critical")
FAILING_IMPACTS = IMPACTS[2:]
# axe's default rules, plus its experimental ones that a real audit reported here.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}
# Wait for the entrance animations (a card fading in) to end: axe measures colours as they are
# at that instant. Endless ones (a spinner) never end and are left running.
SETTLE = """Promise.all(document.getAnimations()
  .filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
  .map(a => a.finished.catch(() => null)))"""


class Browser:
    """A launched Chromium that opens contexts at one viewport and theme; ``csp`` watches every
    page they open (``launch`` checks it at the end)."""

    def __init__(self, chromium: Any, viewport: str, theme: str) -> None:
        self.chromium = chromium
        self.viewport = viewport
        self.theme = theme
        self.csp = CspWatch()

    def context(self, cookies: list[dict] | None = None) -> Any:
        phone = self.viewport == "phone"
        context = self.chromium.new_context(
            viewport=VIEWPORTS[self.viewport], is_mobile=phone, has_touch=phone
        )
        # theme.js reads the stored choice before the first paint.
        context.add_init_script(
            f"try {{ localStorage.setItem('ltxdash-theme', '{self.theme}'); }} catch (e) {{}}"
        )
        if cookies:
            context.add_cookies(cookies)
        return self.csp.attach(context)


@contextmanager
def launch(viewport: str = "desktop", theme: str = "dark") -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        browser = Browser(chromium, viewport, theme)
        try:
            yield browser
        finally:
            chromium.close()
        browser.csp.check()


def serious_violations(page: Any, where: str = "") -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now. With
    LTXDASH_AXE_REPORT=<file>, every check also appends its figures there (one line a page:
    where, then the count of violated rules and of elements at each impact)."""
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate(SETTLE)
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    report = os.environ.get("LTXDASH_AXE_REPORT")
    if report:
        counts = {impact: 0 for impact in IMPACTS}
        for violation in violations:
            counts[violation.get("impact") or "minor"] += len(violation["nodes"])
        figures = " ".join(f"{impact}={count}" for impact, count in counts.items())
        with open(report, "a", encoding="utf-8") as out:
            out.write(f"{where or page.url}\trules={len(violations)} {figures}\n")
    return [v for v in violations if v.get("impact") in FAILING_IMPACTS]


def assert_accessible(page: Any, where: str = "") -> None:
    """Fail on any serious or critical axe-core violation, naming the rule and the elements."""
    found = serious_violations(page, where)
    if not found:
        return
    lines = [f"axe-core: {len(found)} serious or critical violation(s) on {where or page.url}"]
    for violation in found:
        targets = [" ".join(map(str, node.get("target", []))) for node in violation["nodes"]]
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" [{violation.get('helpUrl', '')}]\n    on: {'; '.join(targets[:6])}"
        )
        for node in violation["nodes"][:2]:
            lines.append(f"    {node.get('failureSummary', '').strip()}".replace("\n", " "))
    raise AssertionError("\n".join(lines))


class CspWatch:
    """Collects every console message in which Chromium reports a CSP violation.

    ``CspWatch().attach(context)`` on a Playwright browser context watches all its pages; call
    ``check()`` when done. Chromium logs a blocked inline script, style, ``style=`` attribute,
    eval or load as an error that names the Content Security Policy.
    """

    MARKERS = ("Content Security Policy", "Content-Security-Policy")

    def __init__(self) -> None:
        self.violations: list[str] = []

    def attach(self, context: Any) -> Any:
        context.on("console", self._console)
        return context

    def _console(self, message: Any) -> None:
        if any(marker in message.text for marker in self.MARKERS):
            where = message.location or {}
            self.violations.append(f"{where.get('url')}:{where.get('lineNumber')}: {message.text}")

    def check(self) -> None:
        assert not self.violations, "Content-Security-Policy violations:\n" + "\n".join(
            self.violations
        )


def session_cookie(user: Any, base_url: str) -> dict[str, str]:
    """A logged-in session of ``user`` as a Playwright cookie for ``base_url``."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


def db_work(work: Any) -> Any:
    """Run ``work()`` (database work) in a plain thread with its own connection and return its
    result: Playwright's event loop in the test's thread makes Django refuse the ORM there."""
    import threading

    from django.db import connection

    result: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:
            failure.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def serialized(app: Callable, lock: Any) -> Callable:
    """A WSGI app that serves one request at a time (``lock``): SQLite's in-memory test database
    (a shared cache) fails a thread whose statement meets another thread's ("bad parameter or
    other API misuse", "database table is locked") where a database file would wait its turn."""

    def locked_app(environ: dict, start_response: Callable) -> Any:
        with lock:
            return app(environ, start_response)

    return locked_app
