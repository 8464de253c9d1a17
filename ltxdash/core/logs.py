"""Log lines without secrets: link tokens are cut out of every line ltxdash writes.

A share link's token is the whole permission to see a clip (``/s/<token>``) or a board
(``/b/<token>/``), so a log line that carries one hands them to whoever reads the logs.
``RedactTokens`` is a ``logging.Filter`` on the console handler (``LOGGING`` in settings), so it
sees every record of every logger on its way out: Django's request and error loggers,
tracebacks, the web server's access log (``AccessLog`` below, and ``GunicornLogger`` for the
production recipe), the workers.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

# A share path: /s/ (a clip's link) or /b/ (a board's) and a token-shaped segment (tokens are
# 43 URL-safe characters), also inside a full URL, a query string (?next=/s/...) or
# percent-encoded (%2Fs%2F...); an invitation's (/invite/<token>), which lets anyone join the
# workspace; and the token of a password-reset link (/accounts/reset/<uid>/<token>/), which is
# as good as the password.
_TOKENS = re.compile(
    r"(/[sb]/|%2F[sb]%2F|/invite/|%2Finvite%2F"
    r"|/reset/[A-Za-z0-9_\-]+/|%2Freset%2F[A-Za-z0-9_\-]+%2F)"
    r"(?!set-password)[A-Za-z0-9_\-]{8,}",
    re.IGNORECASE,
)
REDACTED = "[token]"


def redact(text: str) -> str:
    """``text`` with every share (and password-reset) token replaced by ``[token]``."""
    return _TOKENS.sub(lambda m: m.group(1) + REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message (and its traceback) with the share tokens cut out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


access_logger = logging.getLogger("ltxdash.access")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class AccessLog:
    """WSGI middleware: one line per request on ``ltxdash.access`` (waitress writes none).

    ``127.0.0.1 "GET /gallery/ HTTP/1.1" 200 5120 0.012s "Mozilla/5.0 ..."``; the line goes through
    the same handler (and so the same token filter) as every other log line.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        started = time.monotonic()
        status = ["-"]

        def _start_response(code: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, *exc)

        sent = 0
        body = self.app(environ, _start_response)
        try:
            for chunk in body:
                sent += len(chunk)
                yield chunk
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            self._log(environ, status[0], sent, time.monotonic() - started)

    @staticmethod
    def _log(environ: dict[str, Any], status: str, sent: int, seconds: float) -> None:
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        access_logger.info(
            '%s "%s %s %s" %s %d %.3fs "%s"',
            environ.get("REMOTE_ADDR", "-"),
            environ.get("REQUEST_METHOD", "-"),
            path,
            environ.get("SERVER_PROTOCOL", "-"),
            status,
            sent,
            seconds,
            environ.get("HTTP_USER_AGENT", "-"),
        )
