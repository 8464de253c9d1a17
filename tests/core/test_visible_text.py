"""Invisible and bidirectional controls in prompts are shown, not obeyed, wherever a prompt is
displayed (ltxdash/core/text.py and its ``visible`` template filter)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from ltxdash.core.text import visible
from tests.factories import make_clip, make_generation, make_input, make_user
from tests.support.pages import token_from

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
RLO = "\u202e"
SPOOF = f"a cat{RLO}gnp.exe and more"


@pytest.mark.parametrize(
    "char",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
     "\u200e", "\u200f", "\u061c", "\u200b", "\u2060", "\ufeff", "\x00", "\x1b", "\x85",
     "\U000e0041"],
)  # fmt: skip
def test_every_control_becomes_visible(char):
    assert visible(f"a{char}b") == f"a[U+{ord(char):04X}]b"


def test_ordinary_text_is_left_alone():
    text = "Line one\n\tline two: 👨\u200d👩\u200d👧 ❤\ufe0f שלום مرحبا"
    assert visible(text) == text
    assert visible(None) == ""


def test_every_template_that_shows_user_text_makes_its_controls_visible():
    unfiltered = []
    for path in TEMPLATES.rglob("*.html"):
        for match in re.finditer(
            r"{{\s*([\w.]*(?:prompt|original_name|workspace\.name|board\.name|display_title"
            r"|card\.title|clip\.title))\s*(\|[^}]*)?}}",
            path.read_text(),
        ):
            filters = match.group(2) or ""
            if not filters.startswith("|visible"):
                unfiltered.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
    assert unfiltered == []


@pytest.fixture
def spoofed(db):
    owner = make_user("alice")
    clip = make_clip(owner, prompt=SPOOF)
    make_input(clip, "image_uri", original_name=f"photo{RLO}gnp.exe")
    make_generation(owner, prompt=SPOOF)  # a live card on the create page
    client = Client()
    client.force_login(owner)
    return client, clip


def _shown(html: str) -> None:
    assert RLO not in html
    assert "a cat[U+202E]gnp.exe and more" in html


def test_the_create_page_cards_show_it(spoofed):
    client, _ = spoofed
    _shown(client.get(reverse("generations:create")).content.decode())


def test_the_gallery_shows_it(spoofed):
    client, _ = spoofed
    _shown(client.get(reverse("gallery:index")).content.decode())


def test_the_clip_page_shows_it_and_the_input_file_name(spoofed):
    client, clip = spoofed
    html = client.get(reverse("gallery:clip", args=[clip.pk])).content.decode()
    _shown(html)
    assert "photo[U+202E]gnp.exe" in html


def test_the_share_page_and_its_preview_tags_show_it(spoofed):
    client, clip = spoofed
    made = client.post(reverse("gallery:share_create", args=[clip.pk]), {"expires": "7"})
    html = Client().get(f"/s/{token_from(made.content.decode())}").content.decode()
    _shown(html)
    assert 'property="og:description" content="a cat[U+202E]gnp.exe and more"' in html


def test_the_admin_list_shows_it(spoofed, client):
    client.force_login(make_user("root", superuser=True, email="root@example.com"))
    _shown(client.get(reverse("admin:generations_generation_changelist")).content.decode())


def test_names_and_titles_show_it_too(spoofed):
    """Names members give (a workspace, a board, a clip's title) are shown the same way."""
    from ltxdash.boards.models import Board
    from tests.factories import workspace_of

    client, clip = spoofed
    workspace = workspace_of(clip.owner)
    workspace.name = SPOOF
    workspace.save()
    clip.title = SPOOF
    clip.save()
    board = Board.objects.create(workspace=workspace, name=SPOOF, created_by=clip.owner)
    for url in (
        reverse("workspaces:members"),
        reverse("gallery:clip", args=[clip.pk]),
        reverse("boards:board", args=[board.pk]),
        reverse("boards:index"),
        reverse("gallery:index"),
    ):
        page = client.get(url).content.decode()
        # An edit field keeps the name as it is (saving it again must not change it).
        _shown(re.sub(r'value="[^"]*"', "", page))
