from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from ltxdash.workspaces.models import Role

INVITE_EXPIRY = [("1", "1 day"), ("7", "7 days"), ("30", "30 days")]


class InviteForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.CREATOR)
    days = forms.TypedChoiceField(
        label="Link expires after", choices=INVITE_EXPIRY, initial="7", coerce=int
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class SignUpForm(UserCreationForm):
    """A new account from an invitation: a username and a password Django's validators accept."""
