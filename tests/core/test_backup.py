"""`manage.py backup` and `restore` on a real SQLite file and real media (not the in-memory test
database): a data folder made by real `migrate` and clips, in a subprocess, copied for each test.

The mid-run test (a busy qcluster, restore, every clip finishes) is tests/e2e/test_backup_restore.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.migrations.loader import MigrationLoader

from ltxdash.core import backup

ROOT = Path(__file__).resolve().parents[2]

# Two ready clips with real MP4s and posters, a session and a workspace's own (encrypted) key.
MAKE_CLIPS = """
import django
django.setup()
from ltxdash.workspaces.models import ApiKey
from tests.factories import make_clip, make_user, workspace_of
alice = make_user("alice")
make_clip(alice)
make_clip(alice, prompt="A lighthouse in a storm")
ApiKey.store(workspace_of(alice), "sk-alice-own-key-0123456789", by=alice)
"""

READ_BACK = """
import django, json
django.setup()
from ltxdash.generations.models import Output
from ltxdash.workspaces.models import ApiKey
print(json.dumps({
    "outputs": sorted((o.file.name, o.sha256) for o in Output.objects.all()),
    "key": ApiKey.objects.get().secret() == "sk-alice-own-key-0123456789",
}))
"""


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The embedded default in ``data_dir``, whatever the suite itself runs on."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LTX", "DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "ltxdash.settings",
        "LTXDASH_DATA_DIR": str(data_dir),
        "LTXDASH_LOG_LEVEL": "WARNING",
        **extra,
    }


def run(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return run(data_dir, "manage.py", *args, **extra)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("made") / "data"
    for args in (("manage.py", "migrate", "--no-input", "-v", "0"), ("-c", MAKE_CLIPS)):
        done = run(data, *args)
        assert done.returncode == 0, done.stderr
    return data


@pytest.fixture
def live(made: Path, tmp_path: Path) -> Path:
    """A data folder of this test's own: a database, media, the generated secret keys."""
    data = tmp_path / "live"
    shutil.copytree(made, data)
    return data


def source_of(data: Path) -> backup.Source:
    return backup.Source(
        data_dir=data,
        database=data / "ltxdash.sqlite3",
        media=data / "media",
        secrets=tuple((n, data / n) for n in ("secret_key", "encryption_key")),
    )


def files_of(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under ``folder``."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def outputs_in(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        return sorted(r[0] for r in conn.execute("SELECT file FROM generations_output"))


def test_a_backup_restores_into_a_fresh_data_folder_that_starts_from_it(live, tmp_path):
    made = manage(live, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr
    dest = tmp_path / "backup"
    manifest = json.loads((dest / "manifest.json").read_text())

    # Every file of the data folder but the live database is there, byte for byte, and listed.
    listed = {f["path"]: f for f in manifest["files"]}
    live_files = files_of(live)
    for name in ("ltxdash.sqlite3", "ltxdash.sqlite3-wal", "ltxdash.sqlite3-shm"):
        live_files.pop(name, None)
    backed_up = files_of(dest)
    backed_up.pop("manifest.json")
    backed_up.pop("ltxdash.sqlite3")
    assert backed_up == live_files
    assert {p for p in listed if p != "ltxdash.sqlite3"} == set(live_files)
    for path, digest in files_of(dest).items():
        if path != "manifest.json":
            assert listed[path]["sha256"] == digest
            assert listed[path]["size"] == (dest / path).stat().st_size
    media = [f for f in manifest["files"] if f["kind"] == "media"]
    assert len(media) == 4 and all(f["referenced"] for f in media)  # 2 videos, 2 posters
    assert manifest["database"]["migrations"]["generations"][0] == "0001_initial"
    assert manifest["ltxdash_version"] and manifest["source"]["data_dir"] == str(live)
    assert outputs_in(dest / "ltxdash.sqlite3") == outputs_in(live / "ltxdash.sqlite3")

    # It holds secrets: owner only, said so, and none is printed.
    for path in [dest, *dest.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    assert "holds the secret key" in made.stdout
    for name in ("secret_key", "encryption_key"):
        assert (live / name).read_text().strip() not in made.stdout + made.stderr

    # Checking it leaves no data folder behind (start-up makes one), so a restore can follow.
    fresh = tmp_path / "restored"
    checked = manage(fresh, "restore", "--check", str(dest))
    assert checked.returncode == 0 and "all 7 files match" in checked.stdout, checked
    assert not fresh.exists()

    # Restore into a folder that does not exist yet (its start-up makes it, and generates a
    # secret key and an empty database there, which the backup's replace).
    restored = manage(fresh, "restore", str(dest))
    assert restored.returncode == 0, restored.stderr
    assert {k: v for k, v in files_of(fresh).items()} == {
        k: v for k, v in files_of(dest).items() if k != "manifest.json"
    }
    for entry in manifest["files"]:
        mode = stat.S_IMODE((fresh / entry["path"]).stat().st_mode)
        assert f"{mode:04o}" == entry["mode"], entry  # as the live file had it
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    # The app starts from it: its rows, its files, and the key it encrypted with.
    read = run(fresh, "-c", READ_BACK)
    assert read.returncode == 0, read.stderr
    back = json.loads(read.stdout)
    assert back["key"] is True
    for name, digest in back["outputs"]:
        assert hashlib.sha256((fresh / "media" / name).read_bytes()).hexdigest() == digest
    assert manage(fresh, "migrate", "--check").returncode == 0  # nothing left to apply


def test_a_file_replaced_after_the_snapshot_takes_another_round(live, tmp_path, monkeypatch):
    """The streaming rewrite (or a delete) after the snapshot: the row moves to a new file and
    the old one is deleted before the copy reaches it. The backup snapshots again."""
    database = live / "ltxdash.sqlite3"
    old = outputs_in(database)[0]
    new = old.replace(".mp4", "-faststart.mp4")
    real = backup.snapshot_database
    calls = []

    def snapshot_then_rewrite(source: Path, target: Path) -> None:
        real(source, target)
        calls.append(target)
        if len(calls) == 1:  # what faststart does: new file, row updated, old file deleted
            shutil.copy(live / "media" / old, live / "media" / new)
            with sqlite3.connect(database) as conn:
                conn.execute("UPDATE generations_output SET file = ? WHERE file = ?", (new, old))
            (live / "media" / old).unlink()

    monkeypatch.setattr(backup, "snapshot_database", snapshot_then_rewrite)
    said: list[str] = []
    manifest = backup.backup(source_of(live), tmp_path / "backup", say=said.append)

    assert manifest["database"]["rounds"] == 2 == len(calls)
    assert "1 referenced file(s) not found" in said[0]
    paths = {f["path"] for f in manifest["files"]}
    assert f"media/{new}" in paths
    assert f"media/{old}" not in paths  # deleted from the live data: not resurrected
    assert not (tmp_path / "backup" / "media" / old).exists()
    assert manifest["missing"] == []
    assert new in outputs_in(tmp_path / "backup" / "ltxdash.sqlite3")
    backup.verify(tmp_path / "backup")


def test_a_file_missing_from_the_live_data_is_named_not_waited_for(live, tmp_path):
    database = live / "ltxdash.sqlite3"
    lost = outputs_in(database)[0]
    (live / "media" / lost).unlink()
    manifest = backup.backup(source_of(live), tmp_path / "backup")
    assert manifest["database"]["rounds"] == 2
    assert [m["path"] for m in manifest["missing"]] == [f"media/{lost}"]
    assert len([f for f in manifest["files"] if f["kind"] == "media"]) == 3


@pytest.mark.parametrize(
    ("damage", "error"),
    [
        ("flip", "does not match the manifest"),
        ("truncate", "bytes, the manifest says"),
        ("delete", "is missing from"),
    ],
)
def test_a_damaged_backup_is_refused_naming_the_file(live, tmp_path, damage, error):
    dest = tmp_path / "backup"
    backup.backup(source_of(live), dest)
    manifest = json.loads((dest / "manifest.json").read_text())
    victim = next(f["path"] for f in manifest["files"] if f["path"].endswith(".mp4"))
    path = dest / victim
    data = path.read_bytes()
    if damage == "flip":
        path.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif damage == "truncate":
        path.write_bytes(data[:-1])
    else:
        path.unlink()

    with pytest.raises(backup.BackupError, match=error) as caught:
        backup.verify(dest)
    assert str(caught.value).startswith(victim)

    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(backup.BackupError, match=error):
        backup.restore(dest, target)
    assert list(target.iterdir()) == []  # nothing half restored

    # The commands say it where the operator looks, and a refused restore into a new
    # LTXDASH_DATA_DIR leaves nothing behind (not even what its own start-up generated).
    checked = manage(live, "restore", "--check", str(dest))
    assert checked.returncode == 1 and victim in checked.stderr and error in checked.stderr
    fresh = tmp_path / "fresh"
    refused = manage(fresh, "restore", str(dest))
    assert refused.returncode == 1 and victim in refused.stderr
    assert not fresh.exists()


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (lambda m: m["files"].append({**m["files"][-1], "path": "../outside"}), "outside"),
        (lambda m: m["files"].append({**m["files"][-1], "path": "/etc/passwd"}), "outside"),
        (lambda m: m["files"][-1].update(sha256="0" * 64), "does not match the manifest"),
        (lambda m: m["files"].pop(0), "does not list the database"),
        (lambda m: m.update(format_version=99), "format 99"),
    ],
)
def test_a_tampered_manifest_is_refused(live, tmp_path, edit, error):
    dest = tmp_path / "backup"
    backup.backup(source_of(live), dest)
    manifest = json.loads((dest / "manifest.json").read_text())
    edit(manifest)
    (dest / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(backup.BackupError, match=error):
        backup.verify(dest)
    with pytest.raises(backup.BackupError, match=error):
        backup.restore(dest, tmp_path / "target")
    assert not (tmp_path / "target").exists()


def test_a_folder_without_a_manifest_is_not_a_backup(live, tmp_path):
    dest = tmp_path / "backup"
    backup.backup(source_of(live), dest)
    (dest / "manifest.json").unlink()  # as an interrupted backup leaves it
    with pytest.raises(backup.BackupError, match="has no manifest.json"):
        backup.verify(dest)


def test_restore_refuses_a_data_folder_that_holds_anything(live, tmp_path):
    dest = tmp_path / "backup"
    backup.backup(source_of(live), dest)
    target = tmp_path / "target"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(backup.BackupError, match=r"not empty \(notes.txt is there\)"):
        backup.restore(dest, target)
    assert files_of(target) == {"notes.txt": hashlib.sha256(b"mine").hexdigest()}

    # A database file is only replaceable while it is the empty one start-up made.
    (target / "notes.txt").unlink()
    (target / "ltxdash.sqlite3").write_bytes(b"SQLite format 3\0")
    with pytest.raises(backup.BackupError, match="ltxdash.sqlite3 is there"):
        backup.restore(dest, target, replaceable=[target / "ltxdash.sqlite3"])
    assert (target / "ltxdash.sqlite3").read_bytes() == b"SQLite format 3\0"

    # Restoring over the live data folder itself: refused, and nothing in it changes.
    before = files_of(live)
    refused = manage(live, "restore", str(dest))
    assert refused.returncode == 1 and "is not empty" in refused.stderr
    assert files_of(live) == before


def test_restore_refuses_a_backup_from_a_newer_ltxdash(live, tmp_path):
    with sqlite3.connect(live / "ltxdash.sqlite3") as conn:
        conn.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('generations', '9999_from_the_future', '2030-01-01')"
        )
    dest = tmp_path / "backup"
    backup.backup(source_of(live), dest)
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    with pytest.raises(backup.BackupError, match="generations.9999_from_the_future"):
        backup.restore(dest, tmp_path / "target", known_migrations=known)
    assert not (tmp_path / "target").exists()


def test_backup_refuses_a_folder_that_is_not_empty_or_inside_the_data_folder(live, tmp_path):
    dest = tmp_path / "backup"
    dest.mkdir()
    (dest / "earlier").write_text("an earlier backup")
    with pytest.raises(backup.BackupError, match="is not empty"):
        backup.backup(source_of(live), dest)
    assert files_of(dest) == {"earlier": hashlib.sha256(b"an earlier backup").hexdigest()}
    for inside in (live / "backups" / "today", live / "media" / "backup"):
        with pytest.raises(backup.BackupError, match="inside the data folder"):
            backup.backup(source_of(live), inside)
        assert not inside.exists()
    refused = manage(live, "backup", str(dest))
    assert refused.returncode == 1 and "is not empty" in refused.stderr


def test_backup_refuses_postgresql_and_points_at_pg_dump(live, tmp_path):
    refused = manage(
        live,
        "backup",
        str(tmp_path / "backup"),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/ltxdash",
    )
    assert refused.returncode == 1
    assert "pg_dump -Fc" in refused.stderr and "pg_restore" in refused.stderr
    assert not (tmp_path / "backup").exists()


@pytest.fixture
def file_database(settings, tmp_path):
    """Settings whose database is a SQLite file, whatever the suite runs on (only read here:
    nothing connects to it)."""
    settings.DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    }
    return settings


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_backup_refuses_media_that_are_not_on_the_local_disk(file_database):
    settings = file_database
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    with pytest.raises(backup.BackupError, match="versioning or replication"):
        backup.source_from_settings()


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.local_media  # backup covers the embedded default (CI's S3 pass puts media on S3)
def test_the_running_settings_name_their_secrets_and_what_is_left_out(file_database, tmp_path):
    settings = file_database
    settings.DATA_DIR = tmp_path
    settings.LTXDASH_SECRET_KEY_FILE = tmp_path / "secret_key"
    settings.LTXDASH_ENCRYPTION_KEY_FILE = tmp_path / "encryption_key"
    (tmp_path / "secret_key").write_text(settings.SECRET_KEY + "\n")
    settings.LTXDASH_ENCRYPTION_KEYS = ["a-key-set-in-the-environment"]
    source = backup.source_from_settings()
    assert [name for name, _path in source.secrets] == ["secret_key"]
    assert source.secrets_elsewhere == ("LTXDASH_ENCRYPTION_KEYS",)
    left_out = {path for path, _why in source.left_out}
    assert Path(settings.LTXDASH_TMP_DIR).resolve() in left_out
    assert Path(settings.LTXDASH_SERVE_STATUS_FILE).resolve() in left_out


def test_restore_into_another_folder_with_data_dir(live, tmp_path):
    dest = tmp_path / "backup"
    backup.backup(source_of(live), dest)
    elsewhere = tmp_path / "elsewhere"
    unused = tmp_path / "unused"  # this run's LTXDASH_DATA_DIR
    restored = manage(unused, "restore", str(dest), "--data-dir", str(elsewhere))
    assert restored.returncode == 0, restored.stderr
    assert f"Start ltxdash with LTXDASH_DATA_DIR={elsewhere}" in restored.stdout
    assert files_of(elsewhere) == {k: v for k, v in files_of(dest).items() if k != "manifest.json"}
    assert not unused.exists()  # what its start-up generated there is gone again
