"""Logging in: the account URLs, password reset only when mail can be sent, the address login
throttling counts failures by, and its limit per address."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth import views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse_lazy


def client_address(request: HttpRequest) -> str | None:
    """The address django-axes counts failed logins by (an IP address, or None).

    Behind the HTTPS proxy (``LTXDASH_HTTPS``) every request comes from the proxy, so the
    client is the last ``X-Forwarded-For`` entry: the one our proxy appended (earlier entries
    are whatever the client sent, and could be anything). Only a real IP address is used: it
    is stored in an address column (PostgreSQL's ``inet`` refuses anything else).
    """
    if settings.LTXDASH_HTTPS:
        forwarded = _ip(request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1])
        if forwarded:
            return forwarded
    return _ip(request.META.get("REMOTE_ADDR", ""))


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def address_failures(address: str | None) -> int:
    """Failed logins from ``address`` within the cool-off, whatever the usernames (django-axes
    keeps them per username and address; a success deletes only its own username's)."""
    from axes.models import AccessAttempt
    from django.db.models import Sum
    from django.utils import timezone

    if address is None:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class ThrottlingBackend(AxesStandaloneBackend):
    """django-axes' backend (first in AUTHENTICATION_BACKENDS), which refuses a username locked
    for this address, and also refuses every login from an address with
    ``LTXDASH_LOGIN_ADDRESS_LIMIT`` failures within the cool-off, before any password is checked.
    Both login forms (ours and the admin's) go through it."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if (
            request is not None
            and getattr(settings, "AXES_ENABLED", True)
            and address_failures(client_address(request)) >= settings.LTXDASH_LOGIN_ADDRESS_LIMIT
        ):
            request.ltxdash_address_locked = True  # type: ignore[attr-defined]
            request.axes_locked_out = True  # type: ignore[attr-defined]
            raise AxesBackendPermissionDenied("Too many failed logins from this address")
        return super().authenticate(request, username, password, **kwargs)


def locked_out(
    request: HttpRequest, original_response: HttpResponseBase | None, credentials: Any
) -> HttpResponse:
    """django-axes' answer to a locked-out login (``AXES_LOCKOUT_CALLABLE``): our page, 429."""
    from axes.helpers import get_client_username, get_cool_off

    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else 0
    context = {
        "address": getattr(request, "ltxdash_address_locked", False),
        "address_limit": settings.LTXDASH_LOGIN_ADDRESS_LIMIT,
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": minutes,
    }
    return render(request, "registration/locked_out.html", context, status=429)


def password_reset_enabled() -> bool:
    return bool(settings.LTXDASH_PASSWORD_RESET)


def _when_reset_enabled(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """404 unless mail is configured: a reset that cannot send its mail helps nobody."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not password_reset_enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


_reset = views.PasswordResetView.as_view(
    email_template_name="registration/password_reset_email.txt",
    subject_template_name="registration/password_reset_subject.txt",
    success_url=reverse_lazy("password_reset_done"),
)

# django.contrib.auth.urls, with the reset pages behind the check above.
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", _when_reset_enabled(_reset), name="password_reset"),
    path(
        "password_reset/done/",
        _when_reset_enabled(views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        _when_reset_enabled(views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        _when_reset_enabled(views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]
