"""Inputs are checked within the catalog's ceilings before they are decoded, and a video must
decode to its end (generations/inputs.py INPUT_BOUNDS, media.Bounds)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ImageFile

from ltxdash.generations.forms import GenerateForm
from ltxdash.generations.inputs import INPUT_BOUNDS
from ltxdash.ltx.catalog import data as catalog_data
from tests.media_factory import make_huge_png, make_video

pytestmark = pytest.mark.django_db

I2V = {
    "prompt": "a fox",
    "model": "ltx-2-3-fast",
    "resolution": "1920x1080",
    "fps": "24",
    "duration": "6",
}


def upload(path, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type)


def test_the_bounds_are_the_catalogs():
    assert INPUT_BOUNDS.max_side == catalog_data.MAX_INPUT_SIDE
    assert INPUT_BOUNDS.max_pixels == catalog_data.MAX_INPUT_PIXELS
    assert INPUT_BOUNDS.max_seconds == catalog_data.MAX_INPUT_SECONDS
    assert INPUT_BOUNDS.max_frames == catalog_data.MAX_INPUT_FRAMES


def test_a_decompression_bomb_gets_a_form_error_and_is_never_decoded(owner, tmp_path, monkeypatch):
    decoded: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda image: decoded.append(image.size) or real_load(image)
    )
    bomb = make_huge_png(tmp_path / "bomb.png", 13000, 13000)
    form = GenerateForm(
        I2V,
        {"image_uri": upload(bomb, "image/png")},
        endpoint="image-to-video",
        owner=owner,
    )
    assert not form.is_valid()
    assert form.errors["image_uri"] == [
        "“bomb.png”: This file is not an image we can use: it is far too large to open. "
        "Scale it down first."
    ]
    assert decoded == []


def test_an_image_over_the_ceiling_is_named_with_its_size(owner, tmp_path):
    big = make_huge_png(tmp_path / "wide.png", 9000, 3000)
    form = GenerateForm(
        I2V, {"image_uri": upload(big, "image/png")}, endpoint="image-to-video", owner=owner
    )
    assert not form.is_valid()
    assert "it is 9000x3000; the largest we take is 8192 px a side" in form.errors["image_uri"][0]


def test_a_truncated_mp4_is_refused_with_a_clear_message(owner, tmp_path):
    clip = make_video(tmp_path / "take.mp4", seconds=4, width=640, height=360, faststart=True)
    cut = tmp_path / "take-cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    data = {"prompt": "more", "duration": "4", "model": "ltx-2-3-pro"}
    form = GenerateForm(
        data, {"video_uri": upload(cut, "video/mp4")}, endpoint="extend", owner=owner
    )
    assert not form.is_valid()
    (message,) = form.errors["video_uri"]
    assert message.startswith("“take-cut.mp4”: This file is not a video we can use: ")
    assert "cut short" in message or "end is damaged or missing" in message

    whole = GenerateForm(
        data, {"video_uri": upload(clip, "video/mp4")}, endpoint="extend", owner=owner
    )
    whole.is_valid()
    assert "video_uri" not in whole.errors
