from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html

from ltxdash.gallery.models import ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("id", "clip", "owner", "created_at", "expires_at", "views", "status")
    list_select_related = ("generation__owner",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("generation__prompt", "generation__owner__username", "=generation__id")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("revoke",)
    fields = (
        "generation",
        "token_hash",
        "created_at",
        "expires_at",
        "revoked_at",
        "views",
        "last_viewed_at",
    )
    # Everything but the expiry is a record; the token hash above all (it is the link).
    readonly_fields = (
        "generation",
        "token_hash",
        "created_at",
        "revoked_at",
        "views",
        "last_viewed_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A link's token is shown only to whoever creates it, on the clip page; one made here
        # could never be opened.
        return False

    @admin.display(description="Clip", ordering="generation_id")
    def clip(self, link: ShareLink) -> str:
        try:
            url = reverse("admin:generations_generation_change", args=[link.generation_id])
        except NoReverseMatch:  # Generation not registered in this admin site
            return f"#{link.generation_id}"
        return format_html('<a href="{}">#{}</a>', url, link.generation_id)

    @admin.display(description="Owner", ordering="generation__owner__username")
    def owner(self, link: ShareLink) -> str:
        return link.generation.owner.get_username()

    @admin.display(description="Status")
    def status(self, link: ShareLink) -> str:
        if link.is_revoked:
            return "revoked"
        return "expired" if link.is_expired else "live"

    @admin.action(description="Revoke the selected share links")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ShareLink]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} share link(s).", messages.SUCCESS)
