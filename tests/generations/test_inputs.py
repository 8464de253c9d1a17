"""What an input can be: a stored clip as media info (one rule for the form and the pipeline)."""

from __future__ import annotations

import dataclasses

import pytest

from ltxdash.generations.inputs import clip_info
from ltxdash.generations.models import Output
from ltxdash.generations.pipeline.actions import media_dict

# The keys GenerationInput.media has always held for a re-used output.
STORED_KEYS = {
    "kind",
    "mime",
    "container",
    "codec",
    "width",
    "height",
    "fps",
    "duration",
    "frames",
    "has_audio",
    "audio_codec",
    "size",
}


def output(name: str, content_type: str, **fields) -> Output:
    values = {"size": 2048, "duration": 4.0, "width": 1920, "height": 1080, "fps": 24.0}
    return Output(file=name, content_type=content_type, **{**values, **fields})


@pytest.mark.parametrize(
    ("name", "content_type", "container"),
    [
        ("outputs/a.bin", "video/quicktime", "mov"),  # the content type wins over the suffix
        ("outputs/a.mp4", "video/x-matroska", "mkv"),
        ("outputs/a.MOV", "application/octet-stream", "mov"),  # then the suffix
        ("outputs/a", "application/octet-stream", "mp4"),  # then mp4
        ("outputs/a", "", "mp4"),
    ],
)
def test_the_container_comes_from_the_content_type_then_the_suffix_then_mp4(
    name, content_type, container
):
    assert clip_info(output(name, content_type)).container == container


def test_it_describes_a_stored_clip_with_what_was_measured():
    info = clip_info(output("outputs/a.mp4", "video/mp4", codec="h264", has_audio=True))
    assert (info.kind, info.mime, info.codec) == ("video", "video/mp4", "h264")
    assert (info.width, info.height, info.fps, info.duration) == (1920, 1080, 24.0, 4.0)
    assert info.frames == 96 and info.has_audio and info.size == 2048
    assert info.audio_codec is None


def test_an_output_is_a_video_unless_its_content_type_says_another_media_kind():
    assert clip_info(output("outputs/a", "")).kind == "video"
    assert clip_info(output("outputs/a", "application/octet-stream")).kind == "video"
    assert clip_info(output("outputs/a.png", "image/png")).kind == "image"
    assert clip_info(output("outputs/a.mp4", "video/mp4", codec="")).codec is None


def test_the_pipeline_stores_its_dict_form_with_the_same_keys():
    info = clip_info(output("outputs/a.bin", "video/quicktime", duration=None))
    stored = media_dict(info)
    assert stored == dataclasses.asdict(info)
    assert set(stored) == STORED_KEYS
    assert stored["container"] == "mov" and stored["frames"] is None
