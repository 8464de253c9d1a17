from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from ltxdash.core.days import day_field
from ltxdash.gallery import search
from ltxdash.generations.models import Generation, State
from ltxdash.generations.models.generation import TITLE_MAX_LENGTH
from ltxdash.ltx import catalog

_ANY = ("", "Any")


class GalleryFilterForm(forms.Form):
    """The gallery's GET filters. An invalid value is reported by its field and left out,
    so a hand-edited URL narrows less instead of failing."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search prompts and names",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Words in the prompt or name"}
        ),
    )
    made_by = forms.ChoiceField(required=False, label="Made by")
    mode = forms.ChoiceField(required=False, label="Mode")
    model = forms.ChoiceField(required=False, label="Model")
    state = forms.ChoiceField(required=False, label="State", choices=[_ANY, *State.choices])
    date_from = day_field("From")
    date_to = day_field("To")
    favourites = forms.BooleanField(required=False, label="Favourites only")

    def __init__(self, *args, me: Any = None, members: Sequence[Any] = (), **kwargs) -> None:
        """``me``, the member looking; ``members``, the workspace's people (the "made by"
        choices: Mine, then each of the others by name)."""
        super().__init__(*args, **kwargs)
        mode, model, made_by = self.fields["mode"], self.fields["model"], self.fields["made_by"]
        # To a type checker self.fields holds plain Fields; these are the ChoiceFields above.
        assert isinstance(mode, forms.ChoiceField) and isinstance(model, forms.ChoiceField)
        assert isinstance(made_by, forms.ChoiceField)
        mode.choices = [_ANY, *catalog.endpoint_choices()]
        model.choices = [_ANY, *catalog.model_choices()]
        self.me = me
        others = [(str(u.pk), u.get_username()) for u in members if me is None or u.pk != me.pk]
        made_by.choices = [("", "Anyone"), ("mine", "Mine"), *others]

    def filter(self, clips: QuerySet[Generation]) -> QuerySet[Generation]:
        self.is_valid()
        data = self.cleaned_data
        if data.get("made_by") == "mine" and self.me is not None:
            clips = clips.filter(owner_id=self.me.pk)
        elif data.get("made_by", "").isdigit():  # one of the choices: a member of the workspace
            clips = clips.filter(owner_id=int(data["made_by"]))
        if data.get("mode"):
            clips = clips.filter(endpoint=data["mode"])
        if data.get("model"):
            clips = clips.filter(model=data["model"])
        if data.get("state"):
            clips = clips.filter(state=data["state"])
        if data.get("favourites"):
            clips = clips.filter(favourite=True)
        # Dates are whole days in the site's time zone; "to" includes its day.
        if data.get("date_from"):
            clips = clips.filter(created_at__gte=_start_of(data["date_from"]))
        if data.get("date_to"):
            clips = clips.filter(created_at__lt=_start_of(data["date_to"] + timedelta(days=1)))
        if data.get("q"):
            clips = search.matching(clips, data["q"])
        return clips

    @property
    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.fields)

    @property
    def active_count(self) -> int:
        """How many filters besides the search narrow the list (the phone's Filters button)."""
        self.is_valid()
        return sum(1 for name in self.fields if name != "q" and self.cleaned_data.get(name))


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


EXPIRY_CHOICES = [
    ("1", "1 day"),
    ("7", "7 days"),
    ("30", "30 days"),
    ("never", "Never"),
]


class ShareForm(forms.Form):
    expires = forms.ChoiceField(label="Link expires after", choices=EXPIRY_CHOICES, initial="7")
    title = forms.CharField(
        required=False,
        max_length=120,
        label="Title on the page",
        help_text="Optional: a heading above the video.",
        error_messages={"max_length": "A title can be at most 120 characters."},
    )
    hide_prompt = forms.BooleanField(required=False, label="Hide the prompt")

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    @property
    def lifetime(self) -> timedelta | None:
        value = self.cleaned_data["expires"]
        return None if value == "never" else timedelta(days=int(value))


class RenameForm(forms.Form):
    """A clip's name; empty gives it back its mode's name."""

    title = forms.CharField(
        required=False,
        max_length=TITLE_MAX_LENGTH,
        label="Name",
        error_messages={"max_length": f"A name can be at most {TITLE_MAX_LENGTH} characters."},
    )

    def clean_title(self) -> str:
        # One line: a pasted newline or tab would otherwise reach every page that shows it.
        return " ".join(self.cleaned_data["title"].split())


# A selection holds at most this many clips (checked ones, or "everything matching the filter"):
# a bulk action, a board made from a filter, a ZIP of a selection.
MAX_ADD = 500


class ClipIdsField(forms.Field):
    """Clip ids from checkboxes or hidden inputs (``ids`` repeated): digits only, at most
    MAX_ADD, duplicates dropped, order kept."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *args, cap: int = MAX_ADD, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cap = cap

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        ids: list[int] = []
        for item in values:
            text = str(item)
            if not (text.isascii() and text.isdigit()) or len(text) > 18:
                raise forms.ValidationError("That selection is not one this page made.")
            if int(text) not in ids:
                ids.append(int(text))
        if len(ids) > self.cap:
            raise forms.ValidationError(f"Pick at most {self.cap:,} clips at a time.")
        return ids

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError("Pick at least one clip.")
