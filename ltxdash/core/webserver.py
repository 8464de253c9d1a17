"""The web server ``serve`` (and so ``make run``) starts: waitress, tuned for being exposed.

Why waitress and not gunicorn here: gunicorn's threaded workers give a connection its thread
while they read the request, so a handful of clients that send a header line every few seconds
hold every thread and nobody else gets an answer (the "slowloris" attack). Waitress reads and
buffers each request in one asyncore loop and hands a worker thread only a complete request, so
slow clients cost a socket each, not a thread. The limits below bound what they can hold. In
production nginx sits in front of gunicorn and does this buffering (README, "Production recipe").

Run: ``python -m ltxdash.core.webserver --host 127.0.0.1 --port 8000``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys

# Open connections at once (slow ones included); beyond this waitress stops accepting until
# some close. Needs as many file descriptors (raised below).
CONNECTION_LIMIT = 1000


def command(host: str, port: int) -> list[str]:
    """The command line ``serve`` runs for its web server (the tests start it the same way)."""
    return [sys.executable, "-m", "ltxdash.core.webserver", "--host", host, "--port", str(port)]


def capped_parser() -> type:
    """waitress's request parser, refusing (413) a body larger than its sender may send before
    it is buffered: by ``Content-Length`` at once, a chunked one as it arrives. The sender is a
    member only with a logged-in session cookie (``bodylimits.limit_for_session``); the session
    store is read only for a body larger than an anonymous sender may send."""
    import copy

    from django.conf import settings
    from django.http.cookie import parse_cookie
    from waitress.parser import HTTPRequestParser
    from waitress.receiver import ChunkedReceiver

    from ltxdash.core import bodylimits

    anonymous = int(settings.LTXDASH_MAX_ANONYMOUS_REQUEST_BYTES)

    class CappedParser(HTTPRequestParser):
        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            chunked = isinstance(self.body_rcv, ChunkedReceiver)
            if self.content_length <= anonymous and not chunked:
                return
            # Django's own parser: SimpleCookie stops at the first cookie it cannot read, and
            # would lose the session cookie after it (a member refused as a stranger).
            key = parse_cookie(self.headers.get("COOKIE", "")).get(settings.SESSION_COOKIE_NAME)
            limit = bodylimits.limit_for_session(key)
            # waitress refuses at max_request_body_size or more: this sender's limit + 1.
            self.adj = copy.copy(self.adj)
            self.adj.max_request_body_size = limit + 1

    return CappedParser


def _raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltxdash.settings")

    import waitress
    from django.core.wsgi import get_wsgi_application
    from waitress.channel import HTTPChannel

    from ltxdash.core import bodylimits
    from ltxdash.core.logs import AccessLog

    _raise_file_limit(CONNECTION_LIMIT + 100)
    application = AccessLog(get_wsgi_application())
    HTTPChannel.parser_class = capped_parser()
    waitress.serve(
        application,
        host=args.host,
        port=args.port,
        ident="ltxdash",
        # Requests run on this many threads; the asyncore loop does all the socket reading.
        threads=8,
        connection_limit=CONNECTION_LIMIT,
        # poll(), not select(), which cannot watch descriptors numbered above 1024.
        asyncore_use_poll=True,
        backlog=1024,
        # A connection with no bytes in either direction for this long is closed (idle
        # keep-alives, stalled clients, requests that stopped half-way).
        channel_timeout=60,
        # A request head larger than this is refused with 431: no header of ours needs more.
        max_request_header_size=64 * 1024,
        # The largest body anyone may send (LTXDASH_MAX_REQUEST_BYTES); each request is held
        # to its own sender's limit by the parser above.
        max_request_body_size=bodylimits.largest_body() + 1,
    )


if __name__ == "__main__":
    main()
