"""The scheduled follow-up, as rules below Prefect: when reminders start (working days before the
deadline), who gets the overdue list and how often, and which plans get a period opened."""
from __future__ import annotations

import copy
import email
import email.policy
from datetime import date, datetime, timedelta

import pytest

from domain.adapters.mail import render_mail
from domain.model.notices import advisory_bodies, overdue_recipients
from domain.model.plan import PlanContent, Task
from domain.model.reporting import follow_up_step, quarter, working_days_before, working_days_late
from domain.services import delivery, reporting
from tests.conftest import HCM
from tests.test_services import (EXECUTING_UNITS, ID_DOMAIN, Q4, create, decide, distributed_plan, fake_render,
                                 issue, open_q4, outbox, submit)

DEADLINE = Q4.deadline  # Thursday 17/12/2026: the cut-off Monday 14/12 plus three working days
LATE = EXECUTING_UNITS - {"MTTQ-HB", "HLHPN-HB"}


def at(day: date, hour: int = 7) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 30, tzinfo=HCM)


def follow_up(uow_factory, plan_id, when) -> int:
    with uow_factory() as uow:
        return reporting.follow_up_overdue(uow=uow, plan_id=plan_id, now=when, id_domain=ID_DOMAIN)


def remind(uow_factory, plan_id, when, days_before=2) -> int:
    with uow_factory() as uow:
        return reporting.remind_before_deadline(uow=uow, plan_id=plan_id, now=when, id_domain=ID_DOMAIN,
                                                days_before=days_before)


def events(uow_factory, plan_id, action) -> list:
    with uow_factory() as uow:
        return [e for e in uow.audit.events(plan_id) if e.action == action]


@pytest.fixture
def reporting_plan(org, plan_data, now):
    """The example plan distributed, Q4/2026 open, MTTQ-HB and HLHPN-HB reported; four units late."""
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    submit(org, plan_id, "MTTQ-HB", {"CT1": 1, "CT2": 100, "CT3": 90}, "minh.mttq", now)
    submit(org, plan_id, "HLHPN-HB", {"CT1": 1}, "thu.pn", now)
    return plan_id


# --- the calendar -------------------------------------------------------------------------------

def test_q4_2026_reports_are_due_on_thursday_17_december():
    assert DEADLINE == date(2026, 12, 17) and DEADLINE.weekday() == 3


def test_reminders_run_from_two_working_days_before_the_deadline_through_it_then_the_overdue_lists():
    steps = {d: follow_up_step(d, DEADLINE, remind_days_before=2)
             for d in (date(2026, 12, 14) + timedelta(days=i) for i in range(8))}
    assert steps == {
        date(2026, 12, 14): None,  # Monday, the cut-off: too early
        date(2026, 12, 15): "remind", date(2026, 12, 16): "remind", date(2026, 12, 17): "remind",
        date(2026, 12, 18): "overdue",  # Friday
        date(2026, 12, 19): None, date(2026, 12, 20): None,  # the weekend: nothing is sent
        date(2026, 12, 21): "overdue",  # Monday
    }


def test_working_days_before_a_monday_deadline_skip_the_weekend():
    monday = date(2026, 12, 21)
    assert working_days_before(monday, 2) == date(2026, 12, 17)  # Thursday
    assert follow_up_step(date(2026, 12, 18), monday, remind_days_before=2) == "remind"
    assert follow_up_step(date(2026, 12, 16), monday, remind_days_before=2) is None
    assert working_days_before(monday, 0) == monday


def test_days_late_count_working_days_after_the_deadline():
    assert working_days_late(DEADLINE, DEADLINE) == 0
    assert working_days_late(DEADLINE, date(2026, 12, 18)) == 1
    assert working_days_late(DEADLINE, date(2026, 12, 21)) == 2  # Friday and Monday


# --- who is followed up ----------------------------------------------------------------------------

def test_the_overdue_list_goes_to_the_advisory_body_and_each_late_unit_only_after_the_deadline(org, reporting_plan):
    assert follow_up(org, reporting_plan, at(DEADLINE, 17)) == 0
    assert follow_up(org, reporting_plan, at(date(2026, 12, 18))) == 1 + len(LATE)
    rows = outbox(org, reporting_plan, "overdue")
    assert {r.recipient_id for r in rows} == {"VP-HB"} | LATE
    assert {r.period_key for r in rows} == {"2026-Q4@2026-12-18"}
    (event,) = events(org, reporting_plan, "follow_up")
    assert set(event.data["units"]) == LATE and event.data["advisory"] == ["VP-HB"]


def test_at_most_one_overdue_list_a_day_and_again_on_the_next_working_day(org, reporting_plan):
    friday, monday = date(2026, 12, 18), date(2026, 12, 21)
    first = follow_up(org, reporting_plan, at(friday))
    assert follow_up(org, reporting_plan, at(friday, 16)) == 0
    assert follow_up(org, reporting_plan, at(date(2026, 12, 19))) == 0  # Saturday
    assert len(events(org, reporting_plan, "follow_up")) == 1
    assert follow_up(org, reporting_plan, at(monday)) == first
    assert len(outbox(org, reporting_plan, "overdue")) == 2 * first


def test_a_unit_that_reports_late_drops_off_the_next_list(org, reporting_plan):
    follow_up(org, reporting_plan, at(date(2026, 12, 18)))
    submit(org, reporting_plan, "VHXH-HB", {"CT4": 1, "CT5": 56, "CT6": 71}, "ha.vhxh", at(date(2026, 12, 18), 15))
    follow_up(org, reporting_plan, at(date(2026, 12, 21)))
    monday = [r.recipient_id for r in outbox(org, reporting_plan, "overdue") if r.period_key.endswith("12-21")]
    assert "VHXH-HB" not in monday and "VP-HB" in monday


def test_nobody_is_followed_up_when_every_unit_has_reported(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    for unit, user, figures in (("MTTQ-HB", "minh.mttq", {"CT1": 1}), ("HLHPN-HB", "thu.pn", {"CT1": 1}),
                                ("VHXH-HB", "ha.vhxh", {"CT4": 1}), ("CA-HB", "duc.ca", {}),
                                ("DTN-HB", "nam.dtn", {"CT1": 1}), ("HCCB-HB", "son.ccb", {"CT1": 1})):
        submit(org, plan_id, unit, figures, user, now)
    assert follow_up(org, plan_id, at(date(2026, 12, 18))) == 0
    assert events(org, plan_id, "follow_up") == []


def test_a_plan_without_advisory_bodies_sends_the_list_to_its_issuer_and_lists_units_without_an_address(
        org, plan_data, now):
    data = copy.deepcopy(plan_data)
    for task in data["tasks"]:
        task.pop("advisory", None)
    data["tasks"][1]["executing"].append("TDP-HB")  # Các tổ dân phố: no e-mail address
    plan_id = distributed_plan(org, data, now)
    open_q4(org, plan_id, now)
    follow_up(org, plan_id, at(date(2026, 12, 18)))
    rows = {r.recipient_id: r for r in outbox(org, plan_id, "overdue")}
    assert set(rows) == {"UBND-HB"} | EXECUTING_UNITS
    text = mail_text(org, rows["UBND-HB"])
    assert "Các tổ dân phố (chưa có địa chỉ thư điện tử)" in text
    assert "Các cơ quan, đơn vị chưa gửi báo cáo (7):" in text


def test_the_advisory_body_gets_the_list_and_a_late_unit_its_own_tasks_and_how_to_report(org, reporting_plan):
    follow_up(org, reporting_plan, at(date(2026, 12, 21)))
    rows = {r.recipient_id: r for r in outbox(org, reporting_plan, "overdue")}
    advisory, unit = mail_text(org, rows["VP-HB"]), mail_text(org, rows["DTN-HB"])
    assert "quá hạn 2 ngày làm việc" in advisory and "là ngày 17/12/2026" in advisory
    assert "Đoàn Thanh niên Cộng sản Hồ Chí Minh phường" in advisory and "Hội Liên hiệp Phụ nữ phường" not in advisory
    assert "Nhiệm vụ được giao" not in advisory
    assert "chưa nhận được báo cáo của Quý cơ quan, đơn vị" in unit and "Nhiệm vụ 3.1" in unit
    assert f"kehoach report submit {reporting_plan} --unit DTN-HB --period 2026-Q4" in unit
    assert "Các cơ quan, đơn vị chưa gửi báo cáo" not in unit


def test_the_overdue_recipients_rule_keeps_each_body_once_and_skips_units_without_an_address():
    content = PlanContent(issuer="UBND", title="T", tasks=(
        Task("1", "x", advisory=("VP", "VP"), executing=("A", "B")), Task("2", "y", advisory=("BDV",), executing=("VP",))))
    has_mail = lambda body: body != "B"  # noqa: E731
    advisory = advisory_bodies(content, has_mail)
    assert advisory == ["VP", "BDV"]
    assert overdue_recipients(advisory, ["A", "B", "VP"], has_mail) == ["VP", "BDV", "A"]
    assert advisory_bodies(content, lambda body: body == "UBND") == ["UBND"]
    assert advisory_bodies(content, lambda body: False) == []


def mail_text(uow_factory, row) -> str:
    with uow_factory() as uow:
        mail = delivery.compose(uow=uow, outbox_id=row.id)
    raw = render_mail(mail, date=at(date(2026, 12, 21)), sender_email="vanthu@hoabinh.example.vn",
                      sender_name="Văn thư")
    return email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content()


# --- reminders before the deadline ------------------------------------------------------------------

def test_reminders_go_out_only_inside_the_window_once_a_day_to_the_units_that_have_not_reported(org, reporting_plan):
    assert remind(org, reporting_plan, at(date(2026, 12, 14))) == 0
    assert remind(org, reporting_plan, at(date(2026, 12, 15))) == len(LATE)
    assert remind(org, reporting_plan, at(date(2026, 12, 15), 16)) == 0
    assert len(events(org, reporting_plan, "remind")) == 1  # a second run that day records nothing
    assert remind(org, reporting_plan, at(DEADLINE)) == len(LATE)
    assert remind(org, reporting_plan, at(date(2026, 12, 18))) == 0  # overdue now: that is the follow-up's job
    assert {r.recipient_id for r in outbox(org, reporting_plan, "reminder")} == LATE


def test_the_reminder_window_is_a_setting_in_working_days(org, reporting_plan):
    assert remind(org, reporting_plan, at(date(2026, 12, 11)), days_before=4) == len(LATE)  # Friday before


# --- opening the periods that are due ----------------------------------------------------------------

def test_only_distributed_plans_without_the_period_are_due_and_opening_twice_opens_once(org, plan_data, now):
    distributed = distributed_plan(org, plan_data, now)
    draft = create(org, plan_data, now)
    issued = create(org, plan_data, now)
    decide(org, issued, "submit", "lan.vp", now)
    decide(org, issued, "approve", "hung.cvp", now)
    issue(org, issued, now)
    with org() as uow:
        assert reporting.plans_due_for_period(uow=uow, period_key="2026-Q4") == [distributed]
    with org() as uow:
        first = reporting.open_period_unless_open(uow=uow, plan_id=distributed, period=Q4, actor="system", now=now,
                                                  id_domain=ID_DOMAIN, render=fake_render)
    with org() as uow:
        again = reporting.open_period_unless_open(uow=uow, plan_id=distributed, period=Q4, actor="system", now=now,
                                                  id_domain=ID_DOMAIN, render=fake_render)
        assert reporting.plans_due_for_period(uow=uow, period_key="2026-Q4") == []
        assert reporting.plans_due_for_period(uow=uow, period_key="2027-Q1") == [distributed]
        assert reporting.plans_with_open_period(uow=uow) == [distributed]
        letters = [d for d in uow.documents.for_plan(distributed) if d.kind == "report_request"]
    assert (first, again, len(letters)) == (len(EXECUTING_UNITS), None, 1)
    assert draft not in (distributed, issued)


def test_each_open_period_keeps_its_own_calendar_when_the_next_quarter_opens_before_the_deadline(
        org, reporting_plan, now):
    with org() as uow:  # Q1/2027 opens on 15/12/2026, two days before Q4/2026's deadline
        reporting.open_period(uow=uow, plan_id=reporting_plan, period=quarter(2027, 1), actor="system",
                              now=at(date(2026, 12, 15)), id_domain=ID_DOMAIN, render=fake_render)
    assert remind(org, reporting_plan, at(date(2026, 12, 16))) == len(LATE)
    assert follow_up(org, reporting_plan, at(date(2026, 12, 18))) == 1 + len(LATE)
    keys = {r.period_key for r in outbox(org, reporting_plan) if r.kind in ("reminder", "overdue")}
    assert keys == {"2026-Q4@2026-12-16", "2026-Q4@2026-12-18"}


def test_the_overdue_lists_stop_after_the_set_number_of_working_days(org, reporting_plan):
    assert follow_up_step(date(2026, 12, 31), DEADLINE, remind_days_before=2, overdue_days=10) == "overdue"
    assert follow_up_step(date(2027, 1, 1), DEADLINE, remind_days_before=2, overdue_days=10) is None  # 11th
    with org() as uow:
        assert reporting.follow_up_overdue(uow=uow, plan_id=reporting_plan, now=at(date(2026, 12, 22)),
                                           id_domain=ID_DOMAIN, overdue_days=2) == 0


# --- a retried orchestration run resumes; a new one is refused ----------------------------------------

def test_the_same_run_issuing_again_gets_its_document_and_draws_no_second_number(org, plan_data, now):
    from domain.services import plans
    from tests.test_services import approved_plan, counter, refused

    plan_id = approved_plan(org, plan_data, now)

    def sign(run):
        with org() as uow:
            return plans.issue_plan(uow=uow, plan_id=plan_id, actor="tam.pct", now=now, render=fake_render, run=run)

    first = sign("run-1")
    assert sign("run-1") == first
    assert counter(org, "UBND-HB", "2026") == 1
    refused("already_issued", sign, "run-2")
    refused("already_issued", sign, None)


def test_the_same_run_opening_or_reviewing_again_adds_nothing(org, reporting_plan, now):
    from domain.services import reviews
    from tests.test_services import refused

    def open_(run):
        with org() as uow:
            return reporting.open_period(uow=uow, plan_id=reporting_plan, period=quarter(2027, 1), actor="system",
                                         now=now, id_domain=ID_DOMAIN, render=fake_render, run=run)

    def review(run):
        with org() as uow:
            return reviews.draft_review(uow=uow, plan_id=reporting_plan, actor="lan.vp", now=now,
                                        period_key="2026-Q4", run=run)

    def sign(review_id, run):
        with org() as uow:
            return reviews.issue_review(uow=uow, review_id=review_id, actor="tam.pct", now=now, render=fake_render,
                                        run=run)

    assert open_("open-run") == len(EXECUTING_UNITS)
    assert open_("open-run") == 0
    refused("period_exists", open_, "another-run")
    report = review("review-run")
    assert review("review-run") == report
    refused("review_exists", review, "next-review")  # one sơ kết a period: redraft it instead
    for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
        with org() as uow:
            reviews.decide_review(uow=uow, review_id=report, action=action, actor=actor, now=now)
    document = sign(report, "issue-run")
    assert sign(report, "issue-run") == document
    refused("review_already_issued", sign, report, "another-issue-run")
    with org() as uow:
        kinds = [d.kind for d in uow.documents.for_plan(reporting_plan)]
        assert len(reviews.list_reviews(uow=uow, plan_id=reporting_plan)) == 1
    assert kinds.count("report_request") == 2 and kinds.count("review") == 1


# --- two quarters open at once (the next opens on the 15th, before this one's deadline) ---------------

def test_while_two_quarters_are_open_a_report_goes_to_the_one_due_next_and_a_review_to_the_one_last_due(
        org, reporting_plan):
    from domain.model.reporting import period_due_next, period_last_due
    from domain.services import reviews

    q1 = quarter(2027, 1)
    with org() as uow:
        reporting.open_period(uow=uow, plan_id=reporting_plan, period=q1, actor="system",
                              now=at(date(2026, 12, 15)), id_domain=ID_DOMAIN, render=fake_render)
    assert period_due_next([Q4, q1], date(2026, 12, 17)) == Q4
    assert period_due_next([Q4, q1], date(2026, 12, 18)) == q1
    assert period_last_due([Q4, q1], date(2026, 12, 17)) == q1  # nothing due yet: the latest
    assert period_last_due([Q4, q1], date(2026, 12, 18)) == Q4

    submit(org, reporting_plan, "DTN-HB", {"CT1": 2}, "nam.dtn", at(date(2026, 12, 16)))
    submit(org, reporting_plan, "HCCB-HB", {"CT1": 1}, "son.ccb", at(date(2026, 12, 18)))
    with org() as uow:
        reported = {p.key: sorted(uow.reports.latest(p.id)) for p in uow.periods.for_plan(reporting_plan)}
        review_id = reviews.draft_review(uow=uow, plan_id=reporting_plan, actor="lan.vp", now=at(date(2026, 12, 21)))
        review = uow.reviews.get(review_id).snapshot["title"]
    assert reported == {"2026-Q4": ["DTN-HB", "HLHPN-HB", "MTTQ-HB"], "2027-Q1": ["HCCB-HB"]}
    assert "Quý IV/2026" in review
