"""Logging in: the account URLs, password reset only when mail can be sent, and the address
login throttling counts failures by."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

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


def locked_out(
    request: HttpRequest, original_response: HttpResponseBase | None, credentials: Any
) -> HttpResponse:
    """django-axes' answer to a locked-out login (``AXES_LOCKOUT_CALLABLE``): our page, 429."""
    from axes.helpers import get_client_username, get_cool_off

    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else 0
    context = {
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
