"""No way to change the log: the model refuses, the admin offers nothing and refuses what is
POSTed to it, no URL of the product changes an entry, and an entry outlives what it describes
and whoever did it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from ltxdash.audit import log
from ltxdash.audit.models import Action, AppendOnlyError, AuditEntry
from ltxdash.generations import pipeline
from ltxdash.generations.models import Generation
from ltxdash.workspaces.models import Workspace
from tests.factories import make_clip, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(team) -> AuditEntry:
    clip = make_clip(team.creator, workspace=team.workspace, title="Harbour")
    return log.record(team.creator, team.workspace, Action.SHARED, clip, "Never expires.")


def as_stored(entry: AuditEntry) -> tuple:
    row = AuditEntry.objects.filter(pk=entry.pk).values_list(
        "workspace_id",
        "actor_id",
        "actor_name",
        "action",
        "object_id",
        "object_words",
        "detail",
        "at",
    )
    return tuple(row.get())


def test_a_stored_entry_cannot_be_saved_again(stored):
    before = as_stored(stored)
    stored.detail = "Rewritten."
    with pytest.raises(AppendOnlyError):
        stored.save()
    with pytest.raises(AppendOnlyError):
        stored.save(update_fields=["detail"])
    fetched = AuditEntry.objects.get(pk=stored.pk)
    fetched.action = Action.DELETED
    with pytest.raises(AppendOnlyError):
        fetched.save()
    assert as_stored(stored) == before


def test_a_new_entry_with_a_stored_entrys_id_cannot_overwrite_it(stored):
    before = as_stored(stored)
    impostor = AuditEntry(pk=stored.pk, workspace_id=stored.workspace_id, action=Action.DELETED)
    with pytest.raises(IntegrityError), transaction.atomic():  # an INSERT: the id is taken
        impostor.save()
    assert as_stored(stored) == before


def test_entries_cannot_be_deleted_or_updated_in_any_way(stored):
    before = as_stored(stored)
    everything = AuditEntry.objects.all()
    for attempt in (
        stored.delete,
        everything.delete,
        lambda: everything.update(detail="x"),
        lambda: AuditEntry.objects.filter(pk=stored.pk).update(detail="x"),
        lambda: AuditEntry.objects.bulk_update([stored], ["detail"]),
        lambda: AuditEntry.objects.update_or_create(pk=stored.pk, defaults={"detail": "x"}),
        lambda: AuditEntry._base_manager.filter(pk=stored.pk).update(detail="x"),
        lambda: AuditEntry.objects.bulk_create(
            [AuditEntry(pk=stored.pk, action=Action.DELETED)],
            update_conflicts=True,
            update_fields=["action"],
            unique_fields=["id"],
        ),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()
    assert as_stored(stored) == before


def test_an_entry_outlives_its_object_its_actor_and_its_workspace(team, stored):
    before = as_stored(stored)
    clip = Generation.objects.get(pk=int(stored.object_id))
    pipeline.delete_generation(clip, by=team.admin)
    get_user_model().objects.filter(pk=team.creator.pk).delete()
    Workspace.objects.filter(pk=team.workspace.pk).delete()  # every member, clip, link ... goes
    assert as_stored(stored) == before  # not deleted, not nulled
    entries = AuditEntry.objects.filter(workspace_id=before[0]).order_by("pk")
    assert [(e.actor_name, e.action, e.object_words) for e in entries] == [
        ("cam", Action.SHARED, f"#{clip.pk} Harbour"),
        ("ann", Action.DELETED, f"#{clip.pk} Harbour"),
    ]


def test_the_same_through_the_objects_own_delete(team, stored):
    """Model.delete() collects related rows: the log is not among them."""
    before = as_stored(stored)
    get_user_model().objects.get(pk=team.creator.pk).delete()
    Workspace.objects.get(pk=team.workspace.pk).delete()
    assert as_stored(stored) == before


# --- the admin -------------------------------------------------------------------------------


@pytest.fixture
def root() -> Client:
    client = Client()
    client.force_login(make_user("root", superuser=True))
    return client


def test_the_admin_shows_it_and_offers_no_change(root, stored):
    listing = root.get(reverse("admin:audit_auditentry_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Harbour" in html and "cam" in html
    assert reverse("admin:audit_auditentry_add") not in html
    assert 'name="action"' not in html  # no actions, so no "delete selected"
    page = root.get(reverse("admin:audit_auditentry_change", args=[stored.pk]))
    assert page.status_code == 200
    assert 'type="submit"' not in page.content.decode().split('id="content-main"')[1]
    assert root.get(reverse("admin:audit_auditentry_add")).status_code == 403


def test_posting_to_the_admin_changes_nothing(root, stored):
    before = as_stored(stored)
    change = reverse("admin:audit_auditentry_change", args=[stored.pk])
    delete = reverse("admin:audit_auditentry_delete", args=[stored.pk])
    assert root.post(change, {"detail": "Rewritten.", "action": "deleted"}).status_code == 403
    assert root.get(delete).status_code == 403
    assert root.post(delete, {"post": "yes"}).status_code == 403
    listing = reverse("admin:audit_auditentry_changelist")
    root.post(
        listing, {"action": "delete_selected", "_selected_action": [stored.pk], "post": "yes"}
    )
    add = reverse("admin:audit_auditentry_add")
    assert root.post(add, {"action": "deleted", "detail": "forged"}).status_code == 403
    assert as_stored(stored) == before
    assert AuditEntry.objects.count() == 1


def test_the_admin_lists_a_deleted_workspaces_entries(root, team, stored):
    Workspace.objects.filter(pk=team.workspace.pk).delete()
    html = root.get(reverse("admin:audit_auditentry_changelist")).content.decode()
    assert f"#{team.workspace.pk} (deleted)" in html
    page = root.get(reverse("admin:audit_auditentry_change", args=[stored.pk]))
    assert page.status_code == 200


def test_the_admin_filters_and_searches(root, team, stored):
    log.record(team.admin, team.workspace, Action.INVITED)
    listing = reverse("admin:audit_auditentry_changelist")
    found = root.get(listing, {"action__exact": "invited"}).context["cl"].result_list
    assert [e.action for e in found] == ["invited"]
    found = root.get(listing, {"q": "harbour"}).context["cl"].result_list
    assert [e.pk for e in found] == [stored.pk]
    found = root.get(listing, {"workspace__id__exact": team.workspace.pk}).context["cl"]
    assert found.result_count == 2


# --- the product's own URLs --------------------------------------------------------------------


def test_no_url_of_the_product_changes_an_entry(team, stored):
    """The log page answers GET (and HEAD) only; a POST, PUT or DELETE to it is refused."""
    client = team.client(team.admin)
    before = as_stored(stored)
    url = reverse("audit:log")
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(url, {"detail": "x"}).status_code == 405
    assert as_stored(stored) == before
