"""Reporting periods ("kỳ báo cáo"), deadlines and the roll-up of figures against targets.

Quarters follow NĐ 09/2019 cut-offs: from the 15th of the month before the quarter to the
14th of its last month. The sending deadline falls a set number of working days after the
cut-off (weekends skipped; the public-holiday calendar comes with the reporting issue).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.model.plan import Target

ROMAN_Q = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Period:
    """`Period`: "kỳ báo cáo", e.g. "Quý IV/2026" (15/09/2026 – 14/12/2026)."""

    key: str  # "2026-Q4"
    label: str
    start: date
    end: date
    deadline: date


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after `d` (Saturday and Sunday are not working days)."""
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def is_working_day(d: date) -> bool:
    return d.weekday() < 5


def working_days_before(d: date, n: int) -> date:
    """The n-th working day before `d` (`d` itself when n is 0)."""
    while n > 0:
        d -= timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def working_days_late(deadline: date, today: date) -> int:
    """Working days from the day after `deadline` through `today` (0 until the deadline has passed)."""
    days, d = 0, deadline
    while d < today:
        d += timedelta(days=1)
        days += is_working_day(d)
    return days


REMIND, OVERDUE = "remind", "overdue"


def follow_up_step(today: date, deadline: date, *, remind_days_before: int, overdue_days: int = 10) -> str | None:
    """What the daily sweep does for an open period on `today`.

    "remind" on each working day from `remind_days_before` working days before the deadline through
    the deadline itself; "overdue" on each of the `overdue_days` working days after it; None before,
    after, and on days off. The outbox keys both by day, so a second run the same day sends nothing.
    (The next quarter opens on the 15th, before this one's deadline: each open period keeps its own
    calendar.)
    """
    if not is_working_day(today):
        return None
    if today > deadline:
        return OVERDUE if working_days_late(deadline, today) <= overdue_days else None
    if today >= working_days_before(deadline, remind_days_before):
        return REMIND
    return None


def period_due_next(periods: list, today: date):
    """Of the open periods, the one a report goes to when none is named: the earliest whose deadline has
    not passed (the next quarter opens on the 15th, before this one's deadline), else the latest."""
    if not periods:
        return None
    pending = sorted((p for p in periods if p.deadline >= today), key=lambda p: p.deadline)
    return pending[0] if pending else max(periods, key=lambda p: p.end)


def period_last_due(periods: list, today: date):
    """Of the open periods, the one a review rolls up when none is named: the latest whose deadline has
    passed, else the latest."""
    if not periods:
        return None
    due = [p for p in periods if p.deadline < today]
    return max(due or periods, key=lambda p: p.end)


def quarter(year: int, q: int, *, deadline_days: int = 3) -> Period:
    """Quarter `q` of `year` with NĐ 09/2019 cut-offs."""
    if q not in ROMAN_Q:
        raise ValueError(q)
    first_month = 3 * q - 2
    start_year, start_month = (year - 1, 12) if first_month == 1 else (year, first_month - 1)
    start = date(start_year, start_month, 15)
    end = date(year, 3 * q, 14)
    return Period(f"{year}-Q{q}", f"Quý {ROMAN_Q[q]}/{year}", start, end, add_working_days(end, deadline_days))


def quarter_containing(d: date, *, deadline_days: int = 3) -> Period:
    """The quarter whose cut-off window holds `d` (15/12 already belongs to next year's quý I)."""
    for year in (d.year, d.year + 1):
        for q in range(1, 5):
            p = quarter(year, q, deadline_days=deadline_days)
            if p.start <= d <= p.end:
                return p
    raise AssertionError(d)


def parse_period_key(key: str, *, deadline_days: int = 3) -> Period:
    """ "2026-Q4" -> the Period; ValueError for anything else."""
    year, _, q = key.partition("-Q")
    return quarter(int(year), int(q), deadline_days=deadline_days)


@dataclass(frozen=True)
class Rollup:
    """A target's result over the units that reported it.

    `level` is the units' figures combined by the target's rule (sum, average, latest); `result` is
    what is compared with the plan: the level itself, except for "reduce_by" (the reduction achieved,
    baseline − level) and "share_met" (the % of the units expected to report whose own figure meets
    the target; no level). `met` is None when there is nothing to compare (no figure, no plan figure,
    no baseline).
    """

    target: Target
    result: float | None
    reported: int
    expected: int
    met: bool | None
    level: float | None = None


def _exact(x: float) -> float:
    """Differences of decimal figures without binary noise (2,1 − 1,6 is 0,5, not 0,50000000000000002)."""
    return round(x, 9)


def achieved(target: Target, level: float | None) -> float | None:
    """What a figure achieves against the target: the reduction from the baseline for "reduce_by" (None
    without a baseline), else the figure itself."""
    if level is None:
        return None
    if target.direction == "reduce_by":
        return None if target.baseline is None else _exact(target.baseline - level)
    return level


def compare(target: Target, result: float | None) -> bool | None:
    """Whether an achieved `result` reaches the plan: at least the figure ("at_least", and "reduce_by":
    reduced by at least the figure), at most the figure ("at_most"); None when either is missing."""
    if result is None or target.value is None:
        return None
    if target.direction == "at_most":
        return _exact(result - target.value) <= 0
    return _exact(result - target.value) >= 0


def meets(target: Target, value: float | None) -> bool | None:
    """Whether a reported figure (the level as it now is) meets the target, by its direction."""
    return compare(target, achieved(target, value))


def combine(rule: str, values: list[float]) -> float:
    """The units' figures, oldest report first, combined by a target's rule (not "share_met")."""
    if rule == "sum":
        return sum(values)
    if rule == "average":
        return sum(values) / len(values)
    if rule == "latest":
        return values[-1]
    raise ValueError(rule)


def roll_up(target: Target, values: list[float], *, expected: int) -> Rollup:
    """Combine the units' latest figures for `target` (oldest report first) by its rule and judge the
    result by its direction."""
    if not values:
        return Rollup(target, None, 0, expected, None)
    if target.rollup == "share_met":
        judged = [meets(target, v) for v in values]
        if target.value is None or any(j is None for j in judged):
            return Rollup(target, None, len(values), expected, None)
        share = round(100.0 * sum(1 for j in judged if j) / max(expected, len(values)), 2)
        return Rollup(target, share, len(values), expected, share >= 100.0)
    level = round(combine(target.rollup, values), 2)
    result = achieved(target, level)
    result = None if result is None else round(result, 2)
    return Rollup(target, result, len(values), expected, compare(target, result), level=level)


def format_figure(value: float | None) -> str:
    """55.0 -> "55"; 0.5 -> "0,5"; None -> "—" (Vietnamese decimal comma)."""
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")
