"""`kehoach status PLAN`: per period, who has reported and which version, who is late by how many
working days, and each target's rolled-up result against its plan figure."""
from __future__ import annotations

import json
from datetime import date

import pytest

from domain.messages import DomainError
from domain.services.status import plan_status
from tests.test_orchestration_followup import LATE, at, reporting_plan  # noqa: F401 - fixture
from tests.test_services import submit


def status(uow_factory, plan_id, day, period_key=None):
    with uow_factory() as uow:
        return plan_status(uow=uow, plan_id=plan_id, today=day, period_key=period_key)


def test_status_shows_who_reported_which_version_and_who_is_late_by_working_days(org, reporting_plan):
    submit(org, reporting_plan, "MTTQ-HB", {"CT1": 2, "CT2": 100, "CT3": 95}, "minh.mttq", at(date(2026, 12, 16)))
    submit(org, reporting_plan, "VHXH-HB", {"CT4": 1, "CT5": 56, "CT6": 71}, "ha.vhxh", at(date(2026, 12, 18)))
    [q4] = status(org, reporting_plan, date(2026, 12, 21))["periods"]
    units = {u["unit"]: u for u in q4["units"]}
    assert (q4["key"], q4["label"], q4["deadline"]) == ("2026-Q4", "Quý IV/2026", "2026-12-17")
    assert (units["MTTQ-HB"]["version"], units["HLHPN-HB"]["version"]) == (2, 1)
    assert units["VHXH-HB"]["reported"] and units["VHXH-HB"]["days_late"] == 1  # sent Friday 18/12
    assert set(q4["late"]) == LATE - {"VHXH-HB"}
    assert all(units[u]["days_late"] == 2 for u in q4["late"])  # Friday 18 and Monday 21
    assert (q4["reported"], q4["expected"]) == (3, 6)


def test_status_rolls_each_target_up_against_its_plan_figure(org, reporting_plan):
    submit(org, reporting_plan, "VHXH-HB", {"CT4": 1, "CT5": 56, "CT6": 71}, "ha.vhxh", at(date(2026, 12, 16)))
    [q4] = status(org, reporting_plan, date(2026, 12, 16))["periods"]
    targets = {t["id"]: t for t in q4["targets"]}
    assert q4["late"] == []  # the deadline has not passed
    assert (targets["CT5"]["plan_figure"], targets["CT5"]["result"], targets["CT5"]["met"]) == (55, 56, True)
    assert (targets["CT1"]["reported"], targets["CT1"]["expected"]) == (2, 4)  # MTTQ, HLHPN of four units
    # both met it, but a share of four units is not reached until the other two say so
    assert (targets["CT1"]["met"], targets["CT1"]["verdict"]) == (None, "Chưa đủ số liệu (2/4 đơn vị báo cáo)")
    assert targets["CT5"]["verdict"] == "Đạt (1/2 đơn vị báo cáo)"
    # shown as the review's table shows them: a share of units is a % of units, not of the target's unit
    assert targets["CT1"]["shown"] == {"plan": "1 mô hình", "result": "50% đơn vị đạt"}  # 2 of 4
    assert targets["CT5"]["shown"] == {"plan": "55%", "result": "56%"}
    assert targets["CT4"]["shown"]["plan"].startswith("giảm 0,5%")


def test_status_of_a_period_never_opened_names_the_periods_that_are(org, reporting_plan):
    with pytest.raises(DomainError) as caught:
        status(org, reporting_plan, date(2026, 12, 16), "2026-Q3")
    assert caught.value.code == "no_period" and "2026-Q4" in str(caught.value)


def test_the_status_command_prints_tables_and_json(cli, reporting_plan):
    code, out = cli("status", str(reporting_plan))
    assert code == 0, out
    assert "Quý IV/2026 (2026-Q4)" in out and "đã báo cáo 2/6 đơn vị" in out and "Hội Liên hiệp Phụ nữ phường" in out
    assert "Chưa đủ số liệu (2/4 đơn vị báo cáo)" in out
    code, out = cli("status", str(reporting_plan), "--period", "2026-Q4", "--json")
    assert code == 0
    data = json.loads(out)
    assert [p["key"] for p in data["periods"]] == ["2026-Q4"]
    code, out = cli("status", str(reporting_plan), "--period", "2027-Q1")
    assert code == 1 and "chưa mở kỳ báo cáo «2027-Q1»" in out
