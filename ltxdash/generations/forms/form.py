"""The create form. Its fields follow the chosen endpoint (``catalog.ENDPOINTS[slug].fields``),
built from the field table (``fields.FIELDS``): the catalog decides what is valid and offers
the choices; this form parses values, probes uploaded files by their content and puts every
message next to the field it is about.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict

from ltxdash import media
from ltxdash.generations.forms.estimate import DraftEstimate, PickedClips
from ltxdash.generations.forms.fields import REFRESH, build_field, settle_initial
from ltxdash.generations.forms.values import (
    ENDPOINT_PARAM,
    MAX_COUNT,
    api_params,
    form_name,
    int_or_none,
    selection,
)
from ltxdash.generations.inputs import (
    STILL_ROLES,
    clip_input_info,
    clip_role,
    meta_field,
    probe_upload,
    ready_clips,
)
from ltxdash.generations.models import Generation, Output
from ltxdash.generations.pipeline import Still
from ltxdash.ltx import catalog
from ltxdash.ltx.catalog.data import ROLE_KINDS

logger = logging.getLogger(__name__)

# Settings whose options depend on each other: the block the HTMX fragment re-renders.
SETTINGS_FIELDS = ("model", "resolution", "fps", "duration", "context")


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.0f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"


class GenerateForm(forms.Form):
    """One generation request (and how many takes of it), for one endpoint."""

    count = forms.TypedChoiceField(
        label="Takes",
        choices=[(n, str(n)) for n in range(1, MAX_COUNT + 1)],
        coerce=int,
        required=False,
        empty_value=1,  # type: ignore[arg-type]  # the stubs expect a str; a take count is an int
        initial=1,
        widget=forms.RadioSelect(attrs=REFRESH),
        help_text="Several takes of the same request, made one after another.",
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        files: MultiValueDict[str, UploadedFile[Any]] | Mapping[str, Any] | None = None,
        *,
        endpoint: str,
        owner: AbstractBaseUser,
        initial: Mapping[str, Any] | None = None,
        known_inputs: Mapping[str, media.MediaInfo] | None = None,
    ) -> None:
        super().__init__(data, files, initial=dict(initial or {}))  # type: ignore[arg-type]
        self.endpoint = endpoint
        self.spec = catalog.ENDPOINTS[endpoint]
        self.owner = owner
        self.choices = selection(endpoint, self._values())
        self.probed: dict[str, tuple[UploadedFile[Any], media.MediaInfo]] = {}
        self.source: Generation | None = None
        self.source_output: Output | None = None
        self.source_info: media.MediaInfo | None = None  # the picked clip as its role's input
        self.clip_role = clip_role(self.spec)
        self.picked = PickedClips(owner, self.clip_role)
        # What a previous submit measured (files re-sent by the browser): for the estimate.
        self.known_inputs = dict(known_inputs or {})
        if not self.is_bound:
            settle_initial(self.spec, self.choices, self.initial)
        bound = self.data if self.is_bound else None
        for name in self.spec.fields:
            self.fields[form_name(name)] = build_field(name, self.spec, self.choices, bound)
            if name == self.clip_role:
                self.fields["source"] = forms.IntegerField(required=False, widget=forms.HiddenInput)
        self._add_still_note()
        self.order_fields(["prompt"])

    def _values(self) -> Mapping[str, Any]:
        return self.data if self.is_bound else self.initial

    def _add_still_note(self) -> None:
        if "resolution" in self.fields:
            field = self.fields["resolution"]
            field.help_text = " ".join(
                filter(None, [str(field.help_text), self.draft().still_note()])
            )

    # --- cleaning ------------------------------------------------------------------------
    def clean_source(self) -> int | None:
        pk: int | None = self.cleaned_data.get("source")
        if pk is None:
            return None
        clip = ready_clips(self.owner).filter(pk=pk).prefetch_related("outputs").first()
        output = clip.video if clip else None
        if clip is None or output is None or self.clip_role is None:
            # The same words for someone else's clip and a missing one: nothing leaks.
            raise forms.ValidationError("That clip isn't available: pick another one.")
        info = clip_input_info(output, self.clip_role)
        if info is None:
            raise forms.ValidationError(
                "That clip has no still to use: pick another one or upload an image."
            )
        self.source, self.source_output, self.source_info = clip, output, info
        return pk

    def _clean_upload(self, role: str) -> None:
        upload: UploadedFile[Any] | None = self.cleaned_data.get(role)
        if not upload:
            return
        limit = catalog.input_limit(role)
        if upload.size is not None and upload.size > limit.max_bytes:
            raise forms.ValidationError(
                f"“{upload.name}” is {megabytes(upload.size)}; the limit is "
                f"{megabytes(limit.max_bytes)}."
            )
        try:
            info = probe_upload(upload)
        except media.NotMedia as exc:  # say what this input should have been
            raise forms.ValidationError(f"“{upload.name}”: {exc.about(ROLE_KINDS[role])}") from exc
        except media.MediaError as exc:
            raise forms.ValidationError(f"“{upload.name}”: {exc}") from exc
        except Exception as exc:  # a decoder surprise is the file's problem, never a 500
            logger.warning("Probing %r failed", upload.name, exc_info=True)
            raise forms.ValidationError(f"“{upload.name}” could not be read.") from exc
        self.probed[role] = (upload, info)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        for role in self.spec.input_roles:
            if role in self.fields and role not in self.errors:
                try:
                    self._clean_upload(role)
                except forms.ValidationError as exc:
                    self.add_error(role, exc)
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
            # "__all__" and anything without its own field go to the top.
            field = form_name(api_name) if form_name(api_name) in self.fields else None
            if field is not None and field in self.errors:
                continue  # already explained (e.g. the upload could not be read at all)
            for message in messages:
                self.add_error(field, message)
        return data

    # --- results -------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """The request's settings in API names and types (no inputs), from cleaned data."""
        return api_params(self.spec, getattr(self, "cleaned_data", {}))

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

    # --- the estimate while the form is being filled in ----------------------------------
    def draft(self) -> DraftEstimate:
        """The cost of what the form holds now (cleaned values, once it was validated)."""
        validated = self.is_bound and hasattr(self, "cleaned_data")
        return DraftEstimate(
            self.spec,
            self._values(),
            picked=self.picked,
            known_inputs=self.known_inputs,
            cleaned=self.cleaned_data if validated else None,
        )

    def estimate(self) -> dict[str, Any]:
        """``draft().summary()``: {"unknown": why}, or the cost of one take and of all."""
        return self.draft().summary()

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
                "meta": meta_field(role),
                "max_bytes": catalog.input_limit(role).max_bytes,
                "max_size": megabytes(catalog.input_limit(role).max_bytes),
            }
            for role, required in self.spec.input_roles.items()
        ]

    def settings_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SETTINGS_FIELDS if name in self.fields]

    def more_fields(self) -> list[forms.BoundField]:
        skip = {"prompt", "count", "source", *SETTINGS_FIELDS, *ROLE_KINDS}
        return [bf for bf in self if bf.name not in skip]

    def refresh_params(self) -> str:
        """What a change of settings sends (create.html's hx-params): the endpoint, the
        settings, the takes, the picked clip and what the page measured of each file."""
        metas = [meta_field(role) for role in ROLE_KINDS]
        return ",".join([ENDPOINT_PARAM, *SETTINGS_FIELDS, "count", "source", *metas])

    def selected_source(self) -> int | None:
        return int_or_none(self._values().get("source"))
