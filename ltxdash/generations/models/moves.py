"""Many rows written in one statement: the poller's pass, whatever the number of jobs in it.

``update_from_values`` is the one ``UPDATE ... FROM (VALUES ...)`` builder: each row its own
values, each row written only while it is still in the state it was read in. ``move_many`` is
``Generation.transition`` for many clips at once, for the moves that touch nothing but the row
and its timeline (no cost entry moves, no state ends): one UPDATE and one INSERT of the events.

One statement whatever the number of rows; a CASE per row (what ``bulk_update`` writes) costs
about 30x more on SQLite and 10x the CPU on PostgreSQL (bench/bench_pipeline.py poll-writes).
UPDATE ... FROM needs SQLite 3.33 or later, RETURNING 3.35.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from django.db import connection, models
from django.utils import timezone

from ltxdash.generations.models.generation import Generation, GenerationEvent
from ltxdash.generations.models.states import (
    ENTERED_AT,
    TERMINAL,
    TRANSITIONS,
    IllegalTransition,
)
from ltxdash.spend import ledger


class Move(NamedTuple):
    """One clip's part of ``move_many``: the fields its UPDATE sets, and the request id of the
    answer that moved it (its timeline event's, and the row's last one)."""

    pk: int
    fields: Mapping[str, Any]
    request_id: str = ""


def update_from_values(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    assign: str,
    assign_params: Sequence[Any] = (),
    returning: bool = False,
) -> Any:
    """``UPDATE generation SET <assign> FROM (VALUES <rows>) AS v WHERE id = v.column1 AND
    state = v.column2``: ``columns`` names the fields of each row's values, starting with
    ``id`` and ``state``. In ``assign``, ``{table}`` is the table, ``{name}`` the column of
    field ``name`` and ``{v_name}`` its value in the row. Returns the number of rows written,
    or with ``returning`` their ids."""
    if not rows:
        return [] if returning else 0
    assert tuple(columns[:2]) == ("id", "state")
    table = connection.ops.quote_name(Generation._meta.db_table)
    fields = [_field(name) for name in columns]
    if connection.vendor == "postgresql":
        # A literal in VALUES has no type of its own there.
        row = ", ".join(f"CAST(%s AS {field.db_type(connection)})" for field in fields)
    else:
        row = ", ".join(["%s"] * len(fields))
    params: list[Any] = list(assign_params)
    for values in rows:
        params += [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, values, strict=True)
        ]
    names = {
        f.name: connection.ops.quote_name(f.column)
        for f in Generation._meta.concrete_fields
        if f.column
    }
    # VALUES names its columns column1, column2 ... on both databases.
    names |= {f"v_{name}": f"v.column{n}" for n, name in enumerate(columns, start=1)}
    # Only the model's own names are spliced in; every value is a parameter.
    sql = (
        f"UPDATE {table} SET {assign.format(table=table, **names)} "  # noqa: S608
        f"FROM (VALUES {', '.join([f'({row})'] * len(rows))}) AS v "
        f"WHERE {table}.{names['id']} = v.column1 AND {table}.{names['state']} = v.column2"
    )
    if returning:
        sql += f" RETURNING {table}.{names['id']}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [found for (found,) in cursor.fetchall()] if returning else cursor.rowcount


def move_many(old: str, to: str, moves: Sequence[Move], *, detail: str = "") -> list[int]:
    """Move every clip of ``moves`` from ``old`` to ``to`` as ``Generation.transition`` would
    (state, version, updated_at, the state's entered-at field unless given or already set, the
    request id, the fields, a timeline event), each only while it is still in ``old``. Every
    move sets the same fields. Returns the ids of the clips moved.

    Only for moves that touch nothing else: one the cost ledger follows, or one into a state a
    clip ends in, goes through ``transition()``.
    """
    if to not in TRANSITIONS[old]:
        raise IllegalTransition(f"{old} → {to} is not allowed")
    if ledger.follows(old, to) or to in TERMINAL:
        raise ValueError(f"{old} → {to} moves more than the row: use Generation.transition")
    if not moves:
        return []
    names = sorted(moves[0].fields)
    assert all(sorted(move.fields) == names for move in moves), "every move sets the same fields"
    now = timezone.now()
    assign = "{state} = %s, {version} = {table}.{version} + 1, {updated_at} = %s, "
    params: list[Any] = [to, _field("updated_at").get_db_prep_save(now, connection)]
    entered = ENTERED_AT.get(to)
    if entered and entered not in names:
        assign += f"{{{entered}}} = COALESCE({{table}}.{{{entered}}}, %s), "
        params.append(_field(entered).get_db_prep_save(now, connection))
    assign += (
        "{last_request_id} = COALESCE(NULLIF({v_last_request_id}, ''), {table}.{last_request_id})"
    )
    assign += "".join(f", {{{name}}} = {{v_{name}}}" for name in names)
    moved = update_from_values(
        ["id", "state", "last_request_id", *names],
        [(move.pk, old, move.request_id, *(move.fields[n] for n in names)) for move in moves],
        assign=assign,
        assign_params=params,
        returning=True,
    )
    request_ids = {move.pk: move.request_id for move in moves}
    GenerationEvent.objects.bulk_create(
        GenerationEvent(
            generation_id=pk,
            at=now,
            from_state=old,
            to_state=to,
            detail=detail[:2000],
            request_id=request_ids[pk],
        )
        for pk in moved
    )
    return moved


def _field(name: str) -> models.Field[Any, Any]:
    field = Generation._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field
