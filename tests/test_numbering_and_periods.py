"""Number lines, date lines, NĐ 09/2019 quarters, working-day deadlines and roll-ups."""
from datetime import date

import pytest

from domain.model import numbering
from domain.model.plan import Target, parse_number
from domain.model.reporting import add_working_days, format_figure, quarter, quarter_containing, roll_up


def test_a_state_number_reads_so_colon_number_slash_symbol_with_a_leading_zero():
    sym = numbering.symbol(regime="state", code="KH", body_abbr="UBND")
    assert numbering.number_line(regime="state", number=5, sym=sym) == "Số: 05/KH-UBND"
    assert numbering.number_line(regime="state", number=10, sym=sym) == "Số: 10/KH-UBND"


def test_a_party_number_reads_so_number_dash_symbol_without_a_colon():
    sym = numbering.symbol(regime="party", code="KH", body_abbr="ĐU")
    assert numbering.number_line(regime="party", number=48, sym=sym) == "Số 48-KH/ĐU"
    assert numbering.reference(regime="party", number=48, sym=sym) == "48-KH/ĐU"


def test_state_series_run_per_year_and_party_series_per_term_and_type():
    assert numbering.series_key(regime="state", issued_on=date(2026, 3, 1), term=None, code="KH") == "2026"
    assert numbering.series_key(regime="state", issued_on=date(2026, 3, 1), term=None, code="BC") == "2026"
    assert numbering.series_key(regime="party", issued_on=date(2026, 3, 1), term="2025-2030", code="KH") == "2025-2030/KH"
    assert numbering.series_key(regime="party", issued_on=date(2026, 3, 1), term="2025-2030", code="BC") == "2025-2030/BC"


def test_the_date_line_pads_days_below_ten_and_months_one_and_two_only():
    assert numbering.date_line("Lãm Hà", date(2024, 2, 27)) == "Lãm Hà, ngày 27 tháng 02 năm 2024"
    assert numbering.date_line("Hòa Bình", date(2026, 3, 5)) == "Hòa Bình, ngày 05 tháng 3 năm 2026"
    assert numbering.date_line("Hòa Bình", date(2026, 11, 23)) == "Hòa Bình, ngày 23 tháng 11 năm 2026"


def test_quarters_follow_the_nd_09_cut_offs():
    q1 = quarter(2026, 1)
    assert (q1.start, q1.end, q1.label) == (date(2025, 12, 15), date(2026, 3, 14), "Quý I/2026")
    q4 = quarter(2026, 4)
    assert (q4.start, q4.end) == (date(2026, 9, 15), date(2026, 12, 14))


@pytest.mark.parametrize("day,key", [(date(2026, 12, 14), "2026-Q4"), (date(2026, 12, 15), "2027-Q1"),
                                     (date(2026, 3, 14), "2026-Q1"), (date(2026, 3, 15), "2026-Q2")])
def test_the_14th_closes_a_quarter_and_the_15th_opens_the_next(day, key):
    assert quarter_containing(day).key == key


def test_deadlines_skip_weekends():
    assert add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)  # Friday -> Monday
    assert quarter(2026, 1).deadline == date(2026, 3, 18)  # 14/3 is a Saturday: Mon 16, Tue 17, Wed 18


@pytest.mark.parametrize("raw,value", [(55, 55.0), ("55%", 55.0), ("55 %", 55.0), ("0,5", 0.5), ("1.250", 1250.0),
                                       (" 12,5 % ", 12.5)])
def test_figures_are_read_as_vietnamese_write_them(raw, value):
    assert parse_number(raw, field_name="CT1") == value


def test_a_word_is_not_a_figure():
    from domain.messages import DomainError

    with pytest.raises(DomainError):
        parse_number("nhiều", field_name="CT1")


def test_roll_ups_follow_each_targets_rule():
    t = Target("CT", "x", value=85, unit="%", rollup="average")
    r = roll_up(t, [100, 95.5], expected=3)
    assert (r.result, r.reported, r.expected, r.met) == (97.75, 2, 3, True)
    share = roll_up(Target("CT1", "x", value=1, rollup="share_met"), [1, 0, 2, 1], expected=4)
    assert (share.result, share.met) == (75.0, False)
    at_most = roll_up(Target("CT9", "x", value=2, direction="at_most", rollup="sum"), [1, 2], expected=2)
    assert at_most.met is False
    assert roll_up(t, [], expected=3).met is None
    assert format_figure(0.5) == "0,5" and format_figure(55.0) == "55"
