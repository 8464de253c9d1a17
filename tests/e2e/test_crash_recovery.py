"""End to end: two real qcluster processes against the simulator (a process too), SIGKILLed in
the middle of things and restarted. Every clip must end ready with exactly one upstream job,
except one caught in the instant its submit was on the wire: that one may only be "unknown".
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from ltxdash.media import is_faststart
from tests.e2e.clusters import Cluster, e2e_environment, manage, scenario, wait_for
from tests.fixtures.simulator import run_simulator_process

pytestmark = pytest.mark.e2e

WORKING = {"submitting", "pending", "processing", "rehosting"}
TERMINAL = {"ready", "rejected", "failed", "expired", "canceled", "unknown"}


def busy_worker(snap: dict) -> bool:
    """A worker is in the middle of something: a claimed submit or copy."""
    now = datetime.fromisoformat(snap["now"])
    return any(
        g["state"] in ("submitting", "rehosting")
        and g["claim_until"]
        and datetime.fromisoformat(g["claim_until"]) > now
        for g in snap["generations"]
    )


def test_it_recovers_every_clip_after_a_sigkill_with_one_submit_each(tmp_path: Path):
    with run_simulator_process(
        tmp_path / "sim", pending_seconds=0.3, processing_seconds=1.0, concurrency=3
    ) as sim:
        # Slow copies and uploads down so that the kill lands while a worker is busy.
        sim.configure(delay_seconds=1.0, fault_targets=["download", "upload"])
        env = e2e_environment(tmp_path, sim.url)
        manage(env, "migrate", "--no-input", "-v", "0")
        first = scenario(env, "create-first")["created"]
        clusters = [Cluster(name, env, tmp_path) for name in ("a", "b")]
        try:
            for cluster in clusters:
                cluster.start()

            def ready_and_busy() -> dict | None:
                snap = scenario(env, "snapshot")
                ready = sum(g["state"] == "ready" for g in snap["generations"])
                return snap if ready >= 2 and busy_worker(snap) else None

            wait_for(ready_and_busy, timeout=60, every=0.2)
            for cluster in clusters:
                cluster.kill()
            at_kill = {g["id"]: g for g in scenario(env, "snapshot")["generations"]}
            assert any(g["state"] in WORKING for g in at_kill.values())

            sim.configure(delay_seconds=0.0)
            for cluster in clusters:
                cluster.start()
            second = wait_for(lambda: scenario(env, "create-second")["created"], timeout=60)

            def all_done() -> dict | None:
                snap = scenario(env, "snapshot")
                settled = all(g["state"] in TERMINAL for g in snap["generations"])
                rewritten = not any(o["faststart_due"] for o in snap["outputs"])
                return snap if settled and rewritten else None

            final = wait_for(all_done, timeout=90)
        finally:
            for cluster in clusters:
                cluster.stop()
        logs = "\n".join(c.log()[-3000:] for c in clusters)
        jobs = sim.jobs()

    generations = final["generations"]
    assert len(generations) == len(first) + len(second) == 12
    assert {g["endpoint"] for g in generations} >= {
        "text-to-video",
        "image-to-video",
        "audio-to-video",
        "video-to-video-hdr",
        "extend",
        "retake",
    }
    for g in generations:
        if g["state"] == "unknown":
            # Only honest if the kill caught its submit on the wire.
            before = at_kill.get(g["id"])
            assert before and before["state"] == "submitting" and before["post_started_at"], g
        else:
            assert g["state"] == "ready", (g, logs)

    # Exactly one upstream job per ready clip, and never two for one clip: any job beyond the
    # ready clips' own can only belong to a clip whose outcome is unknown.
    remote_ids = [g["remote_id"] for g in generations if g["state"] == "ready"]
    assert len(set(remote_ids)) == len(remote_ids)
    assert set(remote_ids) <= {job["id"] for job in jobs}
    unknown = sum(g["state"] == "unknown" for g in generations)
    assert len(remote_ids) <= len(jobs) <= len(remote_ids) + unknown

    # Every copy is in storage, verified, and nothing else is.
    media = tmp_path / "data" / "media"
    referenced = set()
    for output in final["outputs"]:
        data = (media / output["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == output["sha256"]
        assert len(data) == output["size"]
        if output["content_type"] == "video/mp4":  # rewritten for streaming, kills or not
            assert is_faststart(media / output["file"]), output
        referenced |= {output["file"], output["poster"]} - {""}
    stored = {
        str(p.relative_to(media))
        for folder in ("outputs", "posters")
        for p in (media / folder).rglob("*")
        if p.is_file()
    }
    assert stored == referenced
    ready_ids = {g["id"] for g in generations if g["state"] == "ready"}
    assert {o["generation"] for o in final["outputs"]} == ready_ids

    # One loop holds the lease after the restart, and it is alive.
    assert final["lease"] and final["lease"]["holder"]
