from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils import timezone

from ltxdash.gallery import search
from ltxdash.generations.models import Generation, State
from ltxdash.ltx import catalog

_ANY = ("", "Any")
# The days a filter can name: "to" includes its day (its end is the next midnight) and a time
# zone's offset moves either end by hours, and both must remain datetimes Python can hold
# (9999-12-31 + 1 day is an OverflowError, not a filter).
FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 12, 30)
_DAY_RANGE = f"Pick a day between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}."


def _day_field(label: str) -> forms.DateField:
    return forms.DateField(
        required=False,
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[
            MinValueValidator(FIRST_DAY, message=_DAY_RANGE),
            MaxValueValidator(LAST_DAY, message=_DAY_RANGE),
        ],
    )


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
    mode = forms.ChoiceField(required=False, label="Mode")
    model = forms.ChoiceField(required=False, label="Model")
    state = forms.ChoiceField(required=False, label="State", choices=[_ANY, *State.choices])
    date_from = _day_field("From")
    date_to = _day_field("To")
    favourites = forms.BooleanField(required=False, label="Favourites only")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mode, model = self.fields["mode"], self.fields["model"]
        # To a type checker self.fields holds plain Fields; these two are the ChoiceFields above.
        assert isinstance(mode, forms.ChoiceField) and isinstance(model, forms.ChoiceField)
        mode.choices = [_ANY, *catalog.endpoint_choices()]
        model.choices = [_ANY, *catalog.model_choices()]

    def filter(self, clips: QuerySet[Generation]) -> QuerySet[Generation]:
        self.is_valid()
        data = self.cleaned_data
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

    @property
    def lifetime(self) -> timedelta | None:
        value = self.cleaned_data["expires"]
        return None if value == "never" else timedelta(days=int(value))
