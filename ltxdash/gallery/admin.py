"""Share links in Django admin: listed with their clip, owner, views and status (a pill: live,
expired, revoked), filtered by status, revocable. The token hash is read-only (it is the link)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ltxdash.audit import log as audit
from ltxdash.gallery.models import PublicLink, ShareLink


# A link's status and the colour of its pill (the product's tones).
def revoke_links(
    request: HttpRequest, links: QuerySet[Any], workspace_of: Callable[[Any], int]
) -> int:
    """Revoke public links from Django's admin, each with its audit entry (share and board
    links alike); how many were live."""
    action = (
        audit.Action.SHARE_REVOKED if links.model is ShareLink else audit.Action.BOARD_LINK_REVOKED
    )
    count = 0
    for link in links.filter(revoked_at__isnull=True):
        with transaction.atomic():
            if link.revoke():
                count += 1
                audit.record(request.user, workspace_of(link), action, link, "In Django's admin.")
    return count


STATUS_TONES = {"live": "ok", "expired": "muted", "revoked": "bad"}


def status_of(link: PublicLink) -> str:
    if link.is_revoked:
        return "revoked"
    return "expired" if link.is_expired else "live"


def status_pill(link: PublicLink) -> SafeString:
    status = status_of(link)
    return format_html(
        '<span class="pill pill-{}">{}</span>', STATUS_TONES[status], status.capitalize()
    )


class StatusFilter(admin.SimpleListFilter):
    """Live, expired or revoked, in the words of the status column."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(status, status.capitalize()) for status in STATUS_TONES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        not_revoked = Q(revoked_at__isnull=True)
        if self.value() == "live":
            return queryset.filter(
                not_revoked & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            )
        if self.value() == "expired":
            return queryset.filter(not_revoked, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("id", "clip", "owner", "created_at", "expires_at", "views", "status")
    list_select_related = ("generation__owner",)
    list_filter = (StatusFilter, "created_at")
    search_fields = ("generation__prompt", "generation__owner__username", "=generation__id")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("revoke",)
    fields = (
        "generation",
        "status",
        "title",
        "show_prompt",
        "token_hash",
        "created_at",
        "expires_at",
        "revoked_at",
        "views",
        "last_viewed_at",
    )
    # Everything but the expiry is a record; the token hash above all (it is the link). The
    # heading and whether the prompt shows are the owner's choice, made on the clip page.
    readonly_fields = (
        "generation",
        "status",
        "title",
        "show_prompt",
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
        name = f"#{link.generation_id} {link.generation.display_title}"
        try:
            url = reverse("admin:generations_generation_change", args=[link.generation_id])
        except NoReverseMatch:  # Generation not registered in this admin site
            return name
        return format_html('<a href="{}">{}</a>', url, name)

    @admin.display(description="Owner", ordering="generation__owner__username")
    def owner(self, link: ShareLink) -> str:
        return link.generation.owner.get_username()

    @admin.display(description="Status")
    def status(self, link: ShareLink) -> SafeString:
        return status_pill(link)

    @admin.action(description="Revoke the selected share links")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ShareLink]) -> None:
        links = queryset.select_related("generation")
        count = revoke_links(request, links, lambda link: link.generation.workspace_id)
        self.message_user(request, f"Revoked {count} share link(s).", messages.SUCCESS)
