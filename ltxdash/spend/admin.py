"""Django admin for money: the ledger (read-only, with the two ways an admin settles an entry),
budgets with members' own caps, and the approvals record."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ltxdash.audit import log as audit
from ltxdash.generations.admin import ModeFilter, ModelFilter, RecordAdmin, money
from ltxdash.ltx import catalog
from ltxdash.spend import budgets, ledger
from ltxdash.spend.models import Approval, Budget, LedgerEntry, MemberCap


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
    readonly_fields = [f.name for f in LedgerEntry._meta.fields]
    actions = ["waive", "settle_billed", "settle_not_billed"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # money spent stays on record

    @admin.display(description="clip", ordering="clip_number")
    def clip(self, obj: LedgerEntry) -> str:
        return f"#{obj.clip_number}"

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
        what = obj.priced_on.replace("_", " ")
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
    readonly_fields = [f.name for f in Approval._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="estimated cost", ordering="amount")
    def cost(self, obj: Approval) -> SafeString | str:
        return money(obj.amount)
