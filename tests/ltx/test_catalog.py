from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ltxdash.ltx import catalog
from ltxdash.ltx.catalog import data
from ltxdash.media import MediaInfo

GEN = ("text-to-video", "image-to-video")


def video(width=1920, height=1080, fps=24.0, duration=8.0, frames=None, **extra):
    fields = dict(
        kind="video",
        mime="video/mp4",
        container="mp4",
        codec="h264",
        width=width,
        height=height,
        fps=fps,
        duration=duration,
        frames=frames if frames is not None else round(fps * duration),
        has_audio=True,
        audio_codec="aac",
        size=5_000_000,
    )
    return MediaInfo(**{**fields, **extra})


def audio(duration=8.0, **extra):
    fields = dict(
        kind="audio",
        mime="audio/wav",
        container="wav",
        codec="pcm_s16le",
        width=None,
        height=None,
        fps=None,
        duration=duration,
        frames=None,
        has_audio=True,
        audio_codec="pcm_s16le",
        size=1_000_000,
    )
    return MediaInfo(**{**fields, **extra})


def image(width=1920, height=1080):
    return MediaInfo(
        "image", "image/png", "png", "png", width, height, None, None, None, False, None, 90_000
    )


def gen(model, resolution="1920x1080", fps=24, duration=8, **extra):
    return {
        "prompt": "A lighthouse at dusk",
        "model": model,
        "resolution": resolution,
        "fps": fps,
        "duration": duration,
        **extra,
    }


# --- The table itself -----------------------------------------------------------------------


def _rows():
    for index, combo in enumerate(data.COMBOS):
        yield pytest.param(combo, id=f"{index}-{combo.endpoints[0]}-{combo.models[0]}")


@pytest.mark.parametrize("combo", list(_rows()))
def test_it_accepts_every_combination_in_the_table(combo):
    for endpoint in combo.endpoints:
        for model in combo.models:
            if endpoint in GEN:
                for resolution in combo.resolutions:
                    for fps in combo.fps:
                        for duration in combo.durations:
                            params = gen(model, resolution, fps, duration)
                            assert catalog.validate(endpoint, params) == {}, params
                            body = catalog.build_request(
                                endpoint, params, {"image_uri": "ltx://uploads/a"}
                            )
                            assert body["fps"] == fps and body["duration"] == duration
            elif endpoint == "audio-to-video":
                for resolution in combo.resolutions:
                    for fps in combo.fps:
                        params = {"model": model, "prompt": "drums", "resolution": resolution}
                        params["fps"] = fps
                        longest = audio(duration=combo.max_input_seconds or 20)
                        assert catalog.validate(endpoint, params, {"audio_uri": longest}) == {}
                        body = catalog.build_request(endpoint, params, {"audio_uri": "ltx://a"})
                        # 25 fps is what the API makes unasked: left out (UNSURE_DEFAULTS).
                        assert (body.get("fps", 25), body["resolution"]) == (fps, resolution)
                        assert "fps" in body or fps == 25
                        cost = catalog.estimate(endpoint, params, {"audio_uri": longest})
                        price = catalog.price_for(
                            endpoint, model, catalog.resolution_tier(resolution)
                        )
                        assert (cost is None) == (price is None)
            elif endpoint == "video-to-video-reframe":
                for resolution in combo.resolutions:
                    params = {"model": model, "resolution": resolution}
                    source = video(width=1600, height=900)  # no frame of the table's own size
                    assert catalog.validate(endpoint, params, {"video_uri": source}) == {}
            else:
                params = {"model": model, "start_time": 0, "duration": 5}
                assert catalog.validate(endpoint, params, {"video_uri": video(duration=6)}) == {}


def test_it_lists_every_endpoint_with_its_ui_label():
    assert {slug: spec.label for slug, spec in catalog.ENDPOINTS.items()} == {
        "text-to-video": "Text → Video",
        "image-to-video": "Image → Video",
        "audio-to-video": "Audio → Video",
        "retake": "Retake",
        "extend": "Extend",
        "video-to-video-hdr": "HDR",
        "video-to-video-reframe": "Reframe",
    }
    assert catalog.ENDPOINTS["video-to-video-hdr"].models == ()
    assert catalog.ENDPOINTS["video-to-video-hdr"].result_keys == ("exr_frames_url", "video_url")
    assert catalog.ENDPOINTS["retake"].models == ("ltx-2-3-pro",)
    assert set(catalog.ENDPOINTS["audio-to-video"].models) == {
        "ltx-2-3-pro",
        "ltx-2-5-fast",
        "ltx-2-5-pro",
    }


def test_it_keeps_defaults_and_replacements_inside_the_table():
    for spec in catalog.ENDPOINTS.values():
        assert spec.default_model is None or spec.default_model in spec.models
        assert set(spec.input_roles) <= set(spec.fields)
        assert set(spec.required_fields) <= set(spec.fields)
    for model in catalog.MODELS.values():
        if not model.is_current:
            assert catalog.MODELS[model.replacement].is_current
            assert all(model.id not in c.models for c in data.COMBOS)


def test_it_prices_every_text_and_image_combination_and_nothing_outside_the_table():
    for combo in data.COMBOS:
        if combo.endpoints[0] in GEN:
            for model in combo.models:
                for resolution in combo.resolutions:
                    assert (
                        catalog.estimate_cost("text-to-video", gen(model, resolution, duration=6))
                        is not None
                    )
    for price in data.PRICES:
        for endpoint in price.endpoints:
            assert price.model in (catalog.ENDPOINTS[endpoint].models or (None,))


# --- Known-good requests from the sources ------------------------------------------------------

KNOWN_GOOD = [
    ("text-to-video", gen("ltx-2-3-fast", "1920x1080", 25, 20)),  # runware; LTX Desktop
    ("text-to-video", gen("ltx-2-3-fast", "1920x1080", 24, 20)),  # LTX Desktop _API_FPS_EXTENDED
    ("text-to-video", gen("ltx-2-3-fast", "2560x1440", 50, 10)),
    ("text-to-video", gen("ltx-2-3-pro", "3840x2160", 48, 10)),
    ("text-to-video", gen("ltx-2-3-pro", "1080x1920", 25, 6, camera_motion="dolly_in")),
    ("text-to-video", gen("ltx-2-5-fast", "1280x720", 24, 2)),  # a live 2 s success (client C)
    ("text-to-video", gen("ltx-2-5-fast", "2160x3840", 48, 8, generate_audio=False)),
    ("text-to-video", gen("ltx-2-5-fast", "1920x1080", 24, None)),  # automatic duration
    ("text-to-video", gen("ltx-2-5-pro", "720x1280", 50, 10)),
    ("image-to-video", gen("ltx-2-5-pro", "1080x1920", 25, 10)),
    ("image-to-video", gen("ltx-2-3-fast", "1920x1080", 25, 3)),
    ("audio-to-video", {"prompt": "A drummer on a rooftop"}),
    (
        "audio-to-video",
        {"prompt": "", "image_uri": "https://example.com/a.png", "guidance_scale": 9},
    ),
    ("audio-to-video", {"model": "ltx-2-5-fast", "prompt": "x", "resolution": "1080x1920"}),
    # LTX Desktop 1.3: fps, camera motion and a last frame on audio-to-video; 720p to 4K.
    (
        "audio-to-video",
        {"prompt": "x", "fps": 48, "camera_motion": "jib_up", "last_frame_uri": "ltx://l"},
    ),
    ("audio-to-video", {"model": "ltx-2-5-fast", "prompt": "x", "resolution": "2160x3840"}),
    ("audio-to-video", {"model": "ltx-2-3-pro", "prompt": "x", "resolution": "1280x720"}),
    ("audio-to-video", {"model": "ltx-2-5-pro", "prompt": "x", "resolution": "720x1280"}),
    # LTX-2.5's square and 3:2 sizes.
    ("text-to-video", gen("ltx-2-5-fast", "1620x1080", 24, 20)),
    ("text-to-video", gen("ltx-2-5-fast", "720x720", 48, 10)),
    ("image-to-video", gen("ltx-2-5-pro", "1080x1080", 50, 8)),
    ("image-to-video", gen("ltx-2-5-pro", "1080x720", 25, 6)),
    ("text-to-video", gen("ltx-2-3-pro", enhance_prompt=False)),
    ("text-to-video", gen("ltx-2-3-fast", enhance_prompt="true")),
    ("video-to-video-hdr", {"output_colorspace": "srgb_linear"}),
    (
        "retake",
        {"start_time": 1.5, "duration": 2, "mode": "replace_audio", "prompt": "a cat jumps"},
    ),
    (
        "retake",
        {"model": "ltx-2-3-pro", "start_time": "0", "duration": "4.5", "resolution": "1080x1920"},
    ),
    ("extend", {"duration": 5, "context": 3, "mode": "start"}),
    ("extend", {"duration": "20", "model": "ltx-2-3-pro"}),
    ("video-to-video-hdr", {}),
    ("video-to-video-reframe", {"model": "ltx-2-3-pro", "resolution": "1080x1350"}),
    ("video-to-video-reframe", {"model": "ltx-2-3-pro", "resolution": "720x720"}),
    # The Comfy Router's schema: placement, any side from 64 to 4096 px, no model.
    ("video-to-video-reframe", {"resolution": "1080x1080", "placement": "bottom_right"}),
    ("video-to-video-reframe", {"resolution": "4096x64"}),
    (
        "video-to-video-reframe",
        {"resolution": "720x720", "placement": {"x": 0, "y": 0.25, "width": 1, "height": "0.5"}},
    ),
]


@pytest.mark.parametrize(("endpoint", "params"), KNOWN_GOOD)
def test_it_accepts_known_good_requests(endpoint, params):
    assert catalog.validate(endpoint, params) == {}


def test_it_accepts_form_strings():
    params = {
        "prompt": "x",
        "model": "ltx-2-3-pro",
        "resolution": "1920x1080",
        "fps": "24",
        "duration": "8.0",
    }
    assert catalog.validate("text-to-video", {**params, "generate_audio": "false"}) == {}


# --- Undocumented requests fail with a field message ---------------------------------------------

BAD = [
    ("retake", {"model": "ltx-2-3-fast", "start_time": 0, "duration": 3}, "model"),
    ("extend", {"model": "ltx-2-5-pro", "duration": 3}, "model"),
    ("audio-to-video", {"model": "ltx-2-3-fast", "prompt": "x"}, "model"),
    ("video-to-video-reframe", {"model": "ltx-2-5-pro", "resolution": "1080x1080"}, "model"),
    ("text-to-video", gen("ltx-2-5-pro", fps=48), "fps"),
    ("text-to-video", gen("ltx-2-3-fast", "3840x2160", 25, 12), "duration"),
    ("text-to-video", gen("ltx-2-3-fast", "1920x1080", 48, 12), "duration"),
    ("text-to-video", gen("ltx-2-3-pro", "1920x1080", 24, 12), "duration"),
    ("text-to-video", gen("ltx-2-3-pro", duration=1), "duration"),
    ("text-to-video", gen("ltx-2-3-pro", duration=7), "duration"),
    ("text-to-video", gen("ltx-2-3-pro", duration="8.5"), "duration"),
    (
        "text-to-video",
        gen("ltx-2-3-pro", duration=None),
        "duration",
    ),  # no automatic duration on 2.3
    ("text-to-video", gen("ltx-2-3-pro", duration=""), "duration"),
    ("text-to-video", gen("ltx-2-5-pro", "2560x1440"), "resolution"),
    ("text-to-video", gen("ltx-2-5-pro", "3840x2160"), "resolution"),
    ("text-to-video", gen("ltx-2-3-pro", "1024x576"), "resolution"),
    ("text-to-video", gen("ltx-2-3-pro", fps=30), "fps"),
    ("text-to-video", gen("ltx-2-3-pro", fps="fast"), "fps"),
    ("text-to-video", gen("ltx-2-fast", "1920x1080", 25, 8), "model"),
    ("text-to-video", gen("ltx-9-ultra"), "model"),
    ("text-to-video", gen(""), "model"),
    ("text-to-video", gen("ltx-2-3-pro", prompt="  "), "prompt"),
    ("text-to-video", gen("ltx-2-3-pro", prompt="x" * 5001), "prompt"),
    ("text-to-video", gen("ltx-2-3-pro", camera_motion="orbit"), "camera_motion"),
    ("text-to-video", gen("ltx-2-3-pro", generate_audio="maybe"), "generate_audio"),
    ("audio-to-video", {"prompt": ""}, "prompt"),
    ("audio-to-video", {"prompt": "x", "resolution": "2560x1080"}, "resolution"),
    ("audio-to-video", {"prompt": "x", "guidance_scale": -1}, "guidance_scale"),
    ("retake", {"start_time": 0, "duration": 1.5}, "duration"),
    ("retake", {"start_time": -1, "duration": 3}, "start_time"),
    ("retake", {"duration": 3}, "start_time"),
    ("retake", {"start_time": 0, "duration": 3, "mode": "replace_everything"}, "mode"),
    ("retake", {"start_time": 0, "duration": 3, "resolution": "3840x2160"}, "resolution"),
    ("extend", {"duration": 1}, "duration"),
    ("extend", {"duration": 21}, "duration"),
    ("extend", {"duration": 5, "context": 25}, "context"),
    ("extend", {"duration": 5, "mode": "middle"}, "mode"),
    ("video-to-video-reframe", {"model": "ltx-2-3-pro", "resolution": "4097x2160"}, "resolution"),
    ("video-to-video-reframe", {"model": "ltx-2-3-pro", "resolution": "720x63"}, "resolution"),
    ("video-to-video-reframe", {"model": "ltx-2-3-pro"}, "resolution"),
    ("video-to-video-reframe", {"resolution": "720x720", "placement": "middle"}, "placement"),
    (
        "video-to-video-reframe",
        {"resolution": "720x720", "placement": {"x": 0.5, "y": 0, "width": 0.6, "height": 1}},
        "placement",
    ),  # sticks out of the frame
    ("video-to-video-reframe", {"resolution": "720x720", "placement": {"x": 0}}, "placement"),
    # LTX-2.3 stays 16:9 / 9:16; LTX-2.5 Pro has no 3:2 above 1080p and no 48 fps there either.
    ("text-to-video", gen("ltx-2-3-pro", "1080x1080"), "resolution"),
    ("text-to-video", gen("ltx-2-3-fast", "1620x1080"), "resolution"),
    ("text-to-video", gen("ltx-2-5-pro", "1080x1080", 48, 8), "fps"),
    ("text-to-video", gen("ltx-2-5-pro", "1620x1080", 24, 12), "duration"),
    ("text-to-video", gen("ltx-2-3-pro", enhance_prompt="perhaps"), "enhance_prompt"),
    ("audio-to-video", {"prompt": "x", "fps": 30}, "fps"),
    ("audio-to-video", {"prompt": "x", "model": "ltx-2-5-pro", "fps": 48}, "fps"),
    (
        "audio-to-video",
        {"prompt": "x", "model": "ltx-2-5-pro", "resolution": "2560x1440"},
        "resolution",
    ),
    ("audio-to-video", {"prompt": "x", "camera_motion": "orbit"}, "camera_motion"),
    ("video-to-video-hdr", {"output_colorspace": "rec709"}, "output_colorspace"),
    # Automatic duration and a last frame: refused (LTX Desktop 1.3, changelog summary).
    (
        "image-to-video",
        gen("ltx-2-5-fast", duration="auto", image_uri="ltx://i", last_frame_uri="ltx://l"),
        "duration",
    ),
]


@pytest.mark.parametrize(("endpoint", "params", "field"), BAD)
def test_it_refuses_undocumented_requests_with_a_field_message(endpoint, params, field):
    errors = catalog.validate(endpoint, params)
    assert field in errors, errors
    assert all(isinstance(m, str) and m.endswith(".") for m in errors[field])
    assert "None" not in str(errors)  # no half-parsed values leak into messages


def test_it_names_the_replacement_of_a_removed_model():
    errors = catalog.validate("text-to-video", gen("ltx-2-pro"))
    assert errors == {
        "model": ["LTX-2 Pro was removed by LTX on 15 August 2026. Use LTX-2.3 Pro instead."]
    }


def test_it_lists_the_durations_that_would_work():
    errors = catalog.validate("text-to-video", gen("ltx-2-3-fast", "3840x2160", 25, 12))
    assert "Choose 2, 3, 4, 5, 6, 8 or 10 seconds." in errors["duration"][0]


def test_it_reports_an_unknown_endpoint():
    assert "__all__" in catalog.validate("image-to-3d", {})


# --- Media limits -----------------------------------------------------------------------------

MEDIA_BAD = [
    ("video-to-video-hdr", {}, {"video_uri": video(1920, 1080, 24, 8)}, "video_uri"),  # 192 > 181
    ("video-to-video-hdr", {}, {"video_uri": video(2560, 1440, 24, 5)}, "video_uri"),  # 120 > 101
    ("video-to-video-hdr", {}, {"video_uri": video(3840, 2160, 24, 2)}, "video_uri"),  # 48 > 41
    ("video-to-video-hdr", {}, {"video_uri": video(4096, 2160, 24, 1)}, "video_uri"),  # over 4K
    (
        "retake",
        {"start_time": 0, "duration": 2},
        {"video_uri": video(frames=72, duration=3)},
        "video_uri",
    ),
    ("retake", {"start_time": 0, "duration": 2}, {"video_uri": video(5120, 2880)}, "video_uri"),
    ("retake", {"start_time": 9, "duration": 2}, {"video_uri": video(duration=8)}, "start_time"),
    ("retake", {"start_time": 6.5, "duration": 4}, {"video_uri": video(duration=8)}, "start_time"),
    ("extend", {"duration": 5}, {"video_uri": video(1440, 1080)}, "video_uri"),  # 4:3
    ("extend", {"duration": 5}, {"video_uri": video(duration=2.5)}, "video_uri"),  # 60 frames
    (
        "extend",
        {"duration": 20, "context": 2},
        {"video_uri": video(duration=30)},
        "context",
    ),  # 528 frames
    (
        "extend",
        {"duration": 12},
        {"video_uri": video(fps=50, duration=30)},
        "duration",
    ),  # 600 frames
    ("extend", {"duration": 5, "context": 10}, {"video_uri": video(duration=4)}, "context"),
    (
        "video-to-video-reframe",
        {"model": "ltx-2-3-pro", "resolution": "720x720"},
        {"video_uri": video(duration=61)},
        "video_uri",
    ),
    (
        "video-to-video-reframe",
        {"model": "ltx-2-3-pro", "resolution": "720x720"},
        {"video_uri": video(fps=60, duration=31)},
        "video_uri",
    ),
    ("audio-to-video", {"prompt": "x"}, {"audio_uri": audio(25)}, "audio_uri"),
    ("audio-to-video", {"prompt": "x"}, {"audio_uri": audio(1.5)}, "audio_uri"),
    (
        "audio-to-video",
        {"prompt": "x", "model": "ltx-2-5-pro"},
        {"audio_uri": audio(12)},
        "audio_uri",
    ),
    (
        "audio-to-video",
        {"prompt": "x", "resolution": "3840x2160"},
        {"audio_uri": audio(15)},
        "audio_uri",
    ),
    ("audio-to-video", {"prompt": "x"}, {"audio_uri": video()}, "audio_uri"),
    # 10 s at 1440p/4K whatever the model; 20 s at 720p/1080p.
    (
        "audio-to-video",
        {"prompt": "x", "model": "ltx-2-5-fast", "resolution": "1440x2560"},
        {"audio_uri": audio(10.5)},
        "audio_uri",
    ),
    (
        "audio-to-video",
        {"prompt": "x", "resolution": "1280x720"},
        {"audio_uri": audio(20.5)},
        "audio_uri",
    ),
    (
        "image-to-video",
        gen("ltx-2-5-pro", duration=None),
        {"image_uri": image(), "last_frame_uri": image()},
        "duration",
    ),
    ("audio-to-video", {"prompt": "x"}, {}, "audio_uri"),
    ("image-to-video", gen("ltx-2-3-pro"), {}, "image_uri"),
    ("image-to-video", gen("ltx-2-3-pro"), {"image_uri": audio()}, "image_uri"),
    (
        "image-to-video",
        gen("ltx-2-3-pro"),
        {"image_uri": image(), "last_frame_uri": video()},
        "last_frame_uri",
    ),
    ("extend", {"duration": 5}, {"video_uri": video(codec="vp9")}, "video_uri"),
    ("extend", {"duration": 5}, {"video_uri": video(size=150_000_000)}, "video_uri"),
]


@pytest.mark.parametrize(("endpoint", "params", "inputs", "field"), MEDIA_BAD)
def test_it_checks_the_inputs_against_the_endpoint_limits(endpoint, params, inputs, field):
    errors = catalog.validate(endpoint, params, inputs)
    assert field in errors, errors


MEDIA_GOOD = [
    ("video-to-video-hdr", {}, {"video_uri": video(1920, 1080, 24, 7.5)}),  # 180 frames
    ("video-to-video-hdr", {}, {"video_uri": video(1280, 720, 24, 7.5)}),
    ("video-to-video-hdr", {}, {"video_uri": video(2560, 1440, 25, 4)}),  # 100 frames
    ("video-to-video-hdr", {}, {"video_uri": video(2160, 3840, 24, 1.5)}),  # 36 frames, portrait
    ("retake", {"start_time": 0, "duration": 2}, {"video_uri": video(frames=73, duration=3.04)}),
    (
        "retake",
        {"start_time": 5, "duration": 10},
        {"video_uri": video(duration=8)},
    ),  # clamped: 3 s left
    ("retake", {"start_time": 0, "duration": 2}, {"video_uri": video(2160, 3840)}),
    ("extend", {"duration": 20}, {"video_uri": video(duration=30)}),  # context chosen by the API
    ("extend", {"duration": 20, "context": 1}, {"video_uri": video(duration=30)}),  # 504 frames
    ("extend", {"duration": 5}, {"video_uri": video(854, 480)}),  # 16:9 within rounding
    ("extend", {"duration": 5}, {"video_uri": video(1080, 1920, frames=0)}),  # MKV: no frame count
    (
        "video-to-video-reframe",
        {"model": "ltx-2-3-pro", "resolution": "720x720"},
        {"video_uri": video(fps=30, duration=60)},
    ),
    ("audio-to-video", {"prompt": "x"}, {"audio_uri": audio(20)}),
    ("audio-to-video", {"prompt": "x"}, {"audio_uri": audio(2)}),
    ("audio-to-video", {"prompt": ""}, {"audio_uri": audio(5), "image_uri": image(1080, 1920)}),
    ("image-to-video", gen("ltx-2-5-fast"), {"image_uri": image(), "last_frame_uri": image()}),
    ("image-to-video", gen("ltx-2-5-fast", duration=None), {"image_uri": image()}),
    (
        "audio-to-video",
        {"prompt": "x", "model": "ltx-2-5-fast", "resolution": "3840x2160"},
        {"audio_uri": audio(10)},
    ),
    ("audio-to-video", {"prompt": "x", "resolution": "720x1280"}, {"audio_uri": audio(20)}),
    (
        "audio-to-video",
        {"prompt": "", "fps": 24},
        {"audio_uri": audio(6), "image_uri": image(), "last_frame_uri": image()},
    ),
]


@pytest.mark.parametrize(("endpoint", "params", "inputs"), MEDIA_GOOD)
def test_it_accepts_inputs_within_the_limits(endpoint, params, inputs):
    assert catalog.validate(endpoint, params, inputs) == {}


# --- Cost ------------------------------------------------------------------------------------

COSTS = [
    ("text-to-video", gen("ltx-2-3-pro", "1920x1080", 24, 8), {}, "0.64"),
    (
        "image-to-video",
        gen("ltx-2-3-pro", "1080x1920", 25, 8),
        {},
        "0.64",
    ),  # portrait costs the same
    ("text-to-video", gen("ltx-2-3-fast", "1280x720", 24, 6), {}, "0.18"),
    ("text-to-video", gen("ltx-2-3-fast", "1920x1080", 25, 20), {}, "1.20"),
    ("text-to-video", gen("ltx-2-3-pro", "2560x1440", 24, 10), {}, "1.60"),
    ("text-to-video", gen("ltx-2-5-fast", "3840x2160", 50, 10), {}, "3.00"),
    ("text-to-video", gen("ltx-2-5-pro", "1920x1080", 24, "6"), {}, "1.02"),
    # LTX-2.5's square and 3:2 sizes are priced by their short side's tier.
    ("text-to-video", gen("ltx-2-5-fast", "1620x1080", 24, 10), {}, "1.30"),
    ("image-to-video", gen("ltx-2-5-pro", "720x720", 24, 10), {}, "1.20"),
    ("audio-to-video", {"prompt": "x"}, {"audio_uri": audio(12.5)}, "1.25"),
    ("audio-to-video", {"prompt": "x", "model": "ltx-2-5-fast"}, {"audio_uri": audio(10)}, "1.30"),
    ("retake", {"start_time": 0, "duration": 2}, {"video_uri": video(duration=7.2)}, "0.72"),
    ("extend", {"duration": 5, "context": 3}, {"video_uri": video(duration=10)}, "0.80"),
    # No context given: the API fills 505 frames, 505/24 = 21.042 s.
    ("extend", {"duration": 20}, {"video_uri": video(duration=30)}, "2.10"),
    # Short input: context limited to the clip's 4 s.
    ("extend", {"duration": 5}, {"video_uri": video(duration=4)}, "0.90"),
    ("video-to-video-hdr", {}, {"video_uri": video(1920, 1080, 24, 5)}, "1.00"),
    ("video-to-video-hdr", {}, {"video_uri": video(3840, 2160, 24, 1.5)}, "1.20"),
    (
        "video-to-video-hdr",
        {"output_colorspace": "acescct"},
        {"video_uri": video(1920, 1080, 24, 5)},
        "1.00",
    ),  # the colour space does not change the price
    (
        "video-to-video-reframe",
        {"model": "ltx-2-3-pro", "resolution": "720x1280"},
        {"video_uri": video(duration=30)},
        "3.00",
    ),
    (
        "video-to-video-reframe",
        {"model": "ltx-2-3-pro", "resolution": "1080x1080"},
        {"video_uri": video(duration=30)},
        "6.00",
    ),
]


@pytest.mark.parametrize(("endpoint", "params", "inputs", "usd"), COSTS)
def test_it_estimates_the_cost_from_the_price_table(endpoint, params, inputs, usd):
    assert catalog.estimate_cost(endpoint, params, inputs) == Decimal(usd)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("0.3600"), "$0.36"),  # a stored estimate (four places), as people read it
        (Decimal("0.005"), "$0.01"),  # rounded like the estimates: half up
        (Decimal("0.004"), "<$0.01"),  # not "$0.00" for something that costs
        (0, "$0.00"),
        (1234.5, "$1,234.50"),
    ],
)
def test_it_shows_money_in_dollars(amount, shown):
    assert catalog.usd(amount) == shown


UNKNOWN_COSTS = [
    ("text-to-video", gen("ltx-2-5-fast", duration=None), {}),  # automatic duration
    ("text-to-video", gen("ltx-2-5-fast", duration="auto"), {}),
    ("audio-to-video", {"prompt": "x"}, {}),  # audio not probed yet
    ("retake", {"start_time": 0, "duration": 2}, {}),
    ("video-to-video-hdr", {}, {"video_uri": video(2560, 1440, 24, 3)}),  # 1440p tier price unknown
    ("audio-to-video", {"prompt": "x", "resolution": "1280x720"}, {"audio_uri": audio(5)}),
    ("audio-to-video", {"prompt": "x", "resolution": "3840x2160"}, {"audio_uri": audio(5)}),
    (
        "video-to-video-reframe",
        {"resolution": "1000x1000"},
        {"video_uri": video(duration=5)},
    ),  # an off-list size: no tier, no price
    ("text-to-video", gen("ltx-2-fast"), {}),  # removed
    ("image-to-3d", {}, {}),
]


@pytest.mark.parametrize(("endpoint", "params", "inputs"), UNKNOWN_COSTS)
def test_it_returns_no_cost_when_it_cannot_be_known(endpoint, params, inputs):
    assert catalog.estimate_cost(endpoint, params, inputs) is None


def test_it_marks_unconfirmed_prices():
    confirmed = catalog.estimate("text-to-video", gen("ltx-2-3-fast", "1280x720", duration=6))
    unsure = catalog.estimate("text-to-video", gen("ltx-2-3-pro", duration=8))
    assert confirmed.confirmed and confirmed.note == ""
    assert not unsure.confirmed and "wiki" in unsure.note
    assert (unsure.billed_seconds, unsure.usd_per_second) == (Decimal(8), Decimal("0.08"))


# --- Choices -----------------------------------------------------------------------------------


def test_it_narrows_the_choices_when_the_model_changes():
    pro25 = catalog.choices("text-to-video", "ltx-2-5-pro")
    assert pro25.resolutions == (
        *("1280x720", "720x1280", "1080x720", "720x720"),
        *("1920x1080", "1080x1920", "1080x1080", "1620x1080"),
    )
    assert "1080x1080" in pro25.caveats["resolution"]  # LTX Desktop 1.3 only
    assert "1080x1080" not in catalog.choices("text-to-video", "ltx-2-3-pro").resolutions
    assert pro25.fps == (24, 25, 50)
    assert max(pro25.durations) == 10 and pro25.auto_duration
    fast23 = catalog.choices("text-to-video", "ltx-2-3-fast", "1920x1080", 24)
    assert fast23.durations == (2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20)
    assert not fast23.auto_duration
    assert catalog.choices("text-to-video", "ltx-2-3-fast", "1920x1080", 48).durations == (
        2,
        3,
        4,
        5,
        6,
        8,
        10,
    )


def test_it_falls_back_to_defaults_for_invalid_selections():
    c = catalog.choices("text-to-video", "ltx-2-5-pro", "3840x2160", 48)
    assert (c.model, c.resolution, c.fps_value, c.duration) == ("ltx-2-5-pro", "1920x1080", 24, 6)
    c = catalog.choices("retake", "ltx-2-5-fast")
    assert (c.model, c.resolution, c.resolution_optional) == ("ltx-2-3-pro", None, True)
    assert c.modes[0] == "replace_audio_and_video" and c.duration_range == (2.0, None)
    assert catalog.choices("video-to-video-hdr").models == ()


def test_it_only_offers_choices_that_validate():
    for endpoint in GEN:
        for model in catalog.choices(endpoint).models:
            for resolution in catalog.choices(endpoint, model).resolutions:
                for fps in catalog.choices(endpoint, model, resolution).fps:
                    for duration in catalog.choices(endpoint, model, resolution, fps).durations:
                        assert (
                            catalog.validate(endpoint, gen(model, resolution, fps, duration)) == {}
                        )


def test_it_explains_unconfirmed_options():
    c = catalog.choices("text-to-video", "ltx-2-3-fast", "1920x1080", 24)
    assert set(c.caveats["duration"]) == {2, 3, 4, 5}
    assert "1920x1080" not in c.caveats.get("resolution", {})
    assert "1280x720" in c.caveats["resolution"]
    assert "camera_motion" in c.field_notes
    assert "camera_motion" not in catalog.choices("text-to-video", "ltx-2-3-pro").field_notes
    assert "ltx-2-5-pro" in catalog.choices("audio-to-video").caveats["model"]
    assert "last_frame_uri" in catalog.choices("image-to-video", "ltx-2-5-fast").field_notes
    assert "video_uri" in catalog.choices("retake").field_notes
    assert catalog.caveat("text-to-video", "ltx-2-3-pro", "1920x1080", 24, 8) is None


# --- Request bodies ------------------------------------------------------------------------------


def test_it_builds_only_the_endpoints_fields_with_api_types():
    params = {
        **gen("ltx-2-3-pro", fps="25", duration="8"),
        "generate_audio": "false",
        "seed": 7,
        "start_time": 2,
        "camera_motion": "none",
    }
    body = catalog.build_request("text-to-video", params, {"image_uri": "ltx://uploads/x"})
    assert body == {
        "prompt": "A lighthouse at dusk",
        "model": "ltx-2-3-pro",
        "duration": 8,
        "resolution": "1920x1080",
        "fps": 25,
        "generate_audio": False,
    }


def test_it_always_sends_fps_and_the_model():
    params = gen("ltx-2-5-fast", duration="auto")
    del params["fps"]
    body = catalog.build_request("image-to-video", params, {"image_uri": "ltx://uploads/a"})
    assert body["fps"] == 24 and body["duration"] is None
    body = catalog.build_request(
        "image-to-video",
        {**params, "duration": 6},
        {"image_uri": "ltx://uploads/a", "last_frame_uri": "ltx://uploads/b"},
    )
    assert body["last_frame_uri"] == "ltx://uploads/b"
    # Audio-to-video runs at 25 fps unasked (the OpenAPI): its fps, a field only LTX Desktop
    # names, is sent only when another is chosen (UNSURE_DEFAULTS); so is enhance_prompt off.
    a2v = catalog.build_request("audio-to-video", {"prompt": "x"}, {"audio_uri": "ltx://a"})
    assert a2v == {"audio_uri": "ltx://a", "prompt": "x", "model": "ltx-2-3-pro"}
    a2v = catalog.build_request(
        "audio-to-video", {"prompt": "x", "fps": 50}, {"audio_uri": "ltx://a"}
    )
    assert a2v["fps"] == 50
    t2v = catalog.build_request("text-to-video", gen("ltx-2-3-pro", enhance_prompt=True), {})
    assert "enhance_prompt" not in t2v
    t2v = catalog.build_request("text-to-video", gen("ltx-2-3-pro", enhance_prompt=False), {})
    assert t2v["enhance_prompt"] is False
    retake = catalog.build_request(
        "retake",
        {"start_time": "1", "duration": "2.5", "fps": 24},
        {"video_uri": "ltx://uploads/v"},
    )
    assert retake == {
        "video_uri": "ltx://uploads/v",
        "start_time": 1.0,
        "duration": 2.5,
        "model": "ltx-2-3-pro",
    }


@pytest.mark.parametrize(
    ("endpoint", "params", "uris", "expected"),
    [
        (
            "video-to-video-hdr",
            {"model": "ltx-2-3-pro", "prompt": "x"},
            {"video_uri": "https://e.com/v.mp4"},
            {"video_uri": "https://e.com/v.mp4"},
        ),
        (
            "audio-to-video",
            {"prompt": "", "guidance_scale": "9"},
            {"audio_uri": "ltx://a", "image_uri": "ltx://i"},
            {
                "audio_uri": "ltx://a",
                "image_uri": "ltx://i",
                "guidance_scale": 9.0,
                "model": "ltx-2-3-pro",
            },
        ),
        (
            "audio-to-video",
            {"prompt": "rain", "fps": "48", "camera_motion": "dolly_in", "resolution": "3840x2160"},
            {"audio_uri": "ltx://a", "last_frame_uri": "ltx://l"},
            {
                "audio_uri": "ltx://a",
                "last_frame_uri": "ltx://l",
                "prompt": "rain",
                "resolution": "3840x2160",
                "fps": 48,
                "camera_motion": "dolly_in",
                "model": "ltx-2-3-pro",
            },
        ),
        (
            "text-to-video",
            gen("ltx-2-5-fast", "1080x1080", 25, 6, enhance_prompt="false"),
            {},
            {**gen("ltx-2-5-fast", "1080x1080", 25, 6), "enhance_prompt": False},
        ),
        (
            "video-to-video-hdr",
            {"output_colorspace": "aces2065-1"},
            {"video_uri": "ltx://v"},
            {"video_uri": "ltx://v", "output_colorspace": "aces2065-1"},
        ),
        (
            "video-to-video-reframe",
            {"resolution": "720x720", "placement": "top_left"},
            {"video_uri": "ltx://v"},
            {
                "video_uri": "ltx://v",
                "model": "ltx-2-3-pro",
                "resolution": "720x720",
                "placement": "top_left",
            },
        ),
        (
            "video-to-video-reframe",
            {"resolution": "720x720", "placement": {"x": "0", "y": 0, "width": 1, "height": 0.5}},
            {"video_uri": "ltx://v"},
            {
                "video_uri": "ltx://v",
                "model": "ltx-2-3-pro",
                "resolution": "720x720",
                "placement": {"x": 0.0, "y": 0.0, "width": 1.0, "height": 0.5},
            },
        ),
        (
            "extend",
            {"duration": 4, "context": "2", "mode": "start", "resolution": "1920x1080"},
            {"video_uri": "ltx://v"},
            {
                "video_uri": "ltx://v",
                "duration": 4.0,
                "mode": "start",
                "model": "ltx-2-3-pro",
                "context": 2.0,
            },
        ),
        (
            "video-to-video-reframe",
            {"model": "ltx-2-3-pro", "resolution": "1080x1350"},
            {"video_uri": "ltx://v"},
            {"video_uri": "ltx://v", "model": "ltx-2-3-pro", "resolution": "1080x1350"},
        ),
    ],
)
def test_it_builds_bodies_for_every_endpoint(endpoint, params, uris, expected):
    assert catalog.build_request(endpoint, params, uris) == expected


def test_it_refuses_to_build_an_invalid_request():
    with pytest.raises(catalog.InvalidRequest) as caught:
        catalog.build_request(
            "retake", {"model": "ltx-2-3-fast", "start_time": 0, "duration": 3}, {}
        )
    assert set(caught.value.errors) == {"model", "video_uri"}


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-100, 100),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["8", "auto", "1920x1080", "ltx-2-3-pro", "24", "end"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    endpoint=st.sampled_from(sorted(catalog.ENDPOINTS)),
    params=st.dictionaries(
        st.sampled_from(
            [
                "prompt",
                "model",
                "duration",
                "resolution",
                "fps",
                "generate_audio",
                "camera_motion",
                "start_time",
                "mode",
                "context",
                "guidance_scale",
            ]
        ),
        _values,
    ),
)
def test_it_never_crashes_on_odd_values(endpoint, params):
    uris = {role: "ltx://x" for role in catalog.ENDPOINTS[endpoint].input_roles}
    errors = catalog.validate(endpoint, {**params, **uris})
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)
    try:
        body = catalog.build_request(endpoint, params, uris)
    except catalog.InvalidRequest:
        assert errors
    else:
        assert not errors and set(body) <= set(catalog.ENDPOINTS[endpoint].fields)
    catalog.estimate_cost(endpoint, params)


def test_it_prices_no_absurd_length():
    """Found by the property test above: 1.67e27 s overflowed the cents rounding."""
    params = {"model": "ltx-2-3-fast", "resolution": "1920x1080", "fps": 24}
    assert catalog.estimate_cost("image-to-video", {**params, "duration": 1.67e27}) is None
    assert catalog.estimate_cost("image-to-video", {**params, "duration": float("inf")}) is None
    assert catalog.estimate_cost("image-to-video", {**params, "duration": 6}) is not None


# --- Labels and limits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "label"),
    [
        ("1920x1080", "1080p landscape"),
        ("1080x1920", "1080p portrait"),
        ("3840x2160", "4K landscape"),
        ("720x720", "720p square"),
        ("1080x1350", "1080p portrait 4:5"),
        ("900x720", "720p landscape 5:4"),
        ("junk", "junk"),
    ],
)
def test_it_labels_resolutions(resolution, label):
    assert catalog.resolution_label(resolution) == label


def test_it_labels_models_and_defaults():
    assert catalog.model_label("ltx-2-5-pro") == "LTX-2.5 Pro"
    assert catalog.default_model("audio-to-video") == "ltx-2-3-pro"
    assert catalog.default_model("video-to-video-hdr") is None
    assert set(catalog.current_models()) == {
        "ltx-2-3-fast",
        "ltx-2-3-pro",
        "ltx-2-5-fast",
        "ltx-2-5-pro",
    }


def test_it_gives_upload_limits_per_method_and_role():
    limits = catalog.upload_limits()
    assert limits["upload"] == {"image": 100_000_000, "video": 100_000_000, "audio": 100_000_000}
    assert (limits["url"]["image"], limits["url"]["video"]) == (15_000_000, 32_000_000)
    assert (limits["data_uri"]["image"], limits["data_uri"]["audio"]) == (7_000_000, 15_000_000)
    role = catalog.input_limit("last_frame_uri", "url")
    assert (role.kind, role.max_bytes, role.mime_types) == (
        "image",
        15_000_000,
        ("image/png", "image/jpeg", "image/webp"),
    )
    assert "video/quicktime" in catalog.accept_attribute("video_uri")


def test_a_reframe_to_the_sources_own_frame_is_refused():
    """It would be a paid copy of the clip ($1.20 for 6 s of 1080p)."""
    params = {"model": "ltx-2-3-pro", "resolution": "1920x1080"}
    errors = catalog.validate("video-to-video-reframe", params, {"video_uri": video()})
    assert "already 1920x1080" in errors["resolution"][0]
    params["resolution"] = "1080x1920"
    assert catalog.validate("video-to-video-reframe", params, {"video_uri": video()}) == {}


def test_a_reframe_has_no_default_frame():
    choices = catalog.choices("video-to-video-reframe", "ltx-2-3-pro")
    assert choices.resolution is None and choices.resolution_chosen
    errors = catalog.validate(
        "video-to-video-reframe", {"model": "ltx-2-3-pro"}, {"video_uri": video()}
    )
    assert errors["resolution"] == ["Choose the new frame size."]


# --- The newer facts (LTX Desktop 1.3, the Comfy Router, the changelog summary) -------------------


def test_audio_to_video_offers_frame_rates_camera_motion_and_a_last_frame():
    c = catalog.choices("audio-to-video")
    assert (c.fps, c.fps_value, c.resolution) == ((24, 25, 48, 50), 25, None)
    assert set(c.caveats["fps"]) == {24, 48, 50}  # only 25 fps is in the OpenAPI spec
    assert c.camera_motions == catalog.CAMERA_MOTIONS
    assert {"camera_motion", "last_frame_uri"} <= set(c.field_notes)
    assert catalog.ENDPOINTS["audio-to-video"].input_roles["last_frame_uri"] is False
    pro25 = catalog.choices("audio-to-video", "ltx-2-5-pro")
    assert pro25.resolutions == ("1280x720", "720x1280", "1920x1080", "1080x1920")
    assert pro25.fps == (24, 25, 50)
    fast25 = catalog.choices("audio-to-video", "ltx-2-5-fast")
    assert fast25.resolutions[-1] == "2160x3840"
    assert "3840x2160" in fast25.caveats["resolution"]


def test_audio_caps_follow_the_resolution_tier():
    for resolution, cap in [
        ("1280x720", 20),
        ("1920x1080", 20),
        ("2560x1440", 10),
        ("3840x2160", 10),
    ]:
        params = {"prompt": "x", "resolution": resolution}
        assert catalog.validate("audio-to-video", params, {"audio_uri": audio(cap)}) == {}
        errors = catalog.validate("audio-to-video", params, {"audio_uri": audio(cap + 0.5)})
        assert f"2 to {cap} seconds" in errors["audio_uri"][0]


def test_automatic_duration_and_a_last_frame_get_one_clear_message():
    params = gen("ltx-2-5-fast", duration="auto", last_frame_uri="ltx://l")
    errors = catalog.validate("image-to-video", {**params, "image_uri": "ltx://i"})
    assert errors == {
        "duration": [
            "Automatic duration can't be combined with a last frame: choose a duration, "
            "or remove the last frame."
        ]
    }
    # Text-to-video takes no last frame: nothing to combine.
    assert catalog.validate("text-to-video", gen("ltx-2-5-fast", duration=None)) == {}


def test_hdr_and_reframe_offer_their_new_lists():
    hdr = catalog.choices("video-to-video-hdr")
    assert hdr.field_choices == {"output_colorspace": catalog.OUTPUT_COLORSPACES}
    assert catalog.OUTPUT_COLORSPACES[0] == "acescg"  # the API's default comes first
    assert "output_colorspace" in hdr.field_notes
    reframe = catalog.choices("video-to-video-reframe")
    assert reframe.field_choices == {"placement": catalog.PLACEMENT_ANCHORS}
    assert {"center", "top", "bottom_right"} <= set(catalog.PLACEMENT_ANCHORS)
    assert catalog.choices("text-to-video").field_choices == {
        "camera_motion": catalog.CAMERA_MOTIONS
    }
    # No body carries a field its endpoint does not take.
    body = catalog.build_request(
        "video-to-video-hdr",
        {"placement": "top", "output_colorspace": ""},
        {"video_uri": "ltx://v"},
    )
    assert body == {"video_uri": "ltx://v"}


def test_enhance_prompt_is_text_to_video_only():
    assert catalog.ENDPOINTS["text-to-video"].takes("enhance_prompt")
    assert not any(
        spec.takes("enhance_prompt")
        for slug, spec in catalog.ENDPOINTS.items()
        if slug != "text-to-video"
    )
    assert "enhance_prompt" in catalog.choices("text-to-video").field_notes
    body = catalog.build_request(
        "image-to-video", gen("ltx-2-3-pro", enhance_prompt=True), {"image_uri": "ltx://i"}
    )
    assert "enhance_prompt" not in body


def test_hdr_and_reframe_take_larger_videos_by_url():
    for endpoint in ("video-to-video-hdr", "video-to-video-reframe"):
        assert catalog.upload_limits(endpoint)["url"]["video"] == 200_000_000
        assert catalog.input_limit("video_uri", "url", endpoint).max_bytes == 200_000_000
        assert catalog.upload_limits(endpoint)["upload"]["video"] == 100_000_000
    assert catalog.upload_limits("retake")["url"]["video"] == 32_000_000
    assert catalog.input_limit("video_uri", "url").max_bytes == 32_000_000


@pytest.mark.parametrize(
    ("resolution", "label"),
    [
        ("1620x1080", "1080p landscape 3:2"),
        ("1080x720", "720p landscape 3:2"),
        ("1080x1080", "1080p square"),
    ],
)
def test_it_labels_ltx_2_5_sizes(resolution, label):
    assert catalog.resolution_label(resolution) == label
