"""Workspaces in Django admin: each with its members inline (role, when they joined)."""

from __future__ import annotations

from django.contrib import admin

from ltxdash.workspaces.models import Membership, Workspace


class MembershipInline(admin.StackedInline):
    # Stacked: a tabular inline's inputs have no labels (axe: label, select-name).
    model = Membership
    extra = 0
    fields = ("user", "role", "joined_at")
    readonly_fields = ("joined_at",)
    autocomplete_fields = ("user",)


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "members", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]

    @admin.display(description="members")
    def members(self, workspace: Workspace) -> int:
        return workspace.memberships.count()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "workspace", "role", "joined_at")
    list_filter = ("role", "workspace")
    search_fields = ("user__username", "workspace__name")
    autocomplete_fields = ("user", "workspace")
