"""The create page follows the catalog's newer facts: each option shows only where the chosen
model and endpoint take it, and the new rules put their message next to the field."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ltxdash.generations.models import Generation, GenerationInput
from tests.factories import make_placeholder_clip
from tests.media_factory import make_audio, make_image
from tests.support.pages import HTMX, field_html

pytestmark = pytest.mark.django_db
SETTINGS = {**HTMX, "HX-Target": "settings"}


def settings_for(client, query: str) -> bytes:
    response = client.get(f"/?{query}", headers=SETTINGS)
    assert response.status_code == 200
    return response.content


def test_audio_to_video_offers_frame_rates_with_25_first_chosen(owner_client):
    fps = field_html(settings_for(owner_client, "mode=audio-to-video"), "fps")
    for value in ("24", "48", "50"):
        assert f'value="{value}"' in fps
    assert 'value="25" selected' in fps
    pro25 = field_html(settings_for(owner_client, "mode=audio-to-video&model=ltx-2-5-pro"), "fps")
    assert 'value="48"' not in pro25


def test_audio_to_video_offers_4k_where_the_model_makes_it(owner_client):
    fast = settings_for(owner_client, "mode=audio-to-video&model=ltx-2-5-fast")
    pro = settings_for(owner_client, "mode=audio-to-video&model=ltx-2-5-pro")
    assert 'value="3840x2160"' in field_html(fast, "resolution")
    assert 'value="1280x720"' in field_html(pro, "resolution")
    assert 'value="3840x2160"' not in field_html(pro, "resolution")


def test_audio_to_video_shows_camera_motion_and_a_last_frame(owner_client):
    html = owner_client.get("/?mode=audio-to-video").content.decode()
    assert 'name="camera_motion"' in html and 'name="last_frame_uri"' in html
    assert "Last frame" in html


def test_ltx_2_5_offers_square_and_3_2_sizes_and_ltx_2_3_does_not(owner_client):
    new = field_html(settings_for(owner_client, "model=ltx-2-5-fast"), "resolution")
    old = field_html(settings_for(owner_client, "model=ltx-2-3-fast"), "resolution")
    assert 'value="1080x1080"' in new and 'value="1620x1080"' in new
    assert "1080p · 1:1 *" in new and "1080p · 3:2 *" in new  # unconfirmed, marked
    assert 'value="1080x1080"' not in old and 'value="1620x1080"' not in old


@pytest.mark.parametrize(
    ("mode", "name", "values", "absent_from"),
    [
        (
            "video-to-video-hdr",
            "output_colorspace",
            ["acescct", "srgb_linear", "aces2065-1"],
            "video-to-video-reframe",
        ),
        (
            "video-to-video-reframe",
            "placement",
            ["top", "bottom_right", "top_left"],
            "video-to-video-hdr",
        ),
        ("text-to-video", "enhance_prompt", [], "image-to-video"),
    ],
)
def test_each_new_option_shows_only_on_its_endpoint(owner_client, mode, name, values, absent_from):
    html = owner_client.get(f"/?mode={mode}").content.decode()
    field = field_html(html, name)
    for value in values:
        assert f'value="{value}"' in field
    assert "Unconfirmed" in field  # only secondary sources state it
    assert f'name="{name}"' not in owner_client.get(f"/?mode={absent_from}").content.decode()


def test_enhance_prompt_starts_ticked(owner_client):
    field = field_html(owner_client.get("/").content, "enhance_prompt")
    assert 'type="checkbox"' in field and "checked" in field


def test_automatic_duration_and_a_last_frame_are_refused_next_to_the_duration(
    owner_client, owner, tmp_path
):
    make_image(tmp_path / "a.png", 640, 360)
    data = {
        "mode": "image-to-video",
        "prompt": "A door opens",
        "model": "ltx-2-5-fast",
        "resolution": "1920x1080",
        "fps": "24",
        "duration": "auto",
        "image_uri": SimpleUploadedFile("a.png", (tmp_path / "a.png").read_bytes(), "image/png"),
        "last_frame_uri": SimpleUploadedFile(
            "b.png", (tmp_path / "a.png").read_bytes(), "image/png"
        ),
    }
    response = owner_client.post("/", data, headers=HTMX)

    assert response.status_code == 422
    assert "Automatic duration can&#x27;t be combined with a last frame" in field_html(
        response.content, "duration"
    )
    assert not Generation.objects.filter(owner=owner).exists()


def test_it_queues_an_audio_to_video_with_its_newer_fields(owner_client, owner, tmp_path):
    make_audio(tmp_path / "tone.wav", seconds=3)
    data = {
        "mode": "audio-to-video",
        "prompt": "Drums on a rooftop",
        "model": "ltx-2-3-pro",
        "resolution": "",
        "fps": "48",
        "camera_motion": "jib_up",
        "count": "1",
        "audio_uri": SimpleUploadedFile(
            "tone.wav", (tmp_path / "tone.wav").read_bytes(), "audio/wav"
        ),
    }
    response = owner_client.post("/", data, headers=HTMX)

    assert response.status_code == 200, response.content.decode()[:2000]
    generation = Generation.objects.get(owner=owner)
    assert generation.params == {
        "prompt": "Drums on a rooftop",
        "model": "ltx-2-3-pro",
        "fps": 48,
        "camera_motion": "jib_up",
    }
    assert GenerationInput.objects.get(generation=generation).role == "audio_uri"


def test_it_queues_a_reframe_with_a_placement(owner_client, owner):
    clip = make_placeholder_clip(owner)
    data = {
        "mode": "video-to-video-reframe",
        "model": "ltx-2-3-pro",
        "resolution": "720x720",
        "placement": "bottom_right",
        "source": str(clip.pk),
        "count": "1",
    }
    response = owner_client.post("/", data, headers=HTMX)

    assert response.status_code == 200, response.content.decode()[:2000]
    generation = Generation.objects.filter(owner=owner).exclude(pk=clip.pk).get()
    assert generation.params["placement"] == "bottom_right"
