"""The catalog's data: every endpoint, model, valid combination, price and media limit.

Code elsewhere reads only these tables; no other module names a model. See the package
docstring (`ltxdash/ltx/catalog/__init__.py`) for how to update them.

Sources, cited by short name in the `note` / `source` of each row:
- "OpenAPI": docs.ltx.io/openapi.json (archived copy, Jul 2026) - request fields, enums, limits.
- "models page": docs.ltx.video/models (old copy; only the LTX-2 matrix).
- "pricing page": docs.ltx.io/pricing (third-party transcription, Oct 2026).
- "LTX Desktop": Lightricks/LTX-Desktop backend/api_model_specs.py + ltx_capabilities.py (2026-08-20),
  Lightricks' own client; the best public source for the LTX-2.3 / LTX-2.5 matrix.
- "LTX Desktop 1.3": the same client's v1.3.0 (2026-10-09): audio-to-video's fields, tiers and
  caps, LTX-2.5's square and 3:2 sizes, `enhance_prompt`, 403 as an invalid key.
- "ComfyUI": ComfyUI's LTX API nodes (nodes_ltxv.py) and the Comfy Router schema.
- "Comfy Router": docs.comfy.org's LTX model pages, generated from the schema the router checks
  requests against: HDR's `output_colorspace` and MP4 output, reframe's `placement`, 200 MB URLs.
- "changelog summary": a third-party summary of LTX's API changelog (2026-08-16 to 09-02).
- "fal" / "wiki": reseller list prices and a third-party notes wiki (secondary).

`confirmed=False` marks a row that rests only on secondary sources or on sources that disagree;
the UI shows its `note` next to the option.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from .specs import Combo, EndpointSpec, MediaKind, ModelSpec, Price

# --- Models ---------------------------------------------------------------------------------

MODELS: dict[str, ModelSpec] = {
    m.id: m
    for m in (
        ModelSpec(
            "ltx-2-3-fast", "LTX-2.3 Fast", "LTX-2.3", "fast", released=datetime.date(2026, 3, 5)
        ),
        ModelSpec(
            "ltx-2-3-pro", "LTX-2.3 Pro", "LTX-2.3", "pro", released=datetime.date(2026, 3, 5)
        ),
        # LTX-2.5: launch date from the wiki; `duration: null` ("automatic duration") from LTX Desktop.
        ModelSpec(
            "ltx-2-5-fast",
            "LTX-2.5 Fast",
            "LTX-2.5",
            "fast",
            released=datetime.date(2026, 8, 11),
            auto_duration=True,
        ),
        ModelSpec(
            "ltx-2-5-pro",
            "LTX-2.5 Pro",
            "LTX-2.5",
            "pro",
            released=datetime.date(2026, 8, 11),
            auto_duration=True,
        ),
        # Removed 2026-08-15 (docs.ltx.video/ltx-2-deprecation): the API now answers with an error.
        ModelSpec(
            "ltx-2-fast",
            "LTX-2 Fast",
            "LTX-2",
            "fast",
            status="removed",
            removed_on=datetime.date(2026, 8, 15),
            replacement="ltx-2-3-fast",
        ),
        ModelSpec(
            "ltx-2-pro",
            "LTX-2 Pro",
            "LTX-2",
            "pro",
            status="removed",
            removed_on=datetime.date(2026, 8, 15),
            replacement="ltx-2-3-pro",
        ),
    )
}

# --- Resolutions ----------------------------------------------------------------------------
# The API has no aspect-ratio field: orientation comes from the "WIDTHxHEIGHT" string.

R720 = ("1280x720", "720x1280")
R1080 = ("1920x1080", "1080x1920")
R1440 = ("2560x1440", "1440x2560")
R4K = ("3840x2160", "2160x3840")
# LTX-2.5 only (LTX Desktop 1.3): square and 3:2 landscape, at the sizes that client sends.
R25_SQUARE_3_2 = ("1080x720", "720x720", "1620x1080", "1080x1080")
REFRAME_RESOLUTIONS = (
    "1280x720",
    "720x1280",
    "720x720",
    "720x900",
    "900x720",
    "1920x1080",
    "1080x1920",
    "1080x1080",
    "1080x1350",
    "1350x1080",
)

FPS_ALL = (24, 25, 48, 50)  # 24 and 48 arrived with LTX-2.3 (changelog)
SHORT = (2, 3, 4, 5)
STANDARD = (6, 8, 10)
LONG = (12, 14, 16, 18, 20)

# --- Endpoints ------------------------------------------------------------------------------
# `models` is filled in below from COMBOS, so each model/endpoint pairing is written once.

_GEN_FIELDS = (
    "prompt",
    "model",
    "duration",
    "resolution",
    "fps",
    "generate_audio",
    "camera_motion",
)
# True/false fields: validate() checks them and build_request() sends them the same way for
# every endpoint that takes one (the fields whose value is one of a list: FIELD_CHOICES below).
BOOLEAN_FIELDS = ("generate_audio", "enhance_prompt")

# Fields only secondary sources say an endpoint takes, with the value the API applies without
# them: sent only when a request asks for something else, so a request left at the default is
# exactly what the OpenAPI documents (should LTX refuse the field, only those requests fail).
UNSURE_DEFAULTS: dict[tuple[str, str], object] = {
    ("audio-to-video", "fps"): 25,
    ("text-to-video", "enhance_prompt"): True,
}

_ENDPOINTS = (
    EndpointSpec(
        slug="text-to-video",
        label="Text → Video",
        description="Make a clip from a written prompt.",
        fields=(*_GEN_FIELDS, "enhance_prompt"),
        required_fields=("prompt", "model", "duration", "resolution"),
        input_roles={},
        bills_on="output_seconds",
        result_keys=("video_url",),
        default_model="ltx-2-3-fast",
        duration_kind="int",
    ),
    EndpointSpec(
        slug="image-to-video",
        label="Image → Video",
        description="Animate a still image (optionally towards a last frame).",
        fields=("image_uri", "last_frame_uri", *_GEN_FIELDS),
        required_fields=("image_uri", "prompt", "model", "duration", "resolution"),
        input_roles={"image_uri": True, "last_frame_uri": False},
        bills_on="output_seconds",
        result_keys=("video_url",),
        default_model="ltx-2-3-fast",
        duration_kind="int",
    ),
    EndpointSpec(
        slug="audio-to-video",
        label="Audio → Video",
        description="Make a clip that follows a 2 to 20 second soundtrack; the audio sets the length.",
        fields=(
            "audio_uri",
            "image_uri",
            "last_frame_uri",
            "prompt",
            "resolution",
            "fps",
            "guidance_scale",
            "camera_motion",
            "model",
        ),
        required_fields=("audio_uri",),
        input_roles={"audio_uri": True, "image_uri": False, "last_frame_uri": False},
        bills_on="input_audio_seconds",
        result_keys=("video_url",),
        default_model="ltx-2-3-pro",  # the OpenAPI default
        default_fps=25,  # the OpenAPI's "output is 25 fps", from before the field existed
    ),
    EndpointSpec(
        slug="retake",
        label="Retake",
        description="Regenerate a section of an existing clip and keep the rest.",
        fields=("video_uri", "prompt", "start_time", "duration", "mode", "resolution", "model"),
        required_fields=("video_uri", "start_time", "duration"),
        input_roles={"video_uri": True},
        bills_on="input_video_seconds",
        result_keys=("video_url",),
        default_model="ltx-2-3-pro",
        duration_kind="float",
        # At least 2 s; no maximum is documented (a section past the end is clamped to the clip).
        duration_range=(2.0, None),
    ),
    EndpointSpec(
        slug="extend",
        label="Extend",
        description="Add 2 to 20 seconds at the start or end of an existing clip.",
        fields=("video_uri", "prompt", "duration", "mode", "model", "context"),
        required_fields=("video_uri", "duration"),
        input_roles={"video_uri": True},
        bills_on="extension_plus_context",
        result_keys=("video_url",),
        default_model="ltx-2-3-pro",
        duration_kind="float",
        duration_range=(2.0, 20.0),
    ),
    EndpointSpec(
        slug="video-to-video-hdr",
        label="HDR",
        description="Convert an SDR clip to HDR: a ZIP of EXR frames and an HDR MP4.",
        fields=("video_uri", "output_colorspace"),
        required_fields=("video_uri",),
        input_roles={"video_uri": True},
        bills_on="input_video_seconds",
        # The MP4 (10-bit HEVC, BT.2020/HLG) comes beside the frames: Comfy Router.
        result_keys=("exr_frames_url", "video_url"),
        default_model=None,
    ),
    EndpointSpec(
        slug="video-to-video-reframe",
        label="Reframe",
        description="Outpaint a clip to a new frame shape (square, 4:5, 9:16, ...).",
        fields=("video_uri", "model", "resolution", "placement"),
        # The OpenAPI requires `model`, the Comfy Router's example omits it: we always send it.
        required_fields=("video_uri", "resolution"),
        input_roles={"video_uri": True},
        bills_on="input_video_seconds",
        result_keys=("video_url",),
        default_model="ltx-2-3-pro",
    ),
)

GEN = ("text-to-video", "image-to-video")
A2V = ("audio-to-video",)

# --- Valid combinations -----------------------------------------------------------------------
# A request is valid when at least one row contains it; it is "confirmed" when a confirmed row does.

_UNSURE_SHORT = (
    "2 to 5 s clips: allowed by Lightricks' LTX Desktop since 2026-08-20 and seen working on the "
    "live API for 2 s; older docs said 6 s minimum."
)
_UNSURE_720_23 = (
    "720p on LTX-2.3: LTX Desktop (since 2026-08-20) and 720p price rows; not on the models page."
)
_UNSURE_A2V_RES = (
    "Sources disagree: the OpenAPI spec lists only 1080p for audio-to-video; LTX Desktop 1.3 "
    "allows 720p to 4K (audio up to 10 s above 1080p)."
)
_UNSURE_A2V_FPS = (
    "Audio-to-video frame rates other than 25: LTX Desktop 1.3 and a third-party changelog "
    "summary (2026-08-19); the OpenAPI spec has no fps field and says the output is 25 fps."
)
_UNSURE_25_SIZES = (
    "Square and 3:2 sizes on LTX-2.5: LTX Desktop 1.3 only (2026-10-09); not in LTX's docs."
)

COMBOS: tuple[Combo, ...] = (
    # Text/image-to-video. LTX Desktop + ComfyUI: 6/8/10 s everywhere; over 10 s only on Fast at
    # 720p/1080p and 24/25 fps; 2.5 Pro is 720p/1080p at 24/25/50 (no 48) up to 10 s.
    Combo(
        GEN, ("ltx-2-3-fast", "ltx-2-3-pro", "ltx-2-5-fast"), R1080 + R1440 + R4K, FPS_ALL, STANDARD
    ),
    Combo(GEN, ("ltx-2-5-fast",), R720, FPS_ALL, STANDARD),
    Combo(GEN, ("ltx-2-5-pro",), R720 + R1080, (24, 25, 50), STANDARD),
    Combo(GEN, ("ltx-2-3-fast", "ltx-2-5-fast"), R1080, (24, 25), LONG),
    Combo(GEN, ("ltx-2-5-fast",), R720, (24, 25), LONG),
    Combo(
        GEN,
        ("ltx-2-3-fast", "ltx-2-3-pro"),
        R720,
        FPS_ALL,
        STANDARD,
        confirmed=False,
        note=_UNSURE_720_23,
    ),
    Combo(GEN, ("ltx-2-3-fast",), R720, (24, 25), LONG, confirmed=False, note=_UNSURE_720_23),
    Combo(
        GEN,
        ("ltx-2-3-fast", "ltx-2-3-pro", "ltx-2-5-fast"),
        R720 + R1080 + R1440 + R4K,
        FPS_ALL,
        SHORT,
        confirmed=False,
        note=_UNSURE_SHORT,
    ),
    Combo(
        GEN,
        ("ltx-2-5-pro",),
        R720 + R1080,
        (24, 25, 50),
        SHORT,
        confirmed=False,
        note=_UNSURE_SHORT,
    ),
    # LTX-2.5's square and 3:2 sizes follow the 720p/1080p rules of each tier.
    Combo(
        GEN,
        ("ltx-2-5-fast",),
        R25_SQUARE_3_2,
        FPS_ALL,
        SHORT + STANDARD,
        confirmed=False,
        note=_UNSURE_25_SIZES,
    ),
    Combo(
        GEN,
        ("ltx-2-5-fast",),
        R25_SQUARE_3_2,
        (24, 25),
        LONG,
        confirmed=False,
        note=_UNSURE_25_SIZES,
    ),
    Combo(
        GEN,
        ("ltx-2-5-pro",),
        R25_SQUARE_3_2,
        (24, 25, 50),
        SHORT + STANDARD,
        confirmed=False,
        note=_UNSURE_25_SIZES,
    ),
    # Audio-to-video: as long as the audio. OpenAPI: Pro only, 1080p, output 25 fps, no fps field.
    # LTX Desktop: 2.5 Fast too ("does not accept ltx-2-3-fast"); ComfyUI also offers 2.5 Pro.
    # LTX Desktop 1.3 + changelog summary: fps 24/25/48/50; 720p to 4K on 2.3 Pro and 2.5 Fast,
    # with the audio capped at 10 s above 1080p; 2.5 Pro stays 720p/1080p.
    Combo(A2V, ("ltx-2-3-pro", "ltx-2-5-fast"), R1080, (25,)),
    Combo(
        A2V,
        ("ltx-2-3-pro", "ltx-2-5-fast"),
        R1080,
        (24, 48, 50),
        confirmed=False,
        note=_UNSURE_A2V_FPS,
    ),
    Combo(
        A2V,
        ("ltx-2-5-pro",),
        R720 + R1080,
        (24, 25, 50),
        max_input_seconds=10,
        confirmed=False,
        note="LTX-2.5 Pro audio-to-video: ComfyUI only; audio appears capped at 10 s (LTX Desktop, "
        "fal); 720p/1080p only (LTX Desktop 1.3).",
    ),
    Combo(
        A2V, ("ltx-2-3-pro", "ltx-2-5-fast"), R720, FPS_ALL, confirmed=False, note=_UNSURE_A2V_RES
    ),
    Combo(
        A2V,
        ("ltx-2-3-pro", "ltx-2-5-fast"),
        R1440 + R4K,
        FPS_ALL,
        max_input_seconds=10,
        confirmed=False,
        note=_UNSURE_A2V_RES,
    ),
    # Edits: Pro 2.3 only (OpenAPI enums; LTX Desktop's RetakeExtendModel; not 2.5).
    Combo(("retake",), ("ltx-2-3-pro",), R1080),
    Combo(("extend",), ("ltx-2-3-pro",)),  # the output keeps the input's resolution
    Combo(("video-to-video-hdr",), (None,)),  # no model field
    Combo(("video-to-video-reframe",), ("ltx-2-3-pro",), REFRAME_RESOLUTIONS),
)

ENDPOINTS: dict[str, EndpointSpec] = {}
for _spec in _ENDPOINTS:
    _models = tuple(
        dict.fromkeys(m for c in COMBOS if _spec.slug in c.endpoints for m in c.models if m)
    )
    ENDPOINTS[_spec.slug] = EndpointSpec(**{**_spec.__dict__, "models": _models})

# Endpoints whose `resolution` may be omitted: the API then follows the input's orientation.
RESOLUTION_OPTIONAL = frozenset({"audio-to-video", "retake"})
# Endpoints where the person picks the resolution, with no default: a reframe's default would
# otherwise be the source's own size, a paid copy of it.
RESOLUTION_CHOSEN = frozenset({"video-to-video-reframe"})

CAMERA_MOTIONS = (
    "static",
    "dolly_in",
    "dolly_out",
    "dolly_left",
    "dolly_right",
    "jib_up",
    "jib_down",
    "focus_shift",
)
# HDR's colour space of the EXR frames (Comfy Router); the first is the API's default.
OUTPUT_COLORSPACES = ("acescg", "acescct", "srgb_linear", "aces2065-1")
# Reframe's `placement` as an anchor: where the source sits in the new frame (Comfy Router names
# center, top, bottom_right, ...; the other six anchors follow that pattern). The API also takes
# fractions {"x", "y", "width", "height"} of the new frame, accepted by validate().
PLACEMENT_ANCHORS = (
    "center",
    "top",
    "bottom",
    "left",
    "right",
    "top_left",
    "top_right",
    "bottom_left",
    "bottom_right",
)
PLACEMENT_FRACTIONS = ("x", "y", "width", "height")
# Every field whose value is one of a list: validate() and the form use it for any endpoint
# that takes the field. "" (or "none" for camera motion) leaves the field out of the request.
FIELD_CHOICES: dict[str, tuple[str, ...]] = {
    "camera_motion": CAMERA_MOTIONS,
    "output_colorspace": OUTPUT_COLORSPACES,
    "placement": PLACEMENT_ANCHORS,
}
# LTX Desktop offers camera motion only on Pro ("a named LoRA on the Pro stack"); the OpenAPI
# spec does not restrict it. Accepted on Fast, with this caveat shown.
CAMERA_MOTION_FAST_NOTE = (
    "Camera motion is unconfirmed on Fast models (LTX Desktop offers it on Pro only)."
)
# The OpenAPI note says LTX-2.3 only; ComfyUI's LTX-2.5 image-to-video node sends it too.
LAST_FRAME_NOTE = {
    "ltx-2-5-fast": "Last frame on LTX-2.5 is unconfirmed (ComfyUI sends it; the OpenAPI note says 2.3 only).",
    "ltx-2-5-pro": "Last frame on LTX-2.5 is unconfirmed (ComfyUI sends it; the OpenAPI note says 2.3 only).",
}

# First value is the API default.
MODES: dict[str, tuple[str, ...]] = {
    "retake": ("replace_audio_and_video", "replace_audio", "replace_video"),
    "extend": ("end", "start"),
}

DEFAULT_RESOLUTION = "1920x1080"
# OpenAPI says fps defaults to 24, the Comfy Router schema says 25: we always send it, this one
# unless the endpoint names its own (`EndpointSpec.default_fps`).
DEFAULT_FPS = 24
DEFAULT_DURATION = 6

# --- Prices (USD per billed second) -----------------------------------------------------------
# T2V and I2V cost the same; portrait and landscape cost the same. Unknown tiers have no row and
# the estimate is then "unknown". Not listed: a $0.39/s 4K row for ltx-2-5-pro on the pricing page,
# because no client allows 4K on 2.5 Pro.

_WIKI = "third-party wiki (Apr 2026 prices)"
_PRICING = "docs.ltx.io/pricing (Oct 2026 transcription)"
_FAL = "fal.ai list prices (matches ComfyUI's badges)"
D = Decimal

PRICES: tuple[Price, ...] = (
    Price(GEN, "ltx-2-3-fast", "720p", D("0.03"), True, _PRICING),
    Price(GEN, "ltx-2-3-fast", "1080p", D("0.06"), False, f"{_WIKI}; {_FAL}"),
    Price(GEN, "ltx-2-3-fast", "1440p", D("0.12"), False, f"{_WIKI}; {_FAL}"),
    Price(GEN, "ltx-2-3-fast", "4k", D("0.24"), False, f"{_WIKI}; {_FAL}"),
    Price(GEN, "ltx-2-3-pro", "720p", D("0.04"), False, _WIKI),
    Price(GEN, "ltx-2-3-pro", "1080p", D("0.08"), False, f"{_WIKI}; {_FAL}"),
    Price(GEN, "ltx-2-3-pro", "1440p", D("0.16"), True, _PRICING),
    Price(GEN, "ltx-2-3-pro", "4k", D("0.32"), False, f"{_WIKI}; {_FAL}"),
    Price(GEN, "ltx-2-5-fast", "720p", D("0.09"), True, _PRICING),
    Price(GEN, "ltx-2-5-fast", "1080p", D("0.13"), False, _WIKI),
    Price(GEN, "ltx-2-5-fast", "1440p", D("0.19"), False, _WIKI),
    Price(GEN, "ltx-2-5-fast", "4k", D("0.30"), False, _WIKI),
    Price(GEN, "ltx-2-5-pro", "720p", D("0.12"), False, _WIKI),
    Price(GEN, "ltx-2-5-pro", "1080p", D("0.17"), False, _WIKI),
    # Audio-to-video bills the input audio's seconds; only 1080p prices are known.
    Price(A2V, "ltx-2-3-pro", "1080p", D("0.10"), True, _PRICING),
    Price(A2V, "ltx-2-5-fast", "1080p", D("0.13"), False, _FAL),
    Price(A2V, "ltx-2-5-pro", "1080p", D("0.17"), False, _FAL),
    # Retake bills the whole input video; extend bills extension + context (max 505 frames).
    Price(("retake",), "ltx-2-3-pro", "1080p", D("0.10"), True, _PRICING),
    Price(("extend",), "ltx-2-3-pro", "1080p", D("0.10"), True, _PRICING),
    # HDR bills input seconds by input tier (the 1440p tier's price was not captured).
    Price(("video-to-video-hdr",), None, "1080p", D("0.20"), True, _PRICING),
    Price(("video-to-video-hdr",), None, "4k", D("0.80"), True, _PRICING),
    # Reframe bills input seconds by output tier.
    Price(("video-to-video-reframe",), "ltx-2-3-pro", "720p", D("0.10"), True, _PRICING),
    Price(("video-to-video-reframe",), "ltx-2-3-pro", "1080p", D("0.20"), False, _FAL),
)

# --- Media limits (OpenAPI unless noted) ------------------------------------------------------

MIN_INPUT_FRAMES = 73  # retake and extend inputs (about 3 s at 24 fps)
MAX_INPUT_LONG_SIDE, MAX_INPUT_SHORT_SIDE = 3840, 2160  # 4K, either orientation
EXTEND_MAX_FRAMES = 505  # context + duration, counted at the input's fps
EXTEND_MAX_CONTEXT_SECONDS = 20.0
AUDIO_SECONDS = (2.0, 20.0)  # audio-to-video input
# HDR: an input is placed in the smallest tier that fits by pixel count.
HDR_TIERS = (("1080p", 1920 * 1080, 181), ("1440p", 2560 * 1440, 101), ("4k", 3840 * 2160, 41))
REFRAME_MAX_SECONDS, REFRAME_MAX_FRAMES = 60.0, 1800
# Only the wiki states a prompt cap (5,000 characters); unverified, but a sane bound for a form.
PROMPT_MAX_CHARS = 5000
# Ceilings on every input file, read from its header before anything is decoded (a 641 kB PNG
# can declare 13000x13000 pixels, 500 MB once decoded). Not API limits: LTX states none for
# images or for the length of a retake input; these are bounds no useful input reaches (8K UHD,
# 7680x4320, is 33 megapixels; the longest stated maximum is reframe's 60 s and 1,800 frames).
MAX_INPUT_SIDE = 8192  # pixels, either side, images and video frames alike
MAX_INPUT_PIXELS = 40_000_000  # width x height
MAX_INPUT_SECONDS = 600.0  # video and audio
MAX_INPUT_FRAMES = 36_000  # ten minutes at 60 fps
# Unconfirmed limits, shown to the user but not enforced: {endpoint: {field: note}}.
FIELD_NOTES: dict[str, dict[str, str]] = {
    "text-to-video": {
        "enhance_prompt": "LTX rewrites the prompt in more detail first. Unconfirmed: only LTX "
        "Desktop 1.3 sends it (on by default); not in LTX's docs.",
    },
    "audio-to-video": {
        "camera_motion": "Unconfirmed on audio-to-video: LTX Desktop 1.3 and a changelog summary "
        "(2026-08-19); not in the OpenAPI spec.",
        "last_frame_uri": "Optional: the clip moves towards this frame. Unconfirmed: LTX Desktop "
        "1.3 and a changelog summary (2026-08-19); not in the OpenAPI spec.",
    },
    "retake": {
        "video_uri": "An older ComfyUI retake node limits the input to 20 s and 505 frames "
        "(unconfirmed; the OpenAPI spec states no maximum).",
    },
    "video-to-video-hdr": {
        "output_colorspace": "The colour space of the EXR frames; ACEScg when left empty. "
        "Unconfirmed: only the Comfy Router's schema lists it.",
    },
    "video-to-video-reframe": {
        "placement": "Where the clip sits in the new frame; the centre when left empty. "
        "Unconfirmed: only the Comfy Router's schema lists it.",
    },
}
# Reframe: each side of the new frame (Comfy Router). The form offers the OpenAPI's sizes; an
# API caller may ask for another size within these bounds (unconfirmed, shown as such).
REFRAME_SIDE_RANGE = (64, 4096)
REFRAME_OTHER_SIZE_NOTE = (
    "Sizes outside the OpenAPI list: the Comfy Router's schema allows each side from 64 to "
    "4096 px (unconfirmed)."
)

# Accepted formats (docs "input formats" page). Canonical MIME types, as media.probe() reports them.
MIME_TYPES: dict[str, tuple[str, ...]] = {
    "image": ("image/png", "image/jpeg", "image/webp"),
    "video": ("video/mp4", "video/quicktime", "video/x-matroska"),
    "audio": ("audio/wav", "audio/mpeg", "audio/mp4", "audio/ogg"),
}
VIDEO_CODECS = ("h264", "hevc")
ROLE_KINDS: dict[str, MediaKind] = {
    "image_uri": "image",
    "last_frame_uri": "image",
    "audio_uri": "audio",
    "video_uri": "video",
}

# Bytes per input method. The docs say "MB" without defining it; we read it as 10^6 bytes, the
# smaller reading, so a file we accept is never refused for size.
MB = 1_000_000
UPLOAD_LIMITS: dict[str, dict[str, int]] = {
    "upload": {"image": 100 * MB, "video": 100 * MB, "audio": 100 * MB},  # POST /v1/upload + PUT
    "url": {"image": 15 * MB, "video": 32 * MB, "audio": 32 * MB},  # public HTTPS URL
    "data_uri": {"image": 7 * MB, "video": 15 * MB, "audio": 15 * MB},  # encoded size
}
# Endpoints that take more than UPLOAD_LIMITS through one method: {endpoint: {method: {kind: bytes}}}.
# "Up to 200 MB via URL" on the HDR and reframe schemas (Comfy Router; unconfirmed by LTX's docs,
# which say 32 MB for any video by URL).
ENDPOINT_UPLOAD_LIMITS: dict[str, dict[str, dict[str, int]]] = {
    "video-to-video-hdr": {"url": {"video": 200 * MB}},
    "video-to-video-reframe": {"url": {"video": 200 * MB}},
}

# What each result key holds (the OpenAPI descriptions: `result.video_url` an MP4, HDR's
# `exr_frames_url` "a ZIP of per-frame EXR" files; HDR's own `video_url` is an MP4 too). An output is kept only when its content, read
# by ltxdash.media.sniff(), is its key's type; a key not listed here may hold any of these types.
RESULT_MEDIA_TYPES: dict[str, str] = {
    "video_url": "video/mp4",
    "exr_frames_url": "application/zip",
}
OUTPUT_MEDIA_TYPES = frozenset(RESULT_MEDIA_TYPES.values())
