"""The cost of what the create form holds while it is being filled in (before it is valid):
inputs as far as they are known (a picked clip, what the page measured of a chosen file, what
a previous submit probed) and a note when a picked still is smaller than the resolution.

It works on the form's values, never on the form: the form builds it (``GenerateForm.draft``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from ltxdash import media
from ltxdash.generations.forms.values import AUTO, MAX_COUNT, api_params, int_or_none
from ltxdash.generations.inputs import (
    STILL_ROLES,
    browser_hint,
    clip_input_info,
    meta_field,
    ready_clips,
)
from ltxdash.ltx import catalog
from ltxdash.ltx.catalog.data import ROLE_KINDS

AUTOMATIC_LENGTH = "Automatic length: the cost is known once the clip is made."
NEEDS_INPUT_LENGTH = "The cost depends on the input's length: add it to see it."
NO_PRICE = "No price is known for this combination."


class PickedClips:
    """The owner's clips picked for ``role`` while a form is being filled in, as that role's
    input (for an image, the clip's still); each is looked up once."""

    def __init__(self, owner: AbstractBaseUser, role: str | None) -> None:
        self.owner = owner
        self.role = role
        self._infos: dict[int, media.MediaInfo | None] = {}

    def info(self, pk: int | None) -> media.MediaInfo | None:
        if not pk or self.role is None:
            return None
        if pk not in self._infos:
            clips = ready_clips(self.owner, with_poster=self.role in STILL_ROLES)
            clip = clips.filter(pk=pk).prefetch_related("outputs").first()
            output = clip.video if clip else None
            self._infos[pk] = clip_input_info(output, self.role) if output else None
        return self._infos[pk]


class DraftEstimate:
    """What the request in a create form would cost, for one take and for all of them.

    ``values`` are the form's raw values (the submitted data, or the initial values); the
    ``cleaned`` ones, where the form was validated, take their place in the cost.
    """

    def __init__(
        self,
        spec: catalog.EndpointSpec,
        values: Mapping[str, Any],
        *,
        picked: PickedClips,
        known_inputs: Mapping[str, media.MediaInfo] | None = None,
        cleaned: Mapping[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.values = values
        self.picked = picked
        self.known_inputs = dict(known_inputs or {})
        self.cleaned = cleaned

    def count(self) -> int:
        count = int_or_none(self.values.get("count")) or 1
        return min(max(count, 1), MAX_COUNT)

    def infos(self) -> dict[str, media.MediaInfo]:
        """Inputs as far as they are known: a picked clip, or what the browser measured."""
        infos = dict(self.known_inputs)
        for role in self.spec.input_roles:
            if role in infos:
                continue
            pk = int_or_none(self.values.get("source")) if role == self.picked.role else None
            if info := self.picked.info(pk):
                infos[role] = info
            elif hint := browser_hint(role, str(self.values.get(meta_field(role)) or "")):
                infos[role] = hint
        return infos

    def summary(self) -> dict[str, Any]:
        """{"unknown": why} or each, total, count, seconds, rate, confirmed, note."""
        values = {k: v for k, v in self.values.items() if k not in ROLE_KINDS}
        if self.cleaned is not None:
            values = {**values, **self.cleaned}
        if self.spec.duration_kind == "int" and str(values.get("duration")) == AUTO:
            return {"unknown": AUTOMATIC_LENGTH}
        found = catalog.estimate(self.spec.slug, api_params(self.spec, values), self.infos())
        if found is None:
            bills_output = self.spec.bills_on == "output_seconds"
            return {"unknown": NO_PRICE if bills_output else NEEDS_INPUT_LENGTH}
        count = self.count()
        return {
            "each": found.usd,
            "total": found.usd * count,
            "count": count,
            "seconds": found.billed_seconds,
            "rate": found.usd_per_second,
            "confirmed": found.confirmed,
            "note": found.note,
        }

    def still_note(self) -> str:
        """Says so when the picked still is smaller than the chosen resolution. The catalog
        sets no minimum for an image (the model scales it): a note, never an error."""
        if self.picked.role not in STILL_ROLES:
            return ""
        pk = int_or_none(self.values.get("source"))
        info = self.picked.info(pk)
        width, _, height = str(self.values.get("resolution") or "").partition("x")
        if info is None or not (width.isdigit() and height.isdigit()):
            return ""
        if not info.width or not info.height:
            return ""
        if info.width >= int(width) and info.height >= int(height):
            return ""
        return (
            f"The still of #{pk} is {info.width}x{info.height}, smaller than "
            f"{width}x{height}: it is scaled up, so the clip may look soft. Upload a larger "
            "image for a sharper start."
        )
