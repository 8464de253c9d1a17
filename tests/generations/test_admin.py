"""The operators' admin: lists, filters, search, the timeline, actions, the dispatcher row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ltxdash.generations.models import DispatchState, Generation, State
from ltxdash.ltx.errors import InsufficientFundsError
from tests.factories import ago, make_event, make_generation, make_output, make_user
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
    assert "video_url" in text and "ab" * 32 in text
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

    page = act(admin_client, url, "resume_dispatching", [1])

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
