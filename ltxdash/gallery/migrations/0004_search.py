"""Full-text search of clips' prompts and titles (ltxdash/gallery/search.py queries it).

SQLite: FTS5 tables over generations_generation with external content (they hold an index, not
a copy of the text), kept in step by three triggers and filled from the rows already there:

- ``gallery_search_stems``: Porter stems ("boats" and "boat" are both "boat"), what a search
  matches against;
- ``gallery_search_words``: the words as written, only for its vocabulary
  (``gallery_search_words_vocab``): the word being typed is completed from it, because a
  prefix of a word is not always a prefix of its stem ("runni" starts "running", whose stem is
  "run"). ``detail=none``: no positions, the smallest index FTS5 makes.

SQLite drops a table's triggers with the table: a later migration that makes Django rebuild
generations_generation on SQLite must create them again (tests/gallery/test_search.py checks
that they are there and that the index agrees with the rows).

PostgreSQL: a stored generated column ``search_vector`` (not a model field: Django never names
it) with both kinds of lexeme, English stems without stop words and the words as written,
accents removed by ``unaccent`` when the server has it; a GIN index on it. Stored rather than an
expression index: the planner may check rows one by one (newest first, while it fills a page),
and reading a stored tsvector costs a microsecond where computing one costs tens.

Other databases get nothing: search.py falls back to substring matches there.
"""

from django.db import migrations

SQLITE_TABLES = {
    "gallery_search_stems": "tokenize = 'porter unicode61 remove_diacritics 2'",
    "gallery_search_words": "tokenize = 'unicode61 remove_diacritics 2', detail = none",
}


def _sqlite_forwards() -> list[str]:
    statements = [
        f"CREATE VIRTUAL TABLE {table} USING fts5(prompt, title, "
        f"content = 'generations_generation', content_rowid = 'id', {options})"
        for table, options in SQLITE_TABLES.items()
    ]
    statements.append(
        "CREATE VIRTUAL TABLE gallery_search_words_vocab "
        "USING fts5vocab(gallery_search_words, 'row')"
    )

    def add(row: str) -> str:
        return " ".join(
            f"INSERT INTO {t}(rowid, prompt, title) VALUES ({row}.id, {row}.prompt, {row}.title);"
            for t in SQLITE_TABLES
        )

    def remove(row: str) -> str:
        # External content: the values given must be the ones indexed, which the triggers ensure.
        return " ".join(
            f"INSERT INTO {t}({t}, rowid, prompt, title) "
            f"VALUES ('delete', {row}.id, {row}.prompt, {row}.title);"
            for t in SQLITE_TABLES
        )

    statements += [
        "CREATE TRIGGER gallery_search_insert AFTER INSERT ON generations_generation "
        f"BEGIN {add('new')} END",
        "CREATE TRIGGER gallery_search_delete AFTER DELETE ON generations_generation "
        f"BEGIN {remove('old')} END",
        # Only when the words change: the pipeline writes other columns of a row many times.
        "CREATE TRIGGER gallery_search_update AFTER UPDATE OF id, prompt, title "
        "ON generations_generation WHEN old.id IS NOT new.id OR old.prompt IS NOT new.prompt "
        f"OR old.title IS NOT new.title BEGIN {remove('old')} {add('new')} END",
    ]
    # The rows already there.
    statements += [f"INSERT INTO {t}({t}) VALUES ('rebuild')" for t in SQLITE_TABLES]
    return statements


SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS gallery_search_insert",
    "DROP TRIGGER IF EXISTS gallery_search_delete",
    "DROP TRIGGER IF EXISTS gallery_search_update",
    "DROP TABLE IF EXISTS gallery_search_words_vocab",
    *(f"DROP TABLE IF EXISTS {table}" for table in SQLITE_TABLES),
]

_PG_WORD_TOKENS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"
_PG_DOCUMENT = "coalesce(prompt, '') || ' ' || coalesce(title, '')"

PG_FORWARDS = [
    # Best effort: without the extension (or the right to create it) search keeps accents.
    """DO $$ BEGIN
        CREATE EXTENSION IF NOT EXISTS unaccent;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'unaccent is not available: search will tell accented letters apart';
    END $$""",
    # English stems without a stop-word list: "the" and "over" stay searchable, as on SQLite.
    "CREATE TEXT SEARCH DICTIONARY ltxdash_english_stem (TEMPLATE = snowball, LANGUAGE = english)",
    "CREATE TEXT SEARCH CONFIGURATION ltxdash_stems (COPY = english)",
    "CREATE TEXT SEARCH CONFIGURATION ltxdash_words (COPY = simple)",
    f"""DO $$
    DECLARE
        first text := CASE WHEN EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'unaccent')
                           THEN 'unaccent, ' ELSE '' END;
    BEGIN
        EXECUTE 'ALTER TEXT SEARCH CONFIGURATION ltxdash_stems ALTER MAPPING FOR '
            || '{_PG_WORD_TOKENS} WITH ' || first || 'ltxdash_english_stem';
        EXECUTE 'ALTER TEXT SEARCH CONFIGURATION ltxdash_words ALTER MAPPING FOR '
            || '{_PG_WORD_TOKENS} WITH ' || first || 'simple';
    END $$""",
    "ALTER TABLE generations_generation ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    f"to_tsvector('ltxdash_stems'::regconfig, {_PG_DOCUMENT}) "
    f"|| to_tsvector('ltxdash_words'::regconfig, {_PG_DOCUMENT})) STORED",
    "CREATE INDEX gen_search ON generations_generation USING gin (search_vector)",
]

PG_BACKWARDS = [
    "DROP INDEX IF EXISTS gen_search",
    "ALTER TABLE generations_generation DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS ltxdash_stems",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS ltxdash_words",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS ltxdash_english_stem",
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def forwards(apps, schema_editor) -> None:
    _run(schema_editor, {"sqlite": _sqlite_forwards(), "postgresql": PG_FORWARDS})


def backwards(apps, schema_editor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_BACKWARDS, "postgresql": PG_BACKWARDS})


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0003_operator_words"),
        ("generations", "0008_operator_words"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
