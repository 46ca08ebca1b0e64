"""The working calendar: weekends, Vietnamese public holidays (Tết included), make-up Saturdays, the
holiday file that extends it, and the deadlines that land on it. Properties first, then the edges."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.messages import DomainError
from domain.model.calendar import (OFF, VIETNAM, WORK, CalendarEntry, CalendarLineError, local_date, lunar_to_solar,
                                   parse_calendar_lines)
from domain.model.reporting import add_working_days, quarter, quarter_containing

days = st.dates(min_value=date(2024, 6, 1), max_value=date(2027, 12, 31))
counts = st.integers(min_value=0, max_value=40)


# --- properties -----------------------------------------------------------------------------------

@given(days, st.integers(min_value=1, max_value=40))
def test_adding_working_days_lands_on_a_working_day_exactly_that_many_working_days_later(d, n):
    later = VIETNAM.add_working_days(d, n)
    assert VIETNAM.is_working_day(later)
    assert VIETNAM.working_days_between(d, later) == n
    assert VIETNAM.working_days_between(d, later - timedelta(days=1)) == n - 1


@given(days, counts)
def test_counting_back_from_a_working_day_returns_to_it(d, n):
    start = VIETNAM.on_or_after(d)
    assert VIETNAM.working_days_before(VIETNAM.add_working_days(start, n), n) == start


@given(days, counts)
def test_more_working_days_is_always_a_later_day(d, n):
    assert VIETNAM.add_working_days(d, n) < VIETNAM.add_working_days(d, n + 1)


@given(days)
def test_a_deadline_moved_to_a_working_day_skips_only_days_off(d):
    landed = VIETNAM.on_or_after(d)
    assert landed >= d and VIETNAM.is_working_day(landed)
    assert all(not VIETNAM.is_working_day(d + timedelta(days=i)) for i in range((landed - d).days))


@given(days)
def test_a_day_is_worked_when_it_is_a_weekday_not_off_or_a_make_up_day(d):
    entry = VIETNAM.entries.get(d)
    expected = d.weekday() < 5 if entry is None else entry.kind == WORK
    assert VIETNAM.is_working_day(d) is expected
    assert (VIETNAM.day_off_name(d) is None) is expected


@given(days)
def test_every_day_belongs_to_exactly_one_quarter_whose_deadline_is_a_working_day_after_its_end(d):
    p = quarter_containing(d)
    assert p.start <= d <= p.end
    assert p.start.day == 15 and p.end.day == 14
    assert p.deadline > p.end and VIETNAM.is_working_day(p.deadline)
    assert VIETNAM.working_days_between(p.end, p.deadline) == 3


@settings(max_examples=60)
@given(st.integers(min_value=1990, max_value=2100))
def test_tet_falls_between_21_january_and_20_february_and_gio_to_about_two_months_later(year):
    tet = lunar_to_solar(1, 1, year)
    assert date(year, 1, 21) <= tet <= date(year, 2, 20)
    gio_to = lunar_to_solar(10, 3, year)
    assert 66 <= (gio_to - tet).days <= 100  # two lunar months and nine days, three with a leap month


@given(st.lists(st.tuples(days, st.sampled_from(["nghỉ", "làm bù"]),
                          st.text(alphabet="abcdeđêôơưăâ ÁẾTết", min_size=1, max_size=20).filter(str.strip)),
                unique_by=lambda t: t[0], max_size=8))
def test_a_holiday_file_says_which_days_are_off_and_which_are_worked(lines):
    text = "# ngày nghỉ bổ sung\n" + "\n".join(f"{d.isoformat()}  {kind} {name}" for d, kind, name in lines)
    cal = VIETNAM.extended(parse_calendar_lines(text))
    for d, kind, _ in lines:
        assert cal.is_working_day(d) is (kind == "làm bù")


# --- edges: Tết, other holidays, make-up Saturdays --------------------------------------------------

def test_the_lunar_calendar_gives_the_known_tet_and_gio_to_days():
    assert [lunar_to_solar(1, 1, y) for y in (2024, 2025, 2026, 2027)] == [
        date(2024, 2, 10), date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6)]
    assert [lunar_to_solar(10, 3, y) for y in (2024, 2025, 2026)] == [
        date(2024, 4, 18), date(2025, 4, 7), date(2026, 4, 26)]


def test_a_deadline_one_working_day_after_the_friday_before_tet_2026_is_the_monday_after_it():
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)  # 14/2–22/2 off: 9 days of Tết
    assert VIETNAM.day_off_name(date(2026, 2, 17)) == "Tết Nguyên đán"


def test_tet_2025_is_skipped_from_27_to_31_january():
    assert add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)
    assert not any(VIETNAM.is_working_day(date(2025, 1, d)) for d in range(25, 32))


def test_a_make_up_saturday_counts_as_a_working_day():
    assert VIETNAM.is_working_day(date(2025, 4, 26))  # worked for Friday 02/5/2025
    assert add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)  # 30/4–4/5 off
    assert VIETNAM.is_working_day(date(2026, 1, 10))  # worked for Friday 02/01/2026


def test_a_holiday_on_a_sunday_gives_the_monday_off():
    assert VIETNAM.day_off_name(date(2026, 4, 27)).startswith("Nghỉ bù Giỗ Tổ")
    assert add_working_days(date(2026, 4, 24), 1) == date(2026, 4, 28)


def test_the_new_year_is_skipped_across_the_year_end():
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)  # 1/1–4/1/2026 off
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)  # Friday 1/1/2027 off
    assert VIETNAM.working_days_before(date(2026, 1, 5), 1) == date(2025, 12, 31)


def test_the_national_day_2026_is_five_days_off_and_saturday_22_august_is_worked_for_monday_31():
    assert add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)
    assert VIETNAM.is_working_day(date(2026, 8, 22))  # Thông báo 9441/TB-BNV
    assert add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
    assert VIETNAM.day_off_name(date(2026, 8, 31)) == "Nghỉ hoán đổi (làm bù thứ Bảy 22/8)"


def test_2027_ships_provisional_statutory_days_and_2026_as_announced():
    assert VIETNAM.provisional(2027) and not VIETNAM.provisional(2026)
    tet = [d for d, e in VIETNAM.entries.items() if d.year == 2027 and "Tết Nguyên đán" in e.name]
    assert len(tet) == 7  # five Tết days, two of them on the weekend, so two days nghỉ bù
    assert not VIETNAM.is_working_day(date(2027, 2, 5)) and not VIETNAM.is_working_day(date(2027, 2, 11))
    assert VIETNAM.day_off_name(date(2027, 5, 3)) == "Nghỉ bù Ngày Quốc tế Lao động"  # 1/5/2027 is a Saturday


def test_a_quarter_whose_deadline_would_fall_on_a_holiday_moves_past_it():
    # Q1/2026 ends Saturday 14/3: Mon 16, Tue 17, Wed 18. Q2/2027 ends Monday 14/6: 15, 16, 17.
    assert quarter(2026, 1).deadline == date(2026, 3, 18)
    cal = VIETNAM.extended([CalendarEntry(date(2026, 3, 17), OFF, "Ngày nghỉ của tỉnh")])
    assert quarter(2026, 1, cal=cal).deadline == date(2026, 3, 19)


@pytest.mark.parametrize("day,key", [(date(2025, 12, 14), "2025-Q4"), (date(2025, 12, 15), "2026-Q1"),
                                     (date(2027, 6, 14), "2027-Q2"), (date(2027, 6, 15), "2027-Q3")])
def test_the_14th_closes_a_quarter_and_the_15th_opens_the_next_across_years(day, key):
    assert quarter_containing(day).key == key


def test_today_is_the_date_in_ho_chi_minh_city():
    late_evening_utc = datetime(2026, 12, 31, 18, 0, tzinfo=timezone.utc)  # 01:00 on 1/1/2027 in Việt Nam
    assert local_date(late_evening_utc) == date(2027, 1, 1)


# --- the holiday file -------------------------------------------------------------------------------

def test_a_holiday_file_adds_a_make_up_saturday_and_corrects_a_provisional_day():
    cal = VIETNAM.extended(parse_calendar_lines(
        "2027-01-09 làm bù Làm bù cho thứ Hai 04/01   # Bộ Nội vụ\n\n2027-09-03 làm Quốc khánh nghỉ 01/9 thay 03/9\n"
        "2027-09-01 nghỉ Quốc khánh\n"))
    assert cal.is_working_day(date(2027, 1, 9)) and cal.is_working_day(date(2027, 9, 3))
    assert not VIETNAM.is_working_day(date(2027, 1, 9))
    assert not cal.is_working_day(date(2027, 9, 1))
    assert VIETNAM.is_working_day(date(2027, 9, 1))  # the shipped calendar is unchanged


@pytest.mark.parametrize("text,line,problem", [
    ("2027-02-05 nghỉ Tết\n2027-02-30 nghỉ Tết", 2, "«2027-02-30» không phải là ngày"),
    ("05/02/2027 nghỉ Tết", 1, "«05/02/2027» không phải là ngày"),
    ("# chú thích\n2027-02-05 đi chơi", 2, "phải là «nghỉ»"),
    ("2027-02-05 nghỉ", 1, "thiếu tên ngày"),
    ("2027-02-05 nghỉ Tết\n2027-02-05 làm bù Tết", 2, "đã có ở dòng 1"),
])
def test_a_wrong_line_of_the_holiday_file_is_named_with_what_is_wrong(text, line, problem):
    with pytest.raises(CalendarLineError) as caught:
        parse_calendar_lines(text)
    assert caught.value.line == line and problem in caught.value.problem


def test_the_holiday_file_named_in_settings_extends_the_calendar_and_a_bad_line_is_refused(tmp_path, monkeypatch):
    from domain.adapters.holidays import load_calendar
    from domain.settings import get_settings
    from flows import runtime

    good = tmp_path / "ngay-nghi.txt"
    good.write_text("2027-01-09 làm bù Làm bù cho thứ Hai 04/01\n", encoding="utf-8")
    monkeypatch.setenv("KEHOACH_HOLIDAYS_FILE", str(good))
    get_settings.cache_clear()
    try:
        assert runtime.calendar().is_working_day(date(2027, 1, 9))
    finally:
        get_settings.cache_clear()
    bad = tmp_path / "sai.txt"
    bad.write_text("2026-08-22 làm bù Làm bù\n2026-13-01 nghỉ Lễ\n", encoding="utf-8")
    with pytest.raises(DomainError) as caught:
        load_calendar(bad)
    assert "dòng 2" in str(caught.value) and "2026-13-01" in str(caught.value) and str(bad) in str(caught.value)
    with pytest.raises(DomainError, match="Không tìm thấy tệp ngày nghỉ"):
        load_calendar(tmp_path / "khong-co.txt")
