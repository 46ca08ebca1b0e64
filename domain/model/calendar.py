"""The working calendar ("lịch làm việc"): weekends, Vietnamese public holidays and make-up Saturdays.

A day is a working day when it is Monday to Friday and not a day off, or when it is a make-up
working Saturday ("làm bù": a Saturday worked in exchange for a weekday taken off to join two
rest periods). Days off are the statutory holidays of the Labour Code 2019, Điều 112 (Tết Dương
lịch 1/1; Tết Âm lịch 5 days; Giỗ Tổ Hùng Vương 10/3 âm lịch; 30/4; 1/5; Quốc khánh 2/9 and one
day beside it), the compensatory day after a holiday that falls on a weekend (Điều 111 k.3,
"nghỉ bù"), and the weekdays the Government swaps for a make-up Saturday ("hoán đổi").

Years 2025 and 2026 ship as announced; 2027 is not announced yet and ships as computed from the
statutory days and the lunar calendar (`PROVISIONAL_YEARS`). Any year can be completed or
corrected by lines in a holiday file (`parse_calendar_lines`, KEHOACH_HOLIDAYS_FILE): a line
overrides what ships for the same day. "Today" is the date in Asia/Ho_Chi_Minh (`local_date`).
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.messages import DomainError

TIMEZONE = "Asia/Ho_Chi_Minh"
OFF, WORK = "off", "work"
KIND_WORDS = {"nghỉ": OFF, "làm": WORK, "làm bù": WORK}  # the words a holiday file uses


def local_date(now: datetime, zone: str = TIMEZONE) -> date:
    """The calendar day `now` falls on in Việt Nam (a naive `now` is taken as local already)."""
    return now.astimezone(ZoneInfo(zone)).date() if now.tzinfo is not None else now.date()


def parse_day(text: str) -> date:
    """A day as a user types it: "15/03/2026", "15-3-2026" or "2026-03-15"; a DomainError otherwise."""
    raw = (text or "").strip()
    try:
        if len(raw) == 10 and raw[4] == "-":
            return date.fromisoformat(raw)
        day, month, year = (int(p) for p in raw.replace("-", "/").replace(".", "/").split("/"))
        return date(year, month, day)
    except ValueError:
        raise DomainError("day_invalid", text=raw) from None


# --- the lunar calendar (âm lịch), UTC+7, after Hồ Ngọc Đức's algorithm (Meeus' new moons) ---------
_TZ = 7.0


def _jd(d: date) -> int:
    return d.toordinal() + 1721425


def _from_jd(jd: int) -> date:
    return date.fromordinal(jd - 1721425)


def _new_moon(k: int) -> float:
    """Julian day (UT) of the k-th new moon after 1900-01-01."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 -= 0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 -= 0.0004 * math.sin(dr * 3 * mpr)
    c1 += 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 -= 0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 -= 0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 += 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - delta_t


def _new_moon_day(k: int) -> int:
    return math.floor(_new_moon(k) + 0.5 + _TZ / 24)


def _sun_longitude_sector(day_number: int) -> int:
    """Which twelfth of the ecliptic (0..11) the sun is in at local midnight starting `day_number`."""
    t = (day_number - 0.5 - _TZ / 24 - 2451545.0) / 36525
    t2 = t * t
    dr = math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    lon = (l0 + dl) * dr
    lon -= 2 * math.pi * math.floor(lon / (2 * math.pi))
    return math.floor(lon / math.pi * 6)


def _month_11(year: int) -> int:
    """Day number of the start of lunar month 11 (which holds the winter solstice) of `year`."""
    k = math.floor((_jd(date(year, 12, 31)) - 2415021) / 29.530588853)
    start = _new_moon_day(k)
    return _new_moon_day(k - 1) if _sun_longitude_sector(start) >= 9 else start


def _leap_month_offset(a11: int) -> int:
    k = math.floor((a11 - 2415021.076998695) / 29.530588853 + 0.5)
    i = 1
    arc = _sun_longitude_sector(_new_moon_day(k + i))
    while True:
        last = arc
        i += 1
        arc = _sun_longitude_sector(_new_moon_day(k + i))
        if arc == last or i >= 14:
            return i - 1


def lunar_to_solar(day: int, month: int, year: int) -> date:
    """The solar date of `day`/`month` (not the leap month) of lunar year `year`, e.g. (1, 1, 2026) -> 17/02/2026."""
    if month < 11:
        a11, b11 = _month_11(year - 1), _month_11(year)
    else:
        a11, b11 = _month_11(year), _month_11(year + 1)
    k = math.floor(0.5 + (a11 - 2415021.076998695) / 29.530588853)
    offset = (month - 11) % 12
    if b11 - a11 > 365 and offset >= _leap_month_offset(a11):
        offset += 1  # a leap month came before this one in the lunar year
    return _from_jd(_new_moon_day(k + offset) + day - 1)


# --- the days off ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CalendarEntry:
    """One day that is not as the weekday says: a day off ("nghỉ") or a working day ("làm", "làm bù")."""

    day: date
    kind: str  # OFF or WORK
    name: str
    provisional: bool = False


def _off(d: date, name: str, provisional: bool = False) -> CalendarEntry:
    return CalendarEntry(d, OFF, name, provisional)


def _work(d: date, name: str) -> CalendarEntry:
    return CalendarEntry(d, WORK, name)


def _entries(rows: str) -> tuple[CalendarEntry, ...]:
    return tuple(CalendarEntry(date.fromisoformat(d), OFF if k == "off" else WORK, n)
                 for d, k, n in (line.strip().split(" ", 2) for line in rows.strip().splitlines()))


# 2025: Thông báo 6150/TB-BLĐTBXH (04/11/2024) on Tết Ất Tỵ and Quốc khánh, and the Prime Minister's
# agreement to swap Friday 02/5 for Saturday 26/4 (Công văn of Văn phòng Chính phủ, 02/2025): Tết
# 25/01–02/02 (Monday 27/01 – Friday 31/01 are the 5 statutory days), Giỗ Tổ Monday 07/4,
# 30/4–04/5, Quốc khánh 30/8–02/9 (Monday 01/9 and Tuesday 02/9). Source read: tet-amlich.com
# "Các ngày nghỉ lễ 2025" (11/2024), phunuvagiadinh.vn and baophapluat.vn (Bộ Nội vụ's opinion).
SHIPPED_2025 = _entries("""
2025-01-01 off Tết Dương lịch
2025-01-27 off Tết Nguyên đán
2025-01-28 off Tết Nguyên đán
2025-01-29 off Tết Nguyên đán
2025-01-30 off Tết Nguyên đán
2025-01-31 off Tết Nguyên đán
2025-04-07 off Giỗ Tổ Hùng Vương
2025-04-26 work Làm bù cho thứ Sáu 02/5
2025-04-30 off Ngày Chiến thắng
2025-05-01 off Ngày Quốc tế Lao động
2025-05-02 off Nghỉ hoán đổi (làm bù thứ Bảy 26/4)
2025-09-01 off Quốc khánh
2025-09-02 off Quốc khánh
""")

# 2026: Văn bản 12729/VPCP-KGVX (25/12/2025): Tết Dương lịch 01/01–04/01, Friday 02/01 swapped for
# Saturday 10/01 (collector.com.tr and tracuuquyhoach.com reporting it); Văn phòng Chính phủ's letter
# of 10/2025 conveying the Prime Minister's agreement: Tết Bính Ngọ 14/02–22/02 (Monday 16/02 – Friday
# 20/02 are the 5 statutory days; tienphong.vn 13/10/2025, vietnammedia.vnanet.vn 17/10/2025) and
# Quốc khánh 29/8–02/9 (5 days: Monday 31/8, Tuesday 01/9, Wednesday 02/9). Giỗ Tổ falls on Sunday
# 26/4: compensatory day Monday 27/4; 30/4 and 01/5 are Thursday and Friday (thanhnien.vn 23/02/2026).
# Quốc khánh's swap: Thông báo 9441/TB-BNV of the Bộ Nội vụ (16/10/2025): 01/9 and 02/9 off as the
# Labour Code gives, Monday 31/8 off in exchange for Saturday 22/8 worked ("nghỉ thứ Hai 31/8/2026 và
# làm bù vào thứ Bảy 22/8/2026"; vietnamnews.vn 17/10/2025 "Ministry of Home Affairs announces 2026
# holiday schedule…", vjs.vietnam.vn "Bộ Nội vụ thông báo lịch nghỉ Tết Âm lịch và nghỉ lễ Quốc khánh
# năm 2026", baohaiphong.vn relaying UBND Hải Phòng's notice citing 9441/TB-BNV).
SHIPPED_2026 = _entries("""
2026-01-01 off Tết Dương lịch
2026-01-02 off Nghỉ hoán đổi (làm bù thứ Bảy 10/01)
2026-01-10 work Làm bù cho thứ Sáu 02/01
2026-02-16 off Tết Nguyên đán
2026-02-17 off Tết Nguyên đán
2026-02-18 off Tết Nguyên đán
2026-02-19 off Tết Nguyên đán
2026-02-20 off Tết Nguyên đán
2026-04-27 off Nghỉ bù Giỗ Tổ Hùng Vương (Chủ nhật 26/4)
2026-04-30 off Ngày Chiến thắng
2026-05-01 off Ngày Quốc tế Lao động
2026-08-22 work Làm bù cho thứ Hai 31/8
2026-08-31 off Nghỉ hoán đổi (làm bù thứ Bảy 22/8)
2026-09-01 off Quốc khánh
2026-09-02 off Quốc khánh
""")


def statutory_days(year: int) -> list[CalendarEntry]:
    """The days off the Labour Code 2019 gives in `year` before any swap the Government announces.

    Tết: the last day of the lunar year and mùng 1–4; Quốc khánh: 02/9 and the day after (03/9).
    A holiday on a Saturday or Sunday gives the next working day off (nghỉ bù). Marked provisional.
    """
    tet = lunar_to_solar(1, 1, year)
    days = [(date(year, 1, 1), "Tết Dương lịch")]
    days += [(tet + timedelta(days=i), "Tết Nguyên đán") for i in range(-1, 4)]
    days += [(lunar_to_solar(10, 3, year), "Giỗ Tổ Hùng Vương"), (date(year, 4, 30), "Ngày Chiến thắng"),
             (date(year, 5, 1), "Ngày Quốc tế Lao động"), (date(year, 9, 2), "Quốc khánh"),
             (date(year, 9, 3), "Quốc khánh")]
    taken = {d for d, _ in days}
    entries = []
    for d, name in days:
        entries.append(_off(d, name, provisional=True))
        if d.weekday() >= 5:
            extra = d + timedelta(days=1)
            while extra.weekday() >= 5 or extra in taken:
                extra += timedelta(days=1)
            taken.add(extra)
            entries.append(_off(extra, f"Nghỉ bù {name}", provisional=True))
    return entries


# 2027: not announced when this shipped. The statutory days computed from the lunar calendar (Tết
# Đinh Mùi: mùng 1 = Saturday 06/02/2027), each provisional; correct them with the holiday file.
PROVISIONAL_YEARS = (2027,)
SHIPPED: tuple[CalendarEntry, ...] = SHIPPED_2025 + SHIPPED_2026 + tuple(
    e for y in PROVISIONAL_YEARS for e in statutory_days(y))


# --- the calendar --------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkCalendar:
    """`WorkCalendar`: "lịch làm việc" of state bodies: Monday–Friday, less days off, plus make-up Saturdays."""

    entries: dict[date, CalendarEntry] = field(default_factory=dict)

    @classmethod
    def of(cls, entries) -> "WorkCalendar":
        return cls({e.day: e for e in entries})

    def extended(self, entries) -> "WorkCalendar":
        """This calendar with `entries` added; an entry replaces what was there for its day."""
        return WorkCalendar({**self.entries, **{e.day: e for e in entries}})

    def is_working_day(self, d: date) -> bool:
        entry = self.entries.get(d)
        if entry is not None:
            return entry.kind == WORK
        return d.weekday() < 5

    def day_off_name(self, d: date) -> str | None:
        """Why `d` is not worked: the holiday's name, "Thứ Bảy", "Chủ nhật"; None on a working day."""
        if self.is_working_day(d):
            return None
        entry = self.entries.get(d)
        return entry.name if entry is not None else ("Thứ Bảy" if d.weekday() == 5 else "Chủ nhật")

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d` (`d` itself when n is 0)."""
        while n > 0:
            d += timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d

    def working_days_before(self, d: date, n: int) -> date:
        """The n-th working day before `d` (`d` itself when n is 0)."""
        while n > 0:
            d -= timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d

    def on_or_after(self, d: date) -> date:
        """`d` if it is a working day, else the next working day: where a deadline lands."""
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when `end` <= `start`)."""
        days, d = 0, start
        while d < end:
            d += timedelta(days=1)
            days += self.is_working_day(d)
        return days

    def provisional(self, year: int) -> bool:
        """Whether `year`'s days off are computed rather than announced (and not corrected by a file)."""
        return any(e.provisional for e in self.entries.values() if e.day.year == year)


VIETNAM = WorkCalendar.of(SHIPPED)


# --- the holiday file ------------------------------------------------------------------------------
class CalendarLineError(ValueError):
    """A line of a holiday file that cannot be read: `line` (1-based) and `problem` (Vietnamese)."""

    def __init__(self, line: int, text: str, problem: str):
        super().__init__(f"line {line}: {problem}")
        self.line, self.text, self.problem = line, text, problem


def parse_calendar_lines(text: str) -> list[CalendarEntry]:
    """Read a holiday file: one day a line, `YYYY-MM-DD nghỉ|làm bù Name`, `#` starts a comment.

    e.g. `2027-02-05 nghỉ Tết Nguyên đán` or `2026-08-22 làm bù Làm bù cho thứ Hai 31/8`.
    """
    entries, seen = [], {}
    for number, raw in enumerate(unicodedata.normalize("NFC", text).splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        day_text, _, rest = line.partition(" ")
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise CalendarLineError(number, raw, f"«{day_text}» không phải là ngày dạng NĂM-THÁNG-NGÀY "
                                                 f"(ví dụ 2027-02-05)") from None
        rest = " ".join(rest.split())
        lowered = rest.lower()
        kind_word = next((w for w in sorted(KIND_WORDS, key=len, reverse=True)
                          if lowered == w or lowered.startswith(w + " ")), None)
        if kind_word is None:
            raise CalendarLineError(number, raw, "sau ngày phải là «nghỉ» (ngày nghỉ) hoặc «làm bù» "
                                                 "(ngày làm việc bù) rồi đến tên ngày")
        name = rest[len(kind_word):].strip()
        if not name:
            raise CalendarLineError(number, raw, "thiếu tên ngày (ví dụ «Tết Nguyên đán», «Làm bù cho thứ Hai 31/8»)")
        if day in seen:
            raise CalendarLineError(number, raw, f"ngày {day:%d/%m/%Y} đã có ở dòng {seen[day]}")
        seen[day] = number
        entries.append(CalendarEntry(day, KIND_WORDS[kind_word], name))
    return entries
