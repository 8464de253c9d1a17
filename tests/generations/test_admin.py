"""The operators' admin: lists, filters, search, the timeline, actions, the dispatcher row, and
what the lists say in words (catalog names, state pills, dollars, an at-risk marker only where
it applies)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from ltxdash.generations.admin import GenerationAdmin
from ltxdash.generations.models import DispatchState, Generation, State
from ltxdash.ltx import catalog
from ltxdash.ltx.errors import InsufficientFundsError
from tests.factories import add_video, ago, make_event, make_generation, make_output, make_user
from tests.support.pipeline import drain_broker, queued_tasks_now, task_names

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:generations_generation_changelist"


@pytest.fixture
def admin_client(client):
    admin = make_user("root", superuser=True, email="root@example.com")
    client.force_login(admin)
    drain_broker()
    return client


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Run an admin action; tasks it enqueues after commit reach the broker."""

    def run(client, url_name: str, action: str, pks: list[int]):
        with django_capture_on_commit_callbacks(execute=True):
            return post_action(client, url_name, action, pks)

    return run


def post_action(client, url_name: str, action: str, pks: list[int]):
    return client.post(
        reverse(url_name),
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )


def test_it_lists_generations_with_filters_and_searches_prompt_and_remote_id(admin_client, owner):
    make_generation(owner, State.READY, prompt="a red fox", remote_id="job-fox")
    make_generation(owner, State.FAILED, prompt="a blue whale", remote_id="job-whale", at_risk=True)

    page = admin_client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    text = page.content.decode()
    assert "a red fox" in text and "a blue whale" in text
    for name in ("state", "endpoint", "model", "owner", "at_risk", "created_at"):
        assert f"{name}" in text  # the filter is offered

    assert (
        "a blue whale" not in admin_client.get(reverse(CHANGELIST), {"q": "fox"}).content.decode()
    )
    found = admin_client.get(reverse(CHANGELIST), {"q": "job-whale"}).content.decode()
    assert "a blue whale" in found and "a red fox" not in found
    risky = admin_client.get(reverse(CHANGELIST), {"at_risk__exact": "1"}).content.decode()
    assert "a blue whale" in risky and "a red fox" not in risky
    failed = admin_client.get(reverse(CHANGELIST), {"state__exact": "failed"}).content.decode()
    assert "a blue whale" in failed and "a red fox" not in failed


def test_it_shows_the_timeline_and_outputs_and_edits_nothing(admin_client, owner):
    generation = make_generation(owner, State.READY, remote_id="job-1", error_message="")
    make_event(generation, State.REHOSTING, State.READY, detail="Copied 1 file(s) to storage.")
    make_output(
        generation,
        file="outputs/x.mp4",
        size=123,
        sha256="ab" * 32,
        content_type="video/mp4",
    )
    url = reverse("admin:generations_generation_change", args=[generation.pk])

    page = admin_client.get(url)

    assert page.status_code == 200
    text = page.content.decode()
    assert "Copied 1 file(s) to storage." in text
    assert '<td class="field-what">' in text and "<p>video</p>" in text  # not "video_url"
    assert "outputs/x.mp4" in text
    output_page = reverse("admin:generations_output_change", args=[generation.outputs.get().pk])
    assert output_page in text  # the rest of the output's record, its hash too, one click away
    assert "ab" * 32 in admin_client.get(output_page).content.decode()
    assert 'name="state"' not in text and 'name="remote_id"' not in text
    admin_client.post(url, {"state": State.QUEUED, "remote_id": "changed"})
    generation.refresh_from_db()
    assert generation.state == State.READY and generation.remote_id == "job-1"


def test_it_retries_and_cancels_from_the_list(admin_client, owner, act):
    failed = make_generation(owner, State.FAILED)
    queued = make_generation(owner, State.QUEUED)
    ready = make_generation(owner, State.READY)

    page = act(admin_client, CHANGELIST, "retry_selected", [failed.pk, ready.pk])
    assert "Queued 1 new clip(s)" in page.content.decode()
    assert "Not retried" in page.content.decode()
    assert Generation.objects.filter(state=State.QUEUED).count() == 2
    assert "dispatch_queued" in task_names(queued_tasks_now())

    page = act(admin_client, CHANGELIST, "cancel_selected", [queued.pk, ready.pk])
    assert "Canceled 1 clip(s)" in page.content.decode()
    queued.refresh_from_db()
    assert queued.state == State.CANCELED


def test_it_copies_again_from_the_list_while_the_api_keeps_the_job(admin_client, owner, act):
    keepable = make_generation(
        owner, State.READY, remote_id="job-2", completed_at=ago(60), retention_ends_at=ago(-3600)
    )
    gone = make_generation(
        owner,
        State.EXPIRED,
        remote_id="job-3",
        completed_at=ago(90000),
        retention_ends_at=ago(3600),
    )

    page = act(admin_client, CHANGELIST, "copy_selected_again", [keepable.pk, gone.pk])

    assert "Copying 1 clip(s) again" in page.content.decode()
    keepable.refresh_from_db()
    gone.refresh_from_db()
    assert keepable.state == State.REHOSTING and gone.state == State.EXPIRED
    assert task_names(queued_tasks_now()) == ["rehost_generation"]


def test_it_resumes_dispatching_from_the_dispatcher_row(admin_client, owner, act):
    DispatchState.pause_for(InsufficientFundsError("Not enough credits."))
    make_generation(owner, State.QUEUED)
    url = "admin:generations_dispatchstate_changelist"

    page = admin_client.get(reverse(url))
    assert "out of credits" in page.content.decode()  # the banner, on the admin pages too

    page = act(admin_client, url, "resume_dispatching", [DispatchState.get().pk])

    assert "Dispatching resumed" in page.content.decode()
    assert not DispatchState.get().paused
    assert task_names(queued_tasks_now()) == ["dispatch_queued"]


def test_it_shows_the_account_pause_banner_on_every_admin_page(admin_client, owner):
    assert "pause-banner" not in admin_client.get("/admin/").content.decode()  # not paused

    DispatchState.pause_for(InsufficientFundsError("Not enough credits."))

    for url in ("/admin/", reverse(CHANGELIST), "/admin/auth/user/"):
        html = admin_client.get(url).content.decode()
        assert 'class="banner banner-bad pause-banner"' in html
        assert "The LTX account is out of credits, so new clips wait in the queue." in html
        assert reverse("admin:generations_dispatchstate_changelist") in html  # "Open admin"
        assert html.index('class="banner') > html.index('id="main"')  # in the page, not the header


def test_it_keeps_strangers_out_of_the_admin(client, owner):
    client.force_login(owner)
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 302


# --- in words ----------------------------------------------------------------------------------


def rows(html: str) -> dict[int, str]:
    """The changelist's rows by primary key (from the link to the row's change page)."""
    found = {}
    for row in re.findall(r"<tr>.*?</tr>", html, re.S):
        pk = re.search(r'<th class="field-[a-z_]+"><a href="[^"]*/(\d+)/change/', row)
        if pk:
            found[int(pk.group(1))] = row
    return found


def changelist(client, **query) -> str:
    response = client.get(reverse(CHANGELIST), query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_names_modes_and_models_as_the_catalog_does(admin_client, owner):
    pro = make_generation(owner, State.READY, model="ltx-2-3-pro")
    hdr = make_generation(owner, State.READY, endpoint="video-to-video-hdr", model="", prompt="")

    row = rows(changelist(admin_client))

    assert "LTX-2.3 Pro" in row[pro.pk] and "ltx-2-3-pro" not in row[pro.pk]
    assert catalog.endpoint_label("text-to-video") in row[pro.pk]
    assert catalog.endpoint_label("video-to-video-hdr") in row[hdr.pk]
    assert "video-to-video-hdr" not in row[hdr.pk]
    assert '<span class="pill pill-ok">Ready</span>' in row[pro.pk]  # the state, as a pill


def test_the_list_and_the_clip_page_show_the_cost_in_dollars(admin_client, owner):
    priced = make_generation(owner, State.READY, estimated_cost=Decimal("0.3600"))
    unpriced = make_generation(owner, State.QUEUED, estimated_cost=None)

    row = rows(changelist(admin_client))
    page = admin_client.get(
        reverse("admin:generations_generation_change", args=[priced.pk])
    ).content.decode()

    assert "$0.36" in row[priced.pk] and "0.3600" not in row[priced.pk]
    assert '<td class="field-cost">-</td>' in row[unpriced.pk]
    assert "$0.36" in page and "0.3600" not in page


def test_the_list_sorts_by_cost(admin_client, owner):
    costs = {make_generation(owner, estimated_cost=Decimal(c)).pk: c for c in ("2.5", "0.1", "1")}
    column = ["action_checkbox", *GenerationAdmin.list_display].index("cost")

    cheapest_first = list(rows(changelist(admin_client, o=str(column))))
    dearest_first = list(rows(changelist(admin_client, o=f"-{column}")))

    assert cheapest_first == sorted(costs, key=lambda pk: Decimal(costs[pk]))
    assert dearest_first == cheapest_first[::-1]


def test_only_clips_at_risk_carry_the_at_risk_marker(admin_client, owner):
    healthy = make_generation(owner, State.READY)
    saving = make_generation(owner, State.REHOSTING)
    risky = make_generation(
        owner, State.REHOSTING, at_risk=True, completed_at=ago(3 * 3600), retention_ends_at=ago(-60)
    )

    html = changelist(admin_client)
    row = rows(html)

    for fine in (healthy, saving):
        assert '<td class="field-risk"></td>' in row[fine.pk]
        assert "At risk" not in row[fine.pk] and "⚠" not in row[fine.pk]
    assert 'class="at-risk"' in row[risky.pk] and "At risk" in row[risky.pk]
    assert '<span aria-hidden="true">⚠</span>' in row[risky.pk]  # the sign is not read out
    assert "still not stored" in row[risky.pk]  # the why, in its title
    assert "icon-no.svg" not in html and "icon-yes.svg" not in html  # no ✖/✔ meaning "fine"
    risky_only = rows(changelist(admin_client, at_risk__exact="1"))
    assert list(risky_only) == [risky.pk]  # the at-risk filter stays


def test_the_mode_and_model_filters_offer_catalog_names(admin_client, owner):
    fast = make_generation(owner, State.READY, model="ltx-2-3-fast")
    pro = make_generation(owner, State.READY, model="ltx-2-3-pro")
    hdr = make_generation(owner, State.READY, endpoint="video-to-video-hdr", model="", prompt="")

    html = changelist(admin_client)
    sidebar = html[html.index('id="changelist-filter"') :]

    assert 'href="?endpoint=video-to-video-hdr"' in sidebar
    assert re.search(r'href="\?model=ltx-2-3-pro"[^>]*>LTX-2.3 Pro</a>', sidebar)
    assert ">video-to-video-hdr<" not in sidebar and ">ltx-2-3-pro<" not in sidebar
    assert list(rows(changelist(admin_client, endpoint="video-to-video-hdr"))) == [hdr.pk]
    assert list(rows(changelist(admin_client, model="ltx-2-3-pro"))) == [pro.pk]
    assert list(rows(changelist(admin_client, model="none"))) == [hdr.pk]
    assert sorted(rows(changelist(admin_client, endpoint="text-to-video"))) == [fast.pk, pro.pk]


def test_the_clip_page_groups_its_record_for_an_operator(admin_client, owner):
    parent = make_generation(owner, State.READY)
    clip = make_generation(
        owner,
        State.READY,
        model="ltx-2-3-pro",
        remote_id="job-77",
        parent=parent,
        estimated_cost=Decimal("1.2000"),
        params={"duration": 6, "resolution": "1920x1080", "fps": 24},
    )

    html = admin_client.get(
        reverse("admin:generations_generation_change", args=[clip.pk])
    ).content.decode()

    headings = re.findall(r'<h2 id="[^"]*" class="fieldset-heading">(.*?)</h2>', html)
    assert headings[:5] == ["What", "Status", "Cost", "Timing", "For support"]
    assert re.search(r"<details><summary>\s*<h2[^>]*>Workers</h2>", html)  # folded away
    for label in ("API job id:", "Made from:", "Accepted by LTX:", "LTX keeps the job until:"):
        assert label in html
    assert "Remote id" not in html and "Estimated cost" not in html
    assert "LTX-2.3 Pro" in html and "1080p landscape" in html and "$1.20" in html
    assert f"#{parent.pk} Text → Video" in html  # the clip it was made from, by name
    assert f"<title>#{clip.pk} Text → Video (Ready) |" in html
    assert re.search(r"At risk:</label>\s*<div class=\"readonly\">No</div>", html)
    assert 'name="_save"' not in html and 'name="_continue"' not in html  # nothing to save
    assert "closelink" in html


def test_the_sibling_lists_speak_plainly_too(admin_client, owner):
    clip = make_generation(owner, State.READY)
    add_video(clip)
    DispatchState.pause_for(InsufficientFundsError("Not enough credits."))

    outputs = admin_client.get(reverse("admin:generations_output_changelist")).content.decode()
    output_row = next(iter(rows(outputs).values()))
    assert '<td class="field-what">video</td>' in output_row and "video_url" not in output_row
    assert "KB" in output_row and "2.0 s" in output_row  # a size and a length people read
    assert "/media/" not in outputs  # no link to a URL that is never served

    dispatcher = admin_client.get(
        reverse("admin:generations_dispatchstate_changelist")
    ).content.decode()
    row = next(iter(rows(dispatcher).values()))
    assert '<span class="pill pill-bad">Paused</span>' in row
    assert "Out of LTX credits" in row and "insufficient_funds_error" not in row
    assert "icon-no.svg" not in dispatcher and "icon-yes.svg" not in dispatcher


def test_the_admin_wears_the_product_look_and_leads_back_to_it(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "<title>Clips, share links and the dispatcher | ltxdash admin</title>" in html
    assert "ltxdash admin</a>" in html and 'class="brand-mark"' in html
    assert "css/tokens.css" in html and "css/admin.css" in html and "js/theme.js" in html
    assert 'href="/"' in html and 'href="/gallery/"' in html  # back to the dashboard
    assert "admin/js/theme.js" not in html  # one theme switch, the product's
    assert "data-theme-toggle" in html
