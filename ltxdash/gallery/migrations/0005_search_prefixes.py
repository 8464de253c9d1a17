"""SQLite: the stems table (gallery/0004_search) gets FTS5 prefix indexes for prefixes of 1 to
8 characters, so that the word being typed ("sunset" *, "wa" *) reads one doclist that can be
walked in rowid order and stopped early, instead of merging the doclists of every stem with
that prefix on each query (ltxdash/gallery/search.py). FTS5 options are fixed when the table
is made: it is made again, with the same name, columns and tokenizer, and filled from the rows.
The triggers of 0004 name the table, so they keep working; PostgreSQL gets nothing.
"""

from django.db import migrations

TABLE = "gallery_search_stems"
PREFIXES = "1 2 3 4 5 6 7 8"


def _create(prefixes: str | None) -> list[str]:
    options = "tokenize = 'porter unicode61 remove_diacritics 2'"
    if prefixes:
        options += f", prefix = '{prefixes}'"
    return [
        f"DROP TABLE {TABLE}",
        f"CREATE VIRTUAL TABLE {TABLE} USING fts5(prompt, title, "
        f"content = 'generations_generation', content_rowid = 'id', {options})",
        f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
    ]


SQLITE_FORWARDS = _create(PREFIXES)
SQLITE_BACKWARDS = _create(None)


def _run(schema_editor, statements: list[str]) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for sql in statements:
            schema_editor.execute(sql, params=None)


def forwards(apps, schema_editor) -> None:
    _run(schema_editor, SQLITE_FORWARDS)


def backwards(apps, schema_editor) -> None:
    _run(schema_editor, SQLITE_BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0004_search"),
        ("generations", "0014_approval_states"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
