"""Benchmark: `manage.py backup` of a data folder while another process keeps writing to it, then
`manage.py restore` of that backup, against `cp -r` of the same folder.

Makes ``--clips`` ready clips (default 200) whose videos are random bytes (``--gib`` in all,
default 1.0) plus a poster each, in a throw-away data folder. A writer process (the ORM, as the
workers write: the file saved, then its row) then keeps adding clips with 1 MiB videos, rewriting
earlier clips' videos (new file, row updated, old file deleted after the commit, as the streaming
rewrite does) and deleting clips, while `manage.py backup` runs as its own process. Then
`manage.py restore` into a new folder, and a check that every output row of the restored
database has its file, with the row's size and sha256. `cp -r` of the data folder (the writer
stopped, the files in the page cache as for the backup) is the baseline.

    .venv/bin/python bench/bench_backup.py [--clips 200] [--gib 1.0]

Prints the wall times, MiB/s, the backup's rounds, what the writer did meanwhile, and the check.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import REPO, setup_django

MIB = 2**20


def make_clips(count: int, total_bytes: int) -> None:
    from ltxdash.generations.models import Output
    from tests.factories import bulk_ready_clips, make_user

    owner = make_user("bench")
    bulk_ready_clips(owner, count)
    media = Path(os.environ["LTXDASH_DATA_DIR"]) / "media"
    size = total_bytes // count
    outputs = list(Output.objects.all())
    for n, output in enumerate(outputs):
        # Sizes that line up with nothing, random bytes (nothing compresses).
        data = os.urandom(size + (n * 4099) % 65536)
        for name, content in ((output.file.name, data), (output.poster.name, os.urandom(20_000))):
            path = media / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        output.size, output.sha256 = len(data), hashlib.sha256(data).hexdigest()
    Output.objects.bulk_update(outputs, ["size", "sha256"], batch_size=500)


def writer() -> None:
    """Add, rewrite and delete clips until SIGTERM; then print what it did as JSON."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import transaction

    from ltxdash.generations.models import Generation, Output, State
    from tests.factories import make_generation, make_output, make_user

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    owner = make_user("writer")
    done = {"added": 0, "rewritten": 0, "deleted": 0}
    n = 0
    while not stop:
        n += 1
        make_output(make_generation(owner, state=State.READY), data=os.urandom(MIB))
        done["added"] += 1
        output = Output.objects.order_by("?").first()
        if output is not None and n % 2 == 0:  # the streaming rewrite's way
            data = os.urandom(output.size or MIB)
            name = default_storage.save(f"outputs/rewritten-{n}.mp4", ContentFile(data))
            old = output.file.name
            with transaction.atomic():
                Output.objects.filter(pk=output.pk).update(
                    file=name, size=len(data), sha256=hashlib.sha256(data).hexdigest()
                )
                transaction.on_commit(lambda old=old: default_storage.delete(old))
            done["rewritten"] += 1
        victim = Generation.objects.order_by("?").first()
        if victim is not None and n % 3 == 0:  # a delete's way: the row, then its files
            names = [f for o in victim.outputs.all() for f in (o.file.name, o.poster.name) if f]
            with transaction.atomic():
                victim.delete()
                transaction.on_commit(
                    lambda names=names: [default_storage.delete(f) for f in names]
                )
            done["deleted"] += 1
    print(json.dumps(done))


def check_restored(data_dir: Path) -> tuple[int, int]:
    """(output rows, rows whose file is there with the row's size and sha256)."""
    with sqlite3.connect(data_dir / "ltxdash.sqlite3") as conn:
        rows = conn.execute("SELECT file, size, sha256 FROM generations_output").fetchall()
    good = 0
    for name, size, digest in rows:
        path = data_dir / "media" / name
        if path.is_file() and path.stat().st_size == size:
            good += hashlib.sha256(path.read_bytes()).hexdigest() == digest
    return len(rows), good


def du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--writer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        setup_django(os.environ["LTXDASH_DATA_DIR"], migrate=False)
        writer()
        return

    root = Path(tempfile.mkdtemp(prefix="ltxdash-bench-backup-"))
    data = root / "data"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LTX", "DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env |= {"DJANGO_SETTINGS_MODULE": "ltxdash.settings", "LTXDASH_DATA_DIR": str(data)}
    try:
        setup_django(data)
        made = time.monotonic()
        make_clips(args.clips, int(args.gib * 2**30))
        size = du(data)
        print(
            f"data folder: {args.clips} clips, {size / MIB:,.0f} MiB "
            f"(made in {time.monotonic() - made:.1f} s)"
        )

        manage = [sys.executable, "manage.py"]
        started = time.monotonic()
        quiet = subprocess.run(
            [*manage, "backup", str(root / "quiet")], cwd=REPO, env=env, capture_output=True
        )
        quiet_s = time.monotonic() - started
        if quiet.returncode:
            raise SystemExit(f"backup failed:\n{quiet.stderr.decode()}")
        shutil.rmtree(root / "quiet")
        print(f"backup (nothing writing): {quiet_s:.2f} s, {size / MIB / quiet_s:,.0f} MiB/s")

        write = subprocess.Popen(
            [sys.executable, __file__, "--writer"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)  # the writer is going
        started = time.monotonic()
        backed = subprocess.run(
            [*manage, "backup", str(root / "backup")],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        backup_s = time.monotonic() - started
        write.send_signal(signal.SIGTERM)
        wrote = json.loads(write.communicate(timeout=60)[0].strip().splitlines()[-1])
        if backed.returncode:
            raise SystemExit(f"backup failed:\n{backed.stderr}")
        manifest = json.loads((root / "backup" / "manifest.json").read_text())
        copied = sum(f["size"] for f in manifest["files"])
        print(
            f"backup (writer going): {backup_s:.2f} s, {copied / MIB:,.0f} MiB, "
            f"{copied / MIB / backup_s:,.0f} MiB/s, {manifest['database']['rounds']} round(s), "
            f"{len(manifest['missing'])} missing"
        )
        print(
            f"  the writer meanwhile (and 3 s before): {wrote['added']} clips added, "
            f"{wrote['rewritten']} rewritten, {wrote['deleted']} deleted"
        )

        started = time.monotonic()
        restored = subprocess.run(
            [*manage, "restore", str(root / "backup")],
            cwd=REPO,
            env={**env, "LTXDASH_DATA_DIR": str(root / "restored")},
            capture_output=True,
            text=True,
        )
        restore_s = time.monotonic() - started
        if restored.returncode:
            raise SystemExit(f"restore failed:\n{restored.stderr}")
        print(
            f"restore (each file checked): {restore_s:.2f} s, {copied / MIB / restore_s:,.0f} MiB/s"
        )
        rows, good = check_restored(root / "restored")
        print(f"restored outputs with their file, size and sha256 as the row says: {good}/{rows}")

        started = time.monotonic()
        subprocess.run(["cp", "-r", str(data), str(root / "cp")], check=True)
        cp_s = time.monotonic() - started
        print(
            f"cp -r of the data folder (nothing writing): {cp_s:.2f} s; backup with nothing "
            f"writing / cp = {quiet_s / cp_s:.2f}x, with the writer = {backup_s / cp_s:.2f}x"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
