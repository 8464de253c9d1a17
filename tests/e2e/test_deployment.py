"""Beyond one machine: two gunicorn web processes and two qcluster processes sharing
PostgreSQL, Redis and the media storage, against the simulator. Clips made through one web
process play, seek and download through the other; one web process and one cluster are
SIGKILLed mid-run and nothing is lost; exactly one poller runs, and the account's concurrency
limit holds across both clusters.

It runs in CI's scale-out pass (PostgreSQL + Redis + S3: with LTXDASH_TEST_S3=1 the media are
in a bucket of a real S3 server), and is skipped with its reason on the embedded default.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.e2e.deployment import Member, deployment, scale_out_configured, settle
from tests.support.s3server import s3_everywhere

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(scale_out_configured()), reason=scale_out_configured()),
]

LIMIT = 2  # the account's concurrency limit, at the simulator and in LTX_MAX_CONCURRENCY
WORKING = {"queued", "submitting", "pending", "processing", "rehosting"}


def test_two_web_and_two_worker_processes_share_everything_and_survive_sigkill(tmp_path: Path):
    with deployment(
        tmp_path,
        pending_seconds=0.4,
        processing_seconds=1.3,
        # Room at the simulator beyond the account's limit: the limit measured is ltxdash's own,
        # shared by both clusters through the database.
        concurrency=LIMIT + 2,
        environment={"LTX_MAX_CONCURRENCY": str(LIMIT), "LTX_POLL_INTERVAL": "0.3"},
    ) as running:
        a, b = running.webs
        running.team("members", 2)
        ann, ben = Member(a.url), Member(b.url)
        try:
            ann.log_in("member1", "member-pass-123")
            ben.log_in("member2", "member-pass-123")
            for n in range(3):
                ann.generate(f"made through web a, batch {n}", takes=2)
            ben.generate("made through web b", takes=2)

            at_the_api: list[int] = []  # clips at LTX, in each snapshot

            def snapshot() -> dict:
                snap = running.team("snapshot")
                states = [g["state"] for g in snap["generations"]]
                at_the_api.append(sum(s in ("pending", "processing") for s in states))
                return snap

            def some_in_flight() -> dict | None:
                snap = snapshot()
                states = [g["state"] for g in snap["generations"]]
                return snap if "ready" in states and at_the_api[-1] else None

            settle(some_in_flight, timeout=90, every=0.2)
            # Mid-run: web a and cluster a die at once; b carries on alone, then a cluster
            # comes back.
            a.kill()
            running.clusters[0].kill()
            ann.use(b.url)
            ann.generate("made through web b after a died")
            running.clusters[0].start()

            def settled() -> dict | None:
                snap = snapshot()
                done = all(g["state"] not in WORKING for g in snap["generations"])
                return snap if done else None

            final = settle(settled, timeout=180)
            jobs = running.sim.jobs()

            # Every clip ready, each with exactly one upstream job; except that one clip caught
            # by the SIGKILL with its submit on the wire may only be "unknown" (it may or may not
            # have made a job: the API has no idempotency key).
            generations = final["generations"]
            states = [g["state"] for g in generations]
            unknown = states.count("unknown")
            assert len(generations) == 9 and unknown <= 1, running.logs()
            assert states.count("ready") == 9 - unknown, (states, running.logs())
            ready_jobs = [g["remote_id"] for g in generations if g["state"] == "ready"]
            assert len(set(ready_jobs)) == len(ready_jobs)
            assert set(ready_jobs) <= {j["id"] for j in jobs}
            assert len(ready_jobs) <= len(jobs) <= 9
            # The account's limit held across both clusters: before the first job finished
            # (before any history, so before any send into a slot predicted free), exactly LIMIT
            # jobs ran at once at the simulator, which would have taken LIMIT + 2; two clusters
            # keeping a limit each would have sent 2 x LIMIT.
            assert _most_at_once_before_the_first_finished(jobs) == LIMIT
            # Exactly one poller: one loop holds the lease, and the jobs were polled as often
            # as one loop polls them (two loops would poll each job about twice as often).
            assert final["poller"]
            one_loop = sum(_polls_one_loop_needs(job, interval=0.3) for job in jobs)
            assert sum(job["polls"] for job in jobs) <= 1.5 * one_loop
            # What web a made plays, seeks and downloads through web b.
            for g in generations:
                output, size, sha256 = g["outputs"]["video_url"]
                whole = ann.http.get(f"/gallery/files/{output}/download", follow_redirects=True)
                assert whole.status_code == 200 and len(whole.content) == size
                if s3_everywhere():  # from the bucket, through a presigned redirect
                    assert [r.status_code for r in whole.history] == [302]
                assert hashlib.sha256(whole.content).hexdigest() == sha256
                seek = ann.http.get(
                    f"/gallery/files/{output}",
                    headers={"Range": "bytes=1000-1999"},
                    follow_redirects=True,
                )
                assert seek.status_code == 206 and seek.content == whole.content[1000:2000]
            gallery = ben.http.get("/gallery/")
            assert gallery.status_code == 200
            assert "made through web a, batch 0" in gallery.text
        finally:
            ann.close()
            ben.close()


def _polls_one_loop_needs(job: dict, *, interval: float) -> int:
    from datetime import datetime

    took = datetime.fromisoformat(job["completed_at"]) - datetime.fromisoformat(job["created_at"])
    return int(took.total_seconds() // interval) + 2


def _most_at_once_before_the_first_finished(jobs: list[dict]) -> int:
    """The most jobs the simulator was running at one moment before the first one finished."""
    from datetime import datetime

    def at(iso: str) -> float:
        return datetime.fromisoformat(iso).timestamp()

    first_done = min(at(job["completed_at"]) for job in jobs)
    moments = []
    for job in jobs:
        if at(job["created_at"]) < first_done:
            moments.append((at(job["created_at"]), 1))
            moments.append((min(at(job["completed_at"]), first_done), -1))
    running = most = 0
    for _, change in sorted(moments, key=lambda m: (m[0], m[1])):
        running += change
        most = max(most, running)
    return most
