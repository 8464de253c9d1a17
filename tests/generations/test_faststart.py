"""Rewriting stored MP4s for streaming after the clip is ready: done once, safely, or not at all."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from ltxdash import media
from ltxdash.core import media_storage
from ltxdash.generations.models import Generation, Output, State
from ltxdash.generations.pipeline import faststart, loop, rehost
from tests.factories import make_generation, make_input
from tests.support.pipeline import (
    finished,
    local_copy,
    queued_tasks_now,
    run_tasks,
    sha256,
    stored_files,
    task_names,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pipeline_settings"),
]


@pytest.fixture
def stored(ltx_simulator, owner) -> Output:
    """A ready clip whose MP4 is stored as the API made it, its rewrite enqueued (not run)."""
    generation = finished(owner)
    assert rehost.rehost_generation(generation.pk) == "ready"
    assert task_names(queued_tasks_now()) == ["make_streamable"]
    return Output.objects.get(generation=generation)


def test_it_rewrites_the_stored_copy_with_its_index_first(stored, tmp_path):
    before = stored.file.name
    poster = stored.poster.name

    assert faststart.make_streamable(stored.pk) == "done"

    output = Output.objects.get(pk=stored.pk)
    local = local_copy(output.file.name, tmp_path)
    assert media.is_faststart(local)
    assert output.faststart_due_at is None
    assert output.file.name != before and not default_storage.exists(before)
    assert output.size == default_storage.size(output.file.name)
    assert output.sha256 == sha256(output.file.name)
    info = media.probe(local)
    assert (info.width, info.height, info.codec) == (output.width, output.height, output.codec)
    assert info.duration == pytest.approx(output.duration, abs=0.05)
    assert output.poster.name == poster
    assert stored_files(output.generation) == sorted([output.file.name, poster])


def test_a_second_delivery_does_nothing(stored):
    assert run_tasks(
        [{"func": "ltxdash.generations.tasks.make_streamable", "args": [stored.pk], "kwargs": {}}]
        * 2
    ) == [
        "done",
        "skipped",
    ]


@pytest.mark.local_media  # damages the stored file in place
def test_a_file_that_cannot_be_rewritten_is_kept_as_it_is(stored):
    path = Path(default_storage.path(stored.file.name))
    with path.open("r+b") as file:  # damage the media data: the remux cannot read it
        file.truncate(400)
    kept = path.read_bytes()

    assert faststart.make_streamable(stored.pk) == "kept"

    output = Output.objects.get(pk=stored.pk)
    assert output.file.name == stored.file.name and output.faststart_due_at is None
    assert path.read_bytes() == kept
    assert stored_files(output.generation) == sorted([output.file.name, output.poster.name])


def test_a_clip_being_copied_again_waits_without_rewriting(stored, monkeypatch):
    Generation.objects.filter(pk=stored.generation_id).update(state=State.REHOSTING)
    monkeypatch.setattr(media, "remux_faststart", lambda *a: pytest.fail("rewrote anyway"))

    assert faststart.make_streamable(stored.pk) == "waiting"

    output = Output.objects.get(pk=stored.pk)
    assert output.file.name == stored.file.name and default_storage.exists(output.file.name)
    assert output.faststart_due_at > timezone.now()


def test_a_clip_copied_again_during_the_pass_keeps_its_files_and_gets_no_orphan(
    stored, monkeypatch
):
    original = media.remux_faststart

    def remux_then_copy_again(source, target):
        original(source, target)
        Generation.objects.filter(pk=stored.generation_id).update(state=State.REHOSTING)

    monkeypatch.setattr(media, "remux_faststart", remux_then_copy_again)

    assert faststart.make_streamable(stored.pk) == "lost"

    output = Output.objects.get(pk=stored.pk)
    assert output.file.name == stored.file.name and default_storage.exists(output.file.name)
    assert stored_files(output.generation) == sorted([output.file.name, output.poster.name])


def test_a_deleted_clip_leaves_no_rewritten_file_behind(stored, monkeypatch):
    generation = stored.generation
    original = media.remux_faststart

    def remux_then_delete(source, target):
        original(source, target)
        Generation.objects.filter(pk=generation.pk).delete()  # the owner deletes it meanwhile

    monkeypatch.setattr(media, "remux_faststart", remux_then_delete)

    assert faststart.make_streamable(stored.pk) == "lost"

    assert not [n for n in stored_files(generation) if n != stored.file.name and "posters" not in n]


def test_a_failure_on_disk_is_retried_later(stored, monkeypatch, settings):
    settings.LTXDASH_PIPELINE_FASTSTART_RETRY_SECONDS = 120

    def full_disk(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(media, "remux_faststart", full_disk)

    assert faststart.make_streamable(stored.pk) == "retry"

    output = Output.objects.get(pk=stored.pk)
    assert output.file.name == stored.file.name and default_storage.exists(output.file.name)
    wait = (output.faststart_due_at - timezone.now()).total_seconds()
    assert 100 < wait <= 120


def test_the_loop_enqueues_a_pass_whose_worker_died_once(stored):
    Output.objects.filter(pk=stored.pk).update(
        faststart_due_at=timezone.now() - timedelta(seconds=1)
    )

    loop.run_pass()
    loop.run_pass()  # the new pass has its window: not enqueued twice

    assert task_names(queued_tasks_now()).count("make_streamable") == 1
    assert Output.objects.get(pk=stored.pk).faststart_due_at > timezone.now()


def test_copying_again_after_a_rewrite_keeps_the_clip_whole(stored, ltx_simulator):
    from ltxdash.generations import pipeline

    assert faststart.make_streamable(stored.pk) == "done"
    generation = Generation.objects.get(pk=stored.generation_id)
    assert pipeline.copy_again(generation)
    queued_tasks_now()

    assert rehost.rehost_generation(generation.pk) == "ready"

    output = Output.objects.get(pk=stored.pk)
    assert default_storage.exists(output.file.name)
    assert output.faststart_due_at is not None  # the fresh copy gets its own rewrite
    assert stored_files(generation) == sorted([output.file.name, output.poster.name])


def test_a_file_a_killed_pass_left_behind_is_swept_by_the_next(stored):
    from django.core.files.base import ContentFile

    stray = default_storage.save(
        f"outputs/{stored.generation_id}/video_url-0-killed.mp4", ContentFile(b"half a rewrite")
    )

    assert faststart.make_streamable(stored.pk) == "done"

    output = Output.objects.get(pk=stored.pk)
    assert not default_storage.exists(stray)
    assert stored_files(output.generation) == sorted([output.file.name, output.poster.name])


def test_a_replaced_file_a_dead_worker_left_is_deleted_by_the_loop(stored, monkeypatch):
    old = stored.file.name
    monkeypatch.setattr(faststart, "_delete_superseded", lambda pk, name: None)  # killed here

    assert faststart.make_streamable(stored.pk) == "done"
    assert Output.objects.get(pk=stored.pk).superseded_file == old
    assert default_storage.exists(old)

    monkeypatch.undo()
    loop.run_pass()

    output = Output.objects.get(pk=stored.pk)
    assert output.superseded_file is None and not default_storage.exists(old)
    assert stored_files(output.generation) == sorted([output.file.name, output.poster.name])


def test_a_clip_using_this_one_as_input_gets_it_even_if_replaced_mid_upload(
    stored, owner, monkeypatch, settings
):
    from ltxdash.generations.pipeline import dispatch, filestore
    from ltxdash.ltx.client import LTXClient

    child = make_generation(owner, State.QUEUED, endpoint="extend")
    make_input(child, "video_uri", source_output=stored, content_type="video/mp4")
    names = []

    def rewrite_first(original):  # the rewrite switches files just as the copy (or stream) starts
        def wrapped(name, *args):
            names.append(name)
            if len(names) == 1:
                assert faststart.make_streamable(stored.pk) == "done"
            return original(name, *args)

        return wrapped

    # From S3 the input is streamed from the bucket; from local disk a scratch copy is sent.
    sends = "stream_source" if media_storage.is_remote() else "copy_to_temp"
    monkeypatch.setattr(filestore, sends, rewrite_first(getattr(filestore, sends)))

    with LTXClient(settings.LTX_API_KEY, settings.LTX_API_BASE_URL) as client:
        uris = dispatch.upload_inputs(child, client)

    assert set(uris) == {"video_uri"}
    assert names == [stored.file.name, Output.objects.get(pk=stored.pk).file.name]
