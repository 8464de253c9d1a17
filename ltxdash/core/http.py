"""Request types for views, for the type checker: what the middleware adds to a request.

Django's ``HttpRequest`` says nothing of what middleware attaches at run time, so a view that
reads ``request.htmx`` or treats ``request.user`` as a real account does not type-check against
it. django-stubs and django-htmx both document the answer: annotate the view's ``request`` with a
subclass that declares those attributes. The classes below only declare; nothing creates them,
and at run time the view still gets Django's own request object.

``AuthedHttpRequest`` is the one most views want. ``LoginRequiredMiddleware`` turns away every
anonymous request unless the view is marked ``@login_not_required``, so by the time any other
view runs, ``request.user`` is a saved ``User`` (not ``User | AnonymousUser``) and needs no
``is_authenticated`` check before filtering by owner::

    @require_safe
    def clip(request: AuthedHttpRequest, pk: int) -> HttpResponse:
        generation = access.generation(request.user, pk)
        template = "gallery/_clip.html" if request.htmx else "gallery/clip.html"
        ...

``HtmxHttpRequest`` is for views marked ``@login_not_required`` (share links, the health check):
``request.htmx`` is there, but the user may be anonymous, so test ``request.user.is_authenticated``
before treating it as an account.

The type checker takes the annotation on trust: give ``AuthedHttpRequest`` only to views that
the middleware (or ``@login_required``) really keeps anonymous users out of. ``user: User`` names
``django.contrib.auth.models.User`` because ``AUTH_USER_MODEL`` is Django's default; a custom user
model would be named here instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:  # importing the model at run time would need the app registry ready
    from django.contrib.auth.models import User


class HtmxHttpRequest(HttpRequest):
    """Any request past ``HtmxMiddleware``: ``request.htmx`` is set; the user may be anonymous."""

    htmx: HtmxDetails


class AuthedHttpRequest(HtmxHttpRequest):
    """A request from a logged-in user: what every view not marked ``@login_not_required`` gets."""

    user: User
