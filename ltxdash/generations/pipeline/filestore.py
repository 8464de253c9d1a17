"""Files the pipeline keeps in Django's default storage, and their clean-up.

Everything goes through the storage API (``save``, ``open``, ``delete``, ``listdir``), never a
local path, so the same code works on S3 (``LTXDASH_S3_BUCKET``); what differs between the two is
asked of ``ltxdash.core.media_storage``. Outputs and posters of a generation
live under a folder named after it; that lets a re-run (or a delete) sweep away files a killed
worker left behind without touching anything still referenced.

Transfers in progress work in local scratch folders under ``LTXDASH_TMP_DIR``; those a killed
worker left are swept once nothing has written to them for hours.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from ltxdash.core import media_storage

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
SCRATCH_PREFIX = "ltxdash-"
# A scratch folder nothing has written to for this long belongs to a killed worker: a copy
# ends (or is timed out by the cluster) within minutes.
SCRATCH_STALE_AFTER = timedelta(hours=6)


def output_name(generation_id: int, label: str, attempt: int, ext: str) -> str:
    return f"outputs/{generation_id}/{label}-{attempt}-{secrets.token_hex(4)}{ext}"


def poster_name(generation_id: int, label: str, attempt: int) -> str:
    return f"posters/{generation_id}/{label}-{attempt}-{secrets.token_hex(4)}.jpg"


class LocalFile(File):
    """A finished temp file handed to storage. FileSystemStorage moves it into place (one rename
    instead of a second copy of a large video); S3 sends it by its path as a multipart upload
    (``core/s3storage.py``), in bounded memory."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        super().__init__(self._path.open("rb"), name=self._path.name)

    def temporary_file_path(self) -> str:
        return str(self._path)


def save_local_file(path: Path, name: str) -> str:
    """Store a local temp file under ``name`` (made unique by the storage); the stored name."""
    size = Path(path).stat().st_size
    content = LocalFile(path)
    try:
        stored = default_storage.save(name, content)
    finally:
        content.close()
    if default_storage.size(stored) != size:  # the hash was checked on the way in; the length here
        delete_quietly([stored])
        raise OSError(f"the stored copy of {name} is not {size} bytes long")
    return stored


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def hash_and_size(content: IO[bytes] | File) -> tuple[str, int]:
    """sha256 and size of a file-like object, read in chunks and rewound."""
    digest = hashlib.sha256()
    size = 0
    content.seek(0)
    chunks = (
        content.chunks() if isinstance(content, File) else iter(lambda: content.read(CHUNK), b"")
    )
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    content.seek(0)
    return digest.hexdigest(), size


def copy_to_temp(name: str, directory: Path) -> Path:
    """A local copy of a stored file (for the API's upload, which sends from a local file)."""
    return media_storage.local_copy(name, directory)


def stream_source(name: str) -> tuple[Callable[[], IO[bytes]], int] | None:
    """(open, size) to send a stored file without a local copy; None on local disk."""
    return media_storage.stream_source(name)


@contextmanager
def scratch_dir(kind: str) -> Iterator[Path]:
    """A new local folder under LTXDASH_TMP_DIR (``ltxdash-<kind>-...``), removed on the way out.
    One a SIGKILLed worker leaves behind is removed by sweep_scratch() once it is stale: by the
    pipeline loop's housekeeping, and here (the loop runs on one machine; this, on each)."""
    root = Path(settings.LTXDASH_TMP_DIR)
    root.mkdir(parents=True, exist_ok=True)
    sweep_scratch()
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{kind}-", dir=root) as tmp:
        yield Path(tmp)


def _last_written(folder: Path) -> float:
    """The newest mtime of the folder and of anything in it (a download writes deep inside)."""
    newest = folder.stat().st_mtime
    for parent, dirs, names in os.walk(folder):
        for name in [*dirs, *names]:
            try:
                newest = max(newest, os.stat(os.path.join(parent, name)).st_mtime)
            except FileNotFoundError:
                continue
    return newest


def sweep_scratch(older_than: timedelta = SCRATCH_STALE_AFTER) -> list[Path]:
    """Remove scratch folders nothing has written to for ``older_than`` (left by killed workers;
    younger ones may belong to a copy still running). Returns the folders removed."""
    root = Path(settings.LTXDASH_TMP_DIR)
    cutoff = time.time() - older_than.total_seconds()
    removed: list[Path] = []
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return removed
    for entry in entries:
        try:
            if not entry.name.startswith(SCRATCH_PREFIX) or not entry.is_dir(follow_symlinks=False):
                continue
            # The folder's own mtime first: a busy one is skipped without walking it.
            if entry.stat().st_mtime >= cutoff or _last_written(Path(entry.path)) >= cutoff:
                continue
            shutil.rmtree(entry.path)
        except FileNotFoundError:
            continue  # its own worker finished meanwhile
        except OSError:
            logger.warning("Could not remove stale temp folder %s", entry.path, exc_info=True)
            continue
        logger.info("Removed stale temp folder %s", entry.path)
        removed.append(Path(entry.path))
    return removed


def delete_quietly(names: Iterable[str | None]) -> None:
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete stored file %s", name, exc_info=True)


def delete_after_commit(names: Iterable[str | None]) -> None:
    """Delete the named files (empty names skipped) once the transaction commits."""
    kept = [n for n in names if n]
    if kept:
        transaction.on_commit(lambda: delete_quietly(kept))


def sweep_generation_folders(generation_id: int, keep: set[str]) -> list[str]:
    """Delete files in the generation's output and poster folders that nothing references."""
    removed = []
    for folder in (f"outputs/{generation_id}", f"posters/{generation_id}"):
        try:
            _dirs, files = default_storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError):
            continue
        for filename in files:
            name = f"{folder}/{filename}"
            if name not in keep:
                removed.append(name)
    delete_quietly(removed)
    return removed
