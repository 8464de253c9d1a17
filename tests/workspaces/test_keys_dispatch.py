"""A workspace's own LTX key, in the engine: its own limit and pause, every job polled and
copied with the key that sent it, and dispatch that is fair across workspaces, then members.

Against the simulator over HTTP, where every key is an account of its own: a job is not
visible under another key (its polls answer 404), so a clip that reaches Ready was polled and
copied with the key that submitted it.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django.utils.html import escape

from ltxdash.generations import ordering, pauses, pipeline
from ltxdash.generations.models import IN_FLIGHT, DispatchState, Generation, Reason, State
from ltxdash.generations.pipeline import dispatch
from ltxdash.workspaces.models import ApiKey, Membership, Role, Workspace
from tests.factories import T2V, make_user, workspace_of
from tests.support.pipeline import drive, queued_tasks_now

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("pipeline_settings")]

SERVER_KEY = "sk-test-key"  # pipeline_settings' LTX_API_KEY
OWN_KEY = "sk-client-b-7731"
NEW_KEY = "sk-client-b-9902"


def _make(owner, n: int, prompt: str) -> list[Generation]:
    return pipeline.create_generations(
        owner=owner,
        endpoint="text-to-video",
        params={**T2V, "prompt": prompt},
        inputs={},
        count=n,
    )


def _team(name: str, key: str | None = None, limit: int | None = None):
    member = make_user(name)
    workspace = workspace_of(member)
    api_key = ApiKey.store(workspace, key, by=member, max_concurrency=limit) if key else None
    return member, workspace, api_key


def _in_flight(api_key: ApiKey | None) -> int:
    return Generation.objects.filter(state__in=IN_FLIGHT, api_key=api_key).count()


def test_each_key_keeps_its_own_limit_and_every_job_is_polled_and_copied_with_its_key(
    ltx_simulator,
):
    ltx_simulator.configure(concurrency=0)  # the API's limits do not bind; ours must
    ltx_simulator.configure(pending_seconds=0.2, processing_seconds=0.4)
    ann, _, _ = _team("ann")  # LTX_API_KEY, LTX_MAX_CONCURRENCY = 2
    bea, team_b, key_b = _team("bea", OWN_KEY, limit=1)
    _make(ann, 4, "harbour at dawn")
    _make(bea, 3, "a red kite")
    most = {"server": 0, "own": 0}

    def done() -> bool:
        most["server"] = max(most["server"], _in_flight(None))
        most["own"] = max(most["own"], _in_flight(key_b))
        return set(Generation.objects.values_list("state", flat=True)) == {State.READY}

    drive(done, timeout=60)

    assert most == {"server": 2, "own": 1}  # each key reached its own limit, none went past it
    assert set(Generation.objects.filter(workspace=team_b).values_list("api_key", flat=True)) == {
        key_b.pk
    }
    assert not Generation.objects.exclude(workspace=team_b).exclude(api_key=None).exists()
    assert len(ltx_simulator.jobs(key=OWN_KEY)) == 3
    assert len(ltx_simulator.jobs(key=SERVER_KEY)) == 4
    accounts = ltx_simulator.stats()["accounts"]
    # Nobody asked for a job under a key that did not send it.
    assert accounts[ltx_simulator.fingerprint(OWN_KEY)]["foreign_polls"] == 0
    assert accounts[ltx_simulator.fingerprint(SERVER_KEY)]["foreign_polls"] == 0


def test_a_402_on_one_key_pauses_only_its_workspaces_and_the_others_keep_working(
    ltx_simulator, client
):
    ltx_simulator.account(OWN_KEY, out_of_credits=True)
    ann, team_a, _ = _team("ann")
    bea, team_b, key_b = _team("bea", OWN_KEY)
    staff = make_user("ops", superuser=True)  # staff, in neither workspace
    _make(bea, 2, "a red kite")
    _make(ann, 2, "harbour at dawn")

    drive(lambda: Generation.objects.filter(workspace=team_a, state=State.READY).count() == 2)

    own = DispatchState.current_pause(key_b.pk)
    assert own is not None and own.reason_type == Reason.INSUFFICIENT_FUNDS
    assert DispatchState.current_pause(None) is None  # LTX_API_KEY keeps sending
    assert set(Generation.objects.filter(workspace=team_b).values_list("state", flat=True)) == {
        State.QUEUED
    }  # waiting, not failed: nothing of theirs is lost

    # The banner: bea's team sees it, ann's does not, staff see it named by its workspace.
    assert pauses.seen_by(bea, team_b.pk) == (own, [])
    assert pauses.seen_by(ann, team_a.pk) == (None, [])
    assert pauses.seen_by(staff, workspace_of(staff).pk) == (None, [own])
    pages = {}
    for user in (ann, bea, staff):
        client.force_login(user)
        pages[user.username] = client.get("/gallery/").content.decode()
    assert "Out of LTX credits" in pages["bea"]
    assert "top up the account of the workspace&#x27;s key" in pages["bea"]
    assert "Out of LTX credits" not in pages["ann"]
    assert escape(f"{team_b.name}'s own key: Out of LTX credits") in pages["ops"]
    # The key is never in a page, not even its last characters outside the settings page.
    assert not any(OWN_KEY in page for page in pages.values())

    # Credits come back: a probe with one of bea's clips resumes that key, and both finish.
    ltx_simulator.account(OWN_KEY, out_of_credits=False)
    DispatchState.rows(key_b.pk).update(next_probe_at=timezone.now())
    drive(lambda: set(Generation.objects.values_list("state", flat=True)) == {State.READY})
    assert DispatchState.current_pause(key_b.pk) is None


def test_replacing_a_key_mid_flight_still_polls_and_copies_the_old_jobs_with_the_old_key(
    ltx_simulator,
):
    ltx_simulator.configure(pending_seconds=0.3, processing_seconds=0.6)
    bea, team_b, first = _team("bea", OWN_KEY)
    (early,) = _make(bea, 1, "a red kite")
    drive(lambda: Generation.objects.get(pk=early.pk).state in (State.PENDING, State.PROCESSING))

    second = ApiKey.store(team_b, NEW_KEY, by=bea)  # replaced while the job runs at LTX
    (late,) = _make(bea, 1, "a blue kite")
    drive(lambda: set(Generation.objects.values_list("state", flat=True)) == {State.READY})

    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.api_key_id, late.api_key_id) == (first.pk, second.pk)
    first.refresh_from_db()
    assert first.retired_at is not None and ApiKey.in_use(team_b) == second
    assert [job["id"] for job in ltx_simulator.jobs(key=OWN_KEY)] == [early.remote_id]
    assert [job["id"] for job in ltx_simulator.jobs(key=NEW_KEY)] == [late.remote_id]
    assert (
        ltx_simulator.stats()["accounts"][ltx_simulator.fingerprint(NEW_KEY)]["foreign_polls"] == 0
    )


def test_stopping_a_workspace_key_sends_its_next_clips_with_ltx_api_key(ltx_simulator):
    bea, team_b, _ = _team("bea", OWN_KEY)
    assert ApiKey.retire(team_b)
    (clip,) = _make(bea, 1, "a red kite")
    drive(lambda: Generation.objects.get(pk=clip.pk).state == State.READY)
    clip.refresh_from_db()
    assert clip.api_key_id is None
    assert [job["id"] for job in ltx_simulator.jobs(key=SERVER_KEY)] == [clip.remote_id]


def test_one_teams_batch_of_40_does_not_make_another_team_wait_behind_it(settings):
    settings.LTXDASH_MAX_ACTIVE_PER_USER = 100
    ann, _, _ = _team("ann")
    bea, _, _ = _team("bea")
    _make(ann, 20, "harbour at dawn")
    _make(ann, 20, "harbour at dusk")
    (single,) = _make(bea, 1, "a red kite")  # asked for after all 40

    claimed = dispatch.dispatch()  # LTX_MAX_CONCURRENCY = 2: two slots

    assert len(claimed) == 2
    assert single.pk in {pk for pk, _ in claimed}
    queued_tasks_now()  # the submit tasks are not run here


def test_inside_a_workspace_members_take_turns():
    ann = make_user("ann")
    team = workspace_of(ann)
    cai = make_user("cai")
    Membership.objects.create(workspace=team, user=cai, role=Role.CREATOR)
    from ltxdash.workspaces import current

    current.choose(cai, team)
    current.forget(cai)
    _make(ann, 5, "harbour at dawn")
    (single,) = _make(cai, 1, "a red kite")
    order = [g.pk for g in ordering.queued_in_order()]
    assert order.index(single.pk) == 1  # after ann's first, before her second


def test_the_workspace_served_longest_ago_goes_first_within_a_round():
    now = timezone.now()

    def row(pk: int, workspace: int, owner: int, minutes: int) -> SimpleNamespace:
        return SimpleNamespace(
            id=pk,
            workspace_id=workspace,
            owner_id=owner,
            created_at=now + timedelta(minutes=minutes),
        )

    queued = [row(1, 10, 1, 0), row(2, 10, 1, 1), row(3, 20, 2, 2), row(4, 20, 3, 3)]
    # Workspace 10 had a clip sent a minute ago, 20 an hour ago: 20 goes first in each round.
    # Inside 20 its members take turns, member 3 (never served) before member 2.
    order = ordering.fair_order(
        queued,
        {(10, 1): now - timedelta(minutes=1), (20, 2): now - timedelta(hours=1)},
        {10: now - timedelta(minutes=1), 20: now - timedelta(hours=1)},
    )
    assert [r.id for r in order] == [4, 1, 3, 2]


def test_queue_positions_count_within_the_key_that_will_send_the_clip():
    ann, _, _ = _team("ann")
    bea, _, _ = _team("bea", OWN_KEY)
    server = _make(ann, 3, "harbour at dawn")
    own = _make(bea, 2, "a red kite")
    positions = ordering.queue_positions([*server, *own])
    assert sorted(positions[g.pk] for g in server) == [1, 2, 3]
    assert sorted(positions[g.pk] for g in own) == [1, 2]


def test_a_workspace_deleted_with_its_key_takes_its_dispatcher_row_along():
    bea, team_b, key_b = _team("bea", OWN_KEY)
    (clip,) = _make(bea, 1, "a red kite")
    dispatch.dispatch()
    queued_tasks_now()
    assert DispatchState.objects.filter(api_key=key_b).exists()
    Workspace.objects.filter(pk=team_b.pk).delete()
    assert not DispatchState.objects.filter(api_key_id=key_b.pk).exists()
    assert not Generation.objects.filter(pk=clip.pk).exists()


def test_the_admin_shows_which_key_sent_a_clip_masked(client):
    bea, team_b, _ = _team("bea", OWN_KEY)
    (clip,) = _make(bea, 1, "a red kite")
    dispatch.dispatch()
    queued_tasks_now()
    client.force_login(make_user("ops", superuser=True))
    page = client.get(f"/admin/generations/generation/{clip.pk}/change/").content.decode()
    assert "••••7731" in page
    assert OWN_KEY not in page
    state_list = client.get("/admin/generations/dispatchstate/").content.decode()
    assert escape(f"Sending clips to LTX with {team_b.name}'s key ••••7731") in state_list


def test_an_upload_made_before_the_workspace_changed_its_key_is_made_again(ltx_simulator, tmp_path):
    from ltxdash.generations.models import GenerationInput
    from tests.media_factory import make_image
    from tests.support.pipeline import upload_source

    bea, team_b, _ = _team("bea", OWN_KEY)
    image = make_image(tmp_path / "still.png", width=640, height=360)
    (clip,) = pipeline.create_generations(
        owner=bea,
        endpoint="image-to-video",
        params={**T2V, "prompt": "a kite"},
        inputs={"image_uri": upload_source(image, "image/png")},
    )
    # Uploaded (with the old key's account) a minute ago; the key is replaced now.
    GenerationInput.objects.update(
        storage_uri="ltx://uploads/with-the-old-key",
        uploaded_at=timezone.now() - timedelta(minutes=1),
    )
    ApiKey.store(team_b, NEW_KEY, by=bea)
    drive(lambda: Generation.objects.get(pk=clip.pk).state == State.READY)
    item = clip.inputs.get()
    assert item.storage_uri != "ltx://uploads/with-the-old-key"
    (job,) = ltx_simulator.jobs(key=NEW_KEY)
    assert job["body"]["image_uri"] == item.storage_uri


def test_a_key_no_encryption_key_opens_pauses_only_its_workspace(settings, ltx_simulator):
    from ltxdash.env import new_fernet_key
    from ltxdash.generations.pipeline.actions import resume_dispatching

    first = settings.LTXDASH_ENCRYPTION_KEYS[0]
    ann, team_a, _ = _team("ann")
    bea, team_b, key_b = _team("bea", OWN_KEY)
    settings.LTXDASH_ENCRYPTION_KEYS = [new_fernet_key()]  # the key it was stored with is gone
    _make(bea, 1, "a red kite")
    _make(ann, 1, "harbour at dawn")
    drive(lambda: Generation.objects.filter(workspace=team_a, state=State.READY).count() == 1)

    pause = DispatchState.current_pause(key_b.pk)
    assert pause is not None and pause.reason_type == Reason.KEY_UNREADABLE
    assert Generation.objects.get(workspace=team_b).state == State.QUEUED  # waiting, not lost
    assert DispatchState.current_pause(None) is None
    assert not ltx_simulator.jobs(key=OWN_KEY)

    # The operator puts the key back; an admin resumes; the clip goes out with its own key.
    settings.LTXDASH_ENCRYPTION_KEYS = [settings.LTXDASH_ENCRYPTION_KEYS[0], first]
    assert resume_dispatching(key=key_b.pk)
    drive(lambda: Generation.objects.get(workspace=team_b).state == State.READY)
    assert len(ltx_simulator.jobs(key=OWN_KEY)) == 1


def test_a_replaced_keys_pause_is_nobodys_banner_any_more(client):
    bea, team_b, key_b = _team("bea", OWN_KEY)
    staff = make_user("ops", superuser=True)
    DispatchState.pause("authentication_error", "Invalid API key", key=key_b.pk)
    assert pauses.seen_by(staff, workspace_of(staff).pk)[1] != []
    ApiKey.store(team_b, NEW_KEY, by=bea)  # replaced: the old key's pause concerns no one
    assert pauses.seen_by(bea, team_b.pk) == (None, [])
    assert pauses.seen_by(staff, workspace_of(staff).pk) == (None, [])
    assert key_b.pk not in {k for (k,) in DispatchState.in_use_paused().values_list("api_key_id")}
