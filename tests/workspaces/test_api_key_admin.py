"""Workspaces' own LTX keys in Django admin: masked everywhere, ciphertext never shown, no add,
no delete, "jobs at once" editable, and an action that stops using keys."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ltxdash.workspaces.models import ApiKey
from tests.factories import make_user, workspace_of

pytestmark = pytest.mark.django_db

SECRET = "ltx-sk-admin-test-0123456789-abcd"


@pytest.fixture
def root() -> Client:
    client = Client()
    client.force_login(make_user("root", superuser=True))
    return client


@pytest.fixture
def key(db):
    ann = make_user("ann")
    old = ApiKey.store(workspace_of(ann), "ltx-sk-old-one-0000-wxyz", ann)
    new = ApiKey.store(workspace_of(ann), SECRET, ann, max_concurrency=4)
    return {"old": old, "new": new}


def _never_the_secret(body: bytes, *keys: ApiKey) -> None:
    for key in keys:
        assert key.ciphertext.encode() not in body
        assert key.secret()[:-4].encode() not in body


def test_the_list_shows_keys_masked_with_their_limit_and_status(root, key):
    response = root.get(reverse("admin:workspaces_apikey_changelist"))
    assert response.status_code == 200
    body = response.content
    html = body.decode()
    assert "••••abcd" in html and "••••wxyz" in html
    assert "in use" in html and "replaced or stopped" in html
    assert ">4<" in html
    assert "2 (default)" in html
    _never_the_secret(body, key["old"], key["new"])
    in_use = root.get(reverse("admin:workspaces_apikey_changelist"), {"in_use": "yes"})
    assert "••••abcd" in in_use.content.decode() and "••••wxyz" not in in_use.content.decode()


def test_only_jobs_at_once_can_be_changed_and_keys_are_neither_added_nor_deleted(root, key):
    url = reverse("admin:workspaces_apikey_change", args=[key["new"].pk])
    page = root.get(url)
    assert page.status_code == 200
    _never_the_secret(page.content, key["new"])
    assert 'name="max_concurrency"' in page.content.decode()
    assert 'name="ciphertext"' not in page.content.decode()

    response = root.post(url, {"max_concurrency": "7", "last4": "zzzz", "ciphertext": "x"})

    assert response.status_code == 302
    saved = ApiKey.objects.get(pk=key["new"].pk)
    assert saved.max_concurrency == 7 and saved.last4 == "abcd" and saved.secret() == SECRET
    assert root.get(reverse("admin:workspaces_apikey_add")).status_code == 403
    assert root.get(reverse("admin:workspaces_apikey_delete", args=[saved.pk])).status_code == 403


def test_the_stop_using_action_retires_the_keys_in_use(root, key):
    response = root.post(
        reverse("admin:workspaces_apikey_changelist"),
        {"action": "stop_using", "_selected_action": [key["new"].pk, key["old"].pk]},
        follow=True,
    )
    assert "1 key no longer used" in response.content.decode()
    assert ApiKey.in_use(key["new"].workspace) is None


def test_the_workspace_page_lists_its_keys_read_only(root, key):
    page = root.get(reverse("admin:workspaces_workspace_change", args=[key["new"].workspace_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "••••abcd" in html and "••••wxyz" in html
    _never_the_secret(page.content, key["old"], key["new"])


def test_the_workspace_page_still_saves_with_its_keys_inline(root, key):
    workspace = key["new"].workspace
    url = reverse("admin:workspaces_workspace_change", args=[workspace.pk])
    page = root.get(url)
    data: dict[str, str] = {}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = str(management.initial.get(name, field.initial))
        for form in formset.formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value is not None:
                    data[form.add_prefix(name)] = str(value)
    main = page.context["adminform"].form
    data.update({name: str(main[name].value()) for name in main.fields})
    data.update({"created_at_0": f"{workspace.created_at:%Y-%m-%d}"})
    data.update({"created_at_1": f"{workspace.created_at:%H:%M:%S}", "name": "Renamed"})

    response = root.post(url, data)

    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.name == "Renamed"
    assert ApiKey.in_use(workspace).secret() == SECRET
