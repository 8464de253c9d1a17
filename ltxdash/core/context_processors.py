from django.conf import settings
from django.http import HttpRequest


def ltxdash(request: HttpRequest) -> dict[str, object]:
    context: dict[str, object] = {
        "ltx_simulated": settings.LTX_SIMULATED,
        "password_reset_enabled": settings.LTXDASH_PASSWORD_RESET,
    }
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        from ltxdash import access
        from ltxdash.generations.models import DispatchState
        from ltxdash.workspaces import current

        # One indexed read per page: the account-pause banner shows on every page while paused.
        context["dispatch_pause"] = DispatchState.current_pause()
        # The header's workspace and switcher (the access module already read them).
        context["membership"] = current.membership(request.user)
        context["memberships"] = current.memberships(request.user)
        context["can_generate"] = access.may_generate(request.user)
    return context
