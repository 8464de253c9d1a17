"""Where media lives, and the few things that differ between the local disk and S3.

Media is Django's default storage: ``FileSystemStorage`` under ``MEDIA_ROOT`` (the embedded
default) or, with ``LTXDASH_S3_BUCKET`` set, an S3-compatible bucket
(``ltxdash.core.s3storage.S3MediaStorage``). Code that saves, opens, lists or deletes goes
through the storage API and needs neither; what does differ is asked here, and only here:

- ``local_path`` / ``local_copy``: a file on this machine for code that needs one (the
  faststart remux, an upload to LTX from local disk): the stored file itself on disk, a scratch
  copy downloaded into ``LTXDASH_TMP_DIR`` from S3.
- ``stream_source``: how to send a stored file somewhere without a local copy (S3 only).
- ``presigned_redirect``: where a media view sends the browser instead of streaming the bytes
  itself (S3 only): a GET URL signed for ``min(LTXDASH_S3_URL_SECONDS, the link's time left)``.
- ``check``: for /healthz and ``manage.py check --deploy``.

boto3 is imported only when S3 is configured: nothing here imports ``s3storage``.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

CHUNK = 1024 * 1024


@runtime_checkable
class ObjectStore(Protocol):
    """What S3MediaStorage adds to Django's Storage (see ltxdash/core/s3storage.py)."""

    def download_to(self, name: str, path: Path) -> None: ...

    def presigned_url(
        self, name: str, *, seconds: int, content_type: str, disposition: str
    ) -> str: ...

    def ping(self) -> str: ...


def object_store(storage: Storage | Any = None) -> ObjectStore | None:
    """The storage as an object store, or None when it is a local one."""
    found = default_storage if storage is None else storage
    return found if isinstance(found, ObjectStore) else None


def is_remote(storage: Storage | Any = None) -> bool:
    return object_store(storage) is not None


def local_copy(name: str, directory: Path) -> Path:
    """A new local copy of a stored file in ``directory`` (FileNotFoundError if it is gone)."""
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=Path(name).suffix)
    path = Path(tmp)
    try:
        store = object_store()
        if store is not None:
            open(fd).close()  # boto3 writes the file by its name
            store.download_to(name, path)
        else:
            with default_storage.open(name, "rb") as source, open(fd, "wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def local_path(name: str, directory: Path) -> Path:
    """The stored file itself when it is on this disk, else a copy in ``directory``."""
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:
        return local_copy(name, directory)


def stream_source(name: str) -> tuple[Callable[[], IO[bytes]], int] | None:
    """(open, size) to send a stored file from the object store without a local copy: each call
    of ``open`` starts reading it afresh (a retry resends from byte 0). None on local disk,
    where a copy is a cheap snapshot the file's replacement cannot pull away mid-send."""
    if not is_remote():
        return None
    size = default_storage.size(name)  # FileNotFoundError when it is gone

    def open_stored() -> IO[bytes]:
        return default_storage.open(name, "rb").file  # type: ignore[return-value]

    return open_stored, size


def url_seconds(expires_at: datetime | None = None) -> int:
    """How long a presigned URL may live: LTXDASH_S3_URL_SECONDS, less if the link that asks
    expires sooner (0: it has expired)."""
    seconds = int(getattr(settings, "LTXDASH_S3_URL_SECONDS", 300))
    if expires_at is not None:
        left = (expires_at - timezone.now()).total_seconds()
        seconds = min(seconds, max(0, math.floor(left)))
    return seconds


def presigned_redirect(
    storage: Storage | Any,
    name: str,
    *,
    content_type: str,
    disposition: str,
    expires_at: datetime | None = None,
) -> str | None:
    """The URL to redirect a media request for a file of this object store to; None when the
    link that asks has no whole second left."""
    store = object_store(storage)
    assert store is not None, "presigned_redirect is for an object store"
    seconds = url_seconds(expires_at)
    if seconds < 1:
        return None
    return store.presigned_url(
        name, seconds=seconds, content_type=content_type, disposition=disposition
    )


def check() -> dict[str, Any]:
    """Can we reach media storage? For /healthz: the kind, and what is wrong in words."""
    store = object_store()
    if store is None:
        return {"ok": True, "kind": "local"}
    problem = store.ping()
    return {"ok": not problem, "kind": "s3", **({"error": problem} if problem else {})}
