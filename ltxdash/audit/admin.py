"""The audit log in Django's admin: read-only for everyone, superusers too (no add, change or
delete permission, no actions). Filters by workspace, action and day; search by who and what."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest

from ltxdash.audit.models import AuditEntry
from ltxdash.generations.admin import RecordAdmin

SHOWN = (
    "at",
    "workspace_shown",
    "actor_shown",
    "action",
    "object_type",
    "object_id",
    "object_words",
    "detail",
)


@admin.register(AuditEntry)
class AuditEntryAdmin(RecordAdmin):
    list_display = ["at", "workspace_shown", "actor_shown", "action", "object_words"]
    list_filter = ["workspace", "action", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_name", "object_words", "object_id", "detail"]
    date_hierarchy = "at"
    list_select_related = ["workspace"]  # an outer join: a deleted workspace's entries stay
    fields = readonly_fields = SHOWN
    actions = None
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="workspace", ordering="workspace__name")
    def workspace_shown(self, obj: AuditEntry) -> str:
        try:
            found = obj.workspace  # None: the outer join found no workspace
        except ObjectDoesNotExist:
            found = None
        return str(found) if found else f"#{obj.workspace_id} (deleted)"

    @admin.display(description="who", ordering="actor_name")
    def actor_shown(self, obj: AuditEntry) -> str:
        return obj.actor_name or "the system"
