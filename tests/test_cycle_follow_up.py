"""The follow-up of a reporting period on the working calendar: reminders only to the units that have
not reported, a set number of working days before a deadline (holidays skipped); after it, the overdue
list to the advisory body, each late unit and each late unit's head. Real services on SQLite."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import date

import pytest

from domain.adapters.mail import render_mail
from domain.messages import DomainError
from domain.model.calendar import OFF, VIETNAM, CalendarEntry
from domain.services import delivery, reporting
from domain.services.org import load_organisation
from tests.test_orchestration_followup import LATE, at, mail_text, reporting_plan  # noqa: F401 - fixture
from tests.test_services import ID_DOMAIN, outbox

HEADS = {"bodies": [{"id": "HCCB-HB", "name": "Hội Cựu chiến binh phường", "email": "ccb@hoabinh.example.vn",
                     "head": "tuan.ccb"}],
         "users": [{"id": "tuan.ccb", "name": "Lê Văn Tuấn", "email": "tuan.ccb@hoabinh.example.vn"}]}


def with_heads(uow_factory, now, data=HEADS):
    with uow_factory() as uow:
        load_organisation(uow=uow, data=data, source="heads.yaml", actor="system", now=now)


def test_the_overdue_list_also_goes_to_the_head_of_each_late_unit_with_that_units_tasks(org, reporting_plan, now):
    with_heads(org, now)
    with org() as uow:
        queued = reporting.follow_up_overdue(uow=uow, plan_id=reporting_plan, now=at(date(2026, 12, 18)),
                                             id_domain=ID_DOMAIN)
    rows = {(r.recipient_type, r.recipient_id): r for r in outbox(org, reporting_plan, "overdue")}
    assert ("user", "tuan.ccb") in rows and ("body", "HCCB-HB") in rows
    assert queued == len(rows) == 1 + len(LATE) + 1  # the advisory office, the late units, one head
    text = mail_text(org, rows[("user", "tuan.ccb")])
    assert "Kính gửi: đồng chí Lê Văn Tuấn" in text
    assert "chưa nhận được báo cáo của Hội Cựu chiến binh phường, đơn vị do đồng chí phụ trách" in text
    assert "--unit HCCB-HB" in text and "quá hạn 1 ngày làm việc" in text
    with org() as uow:  # the same day again: nothing more
        assert reporting.follow_up_overdue(uow=uow, plan_id=reporting_plan, now=at(date(2026, 12, 18), 16),
                                           id_domain=ID_DOMAIN) == 0


def test_the_overdue_list_to_a_late_unit_and_to_its_head_attaches_the_units_own_form_again(org, reporting_plan, now):
    with_heads(org, now)
    with org() as uow:
        reporting.follow_up_overdue(uow=uow, plan_id=reporting_plan, now=at(date(2026, 12, 18)), id_domain=ID_DOMAIN)
        copy = uow.document_copies.get(uow.outbox.request_document(plan_id=reporting_plan, recipient_id="HCCB-HB",
                                                                   period_key="2026-Q4"), "HCCB-HB")
        mine = (copy.file_name, copy.content)
    rows = {(r.recipient_type, r.recipient_id): r for r in outbox(org, reporting_plan, "overdue")}
    with org() as uow:
        mails = {key: delivery.compose(uow=uow, outbox_id=row.id) for key, row in rows.items()}
    for key in (("body", "HCCB-HB"), ("user", "tuan.ccb")):
        assert [(a.filename, a.content) for a in mails[key].attachments] == [mine]
    assert mails[("body", "VP-HB")].attachments == ()  # the advisory office gets the list, no form
    unit_text, head_text = mail_text(org, rows[("body", "HCCB-HB")]), mail_text(org, rows[("user", "tuan.ccb")])
    assert (f"Biểu mẫu báo cáo của Quý cơ quan, đơn vị (kèm theo Công văn số 02/UBND ngày 23/11/2026) được gửi lại "
            f"kèm theo thư này ({mine[0]})") in unit_text
    assert "trả lời thư này, đính kèm tệp biểu mẫu đã điền" in unit_text
    assert "Biểu mẫu báo cáo của Hội Cựu chiến binh phường (kèm theo Công văn số 02/UBND" in head_text
    assert "Biểu mẫu báo cáo" not in mail_text(org, rows[("body", "VP-HB")])
    raw = render_mail(mails[("body", "HCCB-HB")], date=at(date(2026, 12, 21)), sender_email="vanthu@hoabinh.example.vn",
                      sender_name="Văn thư")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    html = re.sub(r"<[^>]+>", "", message.get_body(("html",)).get_content())
    assert f"được gửi lại kèm theo thư này ({mine[0]})" in html and "trả lời thư này" in html
    assert [a.get_filename() for a in message.iter_attachments()] == [mine[0]]


def test_a_head_who_is_not_a_known_user_is_refused_and_nothing_is_loaded(org, now):
    data = {"bodies": [{**HEADS["bodies"][0], "head": "ai.do"}]}
    with pytest.raises(DomainError) as caught:
        with_heads(org, now, data)
    assert caught.value.code == "unknown_head" and "ai.do" in str(caught.value)
    with org() as uow:
        assert uow.bodies.get("HCCB-HB").head is None


def test_reminders_go_only_to_the_units_that_have_not_reported(org, reporting_plan):
    with org() as uow:
        queued = reporting.remind_before_deadline(uow=uow, plan_id=reporting_plan, now=at(date(2026, 12, 15)),
                                                  id_domain=ID_DOMAIN, days_before=2)
    assert queued == len(LATE)
    assert {r.recipient_id for r in outbox(org, reporting_plan, "reminder")} == LATE


def test_the_reminder_window_counts_back_over_a_holiday(org, reporting_plan):
    # A provincial day off on Tuesday 15/12/2026: two working days before Thursday 17/12 is Monday 14/12.
    cal = VIETNAM.extended([CalendarEntry(date(2026, 12, 15), OFF, "Ngày nghỉ của tỉnh")])

    def remind(day) -> int:
        with org() as uow:
            return reporting.remind_before_deadline(uow=uow, plan_id=reporting_plan, now=at(day),
                                                    id_domain=ID_DOMAIN, days_before=2, calendar=cal)

    assert remind(date(2026, 12, 11)) == 0  # Friday: three working days before
    assert remind(date(2026, 12, 15)) == 0  # the day off itself
    assert remind(date(2026, 12, 14)) == len(LATE)


def test_no_overdue_list_goes_out_on_a_public_holiday_and_days_late_skip_it(org, plan_data, now):
    from tests.test_services import distributed_plan, fake_render

    plan_id = distributed_plan(org, plan_data, now)
    with org() as uow:  # Quý IV/2025: ended Sunday 14/12/2025, due Wednesday 17/12/2025
        reporting.open_plan_period(uow=uow, plan_id=plan_id, period_key="2025-Q4", actor="system", now=now,
                                   id_domain=ID_DOMAIN, render=fake_render, deadline_days=3)
    with org() as uow:
        assert uow.periods.get(plan_id, "2025-Q4").deadline == date(2025, 12, 17)
        assert reporting.follow_up_overdue(uow=uow, plan_id=plan_id, now=at(date(2026, 1, 1)),
                                           id_domain=ID_DOMAIN, overdue_days=30) == 0  # Tết Dương lịch
        assert reporting.follow_up_overdue(uow=uow, plan_id=plan_id, now=at(date(2026, 1, 5)),
                                           id_domain=ID_DOMAIN, overdue_days=30) > 0
    row = next(r for r in outbox(org, plan_id, "overdue") if r.recipient_id == "VP-HB")
    # 18, 19, 22, 23, 24, 25, 26, 29, 30, 31/12 and 05/01: 1/1 and 2/1/2026 are days off
    assert "quá hạn 11 ngày làm việc" in mail_text(org, row)
