"""Clips made before the ledger existed get their entry from their estimate (migration
spend/0002_backfill): a budget counts what is already queued or in flight."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ltxdash.generations.models import State
from ltxdash.spend.models import LedgerEntry, Status
from tests.factories import make_generation, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def test_the_backfill_gives_every_earlier_clip_its_entry():
    owner = make_user("early")
    cost = {"estimated_cost": Decimal("0.36")}
    queued = make_generation(owner, State.QUEUED, **cost)
    ready = make_generation(owner, State.READY, **cost)
    ready.submitted_at = ready.created_at
    ready.ready_at = ready.created_at
    ready.save()
    refused = make_generation(owner, State.REJECTED, **cost)
    unknown = make_generation(owner, State.UNKNOWN, **cost)
    LedgerEntry.objects.all().delete()
    try:
        migrate(("spend", "0001_spend"))
        migrate(("spend", "0002_backfill"))
    finally:
        migrate(("spend", "0002_backfill"))
    found = {e.clip_number: e for e in LedgerEntry.objects.all()}
    assert found[queued.pk].status == Status.RESERVED
    assert found[ready.pk].status == Status.CHARGED and found[ready.pk].outcome == State.READY
    assert found[refused.pk].status == Status.RELEASED
    assert found[unknown.pk].status == Status.RESERVED and found[unknown.pk].flagged
    assert {e.amount for e in found.values()} == {Decimal("0.36")}
