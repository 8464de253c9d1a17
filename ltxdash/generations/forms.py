"""The create form. Its fields follow the chosen endpoint (``catalog.ENDPOINTS[slug].fields``):
the catalog decides what is valid and offers the choices; this form parses values, probes
uploaded files by their content and puts every message next to the field it is about.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile

from ltxdash import media
from ltxdash.generations.inputs import (
    browser_hint,
    clip_info,
    probe_upload,
    ready_clips,
    still_info,
)
from ltxdash.generations.models import Generation, Output
from ltxdash.generations.pipeline import Still
from ltxdash.ltx import catalog
from ltxdash.ltx.catalog.data import EXTEND_MAX_CONTEXT_SECONDS, PROMPT_MAX_CHARS, ROLE_KINDS

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "text-to-video"
MAX_COUNT = 4
AUTO = "auto"  # the duration value for "let the model choose" (LTX-2.5)

# The API calls retake's and extend's variant "mode"; the page already uses ?mode= for the tab.
API_TO_FORM = {"mode": "edit_mode"}
# Roles whose input may be one of the user's own clips instead of an upload: its video, or for
# the first frame its poster frame (a "still"). An endpoint has at most one of them: the
# ``source`` field says which clip.
CLIP_ROLES = frozenset({"video_uri", "image_uri"})
STILL_ROLES = frozenset({"image_uri"})
# Inputs whose change re-renders the settings and the estimate (templates/generations/create.html).
REFRESH = {"data-refresh": "1"}
# Settings whose options depend on each other: the block the HTMX fragment re-renders.
SETTINGS_FIELDS = ("model", "resolution", "fps", "duration", "context")

ROLE_LABELS = {
    "image_uri": "Image",
    "last_frame_uri": "Last frame",
    "audio_uri": "Audio",
    "video_uri": "Video",
}
ROLE_HELP = {
    "image_uri": "The first frame: a PNG, JPEG or WEBP, or a still from one of your clips.",
    "last_frame_uri": "Optional: the clip moves towards this frame.",
    "audio_uri": "2 to 20 seconds of WAV, MP3, M4A or OGG; the clip is as long as the audio.",
    "video_uri": "Pick one of your clips, or upload an MP4, MOV or MKV (H.264 or H.265).",
}
EDIT_MODE_LABELS = {
    "replace_audio_and_video": "Picture and sound",
    "replace_audio": "Sound only",
    "replace_video": "Picture only",
    "end": "After the end",
    "start": "Before the start",
}
# Defaults for the fields the catalog leaves to the form (seconds).
FLOAT_DEFAULTS = {
    ("retake", "start_time"): 0.0,
    ("retake", "duration"): 2.0,
    ("extend", "duration"): 4.0,
}


def endpoint_from(value: str | None) -> str:
    """The endpoint a request asks for; anything unknown falls back to text-to-video."""
    return value if value in catalog.ENDPOINTS else DEFAULT_ENDPOINT


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def selection(endpoint: str, values: Mapping[str, Any]) -> catalog.Choices:
    """The options valid together with the model/resolution/fps found in ``values``."""
    return catalog.choices(
        endpoint,
        model=str(values.get("model") or "") or None,
        resolution=str(values.get("resolution") or "") or None,
        fps=_int_or_none(values.get("fps")),
    )


def resolution_choice_label(resolution: str) -> str:
    """ "1080x1920" -> "1080p · 9:16": short enough for a phone-width select."""
    width, _, height = resolution.partition("x")
    if not (width.isdigit() and height.isdigit()):
        return resolution
    w, h = int(width), int(height)
    divisor = math.gcd(w, h)
    tier = catalog.resolution_label(resolution).split(" ")[0]
    return f"{tier} · {w // divisor}:{h // divisor}"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.0f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"


def _option(value: Any, label: str, caveats: Mapping[Any, str]) -> tuple[Any, str]:
    # An asterisk marks what only secondary sources confirm; the help text explains it.
    return (value, f"{label} *" if value in caveats else label)


class GenerateForm(forms.Form):
    """One generation request (and how many takes of it), for one endpoint."""

    count = forms.TypedChoiceField(
        label="Takes",
        choices=[(n, str(n)) for n in range(1, MAX_COUNT + 1)],
        coerce=int,
        required=False,
        empty_value=1,
        initial=1,
        widget=forms.RadioSelect(attrs=REFRESH),
        help_text="Several takes of the same request, made one after another.",
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        *,
        endpoint: str,
        owner: AbstractBaseUser,
        initial: Mapping[str, Any] | None = None,
        known_inputs: Mapping[str, media.MediaInfo] | None = None,
    ) -> None:
        super().__init__(data, files, initial=dict(initial or {}))
        self.endpoint = endpoint
        self.spec = catalog.ENDPOINTS[endpoint]
        self.owner = owner
        self.choices = selection(endpoint, self.data if self.is_bound else self.initial)
        self.probed: dict[str, tuple[UploadedFile, media.MediaInfo]] = {}
        self.source: Generation | None = None
        self.source_output: Output | None = None
        self.source_info: media.MediaInfo | None = None  # the picked clip as its role's input
        self.clip_role = next((r for r in self.spec.input_roles if r in CLIP_ROLES), None)
        self._drafts: dict[int, tuple[Generation, Output, media.MediaInfo] | None] = {}
        # What a previous submit measured (files re-sent by the browser): for the estimate.
        self.known_inputs = dict(known_inputs or {})
        if not self.is_bound:
            self._settle_initial()
        for name in self.spec.fields:
            if name in ROLE_KINDS:
                self._add_input(name)
            else:
                self.fields[API_TO_FORM.get(name, name)] = self._field_for(name)
        self.order_fields(["prompt"])

    # --- building ------------------------------------------------------------------------
    def _settle_initial(self) -> None:
        """Replace initial values the catalog doesn't offer with its defaults."""
        c, initial = self.choices, self.initial
        initial["model"] = c.model or ""
        initial["resolution"] = c.resolution or ""
        initial["fps"] = c.fps_value
        if self.spec.duration_kind == "int":
            wanted = str(initial.get("duration") or "")
            offered = {str(d) for d in c.durations} | ({AUTO} if c.auto_duration else set())
            initial["duration"] = wanted if wanted in offered else c.duration
        for (endpoint, name), value in FLOAT_DEFAULTS.items():
            if endpoint == self.endpoint and initial.get(name) in (None, ""):
                initial[name] = value
        initial.setdefault("generate_audio", True)
        if self.choices.modes:
            initial.setdefault("edit_mode", self.choices.modes[0])

    def _field_for(self, name: str) -> forms.Field:
        c = self.choices
        notes = c.caveats.get(name, {})
        if name == "prompt":
            required = "prompt" in self.spec.required_fields
            return forms.CharField(
                label="Prompt",
                required=False,  # the catalog decides (audio-to-video: prompt or image)
                max_length=PROMPT_MAX_CHARS,
                widget=forms.Textarea(
                    attrs={
                        "rows": 4,
                        "placeholder": self._prompt_placeholder(),
                        **({"required": True} if required else {}),
                    }
                ),
            )
        if name == "model":
            options = [_option(m, catalog.model_label(m), notes) for m in c.models]
            return self._select("model", "Model", options)
        if name == "resolution":
            options = [_option(r, resolution_choice_label(r), notes) for r in c.resolutions]
            if c.resolution_optional:
                options.insert(0, ("", "Automatic (follows the input)"))
            label = "New frame" if self.endpoint == "video-to-video-reframe" else "Resolution"
            field = self._select("resolution", label, options)
            field.help_text = " ".join(filter(None, [field.help_text, self.still_note()]))
            return field
        if name == "fps":
            return self._select("fps", "Frame rate", [_option(f, f"{f} fps", notes) for f in c.fps])
        if name == "duration" and self.spec.duration_kind == "int":
            options = [_option(d, f"{d} s", notes) for d in c.durations]
            if c.auto_duration:
                options.append((AUTO, "Automatic"))
            return self._select("duration", "Duration", options)
        if name in ("duration", "start_time", "context"):
            return self._seconds_field(name)
        if name == "guidance_scale":
            return forms.FloatField(
                label="Guidance",
                required=False,
                widget=forms.NumberInput(
                    attrs={"step": "0.5", "min": "0.5", "placeholder": "auto"}
                ),
                help_text="Higher follows the prompt more closely. Empty: 5, or 9 with an image.",
            )
        if name == "generate_audio":
            return forms.BooleanField(label="Generate sound", required=False)
        if name == "camera_motion":
            options = [("", "None")] + [
                (m, m.replace("_", " ").capitalize()) for m in c.camera_motions
            ]
            return forms.ChoiceField(
                label="Camera motion",
                choices=options,
                required=False,
                help_text=c.field_notes.get("camera_motion", ""),
            )
        if name == "mode":
            return forms.ChoiceField(
                label="What to replace" if self.endpoint == "retake" else "Where to add",
                choices=[(m, EDIT_MODE_LABELS.get(m, m)) for m in c.modes],
                required=False,
                widget=forms.RadioSelect,
            )
        return forms.CharField(label=name.replace("_", " ").capitalize(), required=False)

    def _prompt_placeholder(self) -> str:
        if self.endpoint in ("retake", "extend"):
            return "What happens in the new part (optional)…"
        if self.endpoint == "audio-to-video":
            return "What we see while the audio plays (optional with an image)…"
        if self.endpoint == "image-to-video":
            return "How the image comes to life…"
        return "A slow dolly shot through a neon-lit night market, light rain, reflections…"

    def _select(self, name: str, label: str, options: list[tuple[Any, str]]) -> forms.Field:
        # Not a ChoiceField: the catalog checks the combination and says what is wrong with it,
        # which is more useful than "not one of the available choices".
        value = self.data.get(name) if self.is_bound else None
        if value not in (None, "") and str(value) not in {str(v) for v, _ in options}:
            options = [*options, (value, f"{value} (not available)")]
        return forms.CharField(
            label=label,
            required=False,
            widget=forms.Select(choices=options, attrs=REFRESH),
            help_text=self._caveat_help(name),
        )

    def _caveat_help(self, name: str) -> str:
        c = self.choices
        selected = {"model": c.model, "resolution": c.resolution, "fps": c.fps_value}.get(
            name, c.duration
        )
        if self.is_bound:
            raw = self.data.get(name)
            selected = _int_or_none(raw) if name in ("fps", "duration") else raw
        note = c.caveats.get(name, {}).get(selected) if selected is not None else None
        return f"* Unconfirmed: {note}" if note else ""

    def _seconds_field(self, name: str) -> forms.Field:
        low, high = self.choices.duration_range or (None, None)
        attrs: dict[str, Any] = {"step": "0.1", "inputmode": "decimal"}
        if name != "start_time":
            attrs.update(REFRESH)  # the length and the context change the cost
        if name == "duration":
            attrs["min"] = low
            if high is not None:
                attrs["max"] = high
            label = "Add (seconds)" if self.endpoint == "extend" else "Section length (seconds)"
            help_text = f"{low:g} to {high:g} s." if high else f"At least {low:g} s."
        elif name == "start_time":
            attrs["min"] = 0
            label, help_text = "Section starts at (seconds)", ""
        else:
            attrs.update(min=0, max=EXTEND_MAX_CONTEXT_SECONDS, placeholder="auto")
            label = "Context (seconds)"
            help_text = "How much of the clip the model looks at. Empty: as much as fits."
        return forms.FloatField(
            label=label,
            required=False,
            widget=forms.NumberInput(attrs=attrs),
            help_text=help_text,
        )

    def _add_input(self, role: str) -> None:
        limit = catalog.input_limit(role)
        help_text = self.choices.field_notes.get(role) or ROLE_HELP[role]
        self.fields[role] = forms.FileField(
            label=ROLE_LABELS[role],
            required=False,  # a clip from the gallery may stand in; the catalog checks presence
            widget=forms.ClearableFileInput(
                attrs={"accept": catalog.accept_attribute(role), "data-max-bytes": limit.max_bytes}
            ),
            help_text=help_text,
        )
        if role in CLIP_ROLES:
            self.fields["source"] = forms.IntegerField(required=False, widget=forms.HiddenInput)

    # --- cleaning ------------------------------------------------------------------------
    def clean_source(self) -> int | None:
        pk = self.cleaned_data.get("source")
        if pk is None:
            return None
        clip = ready_clips(self.owner).filter(pk=pk).prefetch_related("outputs").first()
        output = clip.video if clip else None
        if output is None:
            # The same words for someone else's clip and a missing one: nothing leaks.
            raise forms.ValidationError("That clip isn't available: pick another one.")
        if self.clip_role in STILL_ROLES:
            info = still_info(output)
            if info is None:
                raise forms.ValidationError(
                    "That clip has no still to use: pick another one or upload an image."
                )
        else:
            info = clip_info(output)
        self.source, self.source_output, self.source_info = clip, output, info
        return pk

    def _picked_clip(self, pk: int) -> tuple[Generation, Output, media.MediaInfo] | None:
        """A clip of the owner's picked while the form is being filled in, as its role's input
        (for the estimate and the still's size note); looked up once per form."""
        if pk not in self._drafts:
            still = self.clip_role in STILL_ROLES
            clip = (
                ready_clips(self.owner, with_poster=still)
                .filter(pk=pk)
                .prefetch_related("outputs")
                .first()
            )
            output = clip.video if clip else None
            info = None
            if output is not None:
                info = still_info(output) if still else clip_info(output)
            self._drafts[pk] = (clip, output, info) if info else None
        return self._drafts[pk]

    def still_note(self) -> str:
        """Says so when the picked still is smaller than the chosen resolution. The catalog
        sets no minimum for an image (the model scales it): a note, never an error."""
        if self.clip_role not in STILL_ROLES:
            return ""
        values = self._values()
        pk = _int_or_none(values.get("source"))
        picked = self._picked_clip(pk) if pk else None
        width, _, height = str(values.get("resolution") or "").partition("x")
        if picked is None or not (width.isdigit() and height.isdigit()):
            return ""
        info = picked[2]
        if not info.width or not info.height:
            return ""
        if info.width >= int(width) and info.height >= int(height):
            return ""
        return (
            f"The still of #{pk} is {info.width}x{info.height}, smaller than "
            f"{width}x{height}: it is scaled up, so the clip may look soft. Upload a larger "
            "image for a sharper start."
        )

    def _clean_upload(self, role: str) -> UploadedFile | None:
        upload = self.cleaned_data.get(role)
        if not upload:
            return None
        limit = catalog.input_limit(role)
        if upload.size > limit.max_bytes:
            raise forms.ValidationError(
                f"“{upload.name}” is {_megabytes(upload.size)}; the limit is "
                f"{_megabytes(limit.max_bytes)}."
            )
        try:
            info = probe_upload(upload)
        except media.MediaError as exc:
            raise forms.ValidationError(f"“{upload.name}”: {exc}") from exc
        except Exception as exc:  # a decoder surprise is the file's problem, never a 500
            logger.warning("Probing %r failed", upload.name, exc_info=True)
            raise forms.ValidationError(f"“{upload.name}” could not be read.") from exc
        self.probed[role] = (upload, info)
        return upload

    def _clean_uploads(self) -> None:
        for role in self.spec.input_roles:
            if role in self.fields and role not in self._errors:
                try:
                    self._clean_upload(role)
                except forms.ValidationError as exc:
                    self.add_error(role, exc)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._clean_uploads()
        if self.clip_role and self.probed.get(self.clip_role) and self.source:
            both = (
                "Use a still or upload an image, not both."
                if self.clip_role in STILL_ROLES
                else "Pick a clip or upload a video, not both."
            )
            self.add_error(self.clip_role, both)
            return data
        errors = catalog.validate(self.endpoint, self.params(), self.input_infos())
        for api_name, messages in errors.items():
            field = API_TO_FORM.get(api_name, api_name)
            if field not in self.fields:
                field = None  # "__all__" and anything without its own field: the top
            if field is not None and field in self._errors:
                continue  # already explained (e.g. the upload could not be read at all)
            for message in messages:
                self.add_error(field, message)
        return data

    # --- results -------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """The request's settings in API names and types (no inputs), from cleaned data."""
        return self._api_params(getattr(self, "cleaned_data", {}))

    def _api_params(self, data: Mapping[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for name in self.spec.fields:
            if name in ROLE_KINDS:
                continue
            value = data.get(API_TO_FORM.get(name, name))
            if name == "duration" and self.spec.duration_kind == "int":
                if value == AUTO:
                    params[name] = None  # automatic duration: sent as null
                    continue
                value = _int_or_none(value) if value not in (None, "") else None
            elif name == "fps":
                value = _int_or_none(value)
            if name == "generate_audio":
                params[name] = bool(value)
            elif value not in (None, ""):
                params[name] = value
        return params

    def input_infos(self) -> dict[str, media.MediaInfo]:
        infos = {role: info for role, (_, info) in self.probed.items()}
        if self.clip_role and self.source_info is not None:
            infos[self.clip_role] = self.source_info
        return infos

    def inputs(self) -> dict[str, Any]:
        """What the pipeline stores: (file, probed info) for uploads, an Output for a clip, a
        Still (its poster frame, copied at create time) for a clip as an image."""
        inputs: dict[str, Any] = dict(self.probed)
        if self.clip_role and self.source_output is not None and self.source_info is not None:
            if self.clip_role in STILL_ROLES:
                inputs[self.clip_role] = Still(self.source_output, self.source_info)
            else:
                inputs[self.clip_role] = self.source_output
        return inputs

    def submission(self) -> dict[str, Any]:
        """Keyword arguments for ``pipeline.create_generations``."""
        return {
            "endpoint": self.endpoint,
            "params": self.params(),
            "inputs": self.inputs(),
            "count": self.cleaned_data.get("count") or 1,
            "parent": self.source,
        }

    def settings_values(self) -> dict[str, Any]:
        """What the form held, as initial values for the next take (files aside)."""
        values = {k: v for k, v in self.cleaned_data.items() if k not in ROLE_KINDS}
        values["count"] = self.cleaned_data.get("count") or 1
        return values

    # --- drafts: the cost estimate while the form is being filled in ----------------------
    def _values(self) -> Mapping[str, Any]:
        return self.data if self.is_bound else self.initial

    def draft_count(self) -> int:
        count = _int_or_none(self._values().get("count")) or 1
        return min(max(count, 1), MAX_COUNT)

    def draft_infos(self) -> dict[str, media.MediaInfo]:
        """Inputs as far as they are known: a picked clip, or what the browser measured."""
        infos = dict(self.known_inputs)
        values = self._values()
        for role in self.spec.input_roles:
            if role in infos:
                continue
            pk = _int_or_none(values.get("source")) if role == self.clip_role else None
            if pk and (picked := self._picked_clip(pk)):
                infos[role] = picked[2]
                continue
            if hint := browser_hint(role, str(values.get(f"{role}_meta") or "")):
                infos[role] = hint
        return infos

    def estimate(self) -> dict[str, Any]:
        """The cost of what the form holds now, for one take and for all of them."""
        values = {k: v for k, v in self._values().items() if k not in ROLE_KINDS}
        if self.is_bound and hasattr(self, "cleaned_data"):
            values = {**values, **self.cleaned_data}
        params = self._api_params(values)
        if self.spec.duration_kind == "int" and str(values.get("duration")) == AUTO:
            return {"unknown": "Automatic length: the cost is known once the clip is made."}
        found = catalog.estimate(self.endpoint, params, self.draft_infos())
        if found is None:
            bills_on = self.spec.bills_on
            if bills_on != "output_seconds":
                return {"unknown": "The cost depends on the input's length: add it to see it."}
            return {"unknown": "No price is known for this combination."}
        count = self.draft_count()
        return {
            "each": found.usd,
            "total": found.usd * count,
            "count": count,
            "seconds": found.billed_seconds,
            "rate": found.usd_per_second,
            "confirmed": found.confirmed,
            "note": found.note,
        }

    # --- for templates -------------------------------------------------------------------
    def input_roles(self) -> list[dict[str, Any]]:
        return [
            {
                "role": role,
                "required": required,
                "field": self[role],
                "kind": ROLE_KINDS[role],
                "clips": role == self.clip_role,
                "still": role in STILL_ROLES,
                "max_bytes": catalog.input_limit(role).max_bytes,
                "max_size": _megabytes(catalog.input_limit(role).max_bytes),
            }
            for role, required in self.spec.input_roles.items()
        ]

    def settings_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SETTINGS_FIELDS if name in self.fields]

    def more_fields(self) -> list[forms.BoundField]:
        skip = {"prompt", "count", "source", *SETTINGS_FIELDS, *ROLE_KINDS}
        return [bf for bf in self if bf.name not in skip]

    def selected_source(self) -> int | None:
        value = self.data.get("source") if self.is_bound else self.initial.get("source")
        return _int_or_none(value)
