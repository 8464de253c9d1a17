"""Boards in Django admin: each with its clips (in order) and its public links inline; board
links listed with their status and views, revocable. Tokens are never shown: only their hash."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString

from ltxdash.boards.models import Board, BoardItem, BoardLink
from ltxdash.gallery.admin import StatusFilter, revoke_links, status_pill


class BoardItemInline(admin.TabularInline):
    model = BoardItem
    extra = 0
    fields = readonly_fields = ("position", "generation", "added_by", "added_at")
    can_delete = False  # clips are taken off on the board page

    def has_add_permission(self, request: HttpRequest, obj: Board | None = None) -> bool:
        return False  # clips are added from the gallery, where access is checked per clip

    def get_queryset(self, request: HttpRequest) -> QuerySet[BoardItem]:
        return super().get_queryset(request).select_related("generation", "added_by")


class BoardLinkInline(admin.TabularInline):
    model = BoardLink
    extra = 0
    fields = readonly_fields = (
        "created_at",
        "created_by",
        "expires_at",
        "revoked_at",
        "allow_downloads",
        "show_prompts",
        "views",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Board | None = None) -> bool:
        return False  # a link's token is shown once, to whoever makes it on the board page


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "clip_count", "created_by", "updated_at")
    list_select_related = ("workspace", "created_by")
    list_filter = ("workspace",)
    search_fields = ("name", "description", "workspace__name")
    fields = ("workspace", "name", "description", "cover", "created_by", "created_at", "updated_at")
    readonly_fields = ("workspace", "cover", "created_by", "created_at", "updated_at")
    inlines = [BoardItemInline, BoardLinkInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # boards are made by members, on the boards page

    def get_queryset(self, request: HttpRequest) -> QuerySet[Board]:
        return super().get_queryset(request).annotate(clip_total=Count("items"))

    @admin.display(description="clips", ordering="clip_total")
    def clip_count(self, board: Board) -> int:
        return getattr(board, "clip_total", 0)


@admin.register(BoardLink)
class BoardLinkAdmin(admin.ModelAdmin):
    list_display = ("id", "board", "created_by", "created_at", "expires_at", "views", "status")
    list_select_related = ("board", "created_by")
    list_filter = (StatusFilter, "allow_downloads", "show_prompts", "created_at")
    search_fields = ("board__name", "created_by__username")
    ordering = ("-created_at",)
    actions = ("revoke",)
    fields = (
        "board",
        "status",
        "allow_downloads",
        "show_prompts",
        "token_hash",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "views",
        "last_viewed_at",
    )
    readonly_fields = tuple(f for f in fields if f != "expires_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Status")
    def status(self, link: BoardLink) -> SafeString:
        return status_pill(link)

    @admin.action(description="Revoke the selected board links")
    def revoke(self, request: HttpRequest, queryset: QuerySet[BoardLink]) -> None:
        links = queryset.select_related("board")
        count = revoke_links(request, links, lambda link: link.board.workspace_id)
        self.message_user(request, f"Revoked {count} board link(s).", messages.SUCCESS)
