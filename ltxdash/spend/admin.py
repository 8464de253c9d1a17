"""Django admin for money: the ledger (read-only, with the two ways an admin settles an entry),
budgets with members' own caps, and the approvals record."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ltxdash.audit import log as audit
from ltxdash.generations.admin import (
    EMPTY,
    ModeFilter,
    ModelFilter,
    RecordAdmin,
    clip_link,
    money,
)
from ltxdash.generations.models import Generation, State
from ltxdash.ltx import catalog
from ltxdash.spend import budgets, ledger
from ltxdash.spend.models import Approval, Budget, LedgerEntry, MemberCap

# What a price is counted in (the catalog's ``bills_on``), in words.
BILLED_ON = {
    "output_seconds": "of video made",
    "input_audio_seconds": "of the input audio",
    "input_video_seconds": "of the input video",
    "extension_plus_context": "of extension and its context",
}


def price_words(
    amount: Any,
    priced_on: str,
    billed_seconds: Any,
    usd_per_second: Any,
    confirmed: bool,
) -> str:
    """How an amount was worked out: "6 s of video made at $0.06 a second = $0.36 (LTX's price
    list does not confirm this price)"."""
    if usd_per_second is None or billed_seconds is None:
        return "No price is known for these settings." if not amount else catalog.usd(amount)
    what = BILLED_ON.get(priced_on, priced_on.replace("_", " "))
    rate = catalog.usd(usd_per_second)
    sums = f"{Decimal(billed_seconds).normalize():f} s {what} at {rate} a second"
    total = f" = {catalog.usd(amount)}" if amount is not None else ""
    sure = "" if confirmed else " (an estimate: no primary source confirms this price)"
    return f"{sums}{total}{sure}"


def clip_cell(generation: Generation | None, number: int) -> SafeString | str:
    """The clip by number and name, linking to its admin page; its number once deleted."""
    return clip_link(generation) if generation else f"#{number} (deleted)"


class MonthFilter(admin.SimpleListFilter):
    """The calendar month an entry counts in (the workspace's time zone), newest first."""

    title = "month"
    parameter_name = "month"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        months = LedgerEntry.objects.dates("month", "month", order="DESC")[:36]
        return [(m.isoformat(), m.strftime("%B %Y")) for m in months]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(month=value) if value else queryset


@admin.register(LedgerEntry)
class LedgerEntryAdmin(RecordAdmin):
    list_display = [
        "clip",
        "workspace",
        "member",
        "mode",
        "status_pill",
        "cost",
        "priced",
        "day",
    ]
    list_filter = [
        "workspace",
        ("member", admin.RelatedOnlyFieldListFilter),
        MonthFilter,
        "status",
        "flagged",
        ModeFilter,
        ModelFilter,
        "confirmed",
    ]
    search_fields = ["clip_number", "member__username", "note"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace", "member"]
    # The detail page in words: what it was, what it cost and how, how the clip ended, when.
    fieldsets = [
        ("What", {"fields": ["clip_name", "workspace", "member", "mode_name", "model_name"]}),
        ("Cost", {"fields": ["status_pill", "cost", "price", "note"]}),
        ("How the clip ended", {"fields": ["ended", "took"]}),
        (
            "When",
            {"fields": ["counted_in", "created_at", "charged_at", "settled_at", "settled_by"]},
        ),
    ]
    actions = ["waive", "settle_billed", "settle_not_billed"]
    show_full_result_count = False

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        # "Outcome unknown" only on the entries it is true of: it asks an admin to settle it.
        if obj is None or not obj.flagged:
            return self.fieldsets
        what, cost, *rest = self.fieldsets
        flagged = ("Cost", {"fields": ["status_pill", "unknown", *cost[1]["fields"][1:]]})
        return [what, flagged, *rest]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list:
        return [f for fs in self.get_fieldsets(request, obj) for f in fs[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # money spent stays on record

    @admin.display(description="clip", ordering="clip_number")
    def clip(self, obj: LedgerEntry) -> str:
        return f"#{obj.clip_number}"

    @admin.display(description="clip")
    def clip_name(self, obj: LedgerEntry) -> SafeString | str:
        return clip_cell(obj.generation, obj.clip_number)

    @admin.display(description="mode")
    def mode_name(self, obj: LedgerEntry) -> str:
        return catalog.endpoint_label(obj.endpoint)

    @admin.display(description="model")
    def model_name(self, obj: LedgerEntry) -> str:
        return catalog.model_label(obj.model) if obj.model else EMPTY

    @admin.display(description="how it is priced")
    def price(self, obj: LedgerEntry) -> str:
        return price_words(
            obj.amount, obj.priced_on, obj.billed_seconds, obj.usd_per_second, obj.confirmed
        )

    @admin.display(description="outcome unknown")
    def unknown(self, obj: LedgerEntry) -> SafeString:
        return format_html(
            '<span class="at-risk"><span aria-hidden="true">⚠</span> Outcome unknown</span> {}',
            "The submit may have reached LTX: the amount stays reserved until an admin "
            "settles it (the actions “LTX billed it” or “LTX did not bill it”).",
        )

    @admin.display(description="clip ended")
    def ended(self, obj: LedgerEntry) -> str:
        if not obj.outcome:
            return "Not yet"
        return State(obj.outcome).label if obj.outcome in State.values else obj.outcome

    @admin.display(description="ready after")
    def took(self, obj: LedgerEntry) -> str:
        return EMPTY if obj.seconds_to_ready is None else f"{obj.seconds_to_ready:.0f} s"

    @admin.display(description="counts in")
    def counted_in(self, obj: LedgerEntry) -> str:
        return f"{obj.day:%-d %b %Y} ({obj.month:%B %Y})"

    @admin.display(description="mode", ordering="endpoint")
    def mode(self, obj: LedgerEntry) -> str:
        label = catalog.endpoint_label(obj.endpoint)
        return f"{label} · {catalog.model_label(obj.model)}" if obj.model else label

    @admin.display(description="status", ordering="status")
    def status_pill(self, obj: LedgerEntry) -> SafeString:
        tone = {"charged": "info", "released": "muted", "waived": "muted"}.get(obj.status, "warn")
        text = obj.get_status_display() + (" · outcome unknown" if obj.flagged else "")
        return format_html('<span class="pill pill-{}">{}</span>', tone, text)

    @admin.display(description="amount", ordering="amount")
    def cost(self, obj: LedgerEntry) -> SafeString | str:
        return money(obj.amount)

    @admin.display(description="priced on")
    def priced(self, obj: LedgerEntry) -> str:
        what = BILLED_ON.get(obj.priced_on, obj.priced_on.replace("_", " "))
        seconds = f"{obj.billed_seconds:g} s " if obj.billed_seconds is not None else ""
        sure = "" if obj.confirmed else " (unconfirmed)"
        return f"{seconds}{what}{sure}".strip() or "-"

    @admin.action(description="Waive the charge (LTX did not bill this failed job)")
    def waive(self, request: HttpRequest, queryset: QuerySet[LedgerEntry]) -> None:
        done = sum(ledger.waive(entry, request.user) for entry in queryset)
        self.message_user(request, f"{done} charge(s) waived; others were not charged.")

    @admin.action(description="Outcome unknown: LTX billed it (charge)")
    def settle_billed(self, request: HttpRequest, queryset: QuerySet[LedgerEntry]) -> None:
        done = sum(ledger.settle_unknown(e, billed=True, by=request.user) for e in queryset)
        self._settled(request, done)

    @admin.action(description="Outcome unknown: LTX did not bill it (release)")
    def settle_not_billed(self, request: HttpRequest, queryset: QuerySet[LedgerEntry]) -> None:
        done = sum(ledger.settle_unknown(e, billed=False, by=request.user) for e in queryset)
        self._settled(request, done)

    def _settled(self, request: HttpRequest, done: int) -> None:
        level = messages.SUCCESS if done else messages.WARNING
        self.message_user(
            request, f"{done} entry(ies) settled; only flagged reservations can be.", level
        )


class MemberCapInline(admin.TabularInline):
    model = MemberCap
    extra = 0
    fk_name = "workspace"
    autocomplete_fields = ["user"]


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = [
        "workspace",
        "limit",
        "per_member",
        "per_request",
        "approval",
        "members_may_ask",
        "updated_at",
    ]
    list_select_related = ["workspace"]
    readonly_fields = ["updated_at", "updated_by"]

    @admin.display(description="monthly budget", ordering="monthly_limit")
    def limit(self, obj: Budget) -> SafeString | str:
        return money(obj.monthly_limit)

    @admin.display(description="cap per member")
    def per_member(self, obj: Budget) -> SafeString | str:
        return money(obj.member_cap)

    @admin.display(description="cap per request")
    def per_request(self, obj: Budget) -> SafeString | str:
        return money(obj.request_cap)

    @admin.display(description="approval above")
    def approval(self, obj: Budget) -> SafeString | str:
        return money(obj.approval_above)

    def save_model(self, request: HttpRequest, obj: Budget, form: Any, change: bool) -> None:
        obj.updated_by = request.user  # type: ignore[assignment]
        before = budgets.describe(Budget.objects.filter(pk=obj.pk).first() if obj.pk else None)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if detail := budgets.changes(before, budgets.describe(obj)):
                audit.record(
                    request.user,
                    obj.workspace_id,
                    audit.Action.BUDGET_CHANGED,
                    detail=f"{detail} (in Django's admin)",
                )


@admin.register(MemberCap)
class MemberCapAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "monthly_cap"]
    list_filter = ["workspace"]
    autocomplete_fields = ["user"]


@admin.register(Approval)
class ApprovalAdmin(RecordAdmin):
    list_display = ["generation", "workspace", "outcome", "cost", "requested_at", "decided_by"]
    list_filter = ["workspace", "outcome"]
    list_select_related = ["generation", "workspace", "decided_by"]
    # Built like the ledger's: words, dollars and catalog names, not the stored JSON and ids.
    fieldsets = [
        ("What", {"fields": ["clip_name", "workspace", "mode_name", "model_name", "reason"]}),
        ("Cost", {"fields": ["cost", "price_text"]}),
        ("Decision", {"fields": ["outcome", "requested_at", "decided_at", "decided_by", "note"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list:
        return [f for fs in self.fieldsets for f in fs[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="estimated cost", ordering="amount")
    def cost(self, obj: Approval) -> SafeString | str:
        return money(obj.amount)

    @admin.display(description="clip")
    def clip_name(self, obj: Approval) -> SafeString | str:
        return clip_cell(obj.generation, obj.generation_id)

    @admin.display(description="mode")
    def mode_name(self, obj: Approval) -> str:
        return catalog.endpoint_label(obj.generation.endpoint)

    @admin.display(description="model")
    def model_name(self, obj: Approval) -> str:
        model = obj.generation.model
        return catalog.model_label(model) if model else EMPTY

    @admin.display(description="how it is priced")
    def price_text(self, obj: Approval) -> str:
        price = ledger.Price.from_json(obj.price) if obj.price else None
        if price is None:
            return price_words(obj.amount, "", None, None, False)
        return price_words(
            price.amount,
            price.priced_on,
            price.billed_seconds,
            price.usd_per_second,
            price.confirmed,
        )
