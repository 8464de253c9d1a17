"""Spend control end to end in a real Chromium: a creator's request goes over their monthly
cap, the form says so plainly (what is left, what it costs, what to do), they ask for approval,
an admin approves it on the approvals page with a note, and the creator's card comes alive by
itself until the clip is ready, the note on it. axe-core on each page on the way."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from ltxdash.spend.models import Budget, LedgerEntry, Status
from ltxdash.workspaces import current
from ltxdash.workspaces.models import Membership, Role, Workspace
from tests.factories import make_user
from tests.support.browser import CHROMIUM, assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True),
]

READY_WITHIN = 30_000  # ms


def test_over_the_cap_the_member_asks_the_admin_approves_and_the_clip_is_made(
    pipeline, browser, ltx_simulator
):
    ltx_simulator.configure(pending_seconds=0.3, processing_seconds=1.3)
    studio = Workspace.objects.create(name="Harbour Films", slug="harbour", time_zone="UTC")
    for name, role in (("ann", Role.ADMIN), ("cam", Role.CREATOR)):
        person = make_user(name)
        Membership.objects.create(workspace=studio, user=person, role=role)
        current.choose(person, studio)
    Budget.objects.create(workspace=studio, monthly_limit=Decimal("50"), member_cap=Decimal("0.25"))

    with browser() as b:
        creator = b.new_page()
        b.log_in(creator, "cam", "cam-pass-123")
        assert "$0.25 left of your monthly cap" in creator.inner_text("#estimate")
        creator.get_by_label("Prompt", exact=True).fill(
            "Gulls over the harbour wall at first light"
        )
        creator.get_by_role("button", name="Generate").click()
        error = creator.locator(".form-error")
        error.wait_for()
        words = error.inner_text()
        assert "Your monthly cap of $0.25 has $0.25 left and this request costs $" in words
        assert "Make fewer takes or shorter clips, or ask an admin to approve it." in words
        assert creator.locator(".gen-card").count() == 0  # nothing was queued
        assert_accessible(creator, "the create page refusing a request over the cap")

        creator.get_by_role("button", name="Ask an admin to approve it").click()
        card = creator.locator(".gen-card").first
        card.wait_for()
        assert card.locator(".pill").inner_text() == "Awaiting approval"
        assert "Waiting for an admin of the workspace to approve it" in card.inner_text()
        card_id = card.get_attribute("id")
        assert_accessible(creator, "the create page with a card awaiting approval")

        admin = b.new_page()
        b.log_in(admin, "ann", "ann-pass-123")
        assert "1 request waits for approval" in admin.inner_text("#banners")
        admin.get_by_role("link", name="Approvals").first.click()
        admin.wait_for_url("**/spend/approvals/")
        request = admin.locator(".approval").first
        assert "Gulls over the harbour wall" in request.inner_text()
        assert "over the member's monthly cap" in request.inner_text()
        assert_accessible(admin, "the approvals page")
        request.get_by_label("Note to cam").fill("Go ahead, keep it short")
        request.get_by_role("button", name="Approve").click()
        admin.wait_for_selector(".messages >> text=is approved and queued")
        assert admin.locator(".approval").count() == 0

        # The creator's card changes by itself: queued, at LTX, then ready, the note on it.
        creator.wait_for_selector(f"#{card_id}.state-ready", timeout=READY_WITHIN)
        assert "Approved by ann: “Go ahead, keep it short”" in creator.inner_text(f"#{card_id}")
        assert_accessible(creator, "the ready card of an approved clip")

    entry = pipeline.query(lambda: LedgerEntry.objects.get(workspace=studio))
    assert entry.status == Status.CHARGED and entry.amount > Decimal("0.25")
