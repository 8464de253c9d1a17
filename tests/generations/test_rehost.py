"""Copying outputs into our storage: verified, faststart, retried, expired cleanly, no orphans."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from ltxdash import media
from ltxdash.generations import explain, pipeline
from ltxdash.generations.models import ErrorType, Generation, Output, State
from ltxdash.generations.pipeline import loop, rehost
from ltxdash.ltx.client import LTXClient
from ltxdash.ltx.retry import NO_RETRY
from tests.factories import ago, make_generation, make_input
from tests.media_factory import make_video
from tests.support.pipeline import (
    drive,
    finished,
    local_copy,
    queued_tasks_now,
    run_tasks,
    sha256,
    stored_files,
    task_names,
    upload_source,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pipeline_settings"),
]


def test_it_stores_a_verified_copy_with_metadata_and_a_poster(ltx_simulator, owner, tmp_path):
    generation = finished(owner)

    assert rehost.rehost_generation(generation.pk) == "ready"

    generation.refresh_from_db()
    assert generation.state == State.READY and generation.ready_at
    output = generation.outputs.get()
    assert output.sha256 == sha256(output.file.name)
    assert output.size == default_storage.size(output.file.name)
    local = local_copy(output.file.name, tmp_path)
    # Stored as the API made it (index at the end), with a rewrite for streaming due.
    assert not media.is_faststart(local)
    assert output.faststart_due_at is not None
    info = media.probe(local)
    assert (output.width, output.height) == (info.width, info.height)
    assert output.fps == pytest.approx(24)
    assert output.duration == pytest.approx(info.duration)
    assert output.codec == "h264"
    assert output.poster.name and default_storage.size(output.poster.name) > 0
    assert stored_files(generation) == sorted([output.file.name, output.poster.name])


def test_it_retries_a_truncated_download_then_succeeds(ltx_simulator, owner, settings):
    settings.LTXDASH_PIPELINE_DOWNLOAD_SECONDS = 1.0
    generation = finished(owner)
    ltx_simulator.configure(truncate_rate=1.0, fault_targets=["download"], fault_limit=20)

    assert rehost.rehost_generation(generation.pk) == "retry"

    generation.refresh_from_db()
    assert generation.state == State.REHOSTING
    assert generation.error_type == "download_error"
    assert generation.next_attempt_at > timezone.now()
    assert generation.claim_until is None
    assert not generation.outputs.exists() and stored_files(generation) == []
    assert "taking longer than usual" in explain.reason(generation)

    ltx_simulator.configure(truncate_rate=0.0)
    Generation.objects.filter(pk=generation.pk).update(next_attempt_at=ago(1))
    assert rehost.watch()["requeued"] == 1
    assert run_tasks(queued_tasks_now()) == ["ready"]
    generation.refresh_from_db()
    assert generation.state == State.READY and generation.error_message == ""
    assert generation.rehost_attempts == 2


def test_it_gives_up_cleanly_when_the_retention_ends_before_a_copy_works(
    ltx_simulator, owner, settings
):
    settings.LTXDASH_PIPELINE_DOWNLOAD_SECONDS = 1.0
    generation = finished(owner)
    ltx_simulator.configure(truncate_rate=1.0, fault_targets=["download"])

    for _ in range(2):
        assert rehost.rehost_generation(generation.pk) == "retry"
        Generation.objects.filter(pk=generation.pk).update(next_attempt_at=ago(1))
    Generation.objects.filter(pk=generation.pk).update(retention_ends_at=ago(1))

    assert rehost.watch()["expired"] == 1

    generation.refresh_from_db()
    assert generation.state == State.EXPIRED
    assert generation.error_type == ErrorType.RETENTION_ENDED
    reason = explain.reason(generation)
    assert "24 hours" in reason and "Last problem" in reason
    assert stored_files(generation) == [] and not generation.outputs.exists()
    assert queued_tasks_now() == []


def test_it_fails_cleanly_at_once_an_output_over_the_size_limit(ltx_simulator, owner, settings):
    settings.LTXDASH_MAX_OUTPUT_BYTES = 4096
    generation = finished(owner)

    assert rehost.rehost_generation(generation.pk) == "failed"  # retrying cannot shrink it

    generation.refresh_from_db()
    assert generation.state == State.FAILED and generation.finished_at
    assert generation.error_type == ErrorType.OUTPUT_TOO_LARGE
    assert "4096" in generation.error_message
    assert "LTXDASH_MAX_OUTPUT_BYTES" in explain.reason(generation)
    assert generation.claim_until is None and generation.next_attempt_at is None
    assert stored_files(generation) == [] and not generation.outputs.exists()
    assert list(Path(settings.LTXDASH_TMP_DIR).glob("ltxdash-*")) == []
    assert rehost.watch() == {"requeued": 0, "expired": 0, "at_risk": 0}
    assert queued_tasks_now() == []


def test_it_fails_after_a_few_attempts_a_link_its_host_keeps_refusing(owner, settings):
    generation = make_generation(
        owner,
        State.REHOSTING,
        remote_id="11111111-2222-3333-4444-555555555555",
        result_urls={"video_url": "https://cdn.test/out.mp4"},
        completed_at=ago(60),
        retention_ends_at=timezone.now() + timedelta(hours=23),
    )
    status_polls = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.test":
            return httpx.Response(403, text="Request has expired")
        status_polls.append(request.url.path)
        return httpx.Response(
            200,
            json={
                "id": generation.remote_id,
                "status": "completed",
                "created_at": "2026-01-15T10:00:00.000Z",
                "completed_at": "2026-01-15T10:01:00.000Z",
                "result": {"video_url": "https://cdn.test/out.mp4"},
            },
        )

    client = LTXClient(
        "sk-test", "https://api.test", transport=httpx.MockTransport(handler), retry=NO_RETRY
    )
    outcomes = []
    for _ in range(rehost.REFUSED_ATTEMPTS):
        Generation.objects.filter(pk=generation.pk).update(next_attempt_at=ago(1))
        outcomes.append(rehost.rehost_generation(generation.pk, client=client))

    assert outcomes == ["retry"] * (rehost.REFUSED_ATTEMPTS - 1) + ["failed"]
    assert len(status_polls) == rehost.REFUSED_ATTEMPTS - 1  # each retry asked for fresh URLs
    generation.refresh_from_db()
    assert generation.state == State.FAILED
    assert generation.error_type == ErrorType.OUTPUT_REFUSED
    assert "output link was refused" in explain.reason(generation)
    assert stored_files(generation) == [] and not generation.outputs.exists()


def test_it_recovers_to_ready_after_several_truncated_attempts(ltx_simulator, owner, settings):
    settings.LTXDASH_PIPELINE_DOWNLOAD_SECONDS = 0.5
    generation = finished(owner)
    ltx_simulator.configure(truncate_rate=1.0, fault_targets=["download"])

    for _ in range(4):  # not a refusal: retried however often, while the API keeps the job
        assert rehost.rehost_generation(generation.pk) == "retry"
        generation.refresh_from_db()
        assert generation.state == State.REHOSTING and generation.error_type == "download_error"
        Generation.objects.filter(pk=generation.pk).update(next_attempt_at=ago(1))

    ltx_simulator.configure(truncate_rate=0.0)
    assert rehost.watch()["requeued"] == 1
    assert run_tasks(queued_tasks_now()) == ["ready"]
    generation.refresh_from_db()
    assert generation.state == State.READY and generation.rehost_attempts == 5
    output = generation.outputs.get()
    assert stored_files(generation) == sorted([output.file.name, output.poster.name])


def test_it_expires_when_the_api_has_forgotten_the_job_on_a_retry(ltx_simulator, owner):
    generation = finished(owner)
    Generation.objects.filter(pk=generation.pk).update(rehost_attempts=1)  # a retry: URLs refreshed
    ltx_simulator.expire(generation.remote_id)

    assert rehost.rehost_generation(generation.pk) == "expired"

    generation.refresh_from_db()
    assert generation.state == State.EXPIRED and generation.error_type == ErrorType.NOT_FOUND
    assert "no longer knows" in explain.reason(generation)


def test_it_sweeps_files_a_killed_attempt_left_behind(ltx_simulator, owner, tmp_path):
    generation = finished(owner)
    stray = default_storage.save(
        f"outputs/{generation.pk}/video_url-1-dead.mp4", make_video(tmp_path / "x.mp4").open("rb")
    )
    # The killed worker's claim has lapsed.
    Generation.objects.filter(pk=generation.pk).update(rehost_attempts=1, claim_until=ago(5))

    assert rehost.rehost_generation(generation.pk) == "ready"

    assert not default_storage.exists(stray)
    output = generation.outputs.get()
    assert stored_files(generation) == sorted([output.file.name, output.poster.name])


def test_it_downloads_into_a_scratch_folder_under_the_data_dir_and_removes_it(
    ltx_simulator, owner, settings, monkeypatch
):
    generation = finished(owner)
    folders: list[Path] = []
    download = LTXClient.download

    def spy(self, url, dest, **kwargs):
        folders.append(Path(dest))
        return download(self, url, dest, **kwargs)

    monkeypatch.setattr(LTXClient, "download", spy)

    assert rehost.rehost_generation(generation.pk) == "ready"

    scratch = Path(settings.LTXDASH_TMP_DIR)
    assert len(folders) == 1
    assert folders[0].parent.parent == scratch
    assert folders[0].parent.name.startswith("ltxdash-rehost-")
    assert list(scratch.iterdir()) == []


def test_the_loop_removes_temp_folders_killed_copies_left_hours_ago(settings):
    scratch = Path(settings.LTXDASH_TMP_DIR)
    now = time.time()
    ages = {  # folder -> hours since anything in it was written
        "ltxdash-rehost-killed": 7,
        "ltxdash-upload-killed": 30,
        "ltxdash-rehost-recent": 5,  # maybe still running: too young to tell
        "ltxdash-rehost-writing": 0,  # old folder, but its download is still growing
        "not-ours": 30,
    }
    for name, hours in ages.items():
        part = scratch / name / "video_url" / "download.part"
        part.parent.mkdir(parents=True)
        part.write_bytes(b"partial")
        for path in (part, part.parent, part.parent.parent):
            stamp = now - hours * 3600
            os.utime(path, (stamp, stamp))
    old = now - 8 * 3600
    os.utime(scratch / "ltxdash-rehost-writing", (old, old))

    report = loop.run_pass()

    assert report.swept == 2
    assert sorted(p.name for p in scratch.iterdir()) == [
        "ltxdash-rehost-recent",
        "ltxdash-rehost-writing",
        "not-ours",
    ]


def test_it_leaves_a_copy_alone_while_its_worker_is_alive(ltx_simulator, owner):
    generation = finished(owner)
    Generation.objects.filter(pk=generation.pk).update(
        claim_until=timezone.now() + timedelta(seconds=30), next_attempt_at=ago(1)
    )

    assert rehost.rehost_generation(generation.pk) == "skipped"
    assert rehost.watch()["requeued"] == 0
    assert queued_tasks_now() == []


def test_it_re_enqueues_a_copy_whose_task_died(ltx_simulator, owner):
    generation = finished(owner)
    Generation.objects.filter(pk=generation.pk).update(
        rehost_attempts=1, claim_until=ago(1), next_attempt_at=ago(1)
    )

    assert rehost.watch()["requeued"] == 1
    assert task_names(queued_tasks_now()) == ["rehost_generation"]
    assert rehost.watch()["requeued"] == 0  # not again while it waits for a worker


def test_it_copies_again_into_the_same_output_row_and_deletes_the_old_file(
    ltx_simulator, owner, tmp_path
):
    generation = finished(owner)
    rehost.rehost_generation(generation.pk)
    assert task_names(queued_tasks_now()) == ["make_streamable"]  # dropped: not part of this test
    output = generation.outputs.get()
    old_file, old_poster = output.file.name, output.poster.name
    child = make_generation(owner, State.QUEUED)
    make_input(child, "video_uri", source_output=output)

    assert pipeline.copy_again(generation) is True
    assert run_tasks(queued_tasks_now()) == ["ready"]

    again = Output.objects.get(generation=generation)
    assert again.pk == output.pk and again.file.name != old_file
    assert not default_storage.exists(old_file) and not default_storage.exists(old_poster)
    assert default_storage.exists(again.file.name)
    assert child.inputs.get().source_output_id == output.pk
    assert ltx_simulator.stats()["downloads"] == 2


def test_it_refuses_to_copy_again_once_the_api_has_forgotten_the_job(owner):
    generation = make_generation(
        owner, State.READY, remote_id="r", completed_at=ago(90000), retention_ends_at=ago(3600)
    )
    assert pipeline.copy_again(generation) is False
    assert pipeline.copy_again(make_generation(owner, State.FAILED)) is False


def test_it_keeps_the_earlier_copy_when_copy_again_cannot_finish(ltx_simulator, owner):
    generation = finished(owner)
    rehost.rehost_generation(generation.pk)
    output = generation.outputs.get()
    pipeline.copy_again(generation)
    queued_tasks_now()
    ltx_simulator.expire(generation.remote_id)

    assert rehost.rehost_generation(generation.pk) == "kept"

    generation.refresh_from_db()
    assert generation.state == State.READY
    assert default_storage.exists(output.file.name)


def test_it_flags_a_copy_still_missing_two_hours_after_completion(owner):
    late = make_generation(
        owner,
        State.REHOSTING,
        completed_at=ago(2 * 3600 + 5),
        claim_until=timezone.now() + timedelta(minutes=1),
    )
    recent = make_generation(
        owner,
        State.REHOSTING,
        completed_at=ago(3600),
        claim_until=timezone.now() + timedelta(minutes=1),
    )

    assert rehost.watch()["at_risk"] == 1

    late.refresh_from_db()
    recent.refresh_from_db()
    assert late.at_risk and not recent.at_risk


def test_it_copies_every_result_label_of_an_hdr_job(ltx_simulator, owner, tmp_path):
    clip = make_video(tmp_path / "sdr.mp4", seconds=1, width=320, height=180)
    (generation,) = pipeline.create_generations(
        owner=owner,
        endpoint="video-to-video-hdr",
        params={},
        inputs={"video_uri": upload_source(clip, "video/mp4")},
    )

    drive(lambda: Generation.objects.get(pk=generation.pk).state == State.READY, timeout=60)

    frames, video = generation.outputs.order_by("label")  # exr_frames_url, video_url
    assert frames.label == "exr_frames_url"
    assert frames.content_type == "application/zip"
    assert frames.file.name.endswith(".zip") and not frames.poster
    assert frames.sha256 == sha256(frames.file.name)
    # The HDR MP4 beside the frames (Comfy Router): stored as a video, with its poster.
    assert (video.label, video.content_type) == ("video_url", "video/mp4")
    assert video.file.name.endswith(".mp4") and video.poster and video.duration
    assert video.sha256 == sha256(video.file.name)
    assert Generation.objects.get(pk=generation.pk).video == video
