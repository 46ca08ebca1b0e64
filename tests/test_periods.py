"""Period kinds (quý, 6 tháng, 9 tháng, năm, đột xuất), their keys, labels and cut-offs, the periods a plan
declares it reports on, and which of them open on which day. Pure model first, then the services on SQLite."""
from __future__ import annotations

import copy
from datetime import date, datetime

import pytest

from domain.messages import DomainError
from domain.model.calendar import parse_day
from domain.model.plan import parse_plan
from domain.model.reporting import (HALF_YEAR, NINE_MONTHS, QUARTER, YEAR, ad_hoc, half_year, nine_months,
                                    parse_period_key, period_kind, periods_due, quarter, whole_year)
from domain.services import reporting
from tests.conftest import HCM
from tests.test_report_requests import party_distributed_plan
from tests.test_services import ID_DOMAIN, distributed_plan, fake_render, outbox


@pytest.mark.parametrize("key,label,start,end", [
    ("2026-Q1", "Quý I/2026", date(2025, 12, 15), date(2026, 3, 14)),
    ("2026-6T", "6 tháng đầu năm 2026", date(2025, 12, 15), date(2026, 6, 14)),
    ("2026-9T", "9 tháng năm 2026", date(2025, 12, 15), date(2026, 9, 14)),
    ("2026-N", "Năm 2026", date(2025, 12, 15), date(2026, 12, 14)),
])
def test_state_periods_follow_the_nd_09_cut_offs_with_stable_keys_and_vietnamese_labels(key, label, start, end):
    p = parse_period_key(key)
    assert (p.key, p.label, p.start, p.end) == (key, label, start, end)
    assert parse_period_key(key.lower()) == p


def test_each_kind_has_its_own_builder_and_key_kind():
    assert [p.key for p in (half_year(2026), nine_months(2026), whole_year(2026))] == ["2026-6T", "2026-9T", "2026-N"]
    assert [period_kind(k) for k in ("2026-Q3", "2026-6T", "2026-9T", "2026-N", "DX-20260301-20260315")] == [
        QUARTER, HALF_YEAR, NINE_MONTHS, YEAR, "ad hoc"]


def test_the_year_period_is_due_after_the_tet_of_the_new_year_moves_nothing_but_a_holiday_deadline_moves():
    # Năm 2026 ends Monday 14/12/2026: due Thursday 17/12. 6 tháng 2026 ends Sunday 14/6: due Wednesday 17/6.
    assert whole_year(2026).deadline == date(2026, 12, 17)
    assert half_year(2026).deadline == date(2026, 6, 17)
    # Quý I/2027 ends Sunday 14/3/2027; 2025's quý I ended Friday 14/3/2025 and was due Wednesday 19/3.
    assert quarter(2025, 1).deadline == date(2025, 3, 19)


def test_a_party_body_may_report_on_calendar_months_or_its_own_cut_off_day():
    calendar_q1 = quarter(2026, 1, cut_off=None)
    assert (calendar_q1.start, calendar_q1.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert (nine_months(2026, cut_off=None).end, whole_year(2026, cut_off=None).end) == (date(2026, 9, 30),
                                                                                        date(2026, 12, 31))
    own = quarter(2026, 1, cut_off=20)
    assert (own.start, own.end) == (date(2025, 12, 21), date(2026, 3, 20))
    assert quarter(2026, 1, cut_off=None).deadline == date(2026, 4, 3)  # 31/3 Tue: Wed 1, Thu 2, Fri 3


@pytest.mark.parametrize("key", ["2026-Q5", "2026", "Q1-2026", "2026-6t2", "abc", ""])
def test_a_wrong_period_key_is_refused_with_the_forms_that_are_accepted(key):
    with pytest.raises(DomainError) as caught:
        parse_period_key(key)
    assert caught.value.code == "period_key_invalid" and "2026-6T" in str(caught.value)


def test_an_ad_hoc_period_keeps_its_own_dates_and_a_deadline_on_a_holiday_moves_to_the_next_working_day():
    p = ad_hoc(date(2026, 4, 1), date(2026, 4, 15), date(2026, 4, 30), "Đợt cao điểm tháng 4")
    assert (p.key, p.label, p.start, p.end) == ("DX-20260401-20260415", "Đợt cao điểm tháng 4", date(2026, 4, 1),
                                                 date(2026, 4, 15))
    assert p.deadline == date(2026, 5, 4)  # 30/4 and 1/5 off, then the weekend
    assert ad_hoc(date(2026, 4, 1), date(2026, 4, 15), date(2026, 4, 20)).label == "Từ 01/04/2026 đến 15/04/2026"


@pytest.mark.parametrize("start,end,deadline,code", [
    (date(2026, 4, 15), date(2026, 4, 1), date(2026, 4, 20), "period_dates"),
    (date(2026, 4, 1), date(2026, 4, 15), date(2026, 4, 10), "period_deadline"),
])
def test_an_ad_hoc_period_with_dates_out_of_order_is_refused(start, end, deadline, code):
    with pytest.raises(DomainError) as caught:
        ad_hoc(start, end, deadline)
    assert caught.value.code == code


def test_days_are_read_as_vietnamese_type_them():
    assert parse_day("15/03/2026") == parse_day("15-3-2026") == parse_day("2026-03-15") == date(2026, 3, 15)
    with pytest.raises(DomainError, match="không phải là ngày"):
        parse_day("31/02/2026")


@pytest.mark.parametrize("day,keys", [
    (date(2026, 3, 14), ["2026-Q1"]),  # still quý I
    (date(2026, 3, 15), ["2026-Q2", "2026-6T"]),  # 6 tháng opens with its last quarter
    (date(2026, 6, 15), ["2026-Q3"]),
    (date(2026, 9, 20), ["2026-Q4", "2026-N"]),
    (date(2026, 12, 15), ["2027-Q1"]),
])
def test_a_longer_period_opens_with_its_last_quarter(day, keys):
    assert [p.key for p in periods_due(day, (QUARTER, HALF_YEAR, YEAR))] == keys


def test_a_plan_declares_the_periods_it_reports_on_in_english_or_vietnamese(plan_data):
    data = copy.deepcopy(plan_data)
    data["reporting"] = ["quý", "6 tháng", "Năm"]
    assert parse_plan(data).report_periods == (QUARTER, HALF_YEAR, YEAR)
    data["reporting"] = {"periods": ["quarter", "9 months"], "cut_off": "cuối tháng"}
    content = parse_plan(data)
    assert (content.report_periods, content.report_cut_off) == ((QUARTER, NINE_MONTHS), None)
    assert parse_plan(plan_data).report_periods == ()  # none declared: quarters


@pytest.mark.parametrize("reporting,problem", [(["quý", "tháng"], "«tháng»"),
                                               ({"periods": ["quý"], "cut_off": 31}, "«31»")])
def test_a_wrong_reporting_declaration_is_refused_naming_the_value(plan_data, reporting, problem):
    data = copy.deepcopy(plan_data)
    data["reporting"] = reporting
    with pytest.raises(DomainError) as caught:
        parse_plan(data)
    assert problem in str(caught.value)


# --- the services ----------------------------------------------------------------------------------

def due(uow_factory, day, period_key=None):
    with uow_factory() as uow:
        return reporting.due_periods(uow=uow, today=day, deadline_days=3, period_key=period_key)


def test_the_daily_opening_opens_what_each_plan_declares_on_its_day_and_only_once(org, plan_data, now):
    data = copy.deepcopy(plan_data)
    data["reporting"] = ["quý", "6 tháng", "năm"]
    plan_id = distributed_plan(org, data, now)
    quarters_only = distributed_plan(org, plan_data, now)
    assert due(org, date(2026, 3, 16)) == [(plan_id, "2026-Q2"), (plan_id, "2026-6T"), (quarters_only, "2026-Q2")]
    assert due(org, date(2026, 3, 16), "2026-6T") == [(plan_id, "2026-6T")]
    when = datetime(2026, 3, 16, 6, 0, tzinfo=HCM)
    with org() as uow:
        queued = reporting.open_due_period(uow=uow, plan_id=plan_id, period_key="2026-6T", actor="system", now=when,
                                           id_domain=ID_DOMAIN, render=fake_render, deadline_days=3)
    assert queued == 6
    with org() as uow:
        period = uow.periods.get(plan_id, "2026-6T")
        assert (period.label, period.start, period.end, period.deadline) == (
            "6 tháng đầu năm 2026", date(2025, 12, 15), date(2026, 6, 14), date(2026, 6, 17))
        again = reporting.open_due_period(uow=uow, plan_id=plan_id, period_key="2026-6T", actor="system", now=when,
                                          id_domain=ID_DOMAIN, render=fake_render, deadline_days=3)
    assert again is None
    assert (plan_id, "2026-6T") not in due(org, date(2026, 3, 16))
    assert len([r for r in outbox(org, plan_id, "report_request") if r.period_key == "2026-6T"]) == 6


def test_a_party_plan_opens_its_periods_on_its_own_cut_off(org, plan_data, now):
    data = copy.deepcopy(plan_data)
    data["reporting"] = {"periods": ["quý"], "cut_off": "cuối tháng"}
    plan_id = party_distributed_plan(org, data, now, render=fake_render)
    with org() as uow:
        p = reporting.plan_period(uow=uow, plan_id=plan_id, today=date(2026, 11, 23), deadline_days=3)
    assert (p.key, p.start, p.end) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert p.deadline == date(2027, 1, 6)  # 1/1/2027 off: Mon 4, Tue 5, Wed 6


def test_a_state_plan_keeps_the_nd_09_cut_off_whatever_it_declares(org, plan_data, now):
    data = copy.deepcopy(plan_data)
    data["reporting"] = {"periods": ["quý"], "cut_off": 20}
    plan_id = distributed_plan(org, data, now)
    with org() as uow:
        p = reporting.plan_period(uow=uow, plan_id=plan_id, today=date(2026, 11, 23), deadline_days=3)
    assert (p.start, p.end) == (date(2026, 9, 15), date(2026, 12, 14))


def test_an_ad_hoc_period_is_opened_with_its_dates_and_label(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    with org() as uow:
        queued = reporting.open_plan_period(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN,
                                            render=fake_render, deadline_days=3, start=date(2026, 11, 1),
                                            end=date(2026, 11, 20), deadline=date(2026, 11, 28),
                                            label="Đợt cao điểm tháng 11")
    assert queued == 6
    with org() as uow:
        p = uow.periods.get(plan_id, "DX-20261101-20261120")
        assert (p.label, p.deadline) == ("Đợt cao điểm tháng 11", date(2026, 11, 30))  # 28/11 is a Saturday
        with pytest.raises(DomainError) as caught:
            reporting.open_plan_period(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN,
                                       render=fake_render, deadline_days=3, start=date(2026, 11, 1))
    assert caught.value.code == "period_ad_hoc_incomplete"
