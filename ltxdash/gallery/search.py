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
"""

from __future__ import annotations

import re
import unicodedata
from functools import reduce
from operator import and_
from typing import TYPE_CHECKING

from django.db import connections
from django.db.models import BooleanField, Expression, F, Q, QuerySet
from django.db.models.expressions import RawSQL

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
# index and sorts them. Counted first (up to this many, so cheaply), not left to the planner:
# SQLite knows nothing of FTS5 tables' sizes, and PostgreSQL guesses at a prefix's share.
_MANY = 1000


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


def _completions(clips: QuerySet[Generation], prefix: str) -> list[str]:
    """The indexed words (as written) that are longer than ``prefix`` and start with it, for a
    prefix of 3 letters or more (shorter ones, and numbers, are prefixes of their words'
    stems). The prefix itself needs no completing: its own stem is already a prefix."""
    start = _folded(prefix)
    if len(start) < 3 or start.isdigit():
        return []
    with connections[clips.db].cursor() as cursor:
        cursor.execute(
            "SELECT term FROM gallery_search_words_vocab WHERE term > %s AND term < %s LIMIT %s",
            [start, start + "\U0010ffff", MAX_COMPLETIONS],
        )
        return [term for (term,) in cursor.fetchall()]


def _sqlite_matching(clips: QuerySet[Generation], words: list[str]) -> QuerySet[Generation]:
    *whole, last = words
    # The last word: a prefix of a stem ("boats" *, stemmed "boat" *), or a word that starts
    # with it, stemmed in turn ("runni" -> "running" -> "run").
    last_query = " OR ".join([f"{_fts5(last)} *", *map(_fts5, _completions(clips, last))])
    query = " AND ".join([*map(_fts5, whole), f"({last_query})"])
    ids = RawSQL(
        "SELECT rowid FROM gallery_search_stems WHERE gallery_search_stems MATCH %s", [query]
    )
    with connections[clips.db].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM gallery_search_stems "
            "WHERE gallery_search_stems MATCH %s LIMIT %s)",
            [query, _MANY + 1],
        )
        (found,) = cursor.fetchone()
    if found <= _MANY:
        # A few: SQLite looks each one up by id and sorts them.
        return clips.filter(pk__in=ids)
    # Many: walk the clips in the page's order (their index) and keep those in the matches;
    # "id + 0" keeps SQLite from looking every match up by id and sorting them all instead.
    return clips.alias(_search_id=F("pk") + 0).filter(_search_id__in=ids)


# --- PostgreSQL: tsvector + GIN ---------------------------------------------------------------


def _tsquery_lexeme(word: str) -> str:
    """A word as a quoted tsquery operand (words hold no quote or backslash; doubled anyway)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


class _SearchVectorMatches(Expression):
    """``<the clips table>.search_vector @@ <tsquery>``, under whatever alias the table has in
    the query (a subquery calls it U0). A filter on the table itself, not ``id IN (...)``: the
    planner then picks the GIN index for few matches and the newest-first walk for many."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, tsquery: str, params: list[str]) -> None:
        super().__init__()
        self.tsquery, self.params = tsquery, params

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[str, ...]]:
        table = compiler.quote_name(compiler.query.get_initial_alias())
        return f"{table}.search_vector @@ ({self.tsquery})", tuple(self.params)


def _postgresql_matching(clips: QuerySet[Generation], words: list[str]) -> QuerySet[Generation]:
    condition = _postgresql_condition(words)
    # The first matches by the GIN index (no order, or the planner may walk the clips for it).
    ids = list(
        Generation.objects.using(clips.db)
        .filter(condition)
        .order_by()
        .values_list("pk", flat=True)[: _MANY + 1]
    )
    if len(ids) <= _MANY:
        return clips.filter(pk__in=ids)  # a few: looked up by id and sorted
    return clips.filter(condition)  # many: the clips walked newest first, the matches kept


def _postgresql_condition(words: list[str]) -> _SearchVectorMatches:
    """The clips with the stems of every word; the last one may also be the start of a stem or
    of a word as written."""
    *whole, last = words
    prefix = _tsquery_lexeme(last) + ":*"
    query = "to_tsquery('ltxdash_stems', %s) || to_tsquery('ltxdash_words', %s)"
    params = [prefix, prefix]
    if whole:
        query = f"to_tsquery('ltxdash_stems', %s) && ({query})"
        params.insert(0, " & ".join(_tsquery_lexeme(w) for w in whole))
    return _SearchVectorMatches(query, params)
