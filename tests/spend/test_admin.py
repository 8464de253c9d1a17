"""The money admin's detail pages (a ledger entry, an approval) in words: catalog names, dollars,
how a price was worked out, and "outcome unknown" only on the entries it is true of."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ltxdash.generations.models import State
from ltxdash.spend.models import Approval, LedgerEntry
from tests.factories import make_user
from tests.support.spend import queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("root", superuser=True, email="root@example.com"))
    return client


def detail(client, name: str, pk: int) -> str:
    """The page's record (its fieldsets), without the menus around it."""
    html = client.get(reverse(f"admin:spend_{name}_change", args=[pk])).content.decode()
    return html[html.index('id="content-main"') :]


def field(html: str, label: str) -> str:
    """The words a read-only row shows beside ``label``."""
    found = re.search(rf"{label}:</label>\s*<div class=\"readonly\">(.*?)</div>", html, re.S)
    assert found, label
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_a_ledger_entry_reads_in_words_and_dollars(admin_client, team):
    (clip,) = queue(team.creator, team.workspace)
    entry = LedgerEntry.objects.get(generation=clip)

    html = detail(admin_client, "ledgerentry", entry.pk)

    assert field(html, "Mode") == "Text → Video" and field(html, "Model") == "LTX-2.3 Fast"
    assert field(html, "Amount") == "$0.36"
    assert field(html, "How it is priced").startswith("6 s of video made at $0.06 a second")
    assert f"#{clip.pk} Text → Video" in field(html, "Clip")
    for raw in ("text-to-video", "ltx-2-3-fast", "0.3600", "0.0600", "output_seconds"):
        assert raw not in html, raw
    assert "icon-no.svg" not in html and "icon-yes.svg" not in html  # no ✖ on a healthy entry
    assert "Outcome unknown" not in html and "outcome unknown" not in html
    assert 'name="_save"' not in html  # a record: nothing to save


def test_an_entry_whose_outcome_is_unknown_says_so_and_how_to_settle_it(admin_client, team):
    (clip,) = queue(team.creator, team.workspace)
    clip.transition(State.SUBMITTING)
    clip.transition(State.UNKNOWN)
    entry = LedgerEntry.objects.get(generation=clip)
    assert entry.flagged

    html = detail(admin_client, "ledgerentry", entry.pk)

    assert "Outcome unknown" in field(html, "Outcome unknown")
    assert "settles it" in html and 'class="at-risk"' in html
    assert field(html, "Clip ended") == "Outcome unknown"  # the state's label, not "unknown"


def test_an_approval_reads_in_words_and_dollars(admin_client, team):
    team.budget(approval_above="0.10")
    (clip,) = queue(team.creator, team.workspace, ask=True)
    approval = Approval.objects.get(generation=clip)

    html = detail(admin_client, "approval", approval.pk)

    assert field(html, "Mode") == "Text → Video" and field(html, "Model") == "LTX-2.3 Fast"
    assert field(html, "Estimated cost") == "$0.36"
    assert field(html, "How it is priced").startswith("6 s of video made at $0.06 a second")
    for raw in ("text-to-video", "ltx-2-3-fast", "0.3600", "&quot;amount&quot;", "priced_on"):
        assert raw not in html, raw
    assert "icon-no.svg" not in html and "icon-yes.svg" not in html
