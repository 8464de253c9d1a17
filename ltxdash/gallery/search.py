"""Searching clips by the words of their prompt and title: one function, ``matching``.

What a search means, on every database:

- the words are runs of letters and digits; everything else in the input (quotes, ``*``, ``-``,
  ``NEAR(``, ``OR``, emoji) separates words and is never read as an operator;
- a clip matches when it has every word (AND), in its prompt or its title, in any case;
- words match by their English stem: "boats" finds "boat", "boat" finds "boats", "running"
  finds "run"; accents don't count ("cafe" finds "café");
- the last word also matches the start of a word, so results follow the typing ("lightho"
  finds "lighthouse", "runni" finds "running"). The other words are whole words: a space ended
  them, and as prefixes "cat" would also find "category" and "cathedral", in a list ordered by
  date, not by relevance, where nothing would push those down;
- input with no word in it at all (only symbols or emoji) is looked for as written.

How: SQLite (the default deployment) has FTS5 tables kept in step by triggers (migration
gallery/0004_search): Porter stems to match against, and the words as written, whose vocabulary
completes the last word (its prefix is not always a prefix of its stem: "runni" and "run").
PostgreSQL has a generated tsvector column of stems and words with a GIN index. Elsewhere,
substring matches (slow on big tables, but correct). Each is a filter on the queryset, so the
other filters, the order (newest first) and the keyset pagination stay as they are.

Fast for common words too ("early-stopping newest-first walk"): with many matches the database
walks the clips newest first and stops when a page is full, as the old substring search did, and
the test of each row is cheap. On SQLite a row is looked for only among the matches at its end
of the ids (FTS5 reads them in rowid order and stops early, through the prefix indexes of
migration gallery/0005); on PostgreSQL it is the row's stored tsvector. Which matches are many
is found out without reading them all: on SQLite by counting in the FTS5 index up to _MANY, on
PostgreSQL by looking for a page of matches among the newest _NEWEST clips.
"""

from __future__ import annotations

import re
import unicodedata
from functools import reduce
from operator import and_
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import BooleanField, Expression, Q, QuerySet
from django.db.models.expressions import RawSQL

from ltxdash.gallery.listing import PAGE_SIZE
from ltxdash.generations.models import Generation

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

MAX_WORDS = 8
# Letters and digits in any script; underscore separates words, as in both databases.
_WORD = re.compile(r"[^\W_]+")
# At most this many words of the vocabulary complete the last word (a longer list comes from a
# prefix of one or two letters, which is a prefix of those words' stems anyway).
MAX_COMPLETIONS = 32
# With more matches than this (in all clips), the database walks the clips newest first and
# keeps the matching ones until the page is full; with fewer, it reads the matches through the
# index and sorts them. Found out first (counting up to this many, or on PostgreSQL looking at
# the newest clips), not left to the planner: SQLite knows nothing of FTS5 tables' sizes, and
# PostgreSQL guesses at a prefix's share.
_MANY = 1000
# SQLite: the matches at each end of the ids that a clip there is checked against (see
# _sqlite_matching). PostgreSQL: how many of the newest clips are looked at to tell whether a
# page of matches is among them.
_ENDS = 250
_NEWEST = 1000
_STEMS = "gallery_search_stems"


def words_of(text: str) -> list[str]:
    """The words a search looks for, at most MAX_WORDS. Accents stay on their letters ("é"); a
    combining mark with no letter to join is dropped, as the databases do, rather than
    splitting its word in two."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return _WORD.findall(text)[:MAX_WORDS]


def matching(clips: QuerySet[Generation], text: str) -> QuerySet[Generation]:
    """``clips`` narrowed to those whose prompt or title has all the words of ``text``."""
    words = words_of(text)
    if not words:
        pieces = text.split()[:MAX_WORDS]
        return _containing(clips, pieces) if pieces else clips
    vendor = connections[clips.db].vendor
    if vendor == "sqlite":
        return _sqlite_matching(clips, words)
    if vendor == "postgresql":
        return _postgresql_matching(clips, words)
    return _containing(clips, words)


def _containing(clips: QuerySet[Generation], pieces: list[str]) -> QuerySet[Generation]:
    """Each piece somewhere in the prompt or the title (no stems, no index)."""
    return clips.filter(
        reduce(and_, (Q(prompt__icontains=p) | Q(title__icontains=p) for p in pieces))
    )


# --- SQLite: FTS5 ------------------------------------------------------------------------------


def _fts5(word: str) -> str:
    """A word as an FTS5 string: whatever it holds is text, never query syntax."""
    return '"' + word.replace('"', '""') + '"'


def _folded(word: str) -> str:
    """``word`` as the unicode61 tokenizer stores it: lower case, without diacritics."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _completions_sql(prefix: str) -> tuple[str, list[Any]]:
    """SQL for the FTS5 terms that complete ``prefix``: ``OR "word"`` for each indexed word (as
    written) that is longer and starts with it, at most MAX_COMPLETIONS; only for a prefix of
    3 letters or more (shorter ones, and numbers, are prefixes of their words' stems). The
    prefix itself needs no completing: its own stem is already a prefix."""
    start = _folded(prefix)
    if len(start) < 3 or start.isdigit():
        return "''", []
    # ">= start + U+0001", not "> start": fts5vocab reads the doclist of every term it passes
    # (to count it), and the prefix itself may be a word in a quarter of the clips. No term
    # holds a control character, so nothing lies between the two bounds.
    return (
        "coalesce((SELECT group_concat(' OR \"' || replace(term, '\"', '\"\"') || '\"', '') "
        "FROM (SELECT term FROM gallery_search_words_vocab WHERE term >= %s AND term < %s "
        "LIMIT %s)), '')",
        [start + "\x01", start + "\U0010ffff", MAX_COMPLETIONS],
    )


def _sqlite_matching(clips: QuerySet[Generation], words: list[str]) -> QuerySet[Generation]:
    *whole, last = words
    # The last word: a prefix of a stem ("boats" *, stemmed "boat" *), or a word that starts
    # with it, stemmed in turn ("runni" -> "running" -> "run"); the other words, whole.
    before = "".join(f"{_fts5(word)} AND " for word in whole) + f"({_fts5(last)} *"
    completions, completion_params = _completions_sql(last)
    # The SQL put together here holds only constants; what was typed is always a parameter.
    matches = f"SELECT rowid FROM {_STEMS} WHERE {_STEMS} MATCH %s"  # noqa: S608
    found_in = f"SELECT rowid FROM {_STEMS} WHERE {_STEMS} MATCH (SELECT q FROM query)"  # noqa: S608
    # One round trip: the FTS5 query (its completions from the vocabulary), how many clips
    # match (up to _MANY + 1), and the rowids that bound the _ENDS highest and the _ENDS lowest
    # matches. Each reads the index in rowid order and stops early (the prefix indexes of
    # gallery/0005 make "wa" * one doclist, not a merge of the doclists of every "wa..." stem).
    with connections[clips.db].cursor() as cursor:
        cursor.execute(
            f"WITH query(q) AS (SELECT %s || {completions} || ')') SELECT (SELECT q FROM query), "  # noqa: S608
            f"(SELECT count(*) FROM ({found_in} LIMIT %s)), "
            f"(SELECT min(rowid) FROM ({found_in} ORDER BY rowid DESC LIMIT %s)), "
            f"(SELECT max(rowid) FROM ({found_in} ORDER BY rowid LIMIT %s))",
            [before, *completion_params, _MANY + 1, _ENDS, _ENDS],
        )
        query, found, top, bottom = cursor.fetchone()
    if found <= _MANY:
        # A few: SQLite looks each one up by id and sorts them.
        return clips.filter(pk__in=RawSQL(matches, [query]))  # noqa: S611
    # Many: SQLite walks the clips in the page's order (their index) and keeps the matching
    # ones, which fills a page after a few dozen rows for a common word. The membership test
    # reads only the matches in the id range of the row: a clip at either end of the ids (where
    # the newest are, whether ids grow with time or not) is checked against the few matches
    # there, and the whole list of matches is read only if the walk gets to the middle.
    return clips.filter(
        _OnClipsTable(
            "CASE WHEN {table}.id >= %s THEN {table}.id IN ("
            + matches
            + " AND rowid >= %s) WHEN {table}.id <= %s THEN {table}.id IN ("
            + matches
            + " AND rowid <= %s) ELSE {table}.id IN ("
            + matches
            + " AND rowid > %s AND rowid < %s) END",
            [top, query, top, bottom, query, bottom, query, bottom, top],
        )
    )


# --- PostgreSQL: tsvector + GIN ---------------------------------------------------------------


def _tsquery_lexeme(word: str) -> str:
    """A word as a quoted tsquery operand (words hold no quote or backslash; doubled anyway)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


class _OnClipsTable(Expression):
    """A condition on the clips table, ``{table}`` in ``template`` standing for whatever alias
    the table has in the query (a subquery calls it U0). On PostgreSQL a filter on the table
    itself, not ``id IN (...)``: the planner then picks the GIN index for few matches and the
    newest-first walk for many."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, template: str, params: list[Any]) -> None:
        super().__init__()
        self.template, self.params = template, params

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        table = compiler.quote_name(compiler.query.get_initial_alias())
        return self.template.replace("{table}", table), tuple(self.params)


def _postgresql_matching(clips: QuerySet[Generation], words: list[str]) -> QuerySet[Generation]:
    tsquery, params = _postgresql_tsquery(words)
    condition = _OnClipsTable(f"{{table}}.search_vector @@ ({tsquery})", params)
    # Many among the newest clips (a page of them within the newest _NEWEST): the planner's
    # newest-first walk, which checks each row's stored tsvector and stops when the page is
    # full. Looked at newest first and stopped early, not counted through the GIN index, which
    # for a common word or a short prefix hands over every match before the first is counted.
    newest = (
        clips.order_by("-created_at", "-id")
        .annotate(_vector=RawSQL(f'"{Generation._meta.db_table}"."search_vector"', []))  # noqa: S611
        .values("_vector")[:_NEWEST]
    )
    newest_sql, newest_params = newest.query.sql_with_params()
    # Fewer: the first matches by the GIN index (no order, or the planner may walk the clips),
    # in the same round trip; PostgreSQL runs that subquery only when the CASE needs it.
    first = (
        Generation.objects.using(clips.db)
        .filter(condition)
        .order_by()
        .values_list("pk", flat=True)[: _MANY + 1]
    )
    first_sql, first_params = first.query.sql_with_params()
    with connections[clips.db].cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN (SELECT count(*) FROM (SELECT 1 FROM ({newest_sql}) AS newest "  # noqa: S608
            f'WHERE newest."_vector" @@ ({tsquery}) LIMIT %s) AS found) > %s THEN NULL '
            f"ELSE ARRAY({first_sql}) END",
            [*newest_params, *params, PAGE_SIZE + 1, PAGE_SIZE, *first_params],
        )
        (ids,) = cursor.fetchone()
    if ids is not None and len(ids) <= _MANY:
        return clips.filter(pk__in=ids)  # a few: looked up by id and sorted
    return clips.filter(condition)  # many: the clips walked newest first


def _postgresql_tsquery(words: list[str]) -> tuple[str, list[str]]:
    """The clips with the stems of every word; the last one may also be the start of a stem or
    of a word as written."""
    *whole, last = words
    prefix = _tsquery_lexeme(last) + ":*"
    query = "to_tsquery('ltxdash_stems', %s) || to_tsquery('ltxdash_words', %s)"
    params = [prefix, prefix]
    if whole:
        query = f"to_tsquery('ltxdash_stems', %s) && ({query})"
        params.insert(0, " & ".join(_tsquery_lexeme(w) for w in whole))
    return query, params
