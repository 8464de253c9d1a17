"""The usage page's dates (GET ``start`` and ``end``): any range of whole days in the workspace's
time zone, both days included, at most three years long. An end left empty is the last day of
this month, a start left empty the first: with neither, this month."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms

from ltxdash.core.days import day_field, day_text
from ltxdash.spend.usage import MAX_DAYS, Range


class UsageRangeForm(forms.Form):
    start = day_field("From", example="1 May 2026")
    end = day_field("To (included)", example="31 May 2026")

    def __init__(self, *args: Any, this_month: Range, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.this_month = this_month

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        start: date = data.get("start") or self.this_month.start
        end: date = data.get("end") or self.this_month.end
        if end < start:
            raise forms.ValidationError(
                f"The range ends ({day_text(end)}) before it starts ({day_text(start)}): "
                "swap the two days.",
                code="reversed",
            )
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                f"A range is at most three years ({MAX_DAYS:,} days); this one is "
                f"{(end - start).days + 1:,}. Make it shorter, e.g. to "
                f"{day_text(start + timedelta(days=MAX_DAYS - 1))}.",
                code="too_long",
            )
        data["range"] = Range(start, end)
        return data

    @property
    def range(self) -> Range:
        """The range asked for (call after ``is_valid()`` returned True)."""
        found: Range = self.cleaned_data["range"]
        return found
