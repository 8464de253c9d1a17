"""Result files: ``GET /_sim/files/<job id>/<name>``, with Content-Length and byte ranges.

Whole files go out through the server's ``wsgi.file_wrapper`` (waitress sends them straight from
the file, so a 512 MiB download runs near disk speed). A truncated download is a generator that
stops half-way: waitress sees fewer bytes than the Content-Length and closes the connection.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from . import faults
from .http import Request, Reset, Response, error_response
from .render import Renderer
from .state import Store, job_state

MEDIA_TYPES = {".mp4": "video/mp4", ".zip": "application/zip"}
CHUNK = 1024 * 1024


@dataclass
class FileBody:
    path: Path
    start: int
    length: int
    truncated: bool

    def iterable(self, environ: dict[str, Any]) -> Iterable[bytes]:
        handle: BinaryIO = self.path.open("rb")
        handle.seek(self.start)
        if self.truncated:
            return _read(handle, self.length // 2)
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None:  # bounded by the Content-Length we declared
            return wrapper(handle, CHUNK)
        return _read(handle, self.length)


def serve(store: Store, renderer: Renderer, request: Request, job_id: str, name: str) -> Response:
    config = store.config()
    fault = faults.pick("download", config, store)
    if fault == faults.RESET:
        raise Reset
    if isinstance(fault, Response):
        return fault
    row = store.job(job_id, count_download=request.method == "GET")
    state = job_state(row, time.time(), config.retention_seconds) if row else None
    spec = _spec_of(row, name) if row is not None else None
    if state is None or state.status != "completed" or spec is None:
        return error_response(404, "not_found_error", "No such file (or it has expired).")

    path = renderer.ensure(spec)
    size = path.stat().st_size
    start, end = 0, size - 1
    status, headers = 200, [("Accept-Ranges", "bytes")]
    wanted = parse_range(request.header("Range"), size)
    if wanted == "invalid":
        return Response(416, b"", [("Content-Range", f"bytes */{size}"), ("Content-Length", "0")])
    if isinstance(wanted, tuple):
        start, end = wanted
        status = 206
        headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
    length = end - start + 1
    truncated = request.method == "GET" and faults.truncate(config, store)
    headers += [
        ("Content-Type", MEDIA_TYPES.get(path.suffix, "application/octet-stream")),
        ("Content-Length", str(length)),
    ]
    return Response(status, FileBody(path, start, length, truncated), headers)


def _spec_of(row: Any, name: str) -> dict[str, Any] | None:
    """The render spec of the job's output called ``name``, or None when it has none."""
    if name == row["result_name"]:
        return dict(json.loads(row["render_spec"]))
    for file_name, spec in json.loads(row["extra_results"] or "{}").values():
        if file_name == name:
            return dict(spec)
    return None


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """One ``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` range; anything else is ignored."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, _, last = header[6:].strip().partition("-")
    try:
        if first == "":
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
    except ValueError:
        return None
    if start >= size or start > end:
        return "invalid"
    return start, end


def _read(handle: BinaryIO, limit: int) -> Iterator[bytes]:
    try:
        while limit > 0:
            chunk = handle.read(min(limit, CHUNK))
            if not chunk:
                break
            limit -= len(chunk)
            yield chunk
    finally:
        handle.close()
