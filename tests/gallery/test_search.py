"""Prompt and title search (gallery/search.py) on the real database: SQLite's FTS5 tables and
their triggers, or PostgreSQL's GIN index; the gallery page with ?q=."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from ltxdash.gallery import search
from ltxdash.gallery.listing import PAGE_SIZE
from ltxdash.gallery.search import matching
from ltxdash.generations.models import Generation
from tests.factories import bulk_ready_clips

URL = "/gallery/"

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's FTS5 tables and triggers"
)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's GIN index"
)


@pytest.fixture(params=["few matches", "many matches"])
def either_plan(request, monkeypatch):
    """Runs a test twice: as if the matches were few (read through the index, looked up by id
    and sorted) and as if they were many (the clips walked newest first, the matching kept; on
    SQLite each clip checked against the one match at its end of the ids, or against those in
    between; on PostgreSQL a page of matches taken to be among the newest clips)."""
    if request.param == "many matches":
        monkeypatch.setattr(search, "_MANY", 0)
        monkeypatch.setattr(search, "_ENDS", 1)
        monkeypatch.setattr(search, "_NEWEST", 10**9)
        monkeypatch.setattr(search, "PAGE_SIZE", -1)


@pytest.fixture
def clip_of(owner, make_clip):
    """clip_of(prompt, **fields): a clip of the owner's (no media files: searches don't read them)."""
    return lambda prompt, **fields: make_clip(owner, video=False, prompt=prompt, **fields)


def _found(owner, text: str) -> set[int]:
    return set(matching(Generation.objects.filter(owner=owner), text).values_list("pk", flat=True))


def _clip_ids(response) -> list[int]:
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'href="/gallery/(\d+)/"', response.content.decode())]


# --- what a search finds --------------------------------------------------------------------


def test_words_match_by_their_stem(owner, clip_of, either_plan):
    boat = clip_of("A boat leaves the harbour")
    boats = clip_of("Two boats at anchor")
    run = clip_of("A dog on a morning run")
    running = clip_of("A horse running on the beach")
    assert _found(owner, "boats") == {boat.pk, boats.pk}
    assert _found(owner, "boat") == {boat.pk, boats.pk}
    assert _found(owner, "running") >= {run.pk, running.pk}
    assert _found(owner, "runs") >= {run.pk, running.pk}


def test_the_last_word_matches_as_a_prefix(owner, clip_of, either_plan):
    lighthouse = clip_of("Boats by a lighthouse in the storm")
    running = clip_of("A horse running on the beach")
    named = clip_of("Waves", title="Harbour, wide")
    assert _found(owner, "lightho") == {lighthouse.pk}
    assert _found(owner, "boat lightho") == {lighthouse.pk}
    assert _found(owner, "harb") == {named.pk}
    # "runni" is the start of "running" but not of its stem "run": the words as written count.
    assert _found(owner, "runni") == {running.pk}
    assert _found(owner, "horses runni") == {running.pk}


def test_the_other_words_are_whole_words(owner, clip_of):
    cathedral = clip_of("A cathedral at dusk")
    cat = clip_of("A cat at dusk")
    assert _found(owner, "cat dusk") == {cat.pk}  # not "cathedral": a space ended "cat"
    assert _found(owner, "dusk cat") == {cat.pk, cathedral.pk}  # the last word may grow


def test_every_word_must_match_in_the_prompt_or_the_title(owner, clip_of, either_plan):
    fox = clip_of("A red fox in fresh snow")
    clip_of("A grey wolf in fresh snow")
    named = clip_of("Waves at night", title="Harbour, wide")
    assert _found(owner, "fox snow") == {fox.pk}
    assert _found(owner, "snow fox") == {fox.pk}
    assert _found(owner, "fox wolf") == set()
    assert _found(owner, "harbour") == {named.pk}  # the title alone
    assert _found(owner, "harbour waves") == {named.pk}  # title and prompt together
    assert _found(owner, "HARBOUR Wide") == {named.pk}


def test_numbers_are_words(owner, clip_of):
    """The benchmark's "fox 77": 77 is a word (and, last, a prefix), no longer any substring."""
    seventy_seven = clip_of("A red fox number 77 in the snow")
    seven_seventy = clip_of("A red fox number 770 in the snow")
    clip_of("A red fox number 177 in the snow")
    assert _found(owner, "fox 77") == {seventy_seven.pk, seven_seventy.pk}
    assert _found(owner, "77 fox") == {seventy_seven.pk}


def test_accents_dont_count(owner, clip_of):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_ts_dict WHERE dictname = 'unaccent'")
            if not cursor.fetchone():
                pytest.skip("this PostgreSQL has no unaccent: search keeps accents")
    cafe = clip_of("Morning light in a café in Montréal")
    assert _found(owner, "cafe") == {cafe.pk}
    assert _found(owner, "CAFÉ montreal") == {cafe.pk}
    assert _found(owner, "cafe montré") == {cafe.pk}  # the last word, completed
    assert _found(owner, "cafe\u0301") == {cafe.pk}  # an accent typed as a combining mark


def test_words_stuck_to_punctuation_are_found(owner, clip_of):
    clip = clip_of('A slow-motion shot: "the fox", then (finally) the owl\'s flight!')
    for text in ("slow motion", "motion", "fox", "finally", "owl", "flight", "shot fox owl"):
        assert _found(owner, text) == {clip.pk}, text


def test_other_owners_clips_are_not_found(owner, teammate, make_clip, clip_of, either_plan):
    mine = clip_of("A lighthouse")
    make_clip(teammate, video=False, prompt="A lighthouse")
    assert _found(owner, "lighthouse") == {mine.pk}


# --- hostile input --------------------------------------------------------------------------

HOSTILE = [
    '"',
    '""',
    '"unterminated',
    "'",
    "it's",
    "*",
    "fox*",
    "* fox",
    "-fox",
    "fox -snow",
    "fox NOT snow",
    "fox OR wolf",
    "fox AND",
    "OR",
    "NEAR(fox snow)",
    "NEAR(",
    "fox NEAR/2 snow",
    "prompt:fox",
    "title : fox",
    "{prompt title}: fox",
    "^fox",
    "fox^",
    "(fox",
    "fox)",
    "()",
    "fox & snow | !wolf",
    "fox <-> snow",
    "fox:*",
    "fox:A",
    "\\",
    "back\\slash",
    "%",
    "_",
    "fox_snow",
    "100%",
    "🦊",
    "🦊 fox",
    "fox🦊snow",
    "ﬁre",
    "Ⅻ",
    "²",
    "日本語の狐",
    "\u202efox",
    "fox\u200bsnow",
    "x\u0301y",
    "\u0301",
    "\ua7c0\ua7c1\ua7c2",  # letters newer than SQLite's Unicode tables
    "\U0010ffff",
    "a" * 200,
    " ".join(["fox"] * 60)[:200],
    "x " * 100,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_input_is_a_query_error(owner_client, owner, clip_of, either_plan, text):
    clip_of("A red fox runs through fresh snow")
    response = owner_client.get(URL, {"q": text})
    assert response.status_code == 200
    assert "error" not in response.content.decode().lower()


def test_input_longer_than_the_field_is_left_out_not_a_500(owner_client, owner, clip_of):
    fox = clip_of("A red fox")
    wolf = clip_of("A grey wolf")
    response = owner_client.get(URL, {"q": "fox " * 1000})  # the browser stops at 200
    assert set(_clip_ids(response)) == {fox.pk, wolf.pk}


def test_operators_are_words_not_syntax(owner, clip_of):
    fox = clip_of("A red fox runs through fresh snow")
    wolf = clip_of("A grey wolf")
    assert _found(owner, "-fox") == {fox.pk}  # not "without fox"
    assert _found(owner, "fox -snow") == {fox.pk}
    assert _found(owner, '"red fox"') == {fox.pk}
    assert _found(owner, "fox*") == {fox.pk}
    assert _found(owner, "NEAR(fox snow)") == set()  # "near" is a word no prompt has
    assert _found(owner, "fox OR wolf") == set()  # every word, "or" included
    assert _found(owner, "wolf:*") == {wolf.pk}


def test_input_without_words_is_looked_for_as_written(owner, clip_of):
    cat = clip_of("A cat 🐈 naps in the sun")
    fox = clip_of("A red fox")
    assert _found(owner, "🐈") == {cat.pk}
    assert _found(owner, "***") == set()
    assert _found(owner, "   ") == {cat.pk, fox.pk}  # nothing to look for


# --- the index follows the rows ---------------------------------------------------------------


def test_an_edited_prompt_is_found_by_its_new_words_only(owner, clip_of):
    clip = clip_of("A red fox")
    clip.prompt = "A blue whale"
    clip.save()
    assert _found(owner, "fox") == set()
    assert _found(owner, "whale") == {clip.pk}
    Generation.objects.filter(pk=clip.pk).update(prompt="An old lighthouse")
    assert _found(owner, "whale") == set()
    assert _found(owner, "lighthouse") == {clip.pk}


def test_an_edited_title_is_found_by_its_new_words_only(owner, clip_of):
    clip = clip_of("Waves", title="Harbour, wide")
    Generation.objects.filter(pk=clip.pk).update(title="Cliffs at noon")
    assert _found(owner, "harbour") == set()
    assert _found(owner, "cliffs noon") == {clip.pk}
    Generation.objects.filter(pk=clip.pk).update(title="")
    assert _found(owner, "cliff") == set()
    assert _found(owner, "waves") == {clip.pk}


def test_other_changes_leave_the_words_alone(owner, clip_of):
    clip = clip_of("A red fox")
    Generation.objects.filter(pk=clip.pk).update(favourite=True, version=7)
    clip.refresh_from_db()
    clip.save()  # every column written again, the same words
    assert _found(owner, "fox") == {clip.pk}


def test_a_deleted_clip_is_not_found(owner, clip_of):
    gone = clip_of("A red fox")
    kept = clip_of("A red fox, again")
    gone.delete()
    assert _found(owner, "fox") == {kept.pk}
    Generation.objects.filter(pk=kept.pk).delete()
    assert _found(owner, "fox") == set()


def test_bulk_created_clips_are_found(owner):
    ids = bulk_ready_clips(owner, 30, prompt=lambda i: f"clip {i} of a lighthouse")
    assert _found(owner, "lighthouses") == set(ids)
    assert _found(owner, "clip 7") == {ids[7]}


@sqlite_only
def test_the_sqlite_index_has_its_triggers_and_is_consistent(owner, clip_of):
    """SQLite drops a table's triggers with the table: a migration that makes Django rebuild
    generations_generation must create gallery/0004_search's triggers again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'generations_generation'"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert names >= {"gallery_search_insert", "gallery_search_update", "gallery_search_delete"}
    clip = clip_of("A red fox")
    clip.prompt = "A blue whale"
    clip.save()
    clip_of("A grey wolf").delete()
    with connection.cursor() as cursor:
        for table in ("gallery_search_stems", "gallery_search_words"):
            # An index built from other values than the rows' would fail this check.
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")  # noqa: S608


@postgresql_only
def test_postgresql_searches_through_the_gin_index(owner, monkeypatch):
    bulk_ready_clips(owner, 500, prompt=lambda i: f"clip number {i} of a fox")
    bulk_ready_clips(owner, 3, prompt=lambda i: f"an old lighthouse, take {i}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE generations_generation")
        # A table this small is read faster whole: leave the planner only bitmap scans, so that
        # the plan says whether the GIN index answers this query at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    monkeypatch.setattr(search, "_MANY", 0)  # the query itself, not a list of its ids
    plan = matching(Generation.objects.all(), "old lightho").order_by().explain()
    assert "Bitmap Index Scan on gen_search" in plan, plan


def _migration_run(direction: str) -> None:
    """gallery/0004_search's forwards or backwards on the test database, inside the test's
    transaction (Django's SQLite schema editor refuses to run there)."""

    class Editor:
        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str, params=None) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # ALTER TABLE waits for no deferred FK check
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration = importlib.import_module("ltxdash.gallery.migrations.0004_search")
    getattr(migration, direction)(None, Editor())


def test_the_migration_indexes_the_clips_already_there_and_reverses(owner, clip_of):
    before = clip_of("A lighthouse before the search existed")
    _migration_run("backwards")
    meanwhile = clip_of("A lighthouse while there was no index", title="Harbour")
    _migration_run("forwards")
    assert _found(owner, "lighthouses") == {before.pk, meanwhile.pk}
    assert _found(owner, "harbour") == {meanwhile.pk}
    after = clip_of("A lighthouse afterwards")
    assert _found(owner, "lighthouse") == {before.pk, meanwhile.pk, after.pk}


def test_a_search_works_inside_another_query(owner, clip_of, either_plan):
    """As a subquery the clips table has another alias (U0): the search follows it."""
    fox = clip_of("A red fox")
    clip_of("A grey wolf")
    inner = matching(Generation.objects.filter(owner=owner), "foxes").values("pk")
    assert set(Generation.objects.filter(pk__in=inner).values_list("pk", flat=True)) == {fox.pk}


def test_other_databases_fall_back_to_substrings(owner, clip_of, monkeypatch):
    fox = clip_of("A red fox", title="Harbour")
    monkeypatch.setattr(connection, "vendor", "mysql")
    assert _found(owner, "fox") == {fox.pk}
    assert _found(owner, "harb") == {fox.pk}
    assert _found(owner, "foxes") == set()  # no stems there


# --- the gallery page -----------------------------------------------------------------------


def test_the_gallery_shows_the_matching_clips_only(owner_client, owner, clip_of):
    boat = clip_of("A boat leaves the harbour")
    clip_of("A red fox")
    named = clip_of("Waves", title="Boats at night")
    response = owner_client.get(URL, {"q": "boats"})
    assert _clip_ids(response) == [named.pk, boat.pk]  # newest first
    html = response.content.decode()
    assert "A boat leaves the harbour" in html
    assert "A red fox" not in html


def test_a_search_that_finds_nothing_says_so(owner_client, owner, clip_of):
    clip_of("A red fox")
    response = owner_client.get(URL, {"q": "zebras"})
    assert _clip_ids(response) == []
    assert "No clips match these filters" in response.content.decode()
    grid = owner_client.get(URL, {"q": "zebr"}, headers={"HX-Request": "true"})
    assert "No clips match these filters" in grid.content.decode()


def test_search_combines_with_the_other_filters(owner_client, owner, clip_of, either_plan):
    pro = clip_of("A red fox", model="ltx-2-3-pro", favourite=True)
    clip_of("A red fox", model="ltx-2-3-fast", favourite=True)
    clip_of("A red fox", model="ltx-2-3-pro")
    assert _clip_ids(
        owner_client.get(URL, {"q": "foxes", "model": "ltx-2-3-pro", "favourites": "on"})
    ) == [pro.pk]


def test_search_results_page_newest_first_without_gaps_or_repeats(
    owner_client, owner, clip_of, either_plan
):
    now = timezone.now()
    foxes = [
        clip_of(f"A red fox number {i}", created_at=now - timedelta(minutes=i // 2))
        for i in range(PAGE_SIZE * 2 + 3)
    ]
    for i in range(10):
        clip_of(f"A grey wolf number {i}", created_at=now - timedelta(minutes=i))
    expected = [g.pk for g in sorted(foxes, key=lambda g: (g.created_at, g.pk), reverse=True)]
    seen, params = [], {"q": "red fo"}
    for _ in range(5):
        response = owner_client.get(URL, params)
        seen += _clip_ids(response)
        match = re.search(
            r'<a class="button" href="\?q=red\+fo&amp;after=([^"]+)"', response.content.decode()
        )
        if not match:
            break
        params = {"q": "red fo", "after": match.group(1)}
    assert seen == expected
