"""What a workspace spent over a range of days, from the ledger: the usage page's figures and
its CSV.

Everything is read with aggregate queries, their number fixed whatever the range (the ledger's
``day`` and ``month`` columns, indexed with the workspace, exist for that):

- one query grouped by member, mode, model and status gives every total and the three
  breakdowns (its rows are the distinct combinations: a handful, whatever the number of
  entries), read in the order of an index that holds every column it needs;
- one query grouped by ``day`` gives the chart (a long range's months add up its days: at most
  MAX_DAYS rows) and, joined with the clips, their outcomes.

What the figures mean:

- **spent**: the amounts of *charged* entries (LTX accepted the job). Waived charges are left
  out (an admin forgave them), released ones too (nothing was made). All are the catalog's
  estimates: the API reports no cost.
- **held**: *reserved* entries, queued or being sent; among them the *flagged* ones, whose
  outcome is unknown (shown to admins, who settle them).
- **seconds of video**: the billed seconds of charged entries, what the charges are priced on
  (they survive a deleted clip; a clip with automatic duration is priced, and counted, at its
  longest).
- **success and failure rates**: among the range's clips that finished (ready, or failed,
  expired, rejected, outcome unknown), the share that became ready and the share that did not.
  Canceled clips did not finish; a deleted clip's outcome is no longer known.
- **time to ready**: from LTX accepting the job (``submitted_at``) to our copy being saved
  (``ready_at``): LTX's render plus the download. Time in our queue or waiting for an approval
  is left out: it depends on the workspace's own limits, not on the service.

A day is the one the entry counts in (the workspace's time zone when it was reserved).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum

from ltxdash.core import csvfile
from ltxdash.gallery.details import duration_text
from ltxdash.generations.models import State
from ltxdash.ltx import catalog
from ltxdash.ltx.catalog import usd
from ltxdash.spend.ledger import local_day
from ltxdash.spend.models import LedgerEntry, Status
from ltxdash.workspaces.models import Workspace

MAX_DAYS = 1096  # three years: the longest range the page and the CSV take
DAILY_UP_TO = 92  # a bar a day up to a quarter; longer ranges have a bar a month
FAILURES = (State.FAILED, State.EXPIRED, State.REJECTED, State.UNKNOWN)
CSV_BATCH = 2000  # entries read from the database at a time while the CSV streams
ZERO = Decimal("0")
NONE = "–"  # a figure with nothing to count  # noqa: RUF001


@dataclass(frozen=True)
class Range:
    """Whole days, both included."""

    start: date
    end: date

    @classmethod
    def month_of(cls, day: date) -> Range:
        last = calendar.monthrange(day.year, day.month)[1]
        return cls(day.replace(day=1), day.replace(day=last))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def by(self) -> str:
        """What a bar of the chart is: "day", or "month" for long ranges."""
        return "day" if self.days <= DAILY_UP_TO else "month"

    def query(self) -> str:
        return f"start={self.start.isoformat()}&end={self.end.isoformat()}"


def this_month(workspace: Workspace) -> Range:
    return Range.month_of(local_day(workspace))


def presets(workspace: Workspace) -> list[tuple[str, Range]]:
    """The ranges the page offers in one click."""
    today = local_day(workspace)
    month = Range.month_of(today)
    last_month = Range.month_of(month.start - timedelta(days=1))
    year_ago = (month.start.replace(year=month.start.year - 1) + timedelta(days=31)).replace(day=1)
    return [
        ("This month", month),
        ("Last month", last_month),
        ("Last 12 months", Range(year_ago, month.end)),
        ("This year", Range(today.replace(month=1, day=1), today.replace(month=12, day=31))),
    ]


def entries(workspace_id: int, member_id: int | None, period: Range) -> QuerySet[LedgerEntry]:
    """The ledger's entries of the range: the whole workspace's, or one member's."""
    rows = LedgerEntry.objects.filter(
        workspace_id=workspace_id, day__gte=period.start, day__lte=period.end
    )
    return rows if member_id is None else rows.filter(member_id=member_id)


# --- the figures -------------------------------------------------------------------------------


@dataclass
class Line:
    """One row of a breakdown (a member, a model, a mode)."""

    label: str
    spent: Decimal = ZERO
    clips: int = 0  # charged
    held: Decimal = ZERO
    share: float = 0.0  # of the range's spend

    @property
    def percent(self) -> int:
        return round(self.share * 100)

    @property
    def bar(self) -> float:
        """The inline bar's length, 0 to 100."""
        return round(self.share * 100, 1)


@dataclass(frozen=True)
class Bucket:
    """One bar of the chart: a day, or a month."""

    start: date
    label: str
    spent: Decimal
    clips: int


@dataclass
class Usage:
    period: Range
    spent: Decimal = ZERO
    clips: int = 0  # charged entries
    held: Decimal = ZERO
    held_clips: int = 0
    flagged_clips: int = 0
    flagged_amount: Decimal = ZERO
    waived: Decimal = ZERO
    waived_clips: int = 0
    seconds: Decimal = ZERO  # billed seconds of charged entries
    ready: int = 0
    failed: int = 0  # failed, expired, rejected, outcome unknown
    timed: int = 0  # ready clips with both moments known
    to_ready: timedelta = timedelta(0)  # their total time from accepted to saved
    buckets: list[Bucket] = field(default_factory=list)
    members: list[Line] = field(default_factory=list)
    models: list[Line] = field(default_factory=list)
    modes: list[Line] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.ready + self.failed

    @property
    def success_rate(self) -> float | None:
        return self.ready / self.finished if self.finished else None

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.finished if self.finished else None

    @property
    def average_to_ready(self) -> timedelta | None:
        """To the millisecond (the databases compute the seconds in floating point)."""
        if not self.timed:
            return None
        return timedelta(seconds=round(self.to_ready.total_seconds() / self.timed, 3))

    @property
    def by(self) -> str:
        return self.period.by

    @property
    def seconds_text(self) -> str:
        return duration_text(timedelta(seconds=float(self.seconds))) if self.seconds else "0 s"

    @property
    def success_text(self) -> str:
        return _percent(self.success_rate)

    @property
    def failure_text(self) -> str:
        return _percent(self.failure_rate)

    @property
    def average_text(self) -> str:
        return duration_text(self.average_to_ready) or NONE

    @property
    def chart(self) -> Chart:
        return chart(self.buckets)


def _percent(share: float | None) -> str:
    return NONE if share is None else f"{share * 100:.1f} %"


_CHARGED = Q(status=Status.CHARGED)
_TIMED = Q(seconds_to_ready__isnull=False)


def _combinations(rows: QuerySet[LedgerEntry]) -> Iterable[Mapping[str, Any]]:
    """Amounts, entries and billed seconds per member x mode x model x status (one query).
    Grouped in the order of the ``ledger_ws_usage`` index, which holds every column it reads:
    the database walks the index once and sorts nothing."""
    return (
        rows.values("member_id", "endpoint", "model", "status", "flagged")
        .annotate(
            total=Sum("amount"),
            entries=Count("pk"),
            seconds=Sum("billed_seconds"),
            username=Max("member__username"),
        )
        .order_by()
    )


def _days(rows: QuerySet[LedgerEntry]) -> Iterable[Mapping[str, Any]]:
    """Per day: what was spent, and how its clips ended (one query, at most MAX_DAYS rows)."""
    return (
        rows.values("day")
        .annotate(
            spent=Sum("amount", filter=_CHARGED),
            clips=Count("pk", filter=_CHARGED),
            ready=Count("pk", filter=Q(outcome=State.READY)),
            failed=Count("pk", filter=Q(outcome__in=FAILURES)),
            timed=Count("pk", filter=_TIMED),
            to_ready=Sum("seconds_to_ready", filter=_TIMED),
        )
        .order_by("day")
    )


def _member_label(row: Mapping[str, Any]) -> str:
    return row["username"] or "A former member"


def _model_label(row: Mapping[str, Any]) -> str:
    return catalog.model_label(row["model"]) if row["model"] else "No model"


def _mode_label(row: Mapping[str, Any]) -> str:
    return catalog.endpoint_label(row["endpoint"])


def _ranked(lines: dict[Any, Line], total: Decimal) -> list[Line]:
    for line in lines.values():
        line.share = float(line.spent / total) if total > 0 else 0.0
    return sorted(lines.values(), key=lambda line: (-line.spent, -line.held, line.label))


def _add(found: Usage, row: Mapping[str, Any]) -> None:
    """One group of entries into the totals, by its status."""
    amount, count = row["total"] or ZERO, row["entries"]
    if row["status"] == Status.CHARGED:
        found.spent += amount
        found.clips += count
        found.seconds += row["seconds"] or ZERO
    elif row["status"] == Status.RESERVED:
        found.held += amount
        found.held_clips += count
        if row["flagged"]:
            found.flagged_amount += amount
            found.flagged_clips += count
    elif row["status"] == Status.WAIVED:
        found.waived += amount
        found.waived_clips += count


def _breakdowns(found: Usage, rows: QuerySet[LedgerEntry]) -> None:
    members: dict[Any, Line] = {}
    models: dict[Any, Line] = {}
    modes: dict[Any, Line] = {}
    for row in _combinations(rows):
        _add(found, row)
        if row["status"] not in (Status.CHARGED, Status.RESERVED):
            continue
        for lines, key, label in (
            (members, row["member_id"], _member_label),
            (models, row["model"], _model_label),
            (modes, row["endpoint"], _mode_label),
        ):
            line = lines.get(key) or lines.setdefault(key, Line(label(row)))
            if row["status"] == Status.CHARGED:
                line.spent += row["total"] or ZERO
                line.clips += row["entries"]
            else:
                line.held += row["total"] or ZERO
    found.members = _ranked(members, found.spent)
    found.models = _ranked(models, found.spent)
    found.modes = _ranked(modes, found.spent)


def _next(day: date, by: str) -> date:
    return day + timedelta(days=1) if by == "day" else Range.month_of(day).end + timedelta(1)


def _chart_and_outcomes(found: Usage, rows: QuerySet[LedgerEntry]) -> None:
    """The bars (a day's, or a month's: its days added up) and the clips' outcomes."""
    by, period = found.by, found.period
    spent: dict[date, Decimal] = {}
    clips: dict[date, int] = {}
    seconds_to_ready = 0.0
    for row in _days(rows):
        key = row["day"] if by == "day" else row["day"].replace(day=1)
        spent[key] = spent.get(key, ZERO) + (row["spent"] or ZERO)
        clips[key] = clips.get(key, 0) + row["clips"]
        found.ready += row["ready"]
        found.failed += row["failed"]
        found.timed += row["timed"]
        seconds_to_ready += row["to_ready"] or 0.0
    found.to_ready = timedelta(seconds=seconds_to_ready)
    day = period.start if by == "day" else period.start.replace(day=1)
    while day <= period.end:
        label = f"{day.day} {day:%b}" if by == "day" else f"{day:%b %Y}"
        found.buckets.append(Bucket(day, label, spent.get(day, ZERO), clips.get(day, 0)))
        day = _next(day, by)


def usage(workspace_id: int, member_id: int | None, period: Range) -> Usage:
    """The figures of the range: the whole workspace's (``member_id`` None) or one member's.
    Two queries, whatever the range."""
    rows = entries(workspace_id, member_id, period)
    found = Usage(period)
    _breakdowns(found, rows)
    _chart_and_outcomes(found, rows)
    return found


# --- the chart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    bucket: Bucket


@dataclass(frozen=True)
class Mark:
    """A label on an axis, where it stands."""

    at: float
    text: str


@dataclass(frozen=True)
class Chart:
    """A bar chart's geometry in SVG user units (the template draws it; CSS colours it)."""

    width: int
    height: int
    left: int
    top: int
    bottom: int  # the y of the baseline
    right: int  # the x where the plot ends
    bars: list[Bar]
    levels: list[Mark]  # horizontal grid lines and their amounts
    ticks: list[Mark]  # the days (or months) named under the bars


WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 12, 28
X_LABELS = 8  # at most this many days or months are named under the bars


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 (times a power of ten) at least ``value``: the chart's top."""
    if value <= 0:
        return Decimal("1")
    power = Decimal(10) ** math.floor(math.log10(value))
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover (10 always holds)


def chart(buckets: list[Bucket]) -> Chart:
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    top = nice_ceiling(max((b.spent for b in buckets), default=ZERO))
    step = plot_width / max(len(buckets), 1)
    width = max(step * 0.72, 1.0)
    bars = []
    for i, bucket in enumerate(buckets):
        if bucket.spent <= 0:
            continue
        height = max(float(bucket.spent / top) * plot_height, 1.0)
        x = LEFT + i * step + (step - width) / 2
        bars.append(
            Bar(round(x, 2), round(baseline - height, 2), round(width, 2), round(height, 2), bucket)
        )
    levels = [
        Mark(round(baseline - plot_height * share, 2), usd(top * Decimal(str(share))))
        for share in (0, 0.5, 1)
    ]
    every = max(math.ceil(len(buckets) / X_LABELS), 1)
    ticks = [
        Mark(round(LEFT + i * step + step / 2, 2), bucket.label)
        for i, bucket in enumerate(buckets)
        if i % every == 0
    ]
    return Chart(WIDTH, HEIGHT, LEFT, TOP, baseline, WIDTH - RIGHT, bars, levels, ticks)


# --- the CSV -----------------------------------------------------------------------------------

COLUMNS = (
    "day",
    "clip",
    "member",
    "mode",
    "model",
    "status",
    "outcome_unknown",
    "amount_usd",
    "priced_on",
    "billed_seconds",
    "usd_per_second",
    "price_confirmed",
    "reserved_at",
    "charged_at",
    "settled_at",
    "note",
)
ADMIN_ONLY = frozenset({"outcome_unknown"})  # flagged entries are the admins' to settle


def csv_columns(*, admin: bool) -> list[str]:
    return [name for name in COLUMNS if admin or name not in ADMIN_ONLY]


def _csv_row(entry: Mapping[str, Any], columns: list[str]) -> dict[str, Any]:
    row = {
        "day": entry["day"].isoformat(),
        "clip": entry["clip_number"],
        "member": entry["member__username"] or "",
        "mode": entry["endpoint"],
        "model": entry["model"],
        "status": entry["status"],
        "outcome_unknown": "yes" if entry["flagged"] else "",
        "amount_usd": entry["amount"],
        "priced_on": entry["priced_on"],
        "billed_seconds": entry["billed_seconds"],
        "usd_per_second": entry["usd_per_second"],
        "price_confirmed": "yes" if entry["confirmed"] else "no",
        "reserved_at": csvfile.iso(entry["created_at"]),
        "charged_at": csvfile.iso(entry["charged_at"]),
        "settled_at": csvfile.iso(entry["settled_at"]),
        "note": entry["note"],
    }
    return {name: row[name] for name in columns}


def ledger_csv(
    workspace_id: int, member_id: int | None, period: Range, *, admin: bool
) -> Iterator[bytes]:
    """The range's entries, oldest first, as CSV lines (UTF-8 bytes), read CSV_BATCH at a time:
    the whole ledger of three years streams without being held."""
    columns = csv_columns(admin=admin)
    found = (
        entries(workspace_id, member_id, period)
        .order_by("day", "created_at", "id")
        .values(
            "day",
            "clip_number",
            "member__username",
            "endpoint",
            "model",
            "status",
            "flagged",
            "amount",
            "priced_on",
            "billed_seconds",
            "usd_per_second",
            "confirmed",
            "created_at",
            "charged_at",
            "settled_at",
            "note",
        )
        .iterator(chunk_size=CSV_BATCH)
    )
    return csvfile.lines(columns, (_csv_row(entry, columns) for entry in found))
