"""Days in filters (the gallery's, the audit log's, the usage page's): written and shown the way
every page writes dates ("2 Dec 2026"), parsed leniently, and bounded so that a day's end, in any
time zone, is still a datetime Python can hold.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

# The days a filter can name: "to" includes its day (its end is the next midnight) and a time
# zone's offset moves either end by hours, and both must remain datetimes Python can hold
# (9999-12-31 + 1 day is an OverflowError, not a filter).
FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 12, 30)
_DAY_RANGE = (
    f"Pick a day between {FIRST_DAY.day} {FIRST_DAY:%b} {FIRST_DAY.year:04d}"
    f" and {LAST_DAY.day} {LAST_DAY:%b} {LAST_DAY.year}."
)


def day_text(day: date) -> str:
    """A day as every page writes dates: "2 Dec 2026"."""
    return f"{day.day} {day:%b %Y}"


class DayInput(forms.TextInput):
    """A day written the way the pages write them ("2 Dec 2026"), not the browser's locale
    format of <input type=date> (mm/dd/yyyy in an American browser)."""

    def format_value(self, value):
        return day_text(value) if isinstance(value, date) else super().format_value(value)


# What a day may be written as; a missing year is this year. ISO is what older links carry.
_DAY_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d/%m/%Y")
_DAY_FORMATS_NO_YEAR = ("%d %b", "%d %B", "%b %d", "%B %d")
_RELATIVE = {"today": 0, "yesterday": 1}


class DayField(forms.DateField):
    default_error_messages = {"invalid": "Write a day like 2 Dec 2026 (or today, yesterday)."}

    def bound_data(self, data, initial):
        """Show a day the user wrote ("oct 14") back as the pages write it ("14 Oct 2026")."""
        try:
            return self.to_python(data) or data
        except forms.ValidationError:
            return data

    def to_python(self, value):
        text = " ".join(str(value or "").replace(",", " ").split()).strip()
        if not text:
            return None
        if text.lower() in _RELATIVE:
            return timezone.localdate() - timedelta(days=_RELATIVE[text.lower()])
        for formats, year in ((_DAY_FORMATS, None), (_DAY_FORMATS_NO_YEAR, "this year")):
            for pattern in formats:
                try:
                    # A leap day needs its year to exist: parse with the year, not 1900.
                    parsed = (
                        datetime.strptime(text, pattern)
                        if year is None
                        else datetime.strptime(
                            f"{text} {timezone.localdate().year}", f"{pattern} %Y"
                        )
                    )
                except ValueError:
                    continue
                return parsed.date()
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


def day_field(label: str, example: str = "2 Dec 2026") -> DayField:
    """An optional day of a filter, between FIRST_DAY and LAST_DAY."""
    return DayField(
        required=False,
        label=label,
        widget=DayInput(attrs={"placeholder": f"e.g. {example}", "autocomplete": "off"}),
        validators=[
            MinValueValidator(FIRST_DAY, message=_DAY_RANGE),
            MaxValueValidator(LAST_DAY, message=_DAY_RANGE),
        ],
    )
