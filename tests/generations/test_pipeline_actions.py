from __future__ import annotations

import hashlib
import re

import pytest
from django.core.files.storage import default_storage

from ltxdash.generations import estimates, explain, ordering, pipeline
from ltxdash.generations.models import (
    Generation,
    GenerationEvent,
    GenerationInput,
    State,
)
from tests.factories import T2V, ago, make_generation, make_output, make_user
from tests.media_factory import make_image, make_video
from tests.support.pipeline import queued_tasks, task_names, upload_source

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_broker")]


@pytest.mark.parametrize(
    "given",
    ["holiday.png", "../../etc/passwd", "photo\u202egnp.exe", "x" * 300 + ".png", "résumé 1.PNG"],
)
def test_uploads_are_stored_under_generated_names_and_keep_theirs_for_display(
    owner, tmp_path, given
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ltxdash.media import probe

    image = make_image(tmp_path / "real.png")
    upload = SimpleUploadedFile(given, image.read_bytes(), content_type="image/png")
    (created,) = pipeline.create_generations(
        owner=owner,
        endpoint="image-to-video",
        params={**T2V, "prompt": "named"},
        inputs={"image_uri": (upload, probe(image))},
    )
    item = created.inputs.get()
    assert re.fullmatch(r"inputs/\d{4}/\d{2}/[0-9a-f]{32}\.png", item.file.name), item.file.name
    assert default_storage.open(item.file.name).read() == image.read_bytes()
    expected = given.rsplit("/", 1)[-1]
    assert item.original_name == expected[-255:]


def test_it_creates_queued_generations_with_an_event_and_nudges_the_dispatcher(owner):
    created = pipeline.create_generations(
        owner=owner, endpoint="text-to-video", params=dict(T2V), inputs={}, count=3
    )

    assert len(created) == 3
    for generation in created:
        generation.refresh_from_db()
        assert generation.state == State.QUEUED
        assert generation.prompt == T2V["prompt"]
        assert generation.model == "ltx-2-3-fast"
        assert generation.estimated_cost is not None and generation.estimated_cost > 0
        events = list(generation.events.values_list("from_state", "to_state"))
        assert events == [("", State.QUEUED)]
    assert task_names(queued_tasks()) == ["dispatch_queued"]


def test_it_stores_an_upload_once_with_its_size_hash_and_media(owner, tmp_path):
    image = make_image(tmp_path / "first.png", width=320, height=180)
    params = {**T2V, "prompt": "the image comes alive"}

    created = pipeline.create_generations(
        owner=owner,
        endpoint="image-to-video",
        params=params,
        inputs={"image_uri": upload_source(image, "image/png")},
        count=2,
    )

    inputs = list(GenerationInput.objects.filter(generation__in=created))
    assert len(inputs) == 2
    assert inputs[0].file.name == inputs[1].file.name  # stored once, shared by the batch
    stored = default_storage.open(inputs[0].file.name).read()
    assert stored == image.read_bytes()
    assert inputs[0].size == len(stored)
    assert inputs[0].sha256 == hashlib.sha256(stored).hexdigest()
    assert inputs[0].media["kind"] == "image"
    assert inputs[0].media["width"] == 320
    assert inputs[0].original_name == "first.png"


def test_it_references_an_earlier_output_as_an_input(owner, tmp_path):
    parent = make_generation(owner, State.READY)
    video = make_video(tmp_path / "v.mp4", seconds=4)
    output = make_output(
        parent,
        file=default_storage.save("outputs/x/v.mp4", video.open("rb")),
        size=video.stat().st_size,
        sha256="0" * 64,
        content_type="video/mp4",
        duration=4.0,
        width=320,
        height=180,
        fps=24.0,
    )

    (child,) = pipeline.create_generations(
        owner=owner,
        endpoint="extend",
        params={"prompt": "and then", "model": "ltx-2-3-pro", "duration": 4},
        inputs={"video_uri": output},
        parent=parent,
    )

    item = child.inputs.get()
    assert item.source_output == output
    assert not item.file
    assert item.media["duration"] == 4.0
    assert child.parent == parent


def test_it_cancels_only_queued_generations(owner):
    queued = make_generation(owner, State.QUEUED)
    pending = make_generation(owner, State.PENDING, remote_id="r1")

    assert pipeline.cancel(queued) is True
    assert pipeline.cancel(pending) is False

    queued.refresh_from_db()
    pending.refresh_from_db()
    assert queued.state == State.CANCELED
    assert pending.state == State.PENDING
    assert "nothing was billed" in explain.reason(queued)


def test_it_retries_a_failed_generation_with_the_same_settings_and_inputs(owner, tmp_path):
    image = make_image(tmp_path / "a.png")
    (first,) = pipeline.create_generations(
        owner=owner,
        endpoint="image-to-video",
        params=dict(T2V),
        inputs={"image_uri": upload_source(image, "image/png")},
    )
    queued_tasks()
    Generation.objects.filter(pk=first.pk).update(
        state=State.FAILED, error_type="api_error", error_message="boom"
    )

    again = pipeline.retry(first)

    assert again.pk != first.pk
    assert again.state == State.QUEUED
    assert again.params == first.params and again.endpoint == first.endpoint
    assert again.inputs.get().file.name == first.inputs.get().file.name
    assert again.events.get().detail.startswith(f"Retry of #{first.pk}")
    assert task_names(queued_tasks()) == ["dispatch_queued"]


@pytest.mark.parametrize("state", [State.QUEUED, State.PENDING, State.READY])
def test_it_refuses_to_retry_a_generation_that_is_not_finished_badly(owner, state):
    generation = make_generation(owner, state)
    with pytest.raises(pipeline.PipelineError):
        pipeline.retry(generation)


def test_it_orders_the_queue_round_robin_across_users(owner):
    bob = make_user("bob")
    alice_batch = [make_generation(owner) for _ in range(5)]
    bobs = make_generation(bob)

    positions = ordering.queue_positions([*alice_batch, bobs])

    # Bob's single clip waits behind one of Alice's, not behind her whole batch.
    assert positions[bobs.pk] == 2
    assert [positions[g.pk] for g in alice_batch] == [1, 3, 4, 5, 6]
    assert ordering.queue_position(make_generation(owner, State.READY)) is None


def test_it_puts_the_user_served_longest_ago_first(owner):
    bob = make_user("bob")
    make_generation(bob, State.READY, submit_started_at=ago(60))
    make_generation(owner, State.PENDING, remote_id="a", submit_started_at=ago(30))
    alice_next = make_generation(owner)
    bob_next = make_generation(bob)

    assert ordering.queue_position(bob_next) == 1
    assert ordering.queue_position(alice_next) == 2


def test_it_estimates_time_left_from_past_clips_of_the_same_kind(owner):
    from ltxdash.generations.estimates import forget_typical_durations

    for seconds in (30, 40, 50):
        make_generation(
            owner, State.READY, submitted_at=ago(1000), completed_at=ago(1000 - seconds)
        )
    make_generation(  # another resolution: not the same kind
        owner,
        State.READY,
        params={**T2V, "resolution": "3840x2160"},
        submitted_at=ago(1000),
        completed_at=ago(100),
    )
    forget_typical_durations()
    running = make_generation(owner, State.PROCESSING, remote_id="x", submitted_at=ago(15))

    left = estimates.estimate_seconds_left(running)

    assert left == pytest.approx(25, abs=1)
    assert estimates.estimate_seconds_left(make_generation(owner)) is None


def test_it_deletes_a_generation_with_its_files_but_keeps_shared_inputs(owner, tmp_path):
    image = make_image(tmp_path / "a.png")
    first, second = pipeline.create_generations(
        owner=owner,
        endpoint="image-to-video",
        params=dict(T2V),
        inputs={"image_uri": upload_source(image, "image/png")},
        count=2,
    )
    video = make_video(tmp_path / "v.mp4")
    out_name = default_storage.save(f"outputs/{first.pk}/video_url-1-ab.mp4", video.open("rb"))
    poster = default_storage.save(f"posters/{first.pk}/video_url-1-ab.jpg", image.open("rb"))
    make_output(
        first,
        file=out_name,
        poster=poster,
        size=1,
        sha256="0" * 64,
        content_type="video/mp4",
    )
    input_name = first.inputs.get().file.name

    pipeline.delete_generation(first)

    assert not Generation.objects.filter(pk=first.pk).exists()
    assert not GenerationEvent.objects.filter(generation_id=first.pk).exists()
    assert not default_storage.exists(out_name)
    assert not default_storage.exists(poster)
    assert default_storage.exists(input_name)  # the second clip still uses it

    pipeline.delete_generation(second)
    assert not default_storage.exists(input_name)
