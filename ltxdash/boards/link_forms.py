"""The form that makes a board's public link: how long it lives, and what it shows."""

from __future__ import annotations

from datetime import timedelta

from django import forms

from ltxdash.gallery.forms import EXPIRY_CHOICES


class BoardLinkForm(forms.Form):
    # The same choices as a clip's share link.
    expires = forms.ChoiceField(label="Link expires after", choices=EXPIRY_CHOICES, initial="7")
    allow_downloads = forms.BooleanField(required=False, label="Allow downloads")
    show_prompts = forms.BooleanField(required=False, label="Show prompts")

    @property
    def lifetime(self) -> timedelta | None:
        value = self.cleaned_data["expires"]
        return None if value == "never" else timedelta(days=int(value))
