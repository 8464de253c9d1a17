"""Backups of the embedded default (SQLite + local media) taken while it runs, and their restore.

A backup is a folder laid out like the data folder it came from, plus ``manifest.json``::

    manifest.json        every file's path, size, sha256 and mode; the version, the migrations
    ltxdash.sqlite3      a snapshot of the live database (SQLite's online backup API)
    secret_key           the generated DJANGO_SECRET_KEY, when the data folder holds it
    encryption_key       the generated LTXDASH_ENCRYPTION_KEYS key, likewise
    media/...            every stored file (outputs, posters, inputs)

**Consistency.** The web and the workers keep writing meanwhile. The pipeline saves a file before
the row that points at it commits, and deletes a file only after the row that stopped pointing
at it committed (``filestore.delete_after_commit``: a deleted clip, the MP4 replaced by its
streaming rewrite). So the database is snapshotted first, in one step (one read transaction: in
WAL mode writers are not held up), and the media copied after it: every file the snapshot
refers to existed when it was taken. One may be deleted before the copy reaches it; then the
backup takes a new snapshot (which no longer refers to it) and copies what is new, up to
``MAX_ROUNDS`` times. The manifest is written last, so a folder without one is not a backup.

What is guaranteed: the database file is a consistent snapshot of one moment; every file a row
of that snapshot refers to (any ``FileField`` of any model) is in the backup with its sha256,
unless it was already missing from the live data (the manifest lists those under ``missing``).
Files no row refers to (a copy finishing, or one deleted since) are included as they were
found, except those deleted from the live data before the backup ended. Left out: the scratch
folder (``tmp/``, copies in progress, which the restored workers make again), ``make run``'s
status file, the simulator's state (the stand-in for LTX's side) and anything else in the data
folder that is not ltxdash's (named in the manifest and the command's output).

Restore checks the whole manifest (each file present, its size, its sha256) and writes into a
data folder that holds nothing yet, through a staging folder inside it, so a bad backup or a
full disk leaves the target as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import socket
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

FORMAT = "ltxdash-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "ltxdash.sqlite3"
MEDIA = "media"
# Snapshots taken before giving up on a file the previous one referred to and that was deleted
# before it could be copied (each later round copies only what is new, in seconds).
MAX_ROUNDS = 5
CHUNK = 1024 * 1024
SEE_README = 'README, "Backup and restore"'
CONSISTENCY = (
    "The database is a snapshot of one moment (SQLite online backup). Every file a row of it "
    "refers to is in this backup with its sha256, except those listed under 'missing' (already "
    "gone from the live data). Files no row refers to are included as they were found."
)

Say = Callable[[str], None]


class BackupError(Exception):
    """What went wrong, in words for the operator (the commands print it as it is)."""


@dataclass(frozen=True)
class Source:
    """What a backup copies, and from where (``from_settings()`` for the running settings)."""

    data_dir: Path
    database: Path
    media: Path
    # (name in the backup, live path) of the generated secrets the data folder holds
    secrets: tuple[tuple[str, Path], ...] = ()
    # variables whose secrets are in use but not in the data folder, so not in the backup
    secrets_elsewhere: tuple[str, ...] = ()
    # data-folder entries left out on purpose, with why
    left_out: tuple[tuple[Path, str], ...] = ()


@dataclass
class Entry:
    path: str  # relative, POSIX
    size: int
    sha256: str
    mode: int  # the permission bits the live file had (restored with it)
    kind: str  # database | secret | media
    referenced: bool | None = None  # media: does a row of the snapshot refer to it
    # (size, mtime_ns) of the live file when it was copied: a change means copy again
    seen: tuple[int, int] | None = field(default=None, compare=False)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "mode": f"{self.mode:04o}",
            "kind": self.kind,
        }
        if self.referenced is not None:
            out["referenced"] = self.referenced
        return out


# --- Where the data is ------------------------------------------------------------------------


def source_from_settings() -> Source:
    """The running settings' data folder, or a BackupError saying why it cannot be backed up
    this way (PostgreSQL, media not on the local disk, an in-memory database)."""
    from django.conf import settings
    from django.core.files.storage import FileSystemStorage, storages

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        raise BackupError(
            "The database is not SQLite (DATABASE_URL points at another server), so "
            "`manage.py backup` cannot snapshot it. Back up PostgreSQL with "
            "`pg_dump -Fc` and restore with `pg_restore` (" + SEE_README + ")."
        )
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        raise BackupError(
            f"Media are not stored on the local disk ({type(storage).__name__}), so "
            "`manage.py backup` cannot copy them. Keep them with the object store's own "
            "versioning or replication (" + SEE_README + ")."
        )
    name = str(db["NAME"])
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError("The database is in memory: there is no file to back up.")
    data_dir = Path(settings.DATA_DIR).resolve()
    database = Path(name).resolve()
    media = Path(storage.location).resolve()

    found: list[tuple[str, Path]] = []
    elsewhere: list[str] = []
    secret_file = Path(settings.LTXDASH_SECRET_KEY_FILE)
    key_file = Path(settings.LTXDASH_ENCRYPTION_KEY_FILE)
    if secret_file.is_file():
        found.append((secret_file.name, secret_file))
    if _read_secret(secret_file) != settings.SECRET_KEY:
        elsewhere.append("DJANGO_SECRET_KEY")
    if key_file.is_file():
        found.append((key_file.name, key_file))
    if [_read_secret(key_file)] != list(settings.LTXDASH_ENCRYPTION_KEYS):
        elsewhere.append("LTXDASH_ENCRYPTION_KEYS")

    left_out = [
        (Path(settings.LTXDASH_TMP_DIR), "copies in progress (the workers make them again)"),
        (Path(settings.LTXDASH_SERVE_STATUS_FILE), "make run's status file"),
        (Path(settings.LTXDASH_SIM_DIR), "the simulator's state (the stand-in for LTX's side)"),
    ]
    return Source(
        data_dir=data_dir,
        database=database,
        media=media,
        secrets=tuple(found),
        secrets_elsewhere=tuple(elsewhere),
        left_out=tuple((path.resolve(), why) for path, why in left_out),
    )


def _read_secret(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


# --- Backup -----------------------------------------------------------------------------------


def backup(source: Source, dest: Path, *, say: Say = lambda _: None) -> dict[str, Any]:
    """Write a backup of ``source`` into ``dest`` (new, or an empty folder); its manifest."""
    dest = Path(os.path.abspath(dest))
    _check_dest(source, dest)
    created = not dest.exists()
    _private_dir(dest)
    try:
        return _backup(source, dest, say)
    except BaseException:
        # dest was empty or new: what is in it now is this backup's, half made.
        for entry in list(dest.iterdir()):
            _remove(entry)
        if created:
            with contextlib.suppress(OSError):
                dest.rmdir()
        raise


def _check_dest(source: Source, dest: Path) -> None:
    real = dest.resolve()
    if _inside(real, source.data_dir) or _inside(real, source.media):
        raise BackupError(
            f"{dest} is inside the data folder ({source.data_dir}): a backup there is lost "
            "with it. Choose a folder elsewhere, ideally on another disk."
        )
    if real.exists() and not real.is_dir():
        raise BackupError(f"{dest} exists and is not a folder: give a new or empty folder.")
    if real.is_dir() and any(real.iterdir()):
        raise BackupError(
            f"{dest} is not empty: give a new or empty folder, so no earlier backup is mixed "
            "into this one or overwritten."
        )
    if not source.database.is_file():
        raise BackupError(f"There is no database at {source.database} to back up.")


def _backup(source: Source, dest: Path, say: Say) -> dict[str, Any]:
    started = _now()
    clock = time.monotonic()
    media: dict[str, Entry] = {}
    media_dest = dest / MEDIA
    _private_dir(media_dest)
    referenced: set[str] = set()
    missing: set[str] = set()
    rounds = 0
    snapshot_at = started
    for rounds in range(1, MAX_ROUNDS + 1):
        snapshot_at = _now()
        snapshot_database(source.database, dest / DATABASE)
        referenced = referenced_files(dest / DATABASE)
        copied = _copy_media(source, media_dest, media)
        previous, missing = missing, {n for n in referenced if f"{MEDIA}/{n}" not in media}
        say(
            f"Round {rounds}: database snapshot taken, {copied} media file"
            f"{'' if copied == 1 else 's'} copied"
            + (f", {len(missing)} referenced file(s) not found" if missing else "")
        )
        # Done when every referenced file is here, or when two snapshots in a row refer to the
        # same absent files: those are missing from the live data itself, not deleted meanwhile.
        if not missing or missing == previous:
            break
    _prune(source, media_dest, media, referenced)

    entries: list[Entry] = [_entry_of(dest / DATABASE, DATABASE, "database", 0o600)]
    for name, live in source.secrets:
        entry = _copy_file(live, dest / name, name, "secret")
        if entry is None:
            raise BackupError(f"{live} disappeared while the backup was copying it.")
        entries.append(entry)
    for entry in sorted(media.values(), key=lambda e: e.path):
        entry.referenced = entry.path.removeprefix(f"{MEDIA}/") in referenced
        entries.append(entry)

    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "ltxdash_version": _version(),
        "started_at": started,
        "finished_at": _now(),
        "source": {
            "host": socket.gethostname(),
            "data_dir": str(source.data_dir),
            "database": str(source.database),
            "media": str(source.media),
        },
        "database": {
            "path": DATABASE,
            "snapshot_at": snapshot_at,
            "rounds": rounds,
            "sqlite_version": sqlite3.sqlite_version,
            "migrations": applied_migrations(dest / DATABASE),
        },
        "consistency": CONSISTENCY,
        "holds_secrets": bool(source.secrets),
        "secrets_not_included": list(source.secrets_elsewhere),
        "missing": [
            {
                "path": f"{MEDIA}/{name}",
                "why": "referenced by the database, gone from the live data",
            }
            for name in sorted(missing)
        ],
        "not_included": [{"path": path, "why": why} for path, why in _not_included(source, dest)],
        "files": [entry.as_json() for entry in entries],
    }
    _write_manifest(dest, manifest)
    total = sum(entry.size for entry in entries)
    say(
        f"Backup written to {dest}: {len(entries)} files, {size_words(total)}, "
        f"in {time.monotonic() - clock:.1f} s"
    )
    return manifest


def snapshot_database(live: Path, target: Path) -> None:
    """A consistent copy of the live SQLite database at ``target`` (replacing it), in one step
    of the online backup API: one read transaction, which in WAL mode holds up no writer."""
    partial = target.with_name(target.name + ".partial")
    _remove(partial)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    source = sqlite3.connect(f"file:{quote(str(live))}?mode=rw", uri=True, timeout=60)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # pages=-1: every page in one step, so one moment's database
            # A file of its own: no -wal or -shm beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
    except sqlite3.Error as error:
        _remove(partial)
        raise BackupError(f"Could not snapshot the database {live}: {error}") from error
    finally:
        source.close()
    if check != "ok":
        _remove(partial)
        raise BackupError(f"The snapshot of {live} fails SQLite's quick_check: {check}")
    os.replace(partial, target)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)


def referenced_files(database: Path) -> set[str]:
    """Names of stored files that rows of ``database`` (a snapshot) refer to: every FileField of
    every installed model, read from the file with sqlite3."""
    from django.apps import apps
    from django.db import models

    columns = {
        (model._meta.db_table, f.column)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, models.FileField)
    }
    names: set[str] = set()
    conn = _connect_read_only(database)
    try:
        for table, column in sorted(columns):
            try:
                # Names from the models' own metadata, never from input.
                query = f'SELECT "{column}" FROM "{table}" WHERE "{column}" != \'\''  # noqa: S608
                rows = conn.execute(query).fetchall()
            except sqlite3.OperationalError:  # a table not migrated yet
                continue
            names |= {row[0] for row in rows}
    finally:
        conn.close()
    return names


def applied_migrations(database: Path) -> dict[str, list[str]]:
    """{app: [migration, ...]} applied in ``database`` (empty if it was never migrated)."""
    conn = _connect_read_only(database)
    try:
        rows = conn.execute("SELECT app, name FROM django_migrations ORDER BY app, id").fetchall()
    except sqlite3.OperationalError:
        rows = []
    finally:
        conn.close()
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(app, []).append(name)
    return applied


def _copy_media(source: Source, media_dest: Path, media: dict[str, Entry]) -> int:
    """Copy every media file not copied yet (or changed since); the number copied."""
    copied = 0
    skip = {path for path, _why in source.left_out}
    for folder, dirs, files in os.walk(source.media):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in skip)
        for name in sorted(files):
            live = here / name
            rel = f"{MEDIA}/{live.relative_to(source.media).as_posix()}"
            try:
                info = os.lstat(live)
            except FileNotFoundError:
                continue  # deleted since the listing
            if not stat.S_ISREG(info.st_mode):
                continue  # links and the like: storage never makes them
            known = media.get(rel)
            if known is not None and known.seen == (info.st_size, info.st_mtime_ns):
                continue
            entry = _copy_file(live, media_dest.parent / rel, rel, "media")
            if entry is not None:
                media[rel] = entry
                copied += 1
    return copied


def _prune(source: Source, media_dest: Path, media: dict[str, Entry], referenced: set[str]) -> None:
    """Drop copies of files no row of the final snapshot refers to and that the live data no
    longer has (deleted during the backup): they are not stored any more."""
    for rel, _entry in sorted(media.items()):
        name = rel.removeprefix(f"{MEDIA}/")
        if name in referenced or (source.media / name).exists():
            continue
        copy = media_dest / name
        _remove(copy)
        del media[rel]
        with contextlib.suppress(OSError):  # empty folders left behind
            folder = copy.parent
            while folder != media_dest:
                folder.rmdir()
                folder = folder.parent


def _copy_file(live: Path, target: Path, rel: str, kind: str) -> Entry | None:
    """Copy ``live`` to ``target`` (0600, hashing as it goes); None if it vanished first."""
    try:
        handle = open(live, "rb")  # noqa: SIM115 (closed below, after the fstat)
    except FileNotFoundError:
        return None
    with handle:
        info = os.fstat(handle.fileno())
        _private_dir(target.parent)
        digest = hashlib.sha256()
        size = 0
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
    os.chmod(target, 0o600)  # an existing file keeps its mode through O_CREAT: say it
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    return Entry(
        path=rel,
        size=size,
        sha256=digest.hexdigest(),
        mode=stat.S_IMODE(info.st_mode),
        kind=kind,
        seen=(info.st_size, info.st_mtime_ns),
    )


def _entry_of(path: Path, rel: str, kind: str, mode: int) -> Entry:
    digest, size = _hash(path)
    return Entry(path=rel, size=size, sha256=digest, mode=mode, kind=kind)


def _not_included(source: Source, dest: Path) -> list[tuple[str, str]]:
    """Entries of the data folder the backup leaves out, with why."""
    known = {
        source.database,
        source.database.with_name(source.database.name + "-wal"),
        source.database.with_name(source.database.name + "-shm"),
        source.database.with_name(source.database.name + "-journal"),
        source.media,
        *(path.resolve() for _name, path in source.secrets),
    }
    why_of = dict(source.left_out)
    out: list[tuple[str, str]] = []
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(source.data_dir.iterdir()):
            path = entry.resolve()
            if path in known or path == dest.resolve():
                continue
            why = why_of.get(path, "not ltxdash's: copy it yourself if you need it")
            out.append((entry.name + ("/" if entry.is_dir() else ""), why))
    return out


def _write_manifest(dest: Path, manifest: dict[str, Any]) -> None:
    partial = dest / (MANIFEST + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(manifest, out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, dest / MANIFEST)


# --- Verify -----------------------------------------------------------------------------------


def read_manifest(src: Path) -> dict[str, Any]:
    """The backup's manifest, its shape checked (not yet its files)."""
    path = Path(src) / MANIFEST
    if not Path(src).is_dir():
        raise BackupError(f"{src} is not a folder: give the folder `manage.py backup` wrote.")
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(
            f"{src} has no {MANIFEST}: it is not an ltxdash backup, or one that was interrupted "
            "before it finished (the manifest is written last)."
        ) from None
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} cannot be read as JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not the manifest of an ltxdash backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is in backup format {manifest.get('format_version')!r}; this ltxdash "
            f"reads format {FORMAT_VERSION}. Restore it with the ltxdash version that made it "
            f"({manifest.get('ltxdash_version', 'unknown')})."
        )
    files = manifest.get("files")
    if not isinstance(files, list) or not files:
        raise BackupError(f"{path} lists no files.")
    seen: set[str] = set()
    for item in files:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("path"), str)
            and isinstance(item.get("size"), int)
            and isinstance(item.get("sha256"), str)
        ):
            raise BackupError(f"{path} has a file entry without path, size and sha256: {item!r}")
        rel = item["path"]
        if not _safe_relative(rel):
            raise BackupError(f"{path} names a file outside the backup: {rel!r}")
        if rel in seen:
            raise BackupError(f"{path} lists {rel} twice.")
        seen.add(rel)
    if DATABASE not in seen:
        raise BackupError(f"{path} does not list the database ({DATABASE}).")
    return manifest


def _safe_relative(rel: str) -> bool:
    pure = PurePosixPath(rel)
    return (
        bool(rel)
        and not pure.is_absolute()
        and "\\" not in rel
        and all(part not in ("", ".", "..") for part in rel.split("/"))
        and pure.parts[0] != MANIFEST
    )


def verify(src: Path, *, say: Say = lambda _: None) -> dict[str, Any]:
    """Check every file of the backup against its manifest: present, its size, its sha256. A
    BackupError names the first one that is not right."""
    src = Path(src)
    manifest = read_manifest(src)
    files = manifest["files"]
    _check_present(src, files)
    for item in files:
        digest, _size = _hash(src / item["path"])
        if digest != item["sha256"]:
            raise BackupError(
                f"{item['path']} in {src} does not match the manifest (its sha256 is "
                f"{digest}, the manifest says {item['sha256']}): the backup is damaged."
            )
    say(f"{src}: all {len(files)} files match the manifest ({size_words(_total(files))}).")
    return manifest


def _check_present(src: Path, files: list[dict[str, Any]]) -> None:
    """Every file there, a regular file, of its size: fast, before any hashing."""
    for item in files:
        path = src / item["path"]
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise BackupError(
                f"{item['path']} is missing from {src}: the backup is incomplete."
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise BackupError(f"{item['path']} in {src} is not a regular file.")
        if info.st_size != item["size"]:
            raise BackupError(
                f"{item['path']} in {src} has {info.st_size} bytes, the manifest says "
                f"{item['size']}: the backup is damaged."
            )


# --- Restore ----------------------------------------------------------------------------------


def restore(
    src: Path,
    data_dir: Path,
    *,
    replaceable: Iterable[Path] = (),
    known_migrations: set[tuple[str, str]] | None = None,
    say: Say = lambda _: None,
) -> dict[str, Any]:
    """Restore the backup ``src`` into ``data_dir``, which must hold nothing but what is in
    ``replaceable`` (files this very process generated at start-up, which the backup's replace).

    ``known_migrations`` (app, name) are those this code has: a backup with others was made by a
    newer ltxdash and is refused. Every file is checked against the manifest as it is copied;
    on any problem nothing is left in ``data_dir`` beyond what was there, and what this process
    generated there at start-up is removed too (so the next attempt finds the folder empty)."""
    src = Path(os.path.abspath(src))
    data_dir = Path(os.path.abspath(data_dir))
    fresh = {Path(os.path.abspath(p)) for p in replaceable}
    try:
        return _restore(src, data_dir, fresh, known_migrations, say)
    except BaseException:
        undo_startup(data_dir, fresh)
        raise


def undo_startup(data_dir: Path, fresh: Iterable[Path]) -> None:
    """Remove from ``data_dir`` the files this process generated there at start-up and nothing
    used since (and the folder, if it made it and it is empty now)."""
    fresh = {Path(os.path.abspath(p)) for p in fresh}
    data_dir = Path(os.path.abspath(data_dir))
    for path in sorted(fresh, reverse=True):
        if path.parent == data_dir and _still_fresh(path, fresh):
            _remove(path)
    if data_dir in fresh:
        with contextlib.suppress(OSError):
            data_dir.rmdir()  # only if empty


def _restore(
    src: Path,
    data_dir: Path,
    fresh: set[Path],
    known_migrations: set[tuple[str, str]] | None,
    say: Say,
) -> dict[str, Any]:
    manifest = read_manifest(src)
    files: list[dict[str, Any]] = manifest["files"]
    if _inside(data_dir.resolve(), src.resolve()) or _inside(src.resolve(), data_dir.resolve()):
        raise BackupError(f"The backup {src} and the data folder {data_dir} overlap.")
    leftovers = _check_target(data_dir, fresh)
    _check_present(src, files)
    if known_migrations is not None:
        _check_migrations(src / DATABASE, manifest, known_migrations)

    made_it = not data_dir.exists()
    _private_dir(data_dir)
    staging = data_dir / f".ltxdash-restore-{secrets.token_hex(4)}"
    try:
        _private_dir(staging)
        for item in files:
            target = staging / item["path"]
            _private_dir(target.parent)
            entry = _copy_file(src / item["path"], target, item["path"], item.get("kind", ""))
            if entry is None:
                raise BackupError(f"{item['path']} disappeared from {src} during the restore.")
            if entry.size != item["size"] or entry.sha256 != item["sha256"]:
                raise BackupError(
                    f"{item['path']} in {src} does not match the manifest (size {entry.size}, "
                    f"sha256 {entry.sha256}; the manifest says {item['size']}, "
                    f"{item['sha256']}): the backup is damaged. Nothing was restored."
                )
            os.chmod(target, _mode(item))
        for path in leftovers:  # generated by this process at start-up: the backup's win
            if (staging / path.name).exists():
                _remove(path)
        for staged in sorted(staging.iterdir()):
            destination = data_dir / staged.name
            if destination.exists():  # not there when checked: someone else is writing here
                raise BackupError(f"{destination} appeared during the restore; stopped.")
            os.rename(staged, destination)
        staging.rmdir()
    except BaseException:
        _remove(staging)
        if made_it:
            with contextlib.suppress(OSError):
                data_dir.rmdir()
        raise
    say(
        f"Restored {len(files)} files ({size_words(_total(files))}) from {src} into {data_dir}, "
        "each checked against the manifest."
    )
    return manifest


def _check_target(data_dir: Path, replaceable: set[Path]) -> list[Path]:
    """Refuse a data folder that holds anything but freshly generated start-up files (an empty
    database file, generated secrets); those, to be replaced."""
    if data_dir.exists() and not data_dir.is_dir():
        raise BackupError(f"{data_dir} exists and is not a folder.")
    leftovers: list[Path] = []
    if not data_dir.is_dir():
        return leftovers
    for entry in sorted(data_dir.iterdir()):
        if not _still_fresh(entry, replaceable):
            raise BackupError(
                f"The data folder {data_dir} is not empty ({entry.name} is there). Restore only "
                "goes into an empty folder, so nothing is overwritten: set LTXDASH_DATA_DIR (or "
                "--data-dir) to a new folder, or move this one away first."
            )
        leftovers.append(entry)
    return leftovers


def _still_fresh(path: Path, fresh: set[Path]) -> bool:
    """``path`` is a file this process generated at start-up and nothing has written to since
    (as far as can be told: the database file start-up makes is empty)."""
    if path not in fresh or path.is_symlink() or not path.is_file():
        return False
    # Something wrote to it: a database now, not the empty file of start-up.
    return not (path.name == DATABASE and path.stat().st_size != 0)


def _check_migrations(
    database: Path, manifest: dict[str, Any], known: set[tuple[str, str]]
) -> None:
    applied = applied_migrations(database)
    newer = sorted(
        f"{app}.{name}"
        for app, names in applied.items()
        for name in names
        if (app, name) not in known
    )
    if newer:
        listed = ", ".join(newer[:5]) + (" ..." if len(newer) > 5 else "")
        raise BackupError(
            f"The backup's database has migrations this ltxdash does not know ({listed}): it was "
            f"made by a newer version ({manifest.get('ltxdash_version', 'unknown')}). Restore it "
            "with that version or a later one."
        )


def unapplied(database: Path, known: set[tuple[str, str]]) -> list[str]:
    """Migrations this code has that ``database`` has not applied (run `migrate` after)."""
    applied = {(app, name) for app, names in applied_migrations(database).items() for name in names}
    return sorted(f"{app}.{name}" for app, name in known - applied)


def _mode(item: dict[str, Any]) -> int:
    try:
        mode = int(str(item.get("mode", "0600")), 8)
    except ValueError:
        return 0o600
    # Never more than the owner's read/write plus read for others, never executable.
    return mode & 0o644 | 0o600


# --- Small helpers ----------------------------------------------------------------------------


def _private_dir(path: Path) -> None:
    """``path`` and missing parents, made 0700 (the ones this makes)."""
    missing = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _hash(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _total(files: list[dict[str, Any]]) -> int:
    return sum(int(item["size"]) for item in files)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _version() -> str:
    try:
        return metadata.version("ltxdash")
    except metadata.PackageNotFoundError:
        return "unknown"


def size_words(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover
