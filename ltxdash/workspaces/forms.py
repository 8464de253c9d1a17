from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.views.decorators.debug import sensitive_variables

from ltxdash.ltx import keycheck
from ltxdash.workspaces.models import ApiKey, Role, Workspace

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


class ApiKeyForm(forms.Form):
    """Set, replace or keep the workspace's own LTX key, and how many jobs it may run at once.

    A new key is checked with LTX before it is saved (``keycheck.check_api_key``). With a key in
    use, leaving the key blank changes only "jobs at once". The key is never rendered back.
    """

    key = forms.CharField(
        label="LTX API key",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}
        ),
    )
    max_concurrency = forms.IntegerField(
        label="Jobs at once", required=False, min_value=1, max_value=1000
    )

    def __init__(self, *args: Any, in_use: ApiKey | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_use = in_use
        default = int(settings.LTX_MAX_CONCURRENCY)
        self.fields["max_concurrency"].help_text = (
            f"How many of the workspace's clips may be at LTX at once, 1 to 1000; "
            f"empty: {default}, the server's default."
        )
        self.fields["max_concurrency"].widget.attrs["placeholder"] = str(default)
        if in_use is not None:
            key = self.fields["key"]
            key.label = "New LTX API key"
            key.help_text = f"Leave it empty to keep {in_use.masked} and change only jobs at once."
            self.initial.setdefault("max_concurrency", in_use.max_concurrency)

    @sensitive_variables("secret")
    def clean_key(self) -> str:
        secret: str = self.cleaned_data["key"]  # surrounding whitespace already stripped
        if secret and not keycheck.key_is_well_formed(secret):
            raise forms.ValidationError(
                "A key has no spaces, line breaks or other invisible characters inside it: "
                "copy it again from LTX."
            )
        return secret

    @sensitive_variables("secret", "cleaned")
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        secret = cleaned.get("key", "")
        if not secret and self.in_use is None:
            self.add_error("key", "Enter the workspace's LTX API key.")
        elif secret:
            try:
                keycheck.check_api_key(secret)
            except keycheck.KeyCheckFailed as failure:
                self.add_error("key", str(failure))
        return cleaned

    @sensitive_variables("secret")
    def save(self, workspace: Workspace, by: Any) -> tuple[ApiKey | None, bool]:
        """Store the new key, or change the key in use's jobs at once: (the key in use, whether
        it is a new one). None when the key in use was stopped meanwhile."""
        secret = self.cleaned_data["key"]
        jobs = self.cleaned_data["max_concurrency"]
        if secret:
            return ApiKey.store(workspace, secret, by, jobs), True
        assert self.in_use is not None
        # The row in use keeps its secret; only its limit changes (the dispatcher reads it anew).
        changed = ApiKey.objects.filter(pk=self.in_use.pk, retired_at__isnull=True).update(
            max_concurrency=jobs
        )
        return (ApiKey.in_use(workspace) if changed else None), False
