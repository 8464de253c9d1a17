"""CSV for people who open it in a spreadsheet: UTF-8 with a BOM, one line at a time (for a
``StreamingHttpResponse``), and no cell a spreadsheet would run as a formula.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
programs skip before looking) is a formula to Excel, LibreOffice and Google Sheets: a member
named ``=HYPERLINK(...)`` would otherwise put a live link (or worse) into an admin's sheet. Such
a text cell gets a leading apostrophe, the spreadsheets' own "this is text" mark (OWASP's advice
for CSV injection). Numbers are written as they are: a negative amount stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell: None is empty, text that a spreadsheet would run is quoted with an
    apostrophe, anything else (numbers, booleans) is left to ``csv``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def iso(moment: datetime | None) -> str:
    """A moment in UTC, to the second: "2026-05-01T09:30:00Z" ("" for none)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class _Line:
    """A csv.writer target that hands back what it was given."""

    def write(self, text: str) -> str:
        return text


def lines(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    """The header and then one line per row (keyed by ``columns``), as UTF-8 bytes, the first
    with a BOM (spreadsheet programs read the file as UTF-8 then), every cell made safe."""
    writer = csv.DictWriter(_Line(), fieldnames=list(columns))
    yield ("\ufeff" + writer.writeheader()).encode()
    for row in rows:
        yield writer.writerow({name: safe_cell(value) for name, value in row.items()}).encode()
