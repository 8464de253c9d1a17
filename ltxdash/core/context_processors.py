from django.conf import settings
from django.http import HttpRequest


def ltxdash(request: HttpRequest) -> dict[str, object]:
    context: dict[str, object] = {
        "ltx_simulated": settings.LTX_SIMULATED,
        "password_reset_enabled": settings.LTXDASH_PASSWORD_RESET,
    }
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        from ltxdash import access
        from ltxdash.generations import pauses
        from ltxdash.spend import banners as spend_banners
        from ltxdash.workspaces import current

        # The header's workspace and switcher (the access module already read them).
        membership = context["membership"] = current.membership(request.user)
        # One indexed read per page: the account-pause banner shows on every page while the
        # key of the workspace is paused (staff: any key).
        context["dispatch_pause"], context["other_pauses"] = pauses.seen_by(
            request.user, membership.workspace_id if membership else None
        )
        context["memberships"] = current.memberships(request.user)
        if membership is not None:  # budgets at 80 %, approvals waiting (no query without a budget)
            context["spend_banners"] = spend_banners.seen_by(request.user, membership)
        context["can_generate"] = access.may_generate(request.user)
    return context
