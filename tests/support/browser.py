"""Where the browser tests find Chromium (Debian's, never a downloaded one), and the watch that
fails them on any Content-Security-Policy violation."""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"


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
