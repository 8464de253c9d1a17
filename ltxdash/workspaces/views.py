"""Choosing the workspace to work in, its members and invitations, its own LTX key, joining
through an invite link, and the 403 page of roles. Who may do what is asked of ``ltxdash.access``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ltxdash import access
from ltxdash.audit import log as audit
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.workspaces import current
from ltxdash.workspaces.forms import ApiKeyForm, InviteForm, RoleForm, SignUpForm
from ltxdash.workspaces.models import ApiKey, Invitation, Membership, Role, Workspace


@require_POST
def switch(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Work in another workspace of the user's (a 404 for one they are not in)."""
    workspace = get_object_or_404(Workspace, slug=slug, memberships__user=request.user)
    current.choose(request.user, workspace)
    return redirect("generations:create")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 with the reason in words, on the page and for HTMX (shown beside the control)."""
    reason = str(exception or "") or "Your role in this workspace does not allow that."
    body = loader.render_to_string("403.html", {"exception": reason})
    response = HttpResponse(body, status=403)
    response["X-Ltxdash-Message"] = reason
    return response


# --- members and invitations -------------------------------------------------------------------


def _members_context(request: AuthedHttpRequest, **extra: Any) -> dict[str, Any]:
    mine = access.membership(request.user)
    assert mine is not None  # login_required: a logged-in user always has one
    members = (
        Membership.objects.filter(workspace_id=mine.workspace_id)
        .select_related("user")
        .order_by("user__username")
    )
    manage = mine.role == Role.ADMIN
    return {
        "workspace": mine.workspace,
        "members": members,
        "manage": manage,
        "invitations": Invitation.objects.filter(workspace_id=mine.workspace_id)[:50]
        if manage
        else [],
        "invite_form": InviteForm(),
        "roles": Role.choices,
        "api_key": ApiKey.in_use(mine.workspace_id) if manage else None,
        **extra,
    }


@require_safe
def members(request: AuthedHttpRequest) -> HttpResponse:
    """Everyone in the workspace with their role and when they joined; admins manage them."""
    return render(request, "workspaces/members.html", _members_context(request))


@require_POST
def invite(request: AuthedHttpRequest) -> HttpResponse:
    workspace = access.managed_workspace(request.user)
    form = InviteForm(request.POST)
    extra: dict[str, Any] = {"invite_form": form}
    if form.is_valid():
        _invitation, token = Invitation.create(
            workspace, form.cleaned_data["role"], request.user, form.cleaned_data["days"]
        )
        # The only time the token exists outside the invitee's hands: shown once, not stored.
        extra["new_invite_url"] = request.build_absolute_uri(reverse("join", args=[token]))
    status = 200 if form.is_valid() else 422
    return render(
        request, "workspaces/members.html", _members_context(request, **extra), status=status
    )


@require_POST
def revoke_invitation(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    invitation = access.managed_invitation(request.user, pk)
    with transaction.atomic():
        if Invitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now()):
            revoked = audit.Action.INVITATION_REVOKED
            audit.record(request.user, invitation.workspace_id, revoked, invitation)
    messages.success(request, "The invitation was revoked: its link no longer works.")
    return redirect("workspaces:members")


@require_POST
def change_role(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    member = access.managed_member(request.user, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick one of the roles.")
    elif (
        member.role == Role.ADMIN
        and form.cleaned_data["role"] != Role.ADMIN
        and _last_admin(member)
    ):
        messages.error(
            request, "A workspace keeps at least one admin: make someone else admin first."
        )
    else:
        new = Role(form.cleaned_data["role"])
        with transaction.atomic():
            if Membership.objects.filter(pk=member.pk).exclude(role=new).update(role=new):
                detail = f"{Role(member.role).label} → {new.label}."
                audit.record(
                    request.user, member.workspace_id, audit.Action.ROLE_CHANGED, member, detail
                )
        messages.success(
            request,
            f"{member.user.get_username()} is now {Role(form.cleaned_data['role']).label.lower()}.",
        )
    return redirect("workspaces:members")


@require_POST
def remove_member(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Take someone out of the workspace: their access ends with this request; their clips stay."""
    member = access.managed_member(request.user, pk)
    if member.role == Role.ADMIN and _last_admin(member):
        messages.error(
            request, "A workspace keeps at least one admin: make someone else admin first."
        )
        return redirect("workspaces:members")
    with transaction.atomic():
        detail = "They left." if member.user_id == request.user.pk else ""
        # Recorded only by the request that removed them (a double click removes nothing more).
        if Membership.objects.filter(pk=member.pk).delete()[0]:
            audit.record(
                request.user, member.workspace_id, audit.Action.MEMBER_REMOVED, member, detail
            )
    messages.success(
        request, f"{member.user.get_username()} was removed. Their clips stay in the workspace."
    )
    return redirect(
        "workspaces:members" if member.user_id != request.user.pk else "generations:create"
    )


def _last_admin(member: Membership) -> bool:
    admins = Membership.objects.filter(workspace_id=member.workspace_id, role=Role.ADMIN)
    return not admins.exclude(pk=member.pk).exists()


# --- the workspace's own LTX key ----------------------------------------------------------------


@never_cache
@sensitive_post_parameters("key")
@require_http_methods(["GET", "POST"])
def api_key(request: AuthedHttpRequest) -> HttpResponse:
    """The key the workspace's new clips are sent with: its own (checked with LTX before it is
    saved) or the server's. Admins only; the key itself is never shown again."""
    workspace = access.key_workspace(request.user)
    in_use = ApiKey.in_use(workspace)
    form = ApiKeyForm(request.POST if request.method == "POST" else None, in_use=in_use)
    if form.is_bound and form.is_valid():
        saved, new = form.save(workspace, request.user)
        if saved is None:
            messages.error(request, "The key was stopped meanwhile: nothing was changed.")
        elif new:
            messages.success(request, f"Key {saved.masked} saved; new clips are sent with it.")
        else:
            messages.success(
                request, f"Key {saved.masked} now runs {saved.concurrency} jobs at once."
            )
        return redirect("workspaces:api_key")
    context = {
        "workspace": workspace,
        "in_use": in_use,
        "form": form,
        "default_concurrency": int(settings.LTX_MAX_CONCURRENCY),
    }
    status = 422 if form.is_bound else 200
    return render(request, "workspaces/api_key.html", context, status=status)


@require_POST
def stop_api_key(request: AuthedHttpRequest) -> HttpResponse:
    """Go back to the server's key. Jobs the old key sent are still polled and copied with it."""
    workspace = access.key_workspace(request.user)
    in_use = ApiKey.in_use(workspace)
    with transaction.atomic():
        stopped = in_use is not None and ApiKey.retire(workspace)
        if stopped:
            audit.record(request.user, workspace, audit.Action.KEY_STOPPED, in_use)
    if stopped:
        assert in_use is not None
        messages.success(
            request,
            f"Key {in_use.masked} is no longer used: new clips are sent with the server's key. "
            "Jobs it already sent finish with it.",
        )
    else:
        messages.info(request, "The workspace already uses the server's key.")
    return redirect("workspaces:api_key")


# --- joining through an invitation -------------------------------------------------------------


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """An invite link: logged in, join; logged out, make an account (or log in) and join.
    Used, revoked, expired and unknown tokens are all the same 404."""
    invitation = Invitation.open(token)
    if invitation is None:
        raise Http404("No such invitation.")
    user = request.user
    if user.is_authenticated:
        if request.method == "POST":
            return _joined(request, invitation, user)
        return render(request, "workspaces/join.html", {"invitation": invitation})
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        new_user = form.save()
        login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
        return _joined(request, invitation, new_user)
    return render(
        request,
        "workspaces/join.html",
        {
            "invitation": invitation,
            "form": form,
            "login_url": f"{reverse('login')}?next={request.path}",
        },
        status=422 if form.is_bound else 200,
    )


def _joined(request: HttpRequest, invitation: Invitation, user: Any) -> HttpResponse:
    membership = invitation.accept(user)
    if membership is None:  # used by someone else a moment ago
        raise Http404("No such invitation.")
    current.choose(user, invitation.workspace)
    messages.success(
        request,
        f"Welcome to {invitation.workspace.name}: you are {membership.get_role_display().lower()} here.",
    )
    return redirect("generations:create")
