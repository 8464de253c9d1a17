"""Telling clips apart: a name the member gives a clip, and what differs between takes."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse

from ltxdash.generations import pipeline, takes
from ltxdash.generations.models import Generation
from ltxdash.workspaces.models import Membership, Role
from tests.factories import T2V, make_clip, make_user
from tests.support.media import fetch
from tests.support.pages import HTMX
from tests.support.spend import studio

pytestmark = pytest.mark.django_db


def queue(owner, n: int = 1, **params) -> list[Generation]:
    return pipeline.create_generations(
        owner=owner,
        endpoint="text-to-video",
        params={**T2V, **params},
        inputs={},
        count=n,
    )


def rename(client, clip, title: str, **extra):
    return client.post(
        reverse("gallery:rename", args=[clip.pk]), {"title": title, **extra}, headers=HTMX
    )


# --- names ---------------------------------------------------------------------------------


def test_it_names_a_clip_from_its_page(owner_client, clip):
    before = Generation.objects.get(pk=clip.pk).version
    response = rename(owner_client, clip, "  Harbour,\n wide  ")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<header id="clip-title"')
    assert "<h1>Harbour, wide" in html  # one line, trimmed
    saved = Generation.objects.get(pk=clip.pk)
    assert saved.title == "Harbour, wide"
    assert saved.version == before + 1  # open status cards redraw with the name

    page = owner_client.get(reverse("gallery:clip", args=[clip.pk])).content.decode()
    assert f"<title>Harbour, wide #{clip.pk} · ltxdash</title>" in page
    gallery = owner_client.get(reverse("gallery:index")).content.decode()
    assert '<p class="clip-name">Harbour, wide</p>' in gallery
    create = owner_client.get("/").content.decode()
    assert re.search(rf'id="gen-{clip.pk}-title" class="gen-title">Harbour, wide', create)


def test_it_names_a_clip_from_its_card(owner_client, clip):
    response = rename(owner_client, clip, "Take for the client", on="card")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<article id="gen-{clip.pk}"')
    assert "Take for the client" in html
    assert f'hx-target="#gen-{clip.pk}"' in html  # the card's own form replaces the card


def test_an_empty_name_gives_back_the_modes_name(owner_client, clip):
    Generation.objects.filter(pk=clip.pk).update(title="Old name")
    html = rename(owner_client, clip, "   ").content.decode()
    assert Generation.objects.get(pk=clip.pk).title == ""
    assert "<h1>Text → Video" in html


def test_a_name_too_long_is_refused_where_the_user_typed_it(owner_client, clip):
    response = rename(owner_client, clip, "x" * 121)

    assert response.status_code == 422
    assert response["X-Ltxdash-Message"] == "A name can be at most 120 characters."
    html = response.content.decode()
    assert '<details class="rename" open>' in html and 'aria-invalid="true"' in html
    assert Generation.objects.get(pk=clip.pk).title == ""


def test_without_javascript_it_renames_and_returns_to_the_page(owner_client, clip):
    response = owner_client.post(
        reverse("gallery:rename", args=[clip.pk]), {"title": "Dusk", "next": "/gallery/"}
    )
    assert response.status_code == 302 and response["Location"] == "/gallery/"
    assert Generation.objects.get(pk=clip.pk).title == "Dusk"
    away = owner_client.post(
        reverse("gallery:rename", args=[clip.pk]), {"title": "x", "next": "https://evil.test/"}
    )
    assert away["Location"] == reverse("gallery:clip", args=[clip.pk])


def test_a_stranger_cannot_rename(client, clip):
    client.force_login(make_user("mallory"))
    assert rename(client, clip, "mine now").status_code == 404
    assert Generation.objects.get(pk=clip.pk).title == ""


def test_the_download_is_named_after_the_clip(owner_client, clip, video):
    Generation.objects.filter(pk=clip.pk).update(title="Harbour, wide")
    response = fetch(owner_client, reverse("gallery:download", args=[video.pk]))
    assert f"ltxdash-{clip.pk}-harbour-wide.mp4" in response["Content-Disposition"]


# --- takes ---------------------------------------------------------------------------------


def test_takes_of_one_request_are_numbered_and_say_they_share_settings(owner_client, owner):
    made = sorted(queue(owner, 3), key=lambda g: g.pk)

    html = owner_client.get("/").content.decode()
    for number, clip in enumerate(made, start=1):
        card = html[html.index(f'<article id="gen-{clip.pk}"') :]
        card = card[: card.index("</article>")]
        assert f"Take {number} of 3 · same settings" in card


def test_a_take_with_other_settings_says_how_it_differs(owner_client, owner):
    first = queue(owner, 2)
    versions = {g.pk: Generation.objects.get(pk=g.pk).version for g in first}
    (longer,) = queue(owner, 1, duration=8, model="ltx-2-3-pro")

    gallery = owner_client.get(reverse("gallery:index")).content.decode()
    assert "Take 3 of 3 · model LTX-2.3 Pro, duration 8 s" in gallery
    assert gallery.count("· model LTX-2.3 Fast, duration 6 s") == 2
    # The earlier takes now read differently: their cards are drawn again on the next refresh.
    for pk, version in versions.items():
        assert Generation.objects.get(pk=pk).version == version + 1
    page = owner_client.get(reverse("gallery:clip", args=[longer.pk])).content.decode()
    assert '<p class="clip-take">Take 3 of 3 · model LTX-2.3 Pro, duration 8 s</p>' in page


def test_deleting_a_take_renumbers_the_others(owner_client, owner):
    _first, second, third = sorted(queue(owner, 3), key=lambda g: g.pk)
    version = Generation.objects.get(pk=third.pk).version
    pipeline.delete_generation(second)

    assert Generation.objects.get(pk=third.pk).version == version + 1
    html = owner_client.get(reverse("gallery:clip", args=[third.pk])).content.decode()
    assert "Take 2 of 2 · same settings" in html


def test_a_clip_made_once_or_from_another_prompt_has_no_take_line(owner_client, owner):
    queue(owner, 1)
    queue(owner, 1, prompt="a harbour at dawn")
    html = owner_client.get(reverse("gallery:index")).content.decode()
    assert "Take " not in html


def test_another_members_takes_are_not_counted(owner_client, owner):
    queue(owner, 1)
    queue(make_user("bob"), 2)
    assert "Take " not in owner_client.get(reverse("gallery:index")).content.decode()


def test_the_migration_keys_old_clips_as_takes_does():
    owner = make_user("carol")
    made = queue(owner, 2)
    expected = made[0].take_key
    assert expected == takes.key_for("text-to-video", T2V["prompt"], None, {})
    Generation.objects.update(take_key="")

    migration = importlib.import_module("ltxdash.generations.migrations.0007_take_key")
    migration.fill_take_keys(apps, None)

    assert set(Generation.objects.values_list("take_key", flat=True)) == {expected}


def test_it_names_a_clip_from_its_gallery_card(owner_client, clip):
    gallery = owner_client.get(reverse("gallery:index")).content.decode()
    card = gallery[gallery.index(f'<li class="clip-card" id="clip-{clip.pk}"') :]
    card = card[: card.index("</li>")]
    assert f'hx-target="#clip-name-{clip.pk}"' in card  # Rename on the card, swapping its name
    assert '<input type="hidden" name="on" value="tile">' in card

    response = rename(owner_client, clip, "Harbour, wide", on="tile")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div class="clip-naming" id="clip-name-{clip.pk}">')
    assert '<p class="clip-name">Harbour, wide</p>' in html
    assert f'hx-target="#clip-name-{clip.pk}"' in html  # and it can be renamed again
    assert Generation.objects.get(pk=clip.pk).title == "Harbour, wide"

    refused = rename(owner_client, clip, "x" * 121, on="tile")
    assert refused.status_code == 422
    assert '<details class="rename" open>' in refused.content.decode()


def test_a_gallery_card_offers_rename_only_to_who_may_rename(client):
    _, people = studio()
    clip = make_clip(people[Role.CREATOR], video=False)
    for role, offered in ((Role.CREATOR, True), (Role.ADMIN, True), (Role.VIEWER, False)):
        client.force_login(people[role])
        html = client.get(reverse("gallery:index")).content.decode()
        assert f'id="clip-{clip.pk}"' in html, role
        assert (f'hx-target="#clip-name-{clip.pk}"' in html) is offered, role
    other = make_user("dee")
    Membership.objects.create(workspace=clip.workspace, user=other, role=Role.CREATOR)
    client.force_login(other)  # a creator, but not this clip's maker
    html = client.get(reverse("gallery:index")).content.decode()
    assert f'id="clip-{clip.pk}"' in html and f"#clip-name-{clip.pk}" not in html
