"""The usage page and its CSV: figures against a fixture computed by hand, who sees whose
entries, the dates it takes, and a query count that does not grow with the range."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ltxdash import access
from ltxdash.core.csvfile import safe_cell
from ltxdash.generations.models import TERMINAL, State
from ltxdash.spend import usage
from ltxdash.spend.ledger import local_day
from ltxdash.spend.models import LedgerEntry, Status
from ltxdash.spend.usage import Range
from ltxdash.workspaces import current
from ltxdash.workspaces.models import Membership, Role, Workspace
from tests.factories import make_generation, make_user

MARCH = Range(date(2026, 3, 1), date(2026, 3, 31))
FAST, PRO = "ltx-2-3-fast", "ltx-2-3-pro"
T2V, I2V = "text-to-video", "image-to-video"


def entry(workspace, member, day: date, status: str, amount: str, **fields: Any) -> LedgerEntry:
    """A ledger entry written directly; with ``state``, for a clip in that state (``to_ready``:
    seconds from LTX accepting it to its being saved), else for a deleted clip."""
    state = fields.pop("state", None)
    to_ready = fields.pop("to_ready", None)
    generation = None
    if state is not None:
        moments: dict[str, Any] = {}
        if to_ready is not None:
            accepted = fields.get("created_at") or _noon(day)
            moments = {"submitted_at": accepted, "ready_at": accepted + timedelta(seconds=to_ready)}
        generation = make_generation(
            member,
            state,
            workspace=workspace,
            endpoint=fields.get("endpoint", T2V),
            model=fields.get("model", FAST),
            **moments,
        )
    values: dict[str, Any] = {
        # What ledger.follow() notes when the clip ends (a deleted clip's stays as it was).
        "outcome": state if state in TERMINAL else "",
        "seconds_to_ready": to_ready if state == State.READY else None,
        "endpoint": T2V,
        "model": FAST,
        "clip_number": generation.pk if generation else 10_000 + LedgerEntry.objects.count(),
        "created_at": _noon(day),
    }
    return LedgerEntry.objects.create(
        workspace=workspace,
        member=member,
        generation=generation,
        day=day,
        month=day.replace(day=1),
        status=status,
        amount=Decimal(amount),
        **(values | fields),
    )


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


@pytest.fixture
def team(db) -> dict[str, Any]:
    """A workspace of an admin (ada), a creator (cam) and a viewer (vic); and an outsider
    (olga) in a workspace of her own, with spending of its own."""
    workspace = Workspace.objects.create(name="Studio", slug="studio", time_zone="Europe/Paris")
    people: dict[str, Any] = {"workspace": workspace}
    for name, role in (("ada", Role.ADMIN), ("cam", Role.CREATOR), ("vic", Role.VIEWER)):
        people[name] = make_user(name)
        Membership.objects.create(workspace=workspace, user=people[name], role=role)
        current.choose(people[name], workspace)
    people["olga"] = make_user("olga")
    people["elsewhere"] = current.membership(people["olga"]).workspace
    return people


# Known entries of March 2026, and a few just outside it: (name, member, day, status, amount,
# fields). With ``state`` a clip in that state (``to_ready``: seconds from LTX accepting it to its
# being saved); without, a deleted clip.
MARCH_ENTRIES = [
    ("ada_ready", "ada", 2, Status.CHARGED, "0.3600", {"billed_seconds": 6, "to_ready": 40}),
    ("cam_pro", "cam", 2, Status.CHARGED, "1.2500", {"model": PRO, "billed_seconds": 10, "to_ready": 80}),
    ("cam_failed", "cam", 5, Status.CHARGED, "0.4875", {"endpoint": I2V, "billed_seconds": 8, "state": State.FAILED}),
    ("cam_unknown", "cam", 5, Status.RESERVED, "0.2400", {"endpoint": I2V, "flagged": True, "state": State.UNKNOWN}),
    ("ada_waived", "ada", 9, Status.WAIVED, "0.9000", {"endpoint": I2V, "model": PRO, "state": State.FAILED}),
    ("cam_rejected", "cam", 9, Status.RELEASED, "0.3600", {"state": State.REJECTED}),
    ("ada_queued", "ada", 20, Status.RESERVED, "0.1800", {"state": State.QUEUED}),
    ("cam_last", "cam", 31, Status.CHARGED, "0.7225", {"billed_seconds": 12, "to_ready": 120}),
    ("ada_deleted", "ada", 31, Status.CHARGED, "0.1111", {"model": PRO, "billed_seconds": 2, "state": None}),
    # Outside the range: never counted.
    ("february", "ada", date(2026, 2, 28), Status.CHARGED, "5.0000", {"billed_seconds": 5}),
    ("april", "cam", date(2026, 4, 1), Status.CHARGED, "7.0000", {"billed_seconds": 7}),
]  # fmt: skip


@pytest.fixture
def march(team) -> dict[str, Any]:
    """MARCH_ENTRIES in the team's workspace, and one of the outsider's own workspace."""
    rows = {}
    for name, who, day, status, amount, fields in MARCH_ENTRIES:
        values = {"state": State.READY, **fields}
        when = day if isinstance(day, date) else date(2026, 3, day)
        rows[name] = entry(team["workspace"], team[who], when, status, amount, **values)
    olga = entry(team["elsewhere"], team["olga"], date(2026, 3, 10), Status.CHARGED, "9.0000")
    return rows | {"olga": olga}


# --- the figures --------------------------------------------------------------------------------


def test_the_workspace_figures_are_the_hand_computed_ones(team, march):
    found = usage.usage(team["workspace"].pk, None, MARCH)
    # Charged only: 0.36 + 1.25 + 0.4875 + 0.7225 + 0.1111 (waived and released left out).
    assert found.spent == Decimal("2.9311") and found.clips == 5
    assert (found.held, found.held_clips) == (Decimal("0.4200"), 2)  # 0.24 + 0.18
    assert (found.flagged_clips, found.flagged_amount) == (1, Decimal("0.2400"))
    assert (found.waived, found.waived_clips) == (Decimal("0.9000"), 1)
    assert found.seconds == Decimal("38")  # 6 + 10 + 8 + 12 + 2: billed seconds of charges
    # Finished: 3 ready; failed twice, unknown, rejected. Queued and the deleted clip: neither.
    assert (found.ready, found.failed, found.finished) == (3, 4, 7)
    assert found.success_text == "42.9 %" and found.failure_text == "57.1 %"
    assert found.average_to_ready == timedelta(seconds=80)  # (40 + 80 + 120) / 3
    assert found.average_text == "80 s" and found.seconds_text == "38 s"

    per_day = {b.start: (b.spent, b.clips) for b in found.buckets}
    assert len(per_day) == 31 and found.by == "day"
    assert per_day[date(2026, 3, 2)] == (Decimal("1.6100"), 2)
    assert per_day[date(2026, 3, 5)] == (Decimal("0.4875"), 1)
    assert per_day[date(2026, 3, 9)] == (Decimal("0"), 0)  # waived and released: nothing spent
    assert per_day[date(2026, 3, 31)] == (Decimal("0.8336"), 2)
    assert sum(spent for spent, _ in per_day.values()) == found.spent

    def lines(found_lines):
        return {line.label: (line.spent, line.clips, line.held) for line in found_lines}

    assert lines(found.members) == {
        "cam": (Decimal("2.4600"), 3, Decimal("0.2400")),
        "ada": (Decimal("0.4711"), 2, Decimal("0.1800")),
    }
    assert [line.label for line in found.members] == ["cam", "ada"]  # most spent first
    assert lines(found.models) == {
        "LTX-2.3 Fast": (Decimal("1.5700"), 3, Decimal("0.4200")),
        "LTX-2.3 Pro": (Decimal("1.3611"), 2, Decimal("0")),
    }
    assert lines(found.modes) == {
        "Text → Video": (Decimal("2.4436"), 4, Decimal("0.1800")),
        "Image → Video": (Decimal("0.4875"), 1, Decimal("0.2400")),
    }
    assert found.modes[0].percent == 83  # 2.4436 / 2.9311


def test_a_members_figures_are_their_own_entries_only(team, march):
    found = usage.usage(team["workspace"].pk, team["cam"].pk, MARCH)
    assert (found.spent, found.clips) == (Decimal("2.4600"), 3)  # 1.25 + 0.4875 + 0.7225
    assert found.held == Decimal("0.2400") and found.seconds == Decimal("30")
    assert (found.ready, found.failed) == (2, 3)
    assert found.success_text == "40.0 %"
    assert found.average_to_ready == timedelta(seconds=100)  # (80 + 120) / 2
    assert [line.label for line in found.members] == ["cam"]


def test_an_empty_range_has_figures_of_nothing(team):
    found = usage.usage(team["workspace"].pk, None, MARCH)
    assert found.spent == 0 and found.finished == 0 and found.success_rate is None
    assert found.average_text == found.success_text == "–"  # noqa: RUF001
    assert not found.members and len(found.buckets) == 31 and not found.chart.bars


def test_a_long_range_has_a_bar_a_month(team, march):
    found = usage.usage(team["workspace"].pk, None, Range(date(2026, 1, 15), date(2026, 6, 10)))
    assert found.by == "month"
    assert [(b.start, b.spent) for b in found.buckets] == [
        (date(2026, 1, 1), Decimal("0")),
        (date(2026, 2, 1), Decimal("5.0000")),
        (date(2026, 3, 1), Decimal("2.9311")),
        (date(2026, 4, 1), Decimal("7.0000")),
        (date(2026, 5, 1), Decimal("0")),
        (date(2026, 6, 1), Decimal("0")),
    ]


def test_the_chart_scales_to_a_round_top():
    assert usage.nice_ceiling(Decimal("1.61")) == Decimal("2")
    assert usage.nice_ceiling(Decimal("0.2101")) == Decimal("0.25")
    assert usage.nice_ceiling(Decimal("430")) == Decimal("500")
    assert usage.nice_ceiling(Decimal("0")) == Decimal("1")
    days = [usage.Bucket(date(2026, 3, n), f"{n} Mar", Decimal(n), 1) for n in (1, 2, 4)]
    chart = usage.chart(days)
    assert [mark.text for mark in chart.levels] == ["$0.00", "$2.50", "$5.00"]
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.bucket.spent == 4 and tallest.y + tallest.height == chart.bottom
    assert tallest.height == pytest.approx((chart.bottom - chart.top) * 4 / 5)


# --- the page -----------------------------------------------------------------------------------


def _get(user, name: str = "spend:usage", **params: str):
    client = Client()
    client.force_login(user)
    return client.get(reverse(name), params)


def test_an_admin_sees_the_workspaces_figures(team, march):
    response = _get(team["ada"], start="2026-03-01", end="2026-03-31")
    assert response.status_code == 200
    page = response.content.decode()
    assert "$2.93" in page and "$0.42" in page  # spent; held
    assert "Outcome unknown" in page and "1 flagged clip" in page
    assert "Per member" in page and ">cam<" in page and ">ada<" in page
    assert 'role="img"' in page and '<title id="chart-title">' in page
    assert page.count('class="usage-bar" x=') == 3  # three days with spend
    assert "Tue 31 Mar 2026" in page  # the chart's table
    assert "$9.00" not in page and "$7.00" not in page and "$5.00" not in page


def test_a_creator_and_a_viewer_see_only_their_own(team, march):
    page = _get(team["cam"], start="2026-03-01", end="2026-03-31").content.decode()
    assert "$2.46" in page and "$2.93" not in page
    assert "Per member" not in page and "Outcome unknown" not in page  # the admins'
    viewer = _get(team["vic"], start="2026-03-01", end="2026-03-31")
    assert viewer.status_code == 200
    assert viewer.context["usage"].spent == 0 and viewer.context["usage"].clips == 0


def test_the_scope_rule(team):
    assert access.usage_scope(team["ada"]) == (team["workspace"], None)
    assert access.usage_scope(team["cam"]) == (team["workspace"], team["cam"].pk)
    assert access.usage_scope(team["vic"]) == (team["workspace"], team["vic"].pk)
    # The outsider runs a workspace of their own: its usage, all of it.
    assert access.usage_scope(team["olga"]) == (team["elsewhere"], None)


def test_an_outsider_sees_their_own_workspace_only(team, march):
    found = _get(team["olga"], start="2026-03-01", end="2026-03-31").context["usage"]
    assert found.spent == Decimal("9.0000") and [m.label for m in found.members] == ["olga"]


def test_logged_out_is_sent_to_log_in(db):
    response = Client().get(reverse("spend:usage"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = Client().get(reverse("spend:usage_csv"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_default_is_this_month_in_the_workspaces_time_zone(team):
    workspace = team["workspace"]
    workspace.time_zone = "Pacific/Kiritimati"  # UTC+14: often a day ahead of the server
    workspace.save()
    today = local_day(workspace)
    entry(workspace, team["ada"], today, Status.CHARGED, "0.5000")
    form = _get(team["ada"]).context["form"]
    period = form.range
    assert period.start == today.replace(day=1) and period.start <= today <= period.end
    assert (period.end + timedelta(days=1)).day == 1  # the month's last day
    assert _get(team["ada"]).context["usage"].spent == Decimal("0.5000")


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"start": "2026-03-31", "end": "2026-03-01"}, "before it starts"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "at most three years"),
        ({"start": "the ides of march"}, "Write a day like"),
        ({"end": "2026-02-30"}, "Write a day like"),
    ],
)
def test_a_range_that_is_not_one_is_refused_with_words(team, params, words):
    response = _get(team["ada"], **params)
    assert response.status_code == 422
    assert words in response.content.decode() and response.context["usage"] is None
    csv_response = _get(team["ada"], "spend:usage_csv", **params)
    assert csv_response.status_code == 422 and words in csv_response.content.decode()


def test_three_years_is_the_longest_range(team):
    assert _get(team["ada"], start="2024-01-01", end="2026-12-30").status_code == 200  # 1,095
    assert _get(team["ada"], start="2024-01-01", end="2026-12-31").status_code == 200  # 1,096
    assert _get(team["ada"], start="2024-01-01", end="2027-01-01").status_code == 422


def test_one_end_given_keeps_the_other_of_this_month(team):
    form = _get(team["ada"], start="2025-01-01").context["form"]
    assert form.range.start == date(2025, 1, 1)
    assert form.range.end == usage.this_month(team["workspace"]).end


# --- the CSV ------------------------------------------------------------------------------------


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_the_csv_is_the_ranges_ledger(team, march):
    response = _get(team["ada"], "spend:usage_csv", start="2026-03-01", end="2026-03-31")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="ltxdash-ledger-2026-03-01-to-2026-03-31.csv"'
    )
    rows = _csv(response)
    assert len(rows) == 9 and list(rows[0]) == usage.csv_columns(admin=True)
    assert [row["day"] for row in rows] == sorted(row["day"] for row in rows)
    first = rows[0]
    assert first["clip"] == str(march["ada_ready"].clip_number)
    assert (first["member"], first["mode"], first["model"]) == ("ada", T2V, FAST)
    assert (first["status"], first["amount_usd"], first["billed_seconds"]) == (
        "charged",
        "0.3600",
        "6.000",
    )
    assert first["reserved_at"] == "2026-03-02T12:00:00Z"
    charged = sum(Decimal(r["amount_usd"]) for r in rows if r["status"] == "charged")
    assert charged == Decimal("2.9311")
    assert [r["outcome_unknown"] for r in rows].count("yes") == 1


def test_a_members_csv_is_their_own_entries(team, march):
    rows = _csv(_get(team["cam"], "spend:usage_csv", start="2026-03-01", end="2026-03-31"))
    assert {row["member"] for row in rows} == {"cam"} and len(rows) == 5
    assert "outcome_unknown" not in rows[0]  # the admins'
    assert _csv(_get(team["vic"], "spend:usage_csv", start="2026-03-01", end="2026-03-31")) == []


def test_csv_cells_never_run_as_formulas(team):
    hacker = make_user("@SUM(1+1)")
    Membership.objects.create(workspace=team["workspace"], user=hacker, role=Role.CREATOR)
    entry(team["workspace"], hacker, date(2026, 3, 3), Status.CHARGED, "1", note="=HYPERLINK(1)")
    rows = _csv(_get(team["ada"], "spend:usage_csv", start="2026-03-01", end="2026-03-31"))
    assert rows[0]["member"] == "'@SUM(1+1)" and rows[0]["note"] == "'=HYPERLINK(1)"
    assert rows[0]["amount_usd"] == "1.0000"
    for text in ("=1", "+1", "-1", "@a", "\t=1", "\r=1"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("a=1") == "a=1" and safe_cell(Decimal("-1")) == Decimal("-1")
    assert safe_cell(None) == ""


# --- the cost of a longer range -----------------------------------------------------------------


def _a_year_of_entries(team) -> None:
    ws = team["workspace"]
    rows = []
    for n in range(365):
        day = date(2025, 4, 1) + timedelta(days=n)
        for member, endpoint, model in ((team["ada"], T2V, FAST), (team["cam"], I2V, PRO)):
            rows.append(
                LedgerEntry(
                    workspace=ws,
                    member=member,
                    clip_number=n,
                    endpoint=endpoint,
                    model=model,
                    status=Status.CHARGED if n % 3 else Status.RESERVED,
                    amount=Decimal("0.3725"),
                    billed_seconds=Decimal("6"),
                    day=day,
                    month=day.replace(day=1),
                )
            )
    LedgerEntry.objects.bulk_create(rows)


def _queries(user, **params: str) -> int:
    client = Client()
    client.force_login(user)
    client.get(reverse("spend:usage"), params)  # the session and caches warmed
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("spend:usage"), params).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("who", ["ada", "cam"])
def test_the_query_count_does_not_grow_with_the_range(team, who):
    _a_year_of_entries(team)
    month = _queries(team[who], start="2026-03-01", end="2026-03-31")
    quarter = _queries(team[who], start="2026-01-01", end="2026-03-31")
    year = _queries(team[who], start="2025-04-01", end="2026-03-31")
    assert month == quarter == year
    with CaptureQueriesContext(connection) as captured:
        found = usage.usage(team["workspace"].pk, None, Range(date(2025, 4, 1), date(2026, 3, 31)))
    assert len(captured.captured_queries) == 2
    assert found.clips == 2 * 243 and len(found.buckets) == 12
