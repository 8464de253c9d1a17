"""End to end: `manage.py backup` taken while a real qcluster is busy (clips ready, clips being
generated, copied and rewritten, clips queued), the cluster then killed as with a lost machine,
the backup restored into a fresh folder and a cluster started on it. Every clip ready at the
backup must be there and play; every clip in flight must finish.

The processes run on the embedded default (SQLite, the ORM broker) whatever the suite runs on:
that is what `backup` covers (on PostgreSQL it refuses and points at pg_dump), so CI's
PostgreSQL + Redis pass runs this test the same way.
"""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
import sys
from pathlib import Path

import av
import pytest

from ltxdash.media import is_faststart
from tests.e2e.clusters import REPO, Cluster, e2e_environment, manage, scenario, wait_for
from tests.fixtures.simulator import run_simulator_process

pytestmark = pytest.mark.e2e

TERMINAL = {"ready", "rejected", "failed", "expired", "canceled", "unknown", "declined"}


def plays(path: Path) -> bool:
    """PyAV decodes a video frame of it."""
    with av.open(str(path)) as container:
        return any(True for _ in container.decode(video=0))


def check_outputs(snap: dict, media: Path, generations: set[int]) -> None:
    """Every output of these clips is in ``media``, as its row says, and plays."""
    outputs = [o for o in snap["outputs"] if o["generation"] in generations]
    assert {o["generation"] for o in outputs} == generations
    for output in outputs:
        path = media / output["file"]
        data = path.read_bytes()
        assert len(data) == output["size"], output
        assert hashlib.sha256(data).hexdigest() == output["sha256"], output
        if output["content_type"] == "video/mp4":
            assert plays(path), output
        if output["poster"]:
            assert (media / output["poster"]).stat().st_size > 0, output


def test_a_backup_taken_mid_run_restores_and_every_clip_finishes(tmp_path: Path):
    with run_simulator_process(
        tmp_path / "sim", pending_seconds=0.3, processing_seconds=2.0, concurrency=3
    ) as sim:
        # Copies take a while, so the backup lands while a worker is copying or rewriting.
        sim.configure(delay_seconds=0.5, fault_targets=["download"])
        live = e2e_environment(tmp_path, sim.url, embedded=True, data="live")
        manage(live, "migrate", "--no-input", "-v", "0")
        first = scenario(live, "create-first")["created"]
        session = scenario(live, "secrets-setup")["session"]
        cluster = Cluster("live", live, tmp_path)
        try:
            cluster.start()

            def some_ready() -> bool:
                snap = scenario(live, "snapshot")
                return sum(g["state"] == "ready" for g in snap["generations"]) >= 2

            wait_for(some_ready, timeout=90, every=0.3)
            more = scenario(live, "create-more", "3")["created"]
            # Mid-run: the cluster keeps submitting, polling, copying and rewriting meanwhile.
            made = subprocess.run(
                [sys.executable, "manage.py", "backup", str(tmp_path / "backup")],
                cwd=REPO,
                env=live,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert made.returncode == 0, made.stderr
        finally:
            cluster.kill()  # the machine is lost
        live_log = cluster.log()

        backup = tmp_path / "backup"
        manifest = json.loads((backup / "manifest.json").read_text())
        assert manifest["database"]["migrations"]["generations"]
        assert {"ltxdash.sqlite3", "secret_key", "encryption_key"} <= {
            f["path"] for f in manifest["files"]
        }
        # The backup holds secrets: nobody else may read any of it, and it prints none.
        for path in [backup, *backup.rglob("*")]:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o700 if path.is_dir() else 0o600), path
        for name in ("secret_key", "encryption_key"):
            secret = (tmp_path / "live" / name).read_text().strip()
            assert secret not in made.stdout + made.stderr

        restored = e2e_environment(tmp_path, sim.url, embedded=True, data="restored")
        assert not (tmp_path / "restored").exists()
        out = manage(restored, "restore", str(backup))
        assert "Restored" in out

        # As it was at the backup: every ready clip's files are there, as their rows say.
        at_backup = scenario(restored, "snapshot")
        states = {g["id"]: g for g in at_backup["generations"]}
        assert set(states) == set(first) | set(more)
        ready = {pk for pk, g in states.items() if g["state"] == "ready"}
        in_flight = {pk for pk, g in states.items() if g["state"] not in TERMINAL}
        assert len(ready) >= 2, (states, live_log[-3000:])
        assert set(more) <= in_flight  # queued or on their way when the backup ran
        check_outputs(at_backup, tmp_path / "restored" / "media", ready)
        # The secret key and the encryption key came back: sessions and workspace keys work.
        assert scenario(restored, "secrets-check", session) == {
            "api_key_decrypts": True,
            "session_user": "alice",
        }

        again = Cluster("restored", restored, tmp_path)
        try:
            again.start()
            # Restored clips serve as inputs, too: an extend and a retake of a ready clip.
            second = scenario(restored, "create-second")["created"]
            assert len(second) == 2

            def all_done() -> dict | None:
                snap = scenario(restored, "snapshot")
                settled = all(g["state"] in TERMINAL for g in snap["generations"])
                rewritten = not any(o["faststart_due"] for o in snap["outputs"])
                return snap if settled and rewritten else None

            final = wait_for(all_done, timeout=120)
        finally:
            again.stop()
        logs = again.log()[-3000:]

    for g in final["generations"]:
        if g["state"] == "unknown":
            # Only honest if the backup caught its submit on the wire.
            before = states.get(g["id"])
            assert before and before["state"] == "submitting" and before["post_started_at"], g
        else:
            assert g["state"] == "ready", (g, logs)
    done = {g["id"] for g in final["generations"] if g["state"] == "ready"}
    assert ready <= done
    check_outputs(final, tmp_path / "restored" / "media", done)
    for output in final["outputs"]:
        if output["content_type"] == "video/mp4":
            assert is_faststart(tmp_path / "restored" / "media" / output["file"]), output
