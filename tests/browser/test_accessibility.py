"""axe-core on every page, in a real Chromium: desktop and phone widths, dark and light themes,
logged in and logged out. A serious or critical violation fails the test, with its rule, the
elements it found and axe's own help link.

``PAGES`` names every page of the product; ``test_every_page_is_swept`` fails when a URL that
answers a browser with HTML is missing from it (or from ``NOT_PAGES``, with the reason), so a
new page can't ship unchecked. ``ADMIN_PAGES`` does the same for the admin, logged in as a
superuser: its index, every list of ours (``test_every_admin_list_of_ours_is_swept``) and the
change pages an operator opens. Every other browser test also runs axe on the page it ends on
(``tests.support.browser.assert_accessible``, called by the browser fixtures).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ltxdash.audit.models import AuditEntry
from ltxdash.boards.models import Board, BoardLink
from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import DispatchState, State
from ltxdash.ltx import catalog
from ltxdash.ltx.errors import InsufficientFundsError
from ltxdash.spend import ledger
from ltxdash.spend.models import Approval, Budget, LedgerEntry
from ltxdash.workspaces.models import ApiKey, Invitation, Membership, Role
from tests.factories import T2V, ago, make_clip, make_generation, make_user
from tests.support.browser import CHROMIUM, assert_accessible, launch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
needs_chromium = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium")


@dataclass(frozen=True)
class Page:
    name: str  # the URL name it renders (for the coverage check)
    path: Callable[[dict], str]  # from the objects the sweep made
    logged_in: bool = True


PAGES = [
    Page("login", lambda o: "/accounts/login/", logged_in=False),
    Page("generations:create", lambda o: "/"),
    *[
        Page("generations:create", lambda o, slug=slug: f"/?mode={slug}")
        for slug, _ in catalog.endpoint_choices()
    ],
    Page("generations:create", lambda o: f"/?source={o['clip'].pk}"),
    Page("gallery:index", lambda o: "/gallery/"),
    Page("gallery:index", lambda o: "/gallery/?q=nothing+matches+this"),
    Page("gallery:clip", lambda o: f"/gallery/{o['clip'].pk}/"),
    Page("gallery:clip", lambda o: f"/gallery/{o['failed'].pk}/"),
    Page("gallery:delete", lambda o: f"/gallery/{o['clip'].pk}/delete"),
    Page("password_change", lambda o: "/accounts/password_change/"),
    Page("password_change_done", lambda o: "/accounts/password_change/done/"),
    Page("share:page", lambda o: f"/s/{o['token']}", logged_in=False),
    Page("boards:index", lambda o: "/boards/"),
    Page("boards:board", lambda o: f"/boards/{o['board'].pk}/"),
    Page("boards:pick", lambda o: f"/boards/pick?ids={o['clip'].pk}"),
    # A board link showing prompts and downloads (every part of the page), on its second clip.
    Page("public_board:page", lambda o: f"/b/{o['board_token']}/?clip=2", logged_in=False),
    Page("workspaces:members", lambda o: "/workspaces/members/"),
    Page("workspaces:api_key", lambda o: "/workspaces/key/"),  # with the workspace's own key
    Page("spend:budget", lambda o: "/spend/budget/"),
    Page("spend:approvals", lambda o: "/spend/approvals/"),  # with a request waiting
    Page("audit:log", lambda o: "/audit/"),  # with the invitation's and the key's entries
    Page("audit:log", lambda o: "/audit/?since=2026-03-05&until=2026-03-01"),  # a wrong filter
    Page("spend:usage", lambda o: "/spend/usage/"),  # two clips charged: the chart, the tables
    Page("join", lambda o: f"/invite/{o['invite']}"),  # logged in: join as yourself
    Page("join", lambda o: f"/invite/{o['invite']}", logged_in=False),  # make an account
    Page("", lambda o: "/no/such/page/"),  # the 404 page, logged in
    Page("", lambda o: "/no/such/page/", logged_in=False),
]

# URLs a browser can GET that are not pages of their own, and why.
NOT_PAGES = {
    "healthz": "JSON for load balancers",
    "generations:refresh": "an HTMX fragment of the create page (swept with it)",
    "generations:card": "an HTMX fragment: one card of the create page",
    "gallery:file": "media",
    "gallery:poster": "media",
    "gallery:download": "media",
    "gallery:export_csv": "a download (CSV)",
    "spend:usage_csv": "a download (CSV)",
    "share:video": "media",
    "share:poster": "media",
    "public_board:zip": "a download",
    "gallery:selection_count": "JSON for the select bar",
    "public_board:file": "media",
    "public_board:poster": "media",
    "public_board:download": "media",
    "logout": "POST only; its answer, the logged-out page, is swept after the logged-in pages",
    "password_reset": "off unless email is configured",
    "password_reset_done": "off unless email is configured",
    "password_reset_confirm": "off unless email is configured",
    "password_reset_complete": "off unless email is configured",
}
POST_ONLY = {
    "generations:cancel",
    "generations:retry",
    "gallery:favourite",
    "gallery:rename",
    "gallery:share_create",
    "gallery:share_revoke",
    "boards:link_create",
    "boards:link_revoke",
    "gallery:export_zip",
    "workspaces:switch",
    "workspaces:invite",
    "workspaces:change_role",
    "workspaces:remove_member",
    "workspaces:revoke_invitation",
    "workspaces:stop_api_key",
    "gallery:bulk",  # its one page, "Delete N clips?", is swept by tests/boards/test_browser.py
    "boards:create",
    "boards:edit",
    "boards:delete",
    "boards:add",
    "boards:remove",
    "boards:move",
    "boards:cover",
    "spend:member_cap",
    "spend:approve",
    "spend:decline",
}


def charge_today(generation) -> None:
    """The clip's ledger entry, reserved and then charged as the pipeline does it (today, in the
    workspace's time zone): the usage page's chart, totals and tables all show."""
    from django.utils import timezone

    ledger.reserve([generation], ledger.price("text-to-video", T2V), generation.workspace)
    ledger.follow(generation.pk, "submitting", "pending", timezone.now())


def url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # Django's admin: ADMIN_PAGES, swept by test_the_admin_pages_pass
            space = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= url_names(entry, space)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


def test_every_page_is_swept():
    swept = {page.name for page in PAGES}
    missing = url_names() - swept - set(NOT_PAGES) - POST_ONLY
    assert not missing, f"add these to PAGES (or NOT_PAGES, with why): {sorted(missing)}"


@pytest.fixture
def objects(owner) -> dict:
    clip = make_clip(owner)
    failed = make_generation(
        owner,
        State.FAILED,
        error_type="content_filter_error",
        error_message="The prompt was refused by the content filter.",
    )
    make_generation(owner, State.PROCESSING)
    charge_today(failed)  # the usage page (charged: it failed at LTX)
    token = ShareLink.create_for(clip, None)[1]
    # A second member and an open invitation: the members page shows both tables filled.
    Membership.objects.create(workspace=clip.workspace, user=make_user("bob"), role=Role.VIEWER)
    invite = Invitation.create(clip.workspace, Role.CREATOR, owner)[1]
    # The workspace's own LTX key: the key page shows it (masked), and the admin lists it.
    ApiKey.store(clip.workspace, "ltx-sk-sweep-0123456789-abcd", owner, max_concurrency=3)
    # A board holding clips (the boards list shows its cover, the board page its grid), and a
    # board link showing prompts and downloads (every part of the public page).
    board = Board.objects.create(
        workspace=clip.workspace, name="Opening shot", description="Takes.", created_by=owner
    )
    board.add([clip, make_clip(owner, title="Second take"), make_clip(owner), failed], by=owner)
    board_token = BoardLink.create_for(
        board, None, by=owner, allow_downloads=True, show_prompts=True
    )[1]
    # Money: a budget 90 % used (the banner shows), an entry in the ledger, and a request of a
    # creator waiting for approval (the approvals page, and its banner).
    Budget.objects.create(workspace=clip.workspace, monthly_limit=Decimal("0.40"))
    charge_today(clip)
    maker = make_user("cam")
    Membership.objects.create(workspace=clip.workspace, user=maker, role=Role.CREATOR)
    awaiting = make_generation(maker, State.AWAITING_APPROVAL, workspace=clip.workspace)
    Approval.objects.create(
        generation=awaiting, workspace=clip.workspace, reason="$0.36: over the cap.", amount=1
    )
    return {
        "clip": clip,
        "failed": failed,
        "token": token,
        "invite": invite,
        "board": board,
        "board_token": board_token,
    }


@needs_chromium
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_every_page_has_no_serious_violation(live_server, owner, objects, viewport, theme):
    client = Client()
    client.force_login(owner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    failures: list[str] = []
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}
    with launch(viewport=viewport, theme=theme) as browser:
        for logged_in in (True, False):
            context = browser.context([cookie] if logged_in else None)
            page = context.new_page()
            for item in PAGES:
                if item.logged_in != logged_in:
                    continue
                path = item.path(objects)
                page.goto(live_server.url + path)
                failures += check(page, f"{path} ({viewport}, {theme})")
            if logged_in:  # and the page that logging out ends on
                page.goto(live_server.url + "/")
                page.click(".account-menu summary")
                page.click("text=Log out")
                page.wait_for_url("**/accounts/login/**")
                failures += check(page, f"the logged-out page ({viewport}, {theme})")
            context.close()
    assert not failures, "\n\n".join(failures)


def check(page, where: str) -> list[str]:
    try:
        assert_accessible(page, where)
    except AssertionError as failure:
        return [str(failure)]
    return []


# The admin, as a superuser sees it: the index, every list of ours, the clip page of a ready
# clip, of one at risk and of one made from another, and the other change pages. The account is
# paused, so every page also carries the pause banner. Django's own pages (users, groups) and
# the packages' (django-q2's tasks, django-axes' logs) are its and theirs: not swept.
ADMIN_PAGES = [
    Page("admin:login", lambda o: "/admin/login/", logged_in=False),
    Page("admin:index", lambda o: "/admin/"),
    Page("admin:generations_generation_changelist", lambda o: "/admin/generations/generation/"),
    Page(
        "admin:generations_generation_changelist",
        lambda o: "/admin/generations/generation/?at_risk__exact=1&endpoint=text-to-video",
    ),
    Page("admin:generations_generation_change", lambda o: o["change"]["clip"]),
    Page("admin:generations_generation_change", lambda o: o["change"]["at_risk"]),
    Page("admin:generations_generation_change", lambda o: o["change"]["hdr"]),
    Page("admin:generations_output_changelist", lambda o: "/admin/generations/output/"),
    Page("admin:generations_output_change", lambda o: o["change"]["output"]),
    Page("admin:gallery_sharelink_changelist", lambda o: "/admin/gallery/sharelink/"),
    Page("admin:gallery_sharelink_change", lambda o: o["change"]["link"]),
    Page(
        "admin:generations_dispatchstate_changelist", lambda o: "/admin/generations/dispatchstate/"
    ),
    Page(
        "admin:generations_dispatchstate_change",
        lambda o: o["change"]["dispatcher"],
    ),
    Page("admin:core_lease_changelist", lambda o: "/admin/core/lease/"),
    Page("admin:boards_board_changelist", lambda o: "/admin/boards/board/"),
    Page("admin:boards_board_change", lambda o: o["change"]["board"]),
    Page("admin:boards_boardlink_changelist", lambda o: "/admin/boards/boardlink/"),
    Page("admin:workspaces_workspace_changelist", lambda o: "/admin/workspaces/workspace/"),
    Page("admin:workspaces_workspace_change", lambda o: o["change"]["workspace"]),
    Page("admin:workspaces_membership_changelist", lambda o: "/admin/workspaces/membership/"),
    Page("admin:workspaces_apikey_changelist", lambda o: "/admin/workspaces/apikey/"),
    Page("admin:workspaces_apikey_change", lambda o: o["change"]["api_key"]),
    Page("admin:spend_ledgerentry_changelist", lambda o: "/admin/spend/ledgerentry/"),
    Page("admin:spend_ledgerentry_change", lambda o: o["change"]["ledger_entry"]),
    Page("admin:spend_budget_changelist", lambda o: "/admin/spend/budget/"),
    Page("admin:spend_membercap_changelist", lambda o: "/admin/spend/membercap/"),
    Page("admin:spend_approval_changelist", lambda o: "/admin/spend/approval/"),
    Page("admin:audit_auditentry_changelist", lambda o: "/admin/audit/auditentry/"),
    Page("admin:audit_auditentry_change", lambda o: o["change"]["audit_entry"]),
]
OUR_APPS = {"generations", "gallery", "core", "workspaces", "boards", "spend", "audit"}


def test_every_admin_list_of_ours_is_swept():
    swept = {page.name for page in ADMIN_PAGES}
    ours = {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for model in admin.site._registry
        if model._meta.app_label in OUR_APPS
    }
    assert not ours - swept, f"add these to ADMIN_PAGES: {sorted(ours - swept)}"


@pytest.fixture
def admin_objects(owner, objects) -> dict:
    clip = objects["clip"]
    at_risk = make_generation(
        owner,
        State.REHOSTING,
        at_risk=True,
        completed_at=ago(3 * 3600),
        retention_ends_at=ago(-3600),
        estimated_cost="1.2000",
    )
    hdr = make_generation(
        owner, State.QUEUED, endpoint="video-to-video-hdr", model="", prompt="", parent=clip
    )
    DispatchState.pause_for(InsufficientFundsError("Not enough credits."))
    link = ShareLink.objects.filter(generation=clip).first()
    change = {
        "clip": reverse("admin:generations_generation_change", args=[clip.pk]),
        "at_risk": reverse("admin:generations_generation_change", args=[at_risk.pk]),
        "hdr": reverse("admin:generations_generation_change", args=[hdr.pk]),
        "output": reverse("admin:generations_output_change", args=[clip.outputs.first().pk]),
        "link": reverse("admin:gallery_sharelink_change", args=[link.pk]),
        "workspace": reverse("admin:workspaces_workspace_change", args=[clip.workspace_id]),
        "board": reverse("admin:boards_board_change", args=[objects["board"].pk]),
        "dispatcher": reverse(
            "admin:generations_dispatchstate_change", args=[DispatchState.get().pk]
        ),
        "api_key": reverse(
            "admin:workspaces_apikey_change", args=[ApiKey.in_use(clip.workspace_id).pk]
        ),
        "audit_entry": reverse(
            "admin:audit_auditentry_change", args=[AuditEntry.objects.latest("at", "id").pk]
        ),
        "ledger_entry": reverse(
            "admin:spend_ledgerentry_change", args=[LedgerEntry.objects.get(clip_number=clip.pk).pk]
        ),
    }
    return {**objects, "change": change, "root": make_user("root", superuser=True)}


@needs_chromium
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_admin_pages_pass(live_server, admin_objects, viewport, theme):
    client = Client()
    client.force_login(admin_objects["root"])
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}
    failures: list[str] = []
    with launch(viewport=viewport, theme=theme) as browser:
        for logged_in in (True, False):
            context = browser.context([cookie] if logged_in else None)
            page = context.new_page()
            for item in ADMIN_PAGES:
                if item.logged_in != logged_in:
                    continue
                path = item.path(admin_objects)
                response = page.goto(live_server.url + path)
                assert response is not None and response.status == 200, path
                assert page.evaluate("document.documentElement.dataset.theme") == theme, path
                failures += check(page, f"{path} ({viewport}, {theme})")
            context.close()
    assert not failures, "\n\n".join(failures)
