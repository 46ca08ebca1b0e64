"""Reporting periods ("kỳ báo cáo"), deadlines and the roll-up of figures against targets.

Quarters follow NĐ 09/2019 cut-offs: from the 15th of the month before the quarter to the
14th of its last month. The sending deadline falls a set number of working days after the
cut-off, on the working calendar (domain/model/calendar.py: weekends, public holidays, make-up days).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.messages import DomainError
from domain.model.calendar import VIETNAM, WorkCalendar
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


def add_working_days(d: date, n: int, cal: WorkCalendar = VIETNAM) -> date:
    """The n-th working day after `d` (weekends and public holidays skipped, make-up Saturdays counted)."""
    return cal.add_working_days(d, n)


def is_working_day(d: date, cal: WorkCalendar = VIETNAM) -> bool:
    return cal.is_working_day(d)


def working_days_before(d: date, n: int, cal: WorkCalendar = VIETNAM) -> date:
    """The n-th working day before `d` (`d` itself when n is 0)."""
    return cal.working_days_before(d, n)


def working_days_late(deadline: date, today: date, cal: WorkCalendar = VIETNAM) -> int:
    """Working days from the day after `deadline` through `today` (0 until the deadline has passed)."""
    return cal.working_days_between(deadline, today)


REMIND, OVERDUE = "remind", "overdue"


def follow_up_step(today: date, deadline: date, *, remind_days_before: int, overdue_days: int = 10,
                   cal: WorkCalendar = VIETNAM) -> str | None:
    """What the daily sweep does for an open period on `today`.

    "remind" on each working day from `remind_days_before` working days before the deadline through
    the deadline itself; "overdue" on each of the `overdue_days` working days after it; None before,
    after, and on days off. The outbox keys both by day, so a second run the same day sends nothing.
    (The next quarter opens on the 15th, before this one's deadline: each open period keeps its own
    calendar.)
    """
    if not cal.is_working_day(today):
        return None
    if today > deadline:
        return OVERDUE if cal.working_days_between(deadline, today) <= overdue_days else None
    if today >= cal.working_days_before(deadline, remind_days_before):
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


# --- period kinds: quý I–IV, 6 tháng, 9 tháng, năm, and ad-hoc periods ("đột xuất") --------------------
QUARTER, HALF_YEAR, NINE_MONTHS, YEAR, AD_HOC = "quarter", "6 months", "9 months", "year", "ad hoc"
KINDS = (QUARTER, HALF_YEAR, NINE_MONTHS, YEAR)
KEY_SUFFIX = {HALF_YEAR: "6T", NINE_MONTHS: "9T", YEAR: "N"}
LAST_MONTH = {HALF_YEAR: 6, NINE_MONTHS: 9, YEAR: 12}
STATE_CUT_OFF = 14  # NĐ 09/2019 Đ.12: figures up to the 14th of the last month, from the 15th before
AD_HOC_PREFIX = "DX-"  # "đột xuất"


def _last_day(year: int, month: int) -> date:
    return (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)


def window(year: int, first_month: int, last_month: int, cut_off: int | None = STATE_CUT_OFF) -> tuple[date, date]:
    """The dates months `first_month`..`last_month` of `year` cover: from the day after `cut_off` of the
    month before to `cut_off` of the last month (NĐ 09/2019: 14), or whole calendar months (`cut_off` None)."""
    if cut_off is None:
        return date(year, first_month, 1), _last_day(year, last_month)
    start_year, start_month = (year - 1, 12) if first_month == 1 else (year, first_month - 1)
    return date(start_year, start_month, cut_off + 1), date(year, last_month, cut_off)


def _period(key: str, label: str, start: date, end: date, deadline_days: int, cal: WorkCalendar) -> Period:
    return Period(key, label, start, end, cal.add_working_days(end, deadline_days))


def quarter(year: int, q: int, *, deadline_days: int = 3, cal: WorkCalendar = VIETNAM,
            cut_off: int | None = STATE_CUT_OFF) -> Period:
    """Quarter `q` of `year` with NĐ 09/2019 cut-offs (or a Party body's own), due `deadline_days` working
    days after its end."""
    if q not in ROMAN_Q:
        raise ValueError(q)
    start, end = window(year, 3 * q - 2, 3 * q, cut_off)
    return _period(f"{year}-Q{q}", f"Quý {ROMAN_Q[q]}/{year}", start, end, deadline_days, cal)


def half_year(year: int, *, deadline_days: int = 3, cal: WorkCalendar = VIETNAM,
              cut_off: int | None = STATE_CUT_OFF) -> Period:
    """"6 tháng đầu năm": 15/12 of the year before to 14/6 (NĐ 09/2019)."""
    start, end = window(year, 1, 6, cut_off)
    return _period(f"{year}-6T", f"6 tháng đầu năm {year}", start, end, deadline_days, cal)


def nine_months(year: int, *, deadline_days: int = 3, cal: WorkCalendar = VIETNAM,
                cut_off: int | None = STATE_CUT_OFF) -> Period:
    """"9 tháng": 15/12 of the year before to 14/9 (as Party practice and statistics use it)."""
    start, end = window(year, 1, 9, cut_off)
    return _period(f"{year}-9T", f"9 tháng năm {year}", start, end, deadline_days, cal)


def whole_year(year: int, *, deadline_days: int = 3, cal: WorkCalendar = VIETNAM,
               cut_off: int | None = STATE_CUT_OFF) -> Period:
    """"Năm": 15/12 of the year before to 14/12 (NĐ 09/2019 Đ.12 k.4)."""
    start, end = window(year, 1, 12, cut_off)
    return _period(f"{year}-N", f"Năm {year}", start, end, deadline_days, cal)


BUILDERS = {HALF_YEAR: half_year, NINE_MONTHS: nine_months, YEAR: whole_year}


def ad_hoc(start: date, end: date, deadline: date, label: str | None = None, *, cal: WorkCalendar = VIETNAM) -> Period:
    """An ad-hoc period ("kỳ đột xuất") with its own dates; a deadline on a day off moves to the next working day."""
    if end < start:
        raise DomainError("period_dates", start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}")
    if deadline < end:
        raise DomainError("period_deadline", end=f"{end:%d/%m/%Y}", deadline=f"{deadline:%d/%m/%Y}")
    label = " ".join((label or "").split()) or f"Từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"
    return Period(f"{AD_HOC_PREFIX}{start:%Y%m%d}-{end:%Y%m%d}", label, start, end, cal.on_or_after(deadline))


def period_kind(key: str) -> str:
    """Which kind of period a key names ("2026-Q1" -> quarter, "2026-6T" -> 6 months, ...)."""
    if key.startswith(AD_HOC_PREFIX):
        return AD_HOC
    if "-Q" in key:
        return QUARTER
    return {v: k for k, v in KEY_SUFFIX.items()}.get(key.rpartition("-")[2], "")


def quarter_containing(d: date, *, deadline_days: int = 3, cal: WorkCalendar = VIETNAM,
                       cut_off: int | None = STATE_CUT_OFF) -> Period:
    """The quarter whose cut-off window holds `d` (15/12 already belongs to next year's quý I)."""
    for year in (d.year, d.year + 1):
        for q in range(1, 5):
            p = quarter(year, q, deadline_days=deadline_days, cal=cal, cut_off=cut_off)
            if p.start <= d <= p.end:
                return p
    raise AssertionError(d)


def parse_period_key(key: str, *, deadline_days: int = 3, cal: WorkCalendar = VIETNAM,
                     cut_off: int | None = STATE_CUT_OFF) -> Period:
    """ "2026-Q4", "2026-6T", "2026-9T", "2026-N" -> the Period; a DomainError for anything else
    (an ad-hoc period is opened with its dates, not its key)."""
    key = (key or "").strip().upper()
    year_text, _, rest = key.partition("-")
    if year_text.isdigit() and len(year_text) == 4 and 2000 <= int(year_text) <= 2100:
        year = int(year_text)
        if rest in ("Q1", "Q2", "Q3", "Q4"):
            return quarter(year, int(rest[1]), deadline_days=deadline_days, cal=cal, cut_off=cut_off)
        for kind, suffix in KEY_SUFFIX.items():
            if rest == suffix:
                return BUILDERS[kind](year, deadline_days=deadline_days, cal=cal, cut_off=cut_off)
    raise DomainError("period_key_invalid", key=key)


def periods_due(d: date, kinds, *, deadline_days: int = 3, cal: WorkCalendar = VIETNAM,
                cut_off: int | None = STATE_CUT_OFF) -> list[Period]:
    """The periods of `kinds` to open on `d`: a quarter from its first day, a longer period from the first day
    of its last quarter (6 tháng on 15/3, 9 tháng on 15/6, năm on 15/9), so units are asked when it is near."""
    q = quarter_containing(d, deadline_days=deadline_days, cal=cal, cut_off=cut_off)
    year = int(q.key[:4])
    due = []
    for kind in kinds:
        if kind == QUARTER:
            due.append(q)
        elif kind in BUILDERS:
            p = BUILDERS[kind](year, deadline_days=deadline_days, cal=cal, cut_off=cut_off)
            if p.end == q.end:
                due.append(p)
    return due


def plan_cut_off(regime: str, content) -> int | None:
    """The cut-off day of a plan's periods: NĐ 09/2019's 14th for a state issuer, the plan's own for a Party one."""
    return STATE_CUT_OFF if regime != "party" else content.report_cut_off


def plan_kinds(content) -> tuple[str, ...]:
    """The kinds of period a plan reports on (quarters when it declares none)."""
    return content.report_periods or (QUARTER,)


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
    # whether the report says how many units the result comes from ("Đạt (3/4 đơn vị báo cáo)"); a review
    # drafted before it did keeps its layout, so that its issued file renders again to the same bytes
    counts_units: bool = True

    @property
    def partial(self) -> bool:
        """Some of the units expected to report this target have not (the result is theirs only)."""
        return 0 < self.reported < self.expected

    @property
    def incomplete(self) -> bool:
        """Partial data that cannot settle the verdict ("Chưa đủ số liệu"): see `on_partial_data`."""
        return self.partial and self.met is None and self.result is not None and self.target.value is not None


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


def on_partial_data(target: Target, met: bool | None, judged: list[bool | None] = ()) -> bool | None:
    """The verdict when some expected units have not reported: kept only when nothing the missing units
    could report changes it (figures are never negative), else None: "Chưa đủ số liệu".

    - "sum": the total can only grow: "at least" met stays met, and "at most" (or a reduction, which
      shrinks as the total grows) not met stays not met; the other way round is not judged yet;
    - "share_met": the share counts missing units as not meeting it, so it is "Chưa đạt" only when a
      unit that reported missed it; if all that reported met it, the others decide;
    - "average", "latest": judged on the units that reported (the verdict says how many they are).
    """
    if met is None:
        return None
    if target.rollup == "share_met":
        return False if any(j is False for j in judged) else None
    if target.rollup == "sum":
        settled = met if target.direction == "at_least" else not met
        return met if settled else None
    return met


def roll_up(target: Target, values: list[float], *, expected: int) -> Rollup:
    """Combine the units' latest figures for `target` (oldest report first) by its rule and judge the
    result by its direction; with fewer units than expected, the verdict only when the missing ones
    cannot change it (`on_partial_data`)."""
    if not values:
        return Rollup(target, None, 0, expected, None)
    partial = len(values) < expected
    if target.rollup == "share_met":
        judged = [meets(target, v) for v in values]
        if target.value is None or any(j is None for j in judged):
            return Rollup(target, None, len(values), expected, None)
        share = round(100.0 * sum(1 for j in judged if j) / max(expected, len(values)), 2)
        met = on_partial_data(target, share >= 100.0, judged) if partial else share >= 100.0
        return Rollup(target, share, len(values), expected, met)
    level = round(combine(target.rollup, values), 2)
    result = achieved(target, level)
    result = None if result is None else round(result, 2)
    met = compare(target, result)
    return Rollup(target, result, len(values), expected, on_partial_data(target, met) if partial else met,
                  level=level)


def roll_up_targets(content, reports: dict) -> list[Rollup]:
    """Each target of the plan (`PlanContent`) rolled up over the latest report (by unit, with `figures`,
    `submitted_at`, `id`) of every unit expected to report it, taken in the order they were sent."""
    units = content.executing_units()
    rollups = []
    for target in content.targets:
        expected = [u for u in units if target in content.targets_for(u)]
        latest_first = sorted((reports[u] for u in expected if u in reports), key=lambda r: (r.submitted_at, r.id))
        values = [r.figures[target.id] for r in latest_first if target.id in r.figures]
        rollups.append(roll_up(target, values, expected=len(expected)))
    return rollups


def format_figure(value: float | None) -> str:
    """55.0 -> "55"; 0.5 -> "0,5"; None -> "—" (Vietnamese decimal comma)."""
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")
