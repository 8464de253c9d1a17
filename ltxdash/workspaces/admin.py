"""Workspaces in Django admin: each with its members inline (role, when they joined) and its LTX
keys (masked, read only); the keys list, where an operator changes a key's jobs at once or stops
using it. Keys are added on the workspace's own page (checked with LTX first), never here, and
their ciphertext is never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from ltxdash.audit import log as audit
from ltxdash.workspaces.models import ApiKey, Membership, Workspace


class MembershipInline(admin.StackedInline):
    # Stacked: a tabular inline's inputs have no labels (axe: label, select-name).
    model = Membership
    extra = 0
    fields = ("user", "role", "joined_at")
    readonly_fields = ("joined_at",)
    autocomplete_fields = ("user",)


class ApiKeyInline(admin.StackedInline):
    """The workspace's keys, the one in use first: masked, nothing editable here."""

    model = ApiKey
    extra = 0
    can_delete = False
    fields = ("masked", "max_concurrency", "created_at", "created_by", "retired_at")
    readonly_fields = fields
    verbose_name_plural = "LTX keys (set on the workspace's key page)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="key")
    def masked(self, key: ApiKey) -> str:
        return key.masked


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "members", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline, ApiKeyInline]

    @admin.display(description="members")
    def members(self, workspace: Workspace) -> int:
        return workspace.memberships.count()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "workspace", "role", "joined_at")
    list_filter = ("role", "workspace")
    search_fields = ("user__username", "workspace__name")
    autocomplete_fields = ("user", "workspace")


class InUseFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "in_use"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "In use"), ("no", "Replaced or stopped")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
        if self.value() in ("yes", "no"):
            return queryset.filter(retired_at__isnull=self.value() == "yes")
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Workspaces' own LTX keys, masked. Only "jobs at once" can be changed; a key is stopped
    (the workspace falls back to LTX_API_KEY), never deleted: jobs it sent are polled with it."""

    list_display = (
        "workspace",
        "masked",
        "jobs_at_once",
        "created_at",
        "created_by",
        "status",
    )
    list_filter = (InUseFilter, "workspace")
    list_select_related = ("workspace", "created_by")
    search_fields = ("workspace__name", "workspace__slug", "last4")
    fields = ("workspace", "masked", "max_concurrency", "created_at", "created_by", "retired_at")
    readonly_fields = ("workspace", "masked", "created_at", "created_by", "retired_at")
    actions = ["stop_using"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # on the workspace's key page, where LTX checks it first

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # jobs it sent are still polled and copied with it: stop using it instead

    @admin.display(description="key", ordering="last4")
    def masked(self, key: ApiKey) -> str:
        return key.masked

    @admin.display(description="jobs at once", ordering="max_concurrency")
    def jobs_at_once(self, key: ApiKey) -> str:
        return str(key.max_concurrency) if key.max_concurrency else f"{key.concurrency} (default)"

    @admin.display(description="status", ordering="retired_at")
    def status(self, key: ApiKey) -> str:
        if key.retired_at is None:
            return "in use"
        return f"replaced or stopped {timezone.localtime(key.retired_at):%d %b %Y %H:%M}"

    @admin.action(description="Stop using the selected keys (their workspaces use LTX_API_KEY)")
    def stop_using(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        stopped = 0
        for key in queryset.filter(retired_at__isnull=True):
            with transaction.atomic():
                if ApiKey.objects.filter(pk=key.pk, retired_at__isnull=True).update(
                    retired_at=timezone.now()
                ):
                    stopped += 1
                    audit.record(
                        request.user,
                        key.workspace_id,
                        audit.Action.KEY_STOPPED,
                        key,
                        "In Django's admin.",
                    )
        self.message_user(
            request,
            f"{stopped} key{'s' if stopped != 1 else ''} no longer used; "
            "jobs they already sent finish with them.",
            messages.SUCCESS,
        )
