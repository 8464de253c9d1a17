"""The create form's fields as a table: one row per API field (``FIELDS``), saying how to build
its Django field from the catalog's ``Choices`` for the endpoint, with its wording as data.

Wording that differs per endpoint is a mapping from the endpoint's slug to the text, "*" for
every other endpoint. The catalog stays the source of what is offered (models, resolutions,
frame rates, durations, modes, limits); the rows only say how to show it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from django import forms

from ltxdash.generations.forms.values import AUTO, form_name, int_or_none
from ltxdash.ltx import catalog
from ltxdash.ltx.catalog.data import EXTEND_MAX_CONTEXT_SECONDS, PROMPT_MAX_CHARS

type Wording = str | Mapping[str, str]
type Option = tuple[Any, str]
type Builder = Callable[[Build], forms.Field]

# Inputs whose change re-renders the settings and the estimate (templates/generations/create.html).
REFRESH = {"data-refresh": "1"}

# How the page names the values of the catalog's list fields (``catalog.FIELD_CHOICES``); a
# value without a label here is shown as it is sent.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "output_colorspace": {
        "acescg": "ACEScg",
        "acescct": "ACEScct",
        "srgb_linear": "Linear sRGB",
        "aces2065-1": "ACES2065-1",
    },
    "placement": {
        "center": "Centre",
        "top": "Top",
        "bottom": "Bottom",
        "left": "Left",
        "right": "Right",
        "top_left": "Top left",
        "top_right": "Top right",
        "bottom_left": "Bottom left",
        "bottom_right": "Bottom right",
    },
}

EDIT_MODE_LABELS = {
    "replace_audio_and_video": "Picture and sound",
    "replace_audio": "Sound only",
    "replace_video": "Picture only",
    "end": "After the end",
    "start": "Before the start",
}


def worded(wording: Wording, endpoint: str) -> str:
    """The text of ``wording`` for one endpoint."""
    if isinstance(wording, str):
        return wording
    return wording.get(endpoint, wording.get("*", ""))


@dataclass(frozen=True)
class Row:
    """How one API field becomes a form field."""

    build: Builder
    label: Wording = ""
    help: Wording = ""  # a catalog field note, where there is one, replaces it
    placeholder: Wording = ""
    # Selects and choices: the options the catalog's Choices offer, with their labels.
    options: Callable[[catalog.Choices], list[Option]] | None = None
    # Selects: the catalog's own selection (its caveat is shown until the user picks).
    current: Callable[[catalog.Choices], Any] | None = None
    whole: bool = False  # the submitted value is read as a whole number (for its caveat)
    widget: type[forms.Widget] | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    refresh: bool = False  # a change re-renders the settings and the estimate
    defaults: Mapping[str, float] = field(default_factory=dict)  # initial value per endpoint


@dataclass(frozen=True)
class Build:
    """One row being built for one form: the endpoint, its choices and the submitted values."""

    name: str
    row: Row
    spec: catalog.EndpointSpec
    choices: catalog.Choices
    bound: Mapping[str, Any] | None  # the submitted values; None for an unbound form

    @property
    def label(self) -> str:
        return worded(self.row.label, self.spec.slug) or self.name.replace("_", " ").capitalize()

    @property
    def help(self) -> str:
        return self.choices.field_notes.get(self.name) or worded(self.row.help, self.spec.slug)

    @property
    def placeholder(self) -> str:
        return worded(self.row.placeholder, self.spec.slug)

    @property
    def options(self) -> list[Option]:
        return self.row.options(self.choices) if self.row.options else []

    def attrs(self, **first: Any) -> dict[str, Any]:
        """Widget attributes: ``first``, then the refresh marker, then the row's own."""
        return {**first, **(REFRESH if self.row.refresh else {}), **self.row.attrs}


def build_field(
    name: str,
    spec: catalog.EndpointSpec,
    choices: catalog.Choices,
    bound: Mapping[str, Any] | None,
) -> forms.Field:
    """The form field for the API field ``name`` of ``spec``."""
    row = FIELDS.get(name, TEXT)
    return row.build(Build(name, row, spec, choices, bound))


def role_label(role: str) -> str:
    """What the page calls an input role ("Last frame"), for messages about it."""
    row = FIELDS.get(role)
    return worded(row.label, "*") if row else role


def settle_initial(
    spec: catalog.EndpointSpec, c: catalog.Choices, initial: MutableMapping[str, Any]
) -> None:
    """Replace initial values the catalog doesn't offer with its defaults."""
    initial["model"] = c.model or ""
    initial["resolution"] = c.resolution or ""
    initial["fps"] = c.fps_value
    if spec.duration_kind == "int":
        wanted = str(initial.get("duration") or "")
        offered = {str(d) for d in c.durations} | ({AUTO} if c.auto_duration else set())
        initial["duration"] = wanted if wanted in offered else c.duration
    for name, row in FIELDS.items():
        if spec.slug in row.defaults and initial.get(form_name(name)) in (None, ""):
            initial[form_name(name)] = row.defaults[spec.slug]
    initial.setdefault("generate_audio", True)
    initial.setdefault("enhance_prompt", True)  # what LTX Desktop sends unless told otherwise
    if c.modes:
        initial.setdefault(form_name("mode"), c.modes[0])


def resolution_choice_label(resolution: str) -> str:
    """ "1080x1920" -> "1080p · 9:16": short enough for a phone-width select."""
    width, _, height = resolution.partition("x")
    if not (width.isdigit() and height.isdigit()):
        return resolution
    w, h = int(width), int(height)
    divisor = math.gcd(w, h)
    tier = catalog.resolution_label(resolution).split(" ")[0]
    return f"{tier} · {w // divisor}:{h // divisor}"


# --- builders ---------------------------------------------------------------------------------


def text_field(b: Build) -> forms.Field:
    return forms.CharField(label=b.label, required=False)


def prompt_field(b: Build) -> forms.Field:
    required = {"required": True} if b.name in b.spec.required_fields else {}
    return forms.CharField(
        label=b.label,
        required=False,  # the catalog decides (audio-to-video: prompt or image)
        max_length=PROMPT_MAX_CHARS,
        widget=forms.Textarea(attrs={**b.row.attrs, "placeholder": b.placeholder, **required}),
    )


def select_field(b: Build) -> forms.Field:
    # Not a ChoiceField: the catalog checks the combination and says what is wrong with it,
    # which is more useful than "not one of the available choices".
    options = b.options
    value = b.bound.get(b.name) if b.bound is not None else None
    if value not in (None, "") and str(value) not in {str(v) for v, _ in options}:
        options = [*options, (value, f"{value} (not available)")]
    return forms.CharField(
        label=b.label,
        required=False,
        widget=forms.Select(choices=options, attrs=REFRESH),
        help_text=_caveat_help(b),
    )


def _caveat_help(b: Build) -> str:
    """Says so when the selected option is one only secondary sources confirm."""
    selected = b.row.current(b.choices) if b.row.current else None
    if b.bound is not None:
        raw = b.bound.get(b.name)
        selected = int_or_none(raw) if b.row.whole else raw
    note = b.choices.caveats.get(b.name, {}).get(selected) if selected is not None else None
    return f"* Unconfirmed: {note}" if note else ""


def choice_field(b: Build) -> forms.Field:
    widget = b.row.widget or forms.Select
    return forms.ChoiceField(
        label=b.label, choices=b.options, required=False, widget=widget, help_text=b.help
    )


def number_field(b: Build) -> forms.Field:
    widget = forms.NumberInput(attrs=b.attrs())
    return forms.FloatField(label=b.label, required=False, widget=widget, help_text=b.help)


def seconds_field(b: Build) -> forms.Field:
    widget = forms.NumberInput(attrs=b.attrs(step="0.1", inputmode="decimal"))
    return forms.FloatField(label=b.label, required=False, widget=widget, help_text=b.help)


def duration_field(b: Build) -> forms.Field:
    """A select of the catalog's whole seconds, or seconds within the endpoint's range."""
    if b.spec.duration_kind == "int":
        return select_field(b)
    low, high = b.choices.duration_range or (None, None)
    bounds = {"min": low, **({"max": high} if high is not None else {})}
    attrs = b.attrs(step="0.1", inputmode="decimal") | bounds
    return forms.FloatField(
        label=b.label,
        required=False,
        widget=forms.NumberInput(attrs=attrs),
        help_text=f"{low:g} to {high:g} s." if high else f"At least {low:g} s.",
    )


def checkbox_field(b: Build) -> forms.Field:
    return forms.BooleanField(label=b.label, required=False, help_text=b.help)


def file_field(b: Build) -> forms.Field:
    limit = catalog.input_limit(b.name)
    attrs = {"accept": catalog.accept_attribute(b.name), "data-max-bytes": limit.max_bytes}
    return forms.FileField(
        label=b.label,
        required=False,  # a clip from the gallery may stand in; the catalog checks presence
        widget=forms.ClearableFileInput(attrs=attrs),
        help_text=b.help,
    )


# --- options ----------------------------------------------------------------------------------


def _marked(c: catalog.Choices, name: str, options: list[Option]) -> list[Option]:
    # An asterisk marks what only secondary sources confirm; the help text explains it.
    notes = c.caveats.get(name, {})
    return [(value, f"{label} *" if value in notes else label) for value, label in options]


def _models(c: catalog.Choices) -> list[Option]:
    return _marked(c, "model", [(m, catalog.model_label(m)) for m in c.models])


def _resolutions(c: catalog.Choices) -> list[Option]:
    options = _marked(c, "resolution", [(r, resolution_choice_label(r)) for r in c.resolutions])
    if c.resolution_optional:
        return [("", "Automatic (follows the input)"), *options]
    if c.resolution_chosen:
        return [("", "Choose the new frame…"), *options]
    return options


def _frame_rates(c: catalog.Choices) -> list[Option]:
    return _marked(c, "fps", [(f, f"{f} fps") for f in c.fps])


def _durations(c: catalog.Choices) -> list[Option]:
    options = _marked(c, "duration", [(d, f"{d} s") for d in c.durations])
    return [*options, (AUTO, "Automatic")] if c.auto_duration else options


def _camera_motions(c: catalog.Choices) -> list[Option]:
    return [("", "None"), *((m, m.replace("_", " ").capitalize()) for m in c.camera_motions)]


def _listed(name: str) -> Callable[[catalog.Choices], list[Option]]:
    """The values of one list field, its first (the API's default) sent as "" (left out)."""

    def options(c: catalog.Choices) -> list[Option]:
        values = c.field_choices.get(name, ())
        labels = CHOICE_LABELS.get(name, {})
        if not values:
            return []
        default, *others = values
        return [
            ("", f"{labels.get(default, default)} (default)"),
            *((v, labels.get(v, v)) for v in others),
        ]

    return options


def _modes(c: catalog.Choices) -> list[Option]:
    return [(m, EDIT_MODE_LABELS.get(m, m)) for m in c.modes]


# --- the table --------------------------------------------------------------------------------

TEXT = Row(text_field)  # a field the table doesn't know yet: plain text, labelled by its name

FIELDS: dict[str, Row] = {
    "prompt": Row(
        prompt_field,
        label="Prompt",
        attrs={"rows": 4},
        placeholder={
            "retake": "What happens in the new part (optional)…",
            "extend": "What happens in the new part (optional)…",
            "audio-to-video": "What we see while the audio plays (optional with an image)…",
            "image-to-video": "How the image comes to life…",
            "*": "A slow dolly shot through a neon-lit night market, light rain, reflections…",
        },
    ),
    "model": Row(select_field, label="Model", options=_models, current=lambda c: c.model),
    "resolution": Row(
        select_field,
        label={"video-to-video-reframe": "New frame", "*": "Resolution"},
        options=_resolutions,
        current=lambda c: c.resolution,
    ),
    "fps": Row(
        select_field,
        label="Frame rate",
        options=_frame_rates,
        current=lambda c: c.fps_value,
        whole=True,
    ),
    "duration": Row(
        duration_field,
        label={
            "retake": "Section length (seconds)",
            "extend": "Add (seconds)",
            "*": "Duration",  # whole seconds, picked from the catalog's list
        },
        options=_durations,
        current=lambda c: c.duration,
        whole=True,
        refresh=True,  # the length changes the cost
        defaults={"retake": 2.0, "extend": 4.0},
    ),
    "start_time": Row(
        seconds_field,
        label="Section starts at (seconds)",
        attrs={"min": 0},
        defaults={"retake": 0.0},
    ),
    "context": Row(
        seconds_field,
        label="Context (seconds)",
        help="How much of the clip the model looks at. Empty: as much as fits.",
        attrs={"min": 0, "max": EXTEND_MAX_CONTEXT_SECONDS, "placeholder": "auto"},
        refresh=True,  # the context is billed too
    ),
    "guidance_scale": Row(
        number_field,
        label="Guidance",
        help="Higher follows the prompt more closely. Empty: 5, or 9 with an image.",
        attrs={"step": "0.5", "min": "0.5", "placeholder": "auto"},
    ),
    "generate_audio": Row(checkbox_field, label="Generate sound"),
    "enhance_prompt": Row(checkbox_field, label="Enhance the prompt"),
    "output_colorspace": Row(
        choice_field, label="Colour space", options=_listed("output_colorspace")
    ),
    "placement": Row(choice_field, label="Place the clip", options=_listed("placement")),
    "camera_motion": Row(choice_field, label="Camera motion", options=_camera_motions),
    "mode": Row(
        choice_field,
        label={"retake": "What to replace", "*": "Where to add"},
        options=_modes,
        widget=forms.RadioSelect,
    ),
    # Inputs: the catalog says what each accepts and how large it may be.
    "image_uri": Row(
        file_field,
        label="Image",
        help="The first frame: a PNG, JPEG or WEBP, or a still from one of your clips.",
    ),
    "last_frame_uri": Row(
        file_field, label="Last frame", help="Optional: the clip moves towards this frame."
    ),
    "audio_uri": Row(
        file_field,
        label="Audio",
        help="2 to 20 seconds of WAV, MP3, M4A or OGG; the clip is as long as the audio.",
    ),
    "video_uri": Row(
        file_field,
        label="Video",
        help="Pick one of your clips, or upload an MP4, MOV or MKV (H.264 or H.265).",
    ),
}
