"""How large a request body may be, enforced before anything reads it.

Django spools uploaded files to disk while it parses a multipart body, and the first thing to
parse one is ``CsrfViewMiddleware`` (it looks for the token in ``request.POST``): without a cap a
stranger's 1 GiB POST is written to the temp folder before the CSRF check refuses it. Two
checks, with the numbers in settings (README "Security"):

- ``RequestBodyLimitMiddleware`` refuses a body by its ``Content-Length`` alone, before a byte
  is read: ``LTXDASH_MAX_ANONYMOUS_REQUEST_BYTES`` for anyone not logged in (the login form and
  share pages need a few hundred bytes), ``LTXDASH_MAX_REQUEST_BYTES`` for members. Under WSGI
  Django reads no more than ``Content-Length`` says, and a body without one (chunked) as empty,
  so that header bounds what can be read at all.
- For members, the upload handlers count each file as it streams in and stop the parse as soon
  as one passes ``LTXDASH_MAX_UPLOAD_BYTES`` (the largest input the catalog accepts): the rest of
  the body is never read and the part already spooled is deleted. The middleware runs that parse
  itself (CSRF would run it a moment later anyway) so that it can answer 413.

``make run``'s web server (``core/webserver.py``) applies the same two limits by
``Content-Length`` (or as a chunked body arrives) before it buffers a body, using
``limit_for_session``: otherwise it would spool a stranger's body to disk before Django saw it.

Both answer 413 with words a person can act on; an HTMX request gets them as an HX-Trigger
``request-refused`` event that static/js/status.js shows as a toast, and no swap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def megabytes(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.0f} MB"
    return f"{size / 1000:.0f} kB"


class UploadTooLarge(Exception):
    """An uploaded file passed LTXDASH_MAX_UPLOAD_BYTES while it was being received."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__(name, limit)
        self.name, self.limit = name, limit


def is_member(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def body_limit(request: HttpRequest) -> int:
    """The largest body ``request``'s sender may send."""
    if is_member(request):
        return int(settings.LTXDASH_MAX_REQUEST_BYTES)
    return int(settings.LTXDASH_MAX_ANONYMOUS_REQUEST_BYTES)


# Django's session keys: 32 lowercase letters and digits (get_random_string's default alphabet,
# lowercased). Anything else is refused the member's limit without a look at the store.
_SESSION_KEY = re.compile(r"[a-z0-9]{32}")


def limit_for_session(session_key: str | None) -> int:
    """The body limit of whoever holds ``session_key`` (a session cookie's value), for a web
    server that must decide before Django runs: a member's if the session is a logged-in one,
    else an anonymous sender's (also when the session store cannot be read)."""
    anonymous = int(settings.LTXDASH_MAX_ANONYMOUS_REQUEST_BYTES)
    if not session_key or not _SESSION_KEY.fullmatch(session_key):
        return anonymous  # not one Django could have made: no query for it
    from importlib import import_module

    from django.contrib.auth import SESSION_KEY
    from django.db import close_old_connections

    try:
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        logged_in = store.get(SESSION_KEY) is not None
    except Exception:  # an unreadable store never widens the limit
        logged_in = False
    finally:
        close_old_connections()
    return int(settings.LTXDASH_MAX_REQUEST_BYTES) if logged_in else anonymous


def largest_body() -> int:
    """The largest body anyone may send."""
    return max(
        int(settings.LTXDASH_MAX_REQUEST_BYTES), int(settings.LTXDASH_MAX_ANONYMOUS_REQUEST_BYTES)
    )


def declared_length(request: HttpRequest) -> int:
    """``Content-Length`` as Django reads it: absent or malformed is 0 (nothing is read)."""
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class _Capped:
    """Counts a file's bytes as they arrive; raises UploadTooLarge once past the cap."""

    file_name: str | None

    def _check(self, raw_data: bytes, start: int) -> None:
        limit = int(settings.LTXDASH_MAX_UPLOAD_BYTES)
        if start + len(raw_data) > limit:
            self._discard()
            raise UploadTooLarge(self.file_name or "The file", limit)

    def _discard(self) -> None:
        pass


class CappedMemoryFileUploadHandler(_Capped, MemoryFileUploadHandler):
    """Django's in-memory handler (small bodies), with the per-file cap when it keeps the file
    (otherwise it hands each chunk on to the handler that does)."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.activated:
            self._check(raw_data, start)
        return super().receive_data_chunk(raw_data, start)

    def _discard(self) -> None:
        if hasattr(self, "file"):
            self.file.close()


class CappedTemporaryFileUploadHandler(_Capped, TemporaryFileUploadHandler):
    """Django's spool-to-disk handler, with the per-file cap; what was spooled is deleted."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._check(raw_data, start)
        return super().receive_data_chunk(raw_data, start)

    def _discard(self) -> None:
        self.upload_interrupted()


def too_large(request: HttpRequest, message: str) -> HttpResponse:
    """413 with ``message``: a page for a browser, a toast event for HTMX."""
    title = "That request is too large"
    if request.headers.get("HX-Request") == "true":
        event = {"request-refused": {"title": title, "body": message}}
        return HttpResponse(
            message,
            status=413,
            content_type="text/plain; charset=utf-8",
            headers={"HX-Trigger": json.dumps(event), "HX-Reswap": "none"},
        )
    page = render_to_string("413.html", {"title": title, "message": message})
    return HttpResponse(page, status=413)


class RequestBodyLimitMiddleware:
    """Refuse bodies over the sender's limit before anything reads them (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if request.method in _BODY_METHODS:
            refused = self.refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        length, limit = declared_length(request), body_limit(request)
        if length > limit:
            if not is_member(request):
                return too_large(
                    request,
                    f"This request is {megabytes(length)}; without logging in the limit is "
                    f"{megabytes(limit)}. Log in and try again.",
                )
            return too_large(
                request,
                f"This request is {megabytes(length)}; the limit is {megabytes(limit)} "
                f"(each file up to {megabytes(int(settings.LTXDASH_MAX_UPLOAD_BYTES))}).",
            )
        if length and request.content_type == "multipart/form-data":
            try:
                _ = request.FILES  # parse now: the handlers stop at the first file over the cap
            except UploadTooLarge as exc:
                return too_large(
                    request,
                    f"“{exc.name}” is over {megabytes(exc.limit)}, the largest file "
                    "ltxdash takes. Choose a smaller one.",
                )
            except OSError:
                pass  # the client went away mid-body: CSRF and the view see what there is
        return None
