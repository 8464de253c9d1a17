"""The audit page's filters (a GET form): what was done, by whom, between which days (in the
workspace's time zone), and the page (a keyset cursor: no count of a large table, ever)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from ltxdash.audit.models import Action, AuditEntry
from ltxdash.core.days import day_field
from ltxdash.workspaces.models import Membership, Workspace

PAGE_SIZE = 50
PAGE_GONE = "That page of the log is not there: start from the newest."


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="What", required=False)
    actor = forms.TypedChoiceField(label="Who", required=False, coerce=int, empty_value=None)
    since = day_field("From")
    until = day_field("To")
    before = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"invalid": PAGE_GONE, "min_value": PAGE_GONE},
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        action = self.fields["action"]
        actor = self.fields["actor"]
        assert isinstance(action, forms.ChoiceField) and isinstance(actor, forms.ChoiceField)
        action.choices = [("", "Anything"), *Action.choices]
        actor.choices = [("", "Anyone"), *self._actors()]

    def _actors(self) -> list[tuple[int, str]]:
        """The members, and anyone the log names who is no longer one (by their name then)."""
        names = dict(
            Membership.objects.filter(workspace=self.workspace).values_list(
                "user_id", "user__username"
            )
        )
        logged = (
            AuditEntry.objects.filter(workspace=self.workspace, actor__isnull=False)
            .values_list("actor_id", "actor_name")
            .order_by()  # no ordering columns in the DISTINCT
            .distinct()
        )
        for pk, name in logged:
            names.setdefault(pk, f"{name} (not a member now)")
        return sorted(names.items(), key=lambda item: item[1].casefold())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The last day comes before the first: swap them.")
        before = cleaned.get("before")
        if before is not None:
            found = AuditEntry.objects.filter(workspace=self.workspace, pk=before).first()
            if found is None:
                self.add_error("before", PAGE_GONE)
            cleaned["cursor"] = found
        return cleaned

    def _moment(self, day: Any) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.workspace.zone)

    def entries(self) -> QuerySet[AuditEntry]:
        """The workspace's entries that the (valid) filters match, newest first."""
        found = AuditEntry.objects.filter(workspace=self.workspace)
        data = self.cleaned_data
        if data.get("action"):
            found = found.filter(action=data["action"])
        if data.get("actor") is not None:
            found = found.filter(actor_id=data["actor"])
        if data.get("since"):
            found = found.filter(at__gte=self._moment(data["since"]))
        if data.get("until"):
            found = found.filter(at__lt=self._moment(data["until"] + timedelta(days=1)))
        return found.order_by("-at", "-id")

    def page(self) -> tuple[list[AuditEntry], AuditEntry | None]:
        """One page of entries, and the last of them when there are older ones."""
        found = self.entries()
        cursor = self.cleaned_data.get("cursor")
        if cursor is not None:
            found = found.filter(Q(at__lt=cursor.at) | Q(at=cursor.at, id__lt=cursor.pk))
        rows = list(found[: PAGE_SIZE + 1])
        return rows[:PAGE_SIZE], rows[PAGE_SIZE - 1] if len(rows) > PAGE_SIZE else None
