"""Image -> video (and audio -> video's first frame) from a still of one of the user's clips:
the picker, the stored copy of the poster, the JPEG the upload step sends, and ownership."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.files import File
from django.core.files.storage import default_storage

from ltxdash.generations import pipeline
from ltxdash.generations.models import Generation, Output, State
from tests.factories import make_clip, make_placeholder_clip
from tests.media_factory import make_image
from tests.support.pages import HTMX, field_html
from tests.support.pipeline import queued_tasks_now, run_tasks

pytestmark = pytest.mark.django_db
I2V = {
    "mode": "image-to-video",
    "prompt": "The frozen moment starts to move",
    "model": "ltx-2-3-fast",
    "resolution": "1920x1080",
    "fps": "24",
    "duration": "6",
    "count": "1",
}


def stored_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as f:
        return f.read()


# --- the picker -------------------------------------------------------------------------------


def test_image_to_video_offers_a_still_from_each_clip_next_to_the_upload(owner_client, owner):
    clip = make_placeholder_clip(owner)
    html = owner_client.get("/?mode=image-to-video").content.decode()
    image = field_html(html, "image_uri")
    assert "Use a still from one of your clips" in image
    assert re.search(rf'name="source" value="{clip.pk}"', image)
    assert "Upload an image" in image
    assert 'value=""' not in image  # the image is required here: no "None"


def test_audio_to_video_offers_a_still_as_its_optional_first_frame(owner_client, owner):
    clip = make_placeholder_clip(owner)
    html = owner_client.get(f"/?mode=audio-to-video&source={clip.pk}").content.decode()
    image = field_html(html, "image_uri")
    assert re.search(rf'name="source" value="{clip.pk}"[^>]*checked', image)
    assert re.search(r'name="source" value=""', image)  # optional: "None" undoes a pick


def test_source_with_image_to_video_opens_the_tab_with_the_still_picked(owner_client, owner):
    clip = make_placeholder_clip(owner)
    response = owner_client.get(f"/?source={clip.pk}&mode=image-to-video")
    assert response.status_code == 200
    html = field_html(response.content, "image_uri")
    assert re.search(rf'name="source" value="{clip.pk}"[^>]*checked', html)


def test_the_clip_page_links_to_animating_its_still(owner_client, owner):
    clip = make_placeholder_clip(owner)
    html = owner_client.get(f"/gallery/{clip.pk}/").content.decode()
    assert f"?mode=image-to-video&amp;source={clip.pk}" in html


def test_it_says_when_the_still_is_smaller_than_the_resolution(owner_client, owner, tmp_path):
    clip = make_clip(owner)
    query = {**I2V, "source": clip.pk}
    headers = {**HTMX, "HX-Target": "settings"}
    small = owner_client.get("/", query, headers=headers).content.decode()
    assert "320x180, smaller than 1920x1080" in field_html(small, "resolution")
    # A still that is large enough (a full-size poster stands in): no note.
    big = make_clip(owner)
    image = make_image(tmp_path / "big.jpg", 1920, 1080, fmt="JPEG")
    with image.open("rb") as f:
        big.video.poster.save(f"posters/{big.pk}/big.jpg", File(f))
    query["source"] = big.pk
    fine = owner_client.get("/", query, headers=headers).content.decode()
    assert "smaller than" not in field_html(fine, "resolution")


# --- submitting -------------------------------------------------------------------------------


def test_a_picked_still_queues_an_image_to_video_with_the_poster_as_its_image(owner_client, owner):
    clip = make_clip(owner)
    response = owner_client.post("/", {**I2V, "source": clip.pk}, headers=HTMX)
    assert response.status_code == 200, field_html(response.content, "image_uri")
    generation = Generation.objects.exclude(pk=clip.pk).get()
    assert generation.endpoint == "image-to-video"
    assert generation.parent == clip
    item = generation.inputs.get()
    assert item.role == "image_uri"
    assert item.source_output == clip.video  # where it came from
    assert item.content_type == "image/jpeg"
    assert item.media["kind"] == "image" and item.media["mime"] == "image/jpeg"
    assert (item.media["width"], item.media["height"]) == (320, 180)
    # A copy of the poster, owned by the request: it outlives the clip.
    assert item.file.name != clip.video.poster.name
    assert stored_bytes(item.file.name) == stored_bytes(clip.video.poster.name)
    assert item.sha256 == hashlib.sha256(stored_bytes(item.file.name)).hexdigest()
    pipeline.delete_generation(clip)
    item.refresh_from_db()
    assert item.source_output is None and default_storage.exists(item.file.name)


def test_use_these_settings_picks_the_same_clip_again(owner_client, owner):
    clip = make_clip(owner)
    owner_client.post("/", {**I2V, "source": clip.pk}, headers=HTMX)
    made = Generation.objects.exclude(pk=clip.pk).get()
    html = owner_client.get(f"/?from={made.pk}").content.decode()
    assert re.search(rf'name="source" value="{clip.pk}"[^>]*checked', field_html(html, "image_uri"))
    assert "add it again" not in html


def test_it_refuses_a_still_and_an_upload_together(owner_client, owner, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    clip = make_clip(owner)
    image = make_image(tmp_path / "mine.png", 640, 360)
    upload = SimpleUploadedFile("mine.png", image.read_bytes(), "image/png")
    response = owner_client.post("/", {**I2V, "source": clip.pk, "image_uri": upload}, headers=HTMX)
    assert response.status_code == 422
    assert "Use a still or upload an image, not both." in field_html(response.content, "image_uri")


def test_someone_elses_clip_is_refused_as_a_still(owner_client, stranger):
    theirs = make_clip(stranger)
    assert owner_client.get(f"/?source={theirs.pk}&mode=image-to-video").status_code == 404
    response = owner_client.post("/", {**I2V, "source": theirs.pk}, headers=HTMX)
    assert response.status_code == 422
    assert "That clip isn&#x27;t available" in field_html(response.content, "image_uri")
    assert Generation.objects.count() == 1


def test_a_clip_without_a_poster_gives_no_still(owner_client, owner):
    clip = make_placeholder_clip(owner)
    Output.objects.filter(generation=clip).update(poster="")
    html = owner_client.get("/?mode=image-to-video").content.decode()
    assert f'name="source" value="{clip.pk}"' not in html
    response = owner_client.post("/", {**I2V, "source": clip.pk}, headers=HTMX)
    assert response.status_code == 422
    assert "no still to use" in field_html(response.content, "image_uri")


# --- the upload step --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pipeline_settings")
def test_the_upload_step_sends_the_still_as_a_jpeg(ltx_simulator, owner_client, owner):
    clip = make_clip(owner)
    response = owner_client.post("/", {**I2V, "source": clip.pk}, headers=HTMX)
    assert response.status_code == 200

    for _ in range(5):  # the dispatch nudge, then the submit it enqueues
        run_tasks(queued_tasks_now())

    generation = Generation.objects.exclude(pk=clip.pk).get()
    assert generation.state == State.PENDING, generation.error_message
    (sent,) = (ltx_simulator.state_dir / "uploads").iterdir()
    assert sent.read_bytes()[:3] == b"\xff\xd8\xff"  # the poster, not the video
    (job,) = ltx_simulator.jobs("image-to-video")
    item = generation.inputs.get()
    # The simulator probed the upload and validated it as an image input.
    assert job["body"]["image_uri"] == item.storage_uri
    assert item.storage_uri.startswith("ltx://uploads/")
