"""The shapes of the catalog's rows. The rows themselves live in `data.py`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

BillsOn = Literal[
    "output_seconds", "input_audio_seconds", "input_video_seconds", "extension_plus_context"
]
MediaKind = Literal["image", "video", "audio"]


@dataclass(frozen=True)
class ModelSpec:
    id: str
    label: str
    family: str  # "LTX-2.3", used to group models in the UI
    tier: Literal["fast", "pro"]
    status: Literal["current", "removed"] = "current"
    released: datetime.date | None = None
    removed_on: datetime.date | None = None
    replacement: str | None = None  # the model to use instead, for removed ones
    auto_duration: bool = False  # accepts `duration: null` on text/image-to-video
    note: str = ""

    @property
    def is_current(self) -> bool:
        return self.status == "current"


@dataclass(frozen=True)
class EndpointSpec:
    slug: str
    label: str
    description: str
    fields: tuple[str, ...]  # every request field it takes, API names, in a stable order
    required_fields: tuple[str, ...]
    input_roles: dict[str, bool]  # role (API field) -> required
    bills_on: BillsOn
    result_keys: tuple[str, ...]
    default_model: str | None
    # Filled in from the combination table, so a model is listed in exactly one place.
    models: tuple[str, ...] = ()
    duration_kind: Literal["int", "float", "none"] = "none"
    # For float durations (retake, extend): (min, max) seconds; max None where none is documented.
    duration_range: tuple[float, float | None] | None = None
    # The fps sent when none is chosen, where the endpoint takes `fps` (always sent: the
    # documented default is unreliable).
    default_fps: int = 24

    def takes(self, field_name: str) -> bool:
        return field_name in self.fields

    @property
    def required(self) -> tuple[str, ...]:
        """Alias of `required_fields`."""
        return self.required_fields


@dataclass(frozen=True)
class Combo:
    """One block of valid (model, resolution, fps, duration) combinations for some endpoints.

    Empty `fps` / `durations` mean the endpoint has no such field (the input sets them).
    `resolutions` may be empty where the output keeps the input's size (extend, HDR).
    """

    endpoints: tuple[str, ...]
    models: tuple[str | None, ...]
    resolutions: tuple[str, ...] = ()
    fps: tuple[int, ...] = ()
    durations: tuple[int, ...] = ()
    max_input_seconds: float | None = None  # e.g. a shorter audio cap for some A2V rows
    confirmed: bool = True
    note: str = ""


@dataclass(frozen=True)
class Price:
    """USD per billed second for an endpoint group, model and resolution tier."""

    endpoints: tuple[str, ...]
    model: str | None
    tier: str  # "720p" | "1080p" | "1440p" | "4k"
    usd_per_second: Decimal
    confirmed: bool
    source: str


@dataclass(frozen=True)
class Estimate:
    usd: Decimal
    billed_seconds: Decimal
    usd_per_second: Decimal
    confirmed: bool
    note: str = ""


@dataclass(frozen=True)
class Choices:
    """What the create form may offer, given the current selections.

    `model`, `resolution`, `fps` and `duration` are the effective selections: the caller's when
    valid, otherwise the defaults (`resolution` None = automatic, where `resolution_optional`).
    """

    endpoint: str
    models: tuple[str, ...]
    resolutions: tuple[str, ...]
    fps: tuple[int, ...]
    durations: tuple[int, ...]
    auto_duration: bool
    duration_range: tuple[float, float | None] | None
    camera_motions: tuple[str, ...]
    modes: tuple[str, ...]
    model: str | None
    resolution: str | None
    fps_value: int | None
    duration: int | None
    resolution_optional: bool
    resolution_chosen: bool = False  # no default: the person picks one (reframe)
    # {field: its values} for the endpoint's list fields (`data.FIELD_CHOICES`): placement, ...
    field_choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # {field: {value: why it is unconfirmed}} for options, and {field: note} for whole fields.
    caveats: dict[str, dict[str | int, str]] = field(default_factory=dict)
    field_notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InputLimit:
    """What one input role accepts through one input method."""

    role: str
    kind: MediaKind
    mime_types: tuple[str, ...]
    max_bytes: int
