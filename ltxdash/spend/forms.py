from __future__ import annotations

import zoneinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms

from ltxdash.spend.approvals import NOTE_MAX
from ltxdash.spend.models import Budget

MOST = Decimal("1000000")  # a million dollars a month: beyond it, a typo


def _money(label: str, help_text: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_value=MOST,
        decimal_places=2,
        max_digits=10,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


if TYPE_CHECKING:
    _BudgetModelForm = forms.ModelForm[Budget]
else:
    _BudgetModelForm = forms.ModelForm


def _help(name: str) -> str:
    return str(getattr(Budget._meta.get_field(name), "help_text", ""))


class BudgetForm(_BudgetModelForm):
    """A workspace's spending rules; every amount may be left empty (no limit of that kind)."""

    monthly_limit = _money("Monthly budget (USD)", _help("monthly_limit"))
    member_cap = _money("Monthly cap per member (USD)", _help("member_cap"))
    request_cap = _money("Cap per request (USD)", _help("request_cap"))
    approval_above = _money("Approval above (USD)", _help("approval_above"))
    time_zone = forms.ChoiceField(
        label="Months and days are counted in",
        help_text="The workspace's time zone: a month's budget starts at midnight on the 1st there.",
    )

    class Meta:
        model = Budget
        fields = ["monthly_limit", "member_cap", "request_cap", "approval_above", "members_may_ask"]

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones() - {"localtime"}) or ["UTC"]
        if time_zone not in zones:
            zones.insert(0, time_zone)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(z, z.replace("_", " ")) for z in zones]
        self.fields["time_zone"].initial = time_zone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        limit, cap = data.get("monthly_limit"), data.get("member_cap")
        if limit is not None and cap is not None and cap > limit:
            self.add_error("member_cap", "A member's cap can't be more than the whole budget.")
        return data


class MemberCapForm(forms.Form):
    """One member's own monthly cap; empty: the workspace's cap per member applies."""

    monthly_cap = _money("Own monthly cap (USD)", "Empty: the cap per member applies.")


class DecisionForm(forms.Form):
    note = forms.CharField(
        label="Note to the requester",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
