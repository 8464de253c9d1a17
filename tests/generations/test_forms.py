"""GenerateForm on its own: fields per endpoint, API names and types, messages per field."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ltxdash.generations.forms import GenerateForm, endpoint_from, resolution_choice_label
from ltxdash.ltx import catalog
from tests.factories import make_generation, make_placeholder_clip
from tests.media_factory import make_audio, make_image, make_video

pytestmark = pytest.mark.django_db


def form(owner, endpoint: str, data: dict | None = None, files: dict | None = None) -> GenerateForm:
    return GenerateForm(data, files, endpoint=endpoint, owner=owner)


def upload(path, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type)


@pytest.mark.parametrize("endpoint", list(catalog.ENDPOINTS))
def test_it_has_a_field_for_every_request_field_of_the_endpoint_and_no_other(owner, endpoint):
    spec = catalog.ENDPOINTS[endpoint]
    fields = set(form(owner, endpoint).fields) - {"count", "source"}
    assert fields == {{"mode": "edit_mode"}.get(name, name) for name in spec.fields}


def test_it_labels_the_text_field_prompt(owner):
    assert form(owner, "text-to-video").fields["prompt"].label == "Prompt"


def test_unbound_initial_values_come_from_the_catalog(owner):
    f = GenerateForm(endpoint="text-to-video", owner=owner, initial={"model": "nope", "fps": "999"})
    choices = catalog.choices("text-to-video")
    assert f.initial["model"] == choices.model
    assert f.initial["fps"] == choices.fps_value
    assert f.initial["duration"] == choices.duration


def test_it_maps_api_names_and_types(owner):
    f = form(
        owner,
        "text-to-video",
        {
            "prompt": " a fox ",
            "model": "ltx-2-5-fast",
            "resolution": "1920x1080",
            "fps": "25",
            "duration": "auto",
            "count": "2",
        },
    )
    assert f.is_valid(), f.errors
    assert f.params() == {
        "prompt": "a fox",
        "model": "ltx-2-5-fast",
        "resolution": "1920x1080",
        "fps": 25,
        "duration": None,  # automatic length, sent as null
        "generate_audio": False,  # an unticked box
        "enhance_prompt": False,  # likewise
    }
    assert f.submission()["count"] == 2


def test_the_api_mode_field_is_edit_mode_in_the_form(owner):
    clip = make_placeholder_clip(owner)
    f = form(
        owner,
        "retake",
        {"source": clip.pk, "start_time": "1", "duration": "2", "edit_mode": "replace_audio"},
    )
    assert f.is_valid(), f.errors
    assert f.params()["mode"] == "replace_audio"
    assert f.submission()["inputs"]["video_uri"] == clip.video
    assert f.submission()["parent"] == clip


def test_catalog_messages_land_on_the_matching_field(owner):
    clip = make_placeholder_clip(owner, seconds=4.0)
    f = form(
        owner,
        "retake",
        {"source": clip.pk, "start_time": "9", "duration": "2", "edit_mode": "sideways"},
    )
    assert not f.is_valid()
    assert "starts after the video ends" in f.errors["start_time"][0]
    assert "sideways is not one of the available choices" in f.errors["edit_mode"][0]


def test_a_cross_field_problem_goes_to_the_top(owner):
    f = form(owner, "audio-to-video", {})
    assert not f.is_valid()
    assert "Add an audio file." in f.errors["audio_uri"]
    assert "Write a prompt or add an image." in f.errors["prompt"]


def test_it_probes_uploads_by_content_and_checks_the_kind(owner, tmp_path):
    audio = make_audio(tmp_path / "voice.wav", seconds=3)
    image = make_image(tmp_path / "still.png")
    f = form(
        owner,
        "audio-to-video",
        {"prompt": "a choir"},
        {"audio_uri": upload(audio), "image_uri": upload(image)},
    )
    assert f.is_valid(), f.errors
    _file, info = f.submission()["inputs"]["audio_uri"]
    assert info.kind == "audio" and info.duration == pytest.approx(3, abs=0.1)
    assert f.input_infos()["image_uri"].kind == "image"

    short = make_audio(tmp_path / "short.wav", seconds=1)
    f = form(owner, "audio-to-video", {"prompt": "a choir"}, {"audio_uri": upload(short)})
    assert not f.is_valid()
    assert "2 to 20 seconds" in f.errors["audio_uri"][0]


def test_it_refuses_a_video_too_short_for_extend(owner, tmp_path):
    video = make_video(tmp_path / "short.mp4", seconds=1, width=320, height=180)
    f = form(owner, "extend", {"duration": "4"}, {"video_uri": upload(video)})
    assert not f.is_valid()
    assert "at least 73 frames" in f.errors["video_uri"][0]


def test_it_accepts_only_the_owners_ready_clips(owner, stranger):
    from ltxdash.generations.models import State

    theirs = make_placeholder_clip(stranger)
    unfinished = make_generation(owner, State.PROCESSING)
    for pk in (theirs.pk, unfinished.pk, 999999):
        f = form(owner, "extend", {"duration": "4", "source": pk})
        assert not f.is_valid()
        assert "isn't available" in f.errors["source"][0]


def test_the_estimate_uses_the_count(owner):
    f = GenerateForm(
        endpoint="text-to-video",
        owner=owner,
        initial={
            "model": "ltx-2-3-fast",
            "resolution": "1280x720",
            "fps": 24,
            "duration": 10,
            "count": 4,
        },
    )
    estimate = f.estimate()
    assert estimate["each"] == catalog.estimate_cost(
        "text-to-video", {"model": "ltx-2-3-fast", "resolution": "1280x720", "duration": 10}
    )
    assert estimate["total"] == estimate["each"] * 4


def test_helpers():
    assert endpoint_from("extend") == "extend"
    assert endpoint_from(None) == endpoint_from("../etc") == "text-to-video"
    assert resolution_choice_label("1080x1920") == "1080p · 9:16"
    assert resolution_choice_label("1080x1350") == "1080p · 4:5"
    assert resolution_choice_label("3840x2160") == "4K · 16:9"
