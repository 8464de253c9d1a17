"""Exporting clips: the metadata of many clips as CSV or JSON, and a ZIP of their videos.

The one home of exports: the views (``gallery/views/export.py``) pick the clips through
``ltxdash.access`` and hand them here.

The ZIP is built while it is sent. Each video is read from ``default_storage`` in 1 MiB chunks
and written STORED (an MP4 does not compress; deflating it would cost CPU for nothing), through
Python's ``zipfile`` writing to a sink that cannot seek: every entry gets a data descriptor
after its bytes (its CRC-32 is known only once they have passed), then the central directory
ends the archive. Nothing of the archive is kept, on disk or in memory, beyond the chunk on its
way out, whatever the total. ``clips.csv`` and ``clips.json`` come last, so they can say which
files were missing from storage when the archive was made (skipped, never half-written).

No length is known in advance (the CRCs are not stored), so a ZIP answer has no
Content-Length and no Range support: an interrupted download starts again.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import PurePosixPath
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from ltxdash.generations.describe import settings_rows
from ltxdash.generations.models import Generation, Output
from ltxdash.ltx import catalog

CHUNK_SIZE = 1024 * 1024  # read from storage, and sent, this much at a time
MAX_ZIP_CLIPS = 2000  # clips one ZIP may hold
# Entries at least this large are written with ZIP64 sizes (32-bit sizes end at 4 GiB); a
# margin below it, in case the stored file is a little larger than its row says.
ZIP64_FROM = 3 * 1024**3
# Rows read from the database at a time while a CSV of every matching clip streams.
BATCH = 500
NAME_WORDS = 60  # characters of the title or prompt a file name keeps

# Where each clip's file stands in an export.
STORED = "stored"  # a video is stored (a CSV without a ZIP says no more)
INCLUDED = "included"  # in this ZIP
MISSING = "missing"  # the row names a file storage no longer has: left out of the ZIP
NO_FILE = "no file"  # the clip has no video (not ready, failed, EXR frames only)

COLUMNS = (
    "id",
    "title",
    "prompt",
    "mode",
    "model",
    "settings",
    "cost_estimate_usd",
    "created_at",
    "submitted_at",
    "completed_at",
    "ready_at",
    "made_by",
    "state",
    "file",
    "file_status",
    "size_bytes",
    "sha256",
)


@dataclass(frozen=True)
class View:
    """Who an export is for: the team sees every column; a public board link shows no member
    names, costs or states, and the prompts only if its owner chose to show them."""

    prompts: bool = True
    team: bool = True

    @property
    def hidden(self) -> frozenset[str]:
        if not self.team:  # an allow-list: what the public page shows, and the file itself
            shown = {"title", "file", "file_status", "size_bytes", "sha256"}
            shown |= {"prompt"} if self.prompts else set()
            return frozenset(COLUMNS) - shown
        return frozenset() if self.prompts else frozenset({"prompt"})


TEAM = View()


def prepared(generations: Iterable[Generation]) -> Iterable[Generation]:
    """``generations`` with what an export reads loaded in a fixed number of queries: the maker
    and the outputs. A queryset is read in batches (a CSV of every clip never holds them all)."""
    if isinstance(generations, QuerySet):
        return (
            generations.select_related("owner")
            .prefetch_related(Prefetch("outputs", queryset=Output.objects.order_by("id")))
            .iterator(chunk_size=BATCH)
        )
    return generations


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _cost(amount: Decimal | None) -> str:
    """Dollars to the cent, as the clip page shows the estimate ("" when there is none)."""
    if amount is None:
        return ""
    return str(Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _settings_text(generation: Generation) -> str:
    """The clip's settings in words, as its page lists them, without mode and model (columns
    of their own): "Duration: 6 s; Resolution: 1080p (1920x1080); Frame rate: 24 fps"."""
    rows = settings_rows(generation)[1:]  # the first row is the mode
    if generation.model:
        rows = rows[1:]  # then the model
    return "; ".join(f"{label}: {value}" for label, value in rows)


# --- file names inside the ZIP -----------------------------------------------------------------

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def _words(text: str) -> str:
    """``text`` as part of a file name on any system: one line, no path separators or
    characters Windows refuses, at most NAME_WORDS characters cut at a word."""
    text = unicodedata.normalize("NFC", text)
    # Controls, format characters (a right-to-left override could disguise ".exe"), unassigned.
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    text = " ".join(_UNSAFE.sub(" ", text).split())
    if len(text) > NAME_WORDS:
        cut = text[:NAME_WORDS]
        text = cut.rsplit(" ", 1)[0] if " " in cut[NAME_WORDS // 2 :] else cut
    return text.strip(" .-")


def member_name(position: int, generation: Generation, video: Output, *, view: View) -> str:
    """ "003 Harbour at dawn.mp4": the clip's place in the export, then its name, else its
    prompt's first words (unless prompts are hidden), else its mode."""
    words = _words(generation.title)
    if not words and view.prompts:
        words = _words(generation.prompt)
    words = words or _words(generation.display_title) or "clip"
    suffix = PurePosixPath(video.file.name or "").suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        suffix = ".mp4" if video.content_type == "video/mp4" else ".bin"
    return f"{position:03d} {words}{suffix}"


@dataclass
class Item:
    """One clip of an export: the clip, its video (None without one), its name in the ZIP and
    where its file stands (STORED, INCLUDED, MISSING, NO_FILE)."""

    generation: Generation
    video: Output | None
    name: str
    status: str


def item(position: int, generation: Generation, *, view: View) -> Item:
    video = generation.video
    if video is None or not video.file.name:
        return Item(generation, None, "", NO_FILE)
    return Item(
        generation,
        video,
        member_name(position, generation, video, view=view),
        STORED,
    )


def items(generations: Iterable[Generation], *, view: View = TEAM) -> list[Item]:
    """Every clip of the export, numbered from 1 in the order given. The number makes each
    name unique; the name is the same in a CSV of the same clips."""
    return [
        item(position, generation, view=view)
        for position, generation in enumerate(prepared(generations), start=1)
    ]


# --- metadata ----------------------------------------------------------------------------------


def _row(item: Item, *, view: View) -> dict[str, Any]:
    generation, video = item.generation, item.video
    row: dict[str, Any] = {
        "id": generation.pk,
        "title": generation.display_title,
        "prompt": generation.prompt,
        "mode": catalog.endpoint_label(generation.endpoint),
        "model": catalog.model_label(generation.model) if generation.model else "",
        "settings": _settings_text(generation),
        "cost_estimate_usd": _cost(generation.estimated_cost),
        "created_at": _iso(generation.created_at),
        "submitted_at": _iso(generation.submitted_at),
        "completed_at": _iso(generation.completed_at),
        "ready_at": _iso(generation.ready_at),
        "made_by": generation.owner.get_username(),
        "state": generation.state,
        "file": item.name,
        "file_status": item.status,
        "size_bytes": video.size if video else None,
        "sha256": video.sha256 if video else "",
    }
    return {name: value for name, value in row.items() if name not in view.hidden}


def _rows_of(found: Iterable[Item], view: View) -> Iterator[dict[str, Any]]:
    return (_row(clip, view=view) for clip in found)


def metadata_rows(generations: Iterable[Generation], *, view: View = TEAM) -> list[dict[str, Any]]:
    """One dict per clip, keyed by COLUMNS (without "prompt" when prompts are hidden)."""
    return list(_rows_of(items(generations, view=view), view))


def columns(view: View = TEAM) -> list[str]:
    return [name for name in COLUMNS if name not in view.hidden]


class _Line:
    """A csv.writer target that hands back what it was given."""

    def write(self, text: str) -> str:
        return text


def _csv_lines(rows: Iterable[dict[str, Any]], view: View) -> Iterator[str]:
    writer = csv.DictWriter(_Line(), fieldnames=columns(view))
    # A BOM first: spreadsheet programs read the file as UTF-8 then ("Text → Video", accents).
    yield "\ufeff" + writer.writeheader()
    for row in rows:
        yield writer.writerow({k: "" if v is None else v for k, v in row.items()})


def csv_stream(generations: Iterable[Generation], *, view: View = TEAM) -> Iterator[bytes]:
    """The CSV of ``generations``, line by line as UTF-8 bytes. A queryset is read in batches
    of BATCH rows (each batch: its clips, then their outputs), so it may be every clip."""
    rows = (
        _row(
            item(position, generation, view=view),
            view=view,
        )
        for position, generation in enumerate(prepared(generations), start=1)
    )
    for line in _csv_lines(rows, view):
        yield line.encode()


def _document(rows: list[dict[str, Any]]) -> str:
    body = {"exported_at": _iso(timezone.now()), "count": len(rows), "clips": rows}
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def json_document(generations: Iterable[Generation], *, view: View = TEAM) -> str:
    """The metadata as one JSON object: {"exported_at", "count", "clips": [row, ...]}."""
    return _document(metadata_rows(generations, view=view))


# --- the ZIP -----------------------------------------------------------------------------------


class _Sink:
    """Where zipfile writes: it keeps what was written until it is taken. It tells its
    position but cannot seek, so zipfile writes data descriptors instead of going back."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._offset = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _zip_info(name: str, moment: datetime | None) -> zipfile.ZipInfo:
    local = timezone.localtime(moment or timezone.now())
    stamp = (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16  # a plain readable file when unpacked
    return info


def zip_stream(generations: Iterable[Generation], *, view: View = TEAM) -> Iterator[bytes]:
    """The ZIP of ``generations``' videos, plus clips.csv and clips.json, as chunks of bytes.

    The clips are read (and named) now, in a fixed number of queries; the files when the
    iterator is read. Closing the iterator early (a client that went away) closes the file
    being read; nothing is left behind."""
    found = items(generations, view=view)
    return _zip_chunks(found, view)


def _zip_chunks(found: list[Item], view: View) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for clip in found:
            if clip.video is None:
                continue
            try:
                source = default_storage.open(str(clip.video.file.name), "rb")
            except (FileNotFoundError, OSError):
                clip.status = MISSING
                continue
            with source:
                info = _zip_info(clip.name, clip.generation.ready_at or clip.generation.created_at)
                with archive.open(info, "w", force_zip64=clip.video.size >= ZIP64_FROM) as entry:
                    while chunk := source.read(CHUNK_SIZE):
                        entry.write(chunk)
                        yield sink.take()
            clip.status = INCLUDED
            if tail := sink.take():  # the entry's data descriptor
                yield tail
        rows = list(_rows_of(found, view))
        archive.writestr(_zip_info("clips.csv", None), "".join(_csv_lines(rows, view)))
        archive.writestr(_zip_info("clips.json", None), _document(rows))
    yield sink.take()
