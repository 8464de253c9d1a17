"""Serving stored files with HTTP Range, after the caller has checked permission.

Browsers need 206 answers to seek in a <video>, and Django has no Range support of its own.
The body is streamed from ``storage.open()`` in chunks, so this works with any Django storage
(local disk, S3 ...) and never holds a whole file in memory. Behind nginx, setting
``LTXDASH_X_ACCEL_REDIRECT_PREFIX`` hands the transfer (Range included) to nginx instead.

With media on S3 (``LTXDASH_S3_BUCKET``) the answer, once the view has checked permission, is a
302 to a presigned GET URL of the object (``core.media_storage.presigned_redirect``): the object
store serves the bytes, Range and seeking included. The URL lives ``LTXDASH_S3_URL_SECONDS`` at
most, never past ``expires_at`` (a share or board link's expiry), and carries the type and
disposition chosen here (the store answers with them), so the rules below hold there too. The
redirect itself is never cached: each play asks again, so a revoked link stops at once; a URL
already handed out works until its own expiry.

Every stored file came from somewhere we do not control (the API, an upload), and it is served
from our own origin, so every answer here carries ``X-Content-Type-Options: nosniff`` and
``Content-Security-Policy: sandbox``, and its type comes from :data:`INLINE_TYPES` (media a
browser only plays or shows). Any other type (HTML, SVG, XML, a type an old row holds) goes out
as ``application/octet-stream``, as a download. Nothing a file contains can run as our page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import IO
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

from ltxdash.core import media_storage

CHUNK_SIZE = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Types served inline: what media.probe() and the pipeline can store, all of it inert media.
INLINE_TYPES = frozenset(
    {
        "video/mp4",
        "video/quicktime",
        "video/x-matroska",
        "audio/mp4",
        "audio/mpeg",
        "audio/ogg",
        "audio/wav",
        "image/jpeg",
        "image/png",
        "image/webp",
    }
)
# Types served, always as a download (HDR's ZIP of EXR frames).
DOWNLOAD_TYPES = frozenset({"application/zip"})
_FALLBACK_TYPE = "application/octet-stream"
# On every media answer: no sniffing a type of its own, and no script, form or plugin, should
# anyone open the file as a page.
# On every file answer: never sniffed into a page, and nothing in it may run or load (the
# policy is stricter than a page's; the CSP middleware keeps a header already set).
SAFETY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": settings.LTXDASH_MEDIA_CSP,
}


class Unsatisfiable(Exception):
    pass


# A byte position with more digits than this lies past the end of any file. Longer ones are
# never converted: int() refuses strings over 4,300 digits (a ValueError, then a 500).
_MAX_DIGITS = 18
_BEYOND = 10**_MAX_DIGITS


def _position(digits: str) -> int:
    """A byte position from a Range header's digits; past any file when it is that long."""
    digits = digits.lstrip("0") or "0"
    return _BEYOND if len(digits) > _MAX_DIGITS else int(digits)


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte positions a Range header asks for, both inclusive.

    None means "send the whole file": no header, a syntax we don't serve (several ranges, other
    units) or a malformed one; RFC 9110 lets a server ignore Range. Raises Unsatisfiable when the
    range lies outside the file.
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # bytes=-n: the last n bytes
        suffix = _position(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size - 1
    start = _position(first)
    end = _position(last) if last else None
    if end is not None and end < start:
        return None  # invalid syntax: ignore the header
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size - 1) if end is not None else size - 1


class _FileRange:
    """An iterator over part of an open file that closes the file when the response ends
    (also when the client hangs up first, because the server calls close())."""

    def __init__(self, file: IO[bytes], start: int, length: int) -> None:
        self.file, self.start, self.length = file, start, length

    def __iter__(self) -> Iterator[bytes]:
        if self.start:
            self.file.seek(self.start)
        remaining = self.length
        while remaining > 0:
            data = self.file.read(min(CHUNK_SIZE, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data

    def close(self) -> None:
        self.file.close()


def _disposition(filename: str | None, attachment: bool) -> str:
    kind = "attachment" if attachment else "inline"
    if not filename:
        return kind
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _modified_time(storage: Storage, name: str) -> datetime | None:
    try:
        return storage.get_modified_time(name)
    except (NotImplementedError, OSError):
        return None


def serve_file(
    request: HttpRequest,
    field: FieldFile,
    *,
    content_type: str,
    filename: str | None = None,
    attachment: bool = False,
    etag: str | None = None,
    cache_control: str = "private, max-age=3600",
    expires_at: datetime | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """Answer GET/HEAD for a stored file, honouring Range, If-Range and conditional headers.
    ``content_type`` is served only when it is in INLINE_TYPES or DOWNLOAD_TYPES; anything else
    becomes a download of ``application/octet-stream``. From an object store: a redirect to a
    presigned URL that expires by ``expires_at`` at the latest."""
    if not field or not field.name:
        raise Http404("No file")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in INLINE_TYPES:
        attachment = True
        if kind not in DOWNLOAD_TYPES:
            kind = _FALLBACK_TYPE
    headers = {
        "Content-Type": kind,
        "Content-Disposition": _disposition(filename, attachment),
        "Cache-Control": cache_control,
        **SAFETY_HEADERS,
    }
    if media_storage.is_remote(field.storage):
        url = media_storage.presigned_redirect(
            field.storage,
            field.name,
            content_type=headers["Content-Type"],
            disposition=headers["Content-Disposition"],
            expires_at=expires_at,
        )
        if url is None:
            raise Http404("Link expired")
        return HttpResponseRedirect(
            url, headers={"Cache-Control": "private, no-store", **SAFETY_HEADERS}
        )
    prefix = settings.LTXDASH_X_ACCEL_REDIRECT_PREFIX
    if prefix:
        # nginx serves the file (Range, conditionals, sendfile) from its internal location.
        return HttpResponse(
            headers={**headers, "X-Accel-Redirect": f"{prefix.rstrip('/')}/{quote(field.name)}"}
        )
    storage = field.storage
    try:
        size = storage.size(field.name)
    except (FileNotFoundError, OSError) as exc:
        raise Http404("File missing") from exc
    modified = _modified_time(storage, field.name)
    last_modified = int(modified.timestamp()) if modified else None
    # Strong validator: the content hash when we know it, else mtime-size (as nginx does).
    etag = etag or f'"{last_modified or 0:x}-{size:x}"'
    headers.update({"Accept-Ranges": "bytes", "ETag": etag})
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)

    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:  # 304 or 412
        for name in ("Cache-Control", "ETag", "Last-Modified", "Accept-Ranges", *SAFETY_HEADERS):
            if name in headers:
                not_modified[name] = headers[name]
        return not_modified

    status, start, length = 200, 0, size
    range_header = request.headers.get("Range", "")
    if range_header and _if_range_holds(request, etag, last_modified):
        try:
            wanted = parse_range(range_header, size)
        except Unsatisfiable:
            return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        if wanted is not None:
            start, end = wanted
            status, length = 206, end - start + 1
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(length)

    if request.method == "HEAD":
        return HttpResponse(status=status, headers=headers)
    try:
        file = storage.open(field.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("File missing") from exc
    return StreamingHttpResponse(_FileRange(file, start, length), status=status, headers=headers)


def _if_range_holds(request: HttpRequest, etag: str, last_modified: int | None) -> bool:
    """If-Range: serve the range only if the client's copy is still current (RFC 9110 13.1.5)."""
    if_range = request.headers.get("If-Range")
    if not if_range:
        return True
    if if_range.startswith('"'):
        return if_range == etag  # strong comparison
    if if_range.startswith("W/"):
        return False
    return last_modified is not None and parse_http_date_safe(if_range) == last_modified
