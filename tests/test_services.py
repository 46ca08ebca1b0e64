"""The use cases end to end on SQLite: real services, real SqlUnitOfWork, no Prefect.

Most tests render with a tiny fake renderer (fast, deterministic, shows the number line);
the tests about the .docx itself use the real `render_docx`.
"""
from __future__ import annotations

import copy
import hashlib
import io
import json
import sqlite3
from contextlib import closing
from types import SimpleNamespace

import pytest
from docx import Document
from sqlmodel import select

from domain.adapters import orm
from domain.adapters.docx_render import render_docx
from domain.messages import DomainError
from domain.model.mail import message_id
from domain.model.reporting import quarter
from domain.services import audit, delivery, plans, reporting
from domain.services.org import load_organisation

ID_DOMAIN = "kehoach.local"
Q4 = quarter(2026, 4)
MAILED_RECIPIENTS = {"UBND-QUAN", "BDV-QU", "DU-HB", "HDND-HB", "MTTQ-HB", "VHXH-HB", "CA-HB", "HLHPN-HB",
                     "DTN-HB", "HCCB-HB"}
EXECUTING_UNITS = {"VHXH-HB", "MTTQ-HB", "CA-HB", "HLHPN-HB", "DTN-HB", "HCCB-HB"}


def fake_render(doc) -> bytes:
    return ("DOCX:" + doc.number_line + doc.title).encode()


# --- helpers ---------------------------------------------------------------------------------

def create(uow_factory, data, now, actor="lan.vp") -> int:
    with uow_factory() as uow:
        return plans.create_plan(uow=uow, data=data, source="plan.yaml", actor=actor, now=now)


def decide(uow_factory, plan_id, action, actor, now, reason=None) -> str:
    with uow_factory() as uow:
        return plans.decide(uow=uow, plan_id=plan_id, action=action, actor=actor, now=now, reason=reason)


def issue(uow_factory, plan_id, now, actor="tam.pct", render=fake_render) -> int:
    with uow_factory() as uow:
        return plans.issue_plan(uow=uow, plan_id=plan_id, actor=actor, now=now, render=render)


def approved_plan(uow_factory, data, now) -> int:
    plan_id = create(uow_factory, data, now)
    decide(uow_factory, plan_id, "submit", "lan.vp", now)
    decide(uow_factory, plan_id, "approve", "hung.cvp", now)
    return plan_id


def issued_plan(uow_factory, data, now, render=fake_render) -> tuple[int, int]:
    plan_id = approved_plan(uow_factory, data, now)
    return plan_id, issue(uow_factory, plan_id, now, render=render)


def distributed_plan(uow_factory, data, now, render=fake_render) -> int:
    plan_id, _ = issued_plan(uow_factory, data, now, render=render)
    with uow_factory() as uow:
        delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN)
    return plan_id


def open_q4(uow_factory, plan_id, now, actor="system", render=fake_render) -> int:
    with uow_factory() as uow:
        return reporting.open_period(uow=uow, plan_id=plan_id, period=Q4, actor=actor, now=now, id_domain=ID_DOMAIN,
                                     render=render)


def submit(uow_factory, plan_id, unit, figures, actor, now, note=None):
    with uow_factory() as uow:
        return reporting.submit_report(uow=uow, plan_id=plan_id, unit=unit, figures=figures, actor=actor, now=now,
                                       note=note)


def review(uow_factory, plan_id, now, render=fake_render, final=False) -> int:
    """Draft the sơ kết (tổng kết) report, submit, approve and sign it; returns its document's id."""
    from domain.services import reviews

    with uow_factory() as uow:
        review_id = reviews.draft_review(uow=uow, plan_id=plan_id, actor="lan.vp", now=now, final=final)
    for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
        with uow_factory() as uow:
            reviews.decide_review(uow=uow, review_id=review_id, action=action, actor=actor, now=now)
    with uow_factory() as uow:
        return reviews.issue_review(uow=uow, review_id=review_id, actor="tam.pct", now=now, render=render)


def state_of(uow_factory, plan_id) -> str:
    with uow_factory() as uow:
        return uow.plans.get(plan_id).state


def counts(uow_factory) -> tuple[int, int]:
    """(plans, audit events)."""
    with uow_factory() as uow:
        return len(uow.plans.all()), len(uow.audit.events())


def snapshot(row) -> SimpleNamespace:
    """A row's columns as plain data (rows expire when their unit of work ends)."""
    return SimpleNamespace(**row.model_dump())


def document(uow_factory, doc_id):
    with uow_factory() as uow:
        return snapshot(uow.documents.get(doc_id))


def outbox(uow_factory, plan_id, kind=None) -> list:
    with uow_factory() as uow:
        return [snapshot(r) for r in uow.outbox.for_plan(plan_id) if kind is None or r.kind == kind]


def counter(uow_factory, body_id, series) -> int | None:
    with uow_factory() as uow:
        row = uow.session.get(orm.RegisterCounterRow, (body_id, series))
        return row.last_number if row else None


def add_users(uow_factory, now, *users) -> None:
    """Load extra user accounts (e.g. an approver for the Party committee) beside examples/org.yaml."""
    with uow_factory() as uow:
        load_organisation(uow=uow, data={"users": list(users)}, source="extra.yaml", actor="system", now=now)


def party_plan_data(plan_data) -> dict:
    data = copy.deepcopy(plan_data)
    data["issuer"] = "DU-HB"
    data["title"] = "Lãnh đạo thực hiện công tác dân vận năm 2026"
    data["signer"] = {"user": "thanh.du", "capacity": ["T/M ĐẢNG ỦY"], "title": "BÍ THƯ"}
    return data


def db_path(db_url: str) -> str:
    return db_url.removeprefix("sqlite:///")


def docx_text(data: bytes) -> str:
    """Every paragraph of the .docx, body and table cells, one per line."""
    doc = Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]

    def cells(tables):
        for table in tables:
            for row in table.rows:
                for cell in row.cells:
                    lines.extend(p.text for p in cell.paragraphs)
                    cells(cell.tables)

    cells(doc.tables)
    return "\n".join(lines)


def whole_lifecycle(uow_factory, plan_data, now, render=fake_render) -> dict:
    """Create → … → distribute → open Q4 → three reports → remind → review; returns the ids."""
    plan_id = create(uow_factory, plan_data, now)
    decide(uow_factory, plan_id, "submit", "lan.vp", now)
    decide(uow_factory, plan_id, "approve", "hung.cvp", now)
    plan_doc = issue(uow_factory, plan_id, now, render=render)
    with uow_factory() as uow:
        delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="hoa.vt", now=now, id_domain=ID_DOMAIN)
    open_q4(uow_factory, plan_id, now)
    submit(uow_factory, plan_id, "MTTQ-HB", {"CT1": 1, "CT2": "100", "CT3": 100}, "minh.mttq", now,
           note="Đã tổ chức 02 hội nghị đối thoại.")
    submit(uow_factory, plan_id, "HLHPN-HB", {"CT1": 1, "CT2": 100, "CT3": "95,5"}, "thu.pn", now)
    submit(uow_factory, plan_id, "VHXH-HB", {"CT4": "1,5", "CT5": "56 %", "CT6": 72}, "ha.vhxh", now)
    with uow_factory() as uow:
        reporting.remind_missing(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN)
    review_doc = review(uow_factory, plan_id, now, render=render)
    return {"plan": plan_id, "plan_doc": plan_doc, "review_doc": review_doc}


def refused(code: str, fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, str(info.value)
    return info.value


# --- creating a plan -------------------------------------------------------------------------

def test_a_drafter_of_the_issuer_creates_a_plan_as_a_draft(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    with org() as uow:
        plan = uow.plans.get(plan_id)
        assert plan.state == "draft"
        assert plan.issuer_id == "UBND-HB"
        assert plan.version == 1
        assert plan.created_by == "lan.vp"
        assert plan.document_id is None
        assert plan.content["signer"]["name"] == "Nguyễn Thị Tâm"
        events = uow.audit.events(plan_id)
    assert [(e.actor, e.action, e.from_state, e.to_state) for e in events] == [("lan.vp", "create", None, "draft")]


def test_a_user_without_the_drafter_role_cannot_create_a_plan_and_nothing_is_written(org, plan_data, now):
    before = counts(org)
    error = refused("role_required", create, org, plan_data, now, actor="hung.cvp")
    assert "hung.cvp" in str(error) and "soạn thảo" in str(error)
    assert counts(org) == before


def test_an_unknown_user_cannot_create_a_plan_and_nothing_is_written(org, plan_data, now):
    before = counts(org)
    error = refused("unknown_user", create, org, plan_data, now, actor="nobody")
    assert "nobody" in str(error)
    assert counts(org) == before


def test_a_plan_naming_an_unknown_body_is_refused_and_nothing_is_written(org, plan_data, now):
    data = copy.deepcopy(plan_data)
    data["tasks"][0]["executing"] = ["VHXH-HB", "KHONG-CO"]
    before = counts(org)
    error = refused("unknown_body", create, org, data, now)
    assert "KHONG-CO" in str(error)
    assert counts(org) == before


# --- approval path ---------------------------------------------------------------------------

def test_a_plan_goes_from_draft_through_return_and_resubmission_to_issued(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    assert decide(org, plan_id, "submit", "lan.vp", now) == "submitted"
    assert decide(org, plan_id, "approve", "hung.cvp", now) == "approved"
    assert decide(org, plan_id, "return", "tam.pct", now, reason="Bổ sung chỉ tiêu về chuyển đổi số") == "returned"
    assert state_of(org, plan_id) == "returned"
    assert decide(org, plan_id, "resubmit", "lan.vp", now) == "submitted"
    assert decide(org, plan_id, "approve", "hung.cvp", now) == "approved"
    issue(org, plan_id, now)
    assert state_of(org, plan_id) == "issued"
    with org() as uow:
        steps = [(e.actor, e.action, e.from_state, e.to_state) for e in uow.audit.events(plan_id)]
        returned = [e for e in uow.audit.events(plan_id) if e.action == "return"][0]
    assert steps == [
        ("lan.vp", "create", None, "draft"),
        ("lan.vp", "submit", "draft", "submitted"),
        ("hung.cvp", "approve", "submitted", "approved"),
        ("tam.pct", "return", "approved", "returned"),
        ("lan.vp", "resubmit", "returned", "submitted"),
        ("hung.cvp", "approve", "submitted", "approved"),
        ("tam.pct", "issue", "approved", "issued"),
        ("tam.pct", "register", None, None),
    ]
    assert returned.data["reason"] == "Bổ sung chỉ tiêu về chuyển đổi số"


def test_returning_a_plan_without_a_reason_is_refused(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    refused("reason_required", decide, org, plan_id, "return", "hung.cvp", now)
    refused("reason_required", decide, org, plan_id, "return", "hung.cvp", now, reason="   ")
    assert state_of(org, plan_id) == "submitted"


def test_a_drafter_cannot_approve_a_plan(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    _, events = counts(org)
    error = refused("role_required", decide, org, plan_id, "approve", "lan.vp", now)
    assert "lan.vp" in str(error) and "duyệt" in str(error)
    assert state_of(org, plan_id) == "submitted"
    assert counts(org)[1] == events


def test_an_action_not_allowed_in_the_current_state_is_refused_and_draws_no_number(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    error = refused("action_not_allowed", issue, org, plan_id, now)
    assert "dự thảo" in str(error)
    refused("action_not_allowed", decide, org, plan_id, "approve", "hung.cvp", now)
    assert state_of(org, plan_id) == "draft"
    assert counter(org, "UBND-HB", "2026") is None
    with org() as uow:
        assert uow.documents.all() == []


def test_only_the_signer_named_in_the_plan_may_issue_it(org, plan_data, now):
    add_users(org, now, {"id": "binh.ct", "name": "Lê Văn Bình", "roles": {"UBND-HB": ["signer"]}})
    plan_id = approved_plan(org, plan_data, now)
    error = refused("not_designated_signer", issue, org, plan_id, now, actor="binh.ct")
    assert "Nguyễn Thị Tâm" in str(error)
    assert state_of(org, plan_id) == "approved"
    assert counter(org, "UBND-HB", "2026") is None


# --- issuing and the register --------------------------------------------------------------------

def test_issuing_draws_numbers_per_body_per_year(org, plan_data, now):
    first, doc1 = issued_plan(org, plan_data, now)
    second, doc2 = issued_plan(org, plan_data, now)
    next_year = now.replace(year=2027, month=1, day=5)
    third = approved_plan(org, plan_data, now)
    doc3 = issue(org, third, next_year)
    d1, d2, d3 = (document(org, d) for d in (doc1, doc2, doc3))
    assert (d1.number, d1.reference, d1.series) == (1, "01/KH-UBND", "2026")
    assert (d2.number, d2.reference, d2.series) == (2, "02/KH-UBND", "2026")
    assert (d3.number, d3.reference, d3.series) == (1, "01/KH-UBND", "2027")
    assert d3.issued_on.year == 2027
    assert d1.content == ("DOCX:Số: 01/KH-UBND" + plan_data["title"]).encode()
    assert d2.content.startswith("DOCX:Số: 02/KH-UBND".encode())
    assert counter(org, "UBND-HB", "2026") == 2
    assert counter(org, "UBND-HB", "2027") == 1


def test_a_party_committee_numbers_its_plans_in_the_party_style(org, plan_data, now):
    add_users(org, now, {"id": "binh.du", "name": "Lê Văn Bình", "roles": {"DU-HB": ["approver"]}})
    data = party_plan_data(plan_data)
    plan_id = create(org, data, now, actor="thanh.du")
    decide(org, plan_id, "submit", "thanh.du", now)
    decide(org, plan_id, "approve", "binh.du", now)
    doc_id = issue(org, plan_id, now, actor="thanh.du")
    doc = document(org, doc_id)
    assert doc.reference == "01-KH/ĐU"
    assert doc.series == "2025-2030/KH"
    assert doc.content == ("DOCX:Số 01-KH/ĐU" + data["title"]).encode()
    assert "/" not in doc.file_name
    # the state register of the People's Committee is a separate series
    _, state_doc = issued_plan(org, plan_data, now)
    assert document(org, state_doc).reference == "01/KH-UBND"


def test_the_real_renderer_prints_the_state_number_line(org, plan_data, now):
    _, doc_id = issued_plan(org, plan_data, now, render=render_docx)
    doc = document(org, doc_id)
    text = docx_text(doc.content)
    assert "Số: 01/KH-UBND" in text
    assert "Hòa Bình, ngày 23 tháng 11 năm 2026" in text
    assert doc.file_name == ("Kế hoạch 01-KH-UBND ngày 23-11-2026 - "
                             "Thực hiện công tác dân vận chính quyền và phong trào thi.docx")


def test_the_issued_document_hash_is_the_hash_of_its_stored_content(org, plan_data, now):
    plan_id, doc_id = issued_plan(org, plan_data, now)
    doc = document(org, doc_id)
    assert doc.sha256 == hashlib.sha256(doc.content).hexdigest()
    with org() as uow:
        register = [e for e in uow.audit.events(plan_id) if e.action == "register"]
        assert uow.plans.get(plan_id).document_id == doc_id
    assert len(register) == 1
    assert register[0].data["sha256"] == doc.sha256
    assert register[0].data["reference"] == "01/KH-UBND"


def test_a_plan_cannot_be_issued_twice_and_the_register_does_not_move(org, plan_data, now):
    plan_id, _ = issued_plan(org, plan_data, now)
    _, events = counts(org)
    error = refused("already_issued", issue, org, plan_id, now)
    assert "01/KH-UBND" in str(error) and "23/11/2026" in str(error)
    assert counter(org, "UBND-HB", "2026") == 1
    assert counts(org)[1] == events
    _, next_doc = issued_plan(org, plan_data, now)
    assert document(org, next_doc).number == 2


def test_an_issued_plan_cannot_be_edited(org, plan_data, now):
    plan_id, _ = issued_plan(org, plan_data, now)
    data = copy.deepcopy(plan_data)
    data["title"] = "Tiêu đề đã sửa sau khi ban hành"
    with pytest.raises(DomainError) as info:
        with org() as uow:
            plans.update_plan(uow=uow, plan_id=plan_id, data=data, source="plan.yaml", actor="lan.vp", now=now)
    assert info.value.code == "plan_frozen"
    with org() as uow:
        plan = uow.plans.get(plan_id)
        assert plan.title == plan_data["title"] and plan.version == 1


# --- distribution and the outbox -------------------------------------------------------------------

def test_distribution_queues_one_mail_per_recipient_body_with_an_address_once(org, plan_data, now):
    plan_id, doc_id = issued_plan(org, plan_data, now)
    with org() as uow:
        queued = delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN)
    assert queued == len(MAILED_RECIPIENTS)
    rows = outbox(org, plan_id, "distribution")
    assert {r.recipient_id for r in rows} == MAILED_RECIPIENTS
    assert len(rows) == len(MAILED_RECIPIENTS)
    assert all(r.kind == "distribution" and r.status == "pending" and r.document_id == doc_id for r in rows)
    with org() as uow:
        assert all(r.email == uow.bodies.get(r.recipient_id).email for r in rows)
        event = [e for e in uow.audit.events(plan_id) if e.action == "distribute"][0]
    assert "Lưu: VT, VP" in event.data["without_address"]
    assert state_of(org, plan_id) == "distributed"
    first_ids = {r.recipient_id: r.message_id for r in rows}

    with org() as uow:
        again = delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="hoa.vt", now=now, id_domain=ID_DOMAIN)
    assert again == 0
    rows = outbox(org, plan_id, "distribution")
    assert len(rows) == len(MAILED_RECIPIENTS)
    assert {r.recipient_id: r.message_id for r in rows} == first_ids
    assert len(set(first_ids.values())) == len(first_ids)
    for recipient, mid in first_ids.items():
        assert mid == message_id(plan_id=plan_id, document_id=doc_id, recipient=recipient, kind="distribution",
                                 period_key="", domain=ID_DOMAIN)


# --- reporting ---------------------------------------------------------------------------------------

def test_opening_a_period_queues_a_report_request_per_executing_unit(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    assert open_q4(org, plan_id, now) == len(EXECUTING_UNITS)
    rows = outbox(org, plan_id, "report_request")
    assert {r.recipient_id for r in rows} == EXECUTING_UNITS
    assert all(r.period_key == "2026-Q4" for r in rows)
    with org() as uow:
        period = uow.periods.get(plan_id, "2026-Q4")
        assert (period.start, period.end, period.deadline, period.status) == (Q4.start, Q4.end, Q4.deadline, "open")


def test_an_executing_unit_without_an_address_gets_no_report_request(org, plan_data, now):
    data = copy.deepcopy(plan_data)
    data["tasks"][1]["executing"].append("TDP-HB")  # Các tổ dân phố: no e-mail
    plan_id = distributed_plan(org, data, now)
    assert open_q4(org, plan_id, now) == len(EXECUTING_UNITS)
    assert {r.recipient_id for r in outbox(org, plan_id, "report_request")} == EXECUTING_UNITS


def test_the_same_period_cannot_be_opened_twice(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    error = refused("period_exists", open_q4, org, plan_id, now)
    assert "Quý IV/2026" in str(error)
    assert len(outbox(org, plan_id, "report_request")) == len(EXECUTING_UNITS)


def test_a_unit_report_stores_vietnamese_figures_as_numbers_and_corrections_as_new_versions(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    _, version = submit(org, plan_id, "MTTQ-HB", {"CT1": 1, "CT2": "100", "CT3": "95,5"}, "minh.mttq", now)
    assert version == 1
    _, version = submit(org, plan_id, "MTTQ-HB", {"CT1": 2, "CT2": "100", "CT3": "97"}, "minh.mttq", now,
                        note="Bổ sung")
    assert version == 2
    with org() as uow:
        rows = [snapshot(r) for r in uow.session.exec(select(orm.ReportRow).where(orm.ReportRow.unit_id == "MTTQ-HB")
                                                      .order_by(orm.ReportRow.version))]
        latest = uow.reports.latest(uow.periods.get(plan_id, "2026-Q4").id)["MTTQ-HB"].version
    assert [r.version for r in rows] == [1, 2]
    assert rows[0].figures == {"CT1": 1.0, "CT2": 100.0, "CT3": 95.5}
    assert rows[1].figures == {"CT1": 2.0, "CT2": 100.0, "CT3": 97.0}
    assert latest == 2


def test_a_unit_with_no_task_in_the_plan_cannot_report(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    error = refused("unit_not_in_plan", submit, org, plan_id, "TDP-HB", {"CT1": 1}, "minh.mttq", now)
    assert "TDP-HB" in str(error)


def test_a_unit_cannot_report_a_target_it_was_not_assigned(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    error = refused("target_not_for_unit", submit, org, plan_id, "MTTQ-HB", {"CT4": "0,5"}, "minh.mttq", now)
    assert "CT4" in str(error) and "CT1, CT2, CT3" in str(error)


def test_a_figure_that_is_not_a_number_is_refused(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    error = refused("figure_not_number", submit, org, plan_id, "MTTQ-HB", {"CT1": "nhiều"}, "minh.mttq", now)
    assert "nhiều" in str(error)
    with org() as uow:
        assert uow.reports.count(plan_id) == 0


def test_a_reporter_cannot_report_for_another_unit(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    error = refused("report_not_entitled", submit, org, plan_id, "MTTQ-HB", {"CT1": 1}, "thu.pn", now)
    assert "thu.pn" in str(error) and "Mặt trận" in str(error)
    with org() as uow:
        assert uow.reports.count(plan_id) == 0


def test_reminders_go_only_to_units_that_have_not_reported(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    submit(org, plan_id, "MTTQ-HB", {"CT1": 1, "CT2": 100, "CT3": 90}, "minh.mttq", now)
    submit(org, plan_id, "HLHPN-HB", {"CT1": 1}, "thu.pn", now)
    with org() as uow:
        queued = reporting.remind_missing(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN)
    expected = EXECUTING_UNITS - {"MTTQ-HB", "HLHPN-HB"}
    assert queued == len(expected)
    assert {r.recipient_id for r in outbox(org, plan_id, "reminder")} == expected



def test_a_unit_is_reminded_at_most_once_a_day_and_again_on_a_later_day(org, plan_data, now):
    from datetime import timedelta

    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)

    def remind(at):
        with org() as uow:
            return reporting.remind_missing(uow=uow, plan_id=plan_id, actor="system", now=at, id_domain=ID_DOMAIN)

    first = remind(now)
    assert first == len(EXECUTING_UNITS)
    assert remind(now.replace(hour=16)) == 0
    assert remind(now + timedelta(days=7)) == first
    with org() as uow:
        mail = delivery.compose(uow=uow, outbox_id=outbox(org, plan_id, "reminder")[-1].id)
    assert mail.context["period_label"] == "Quý IV/2026"

# --- review ------------------------------------------------------------------------------------------

def test_the_review_is_a_report_numbered_from_the_same_register_with_the_rollup_table(org, plan_data, now):
    ids = whole_lifecycle(org, plan_data, now, render=render_docx)
    plan_doc, review_doc = document(org, ids["plan_doc"]), document(org, ids["review_doc"])
    assert plan_doc.reference == "01/KH-UBND"
    # 02/UBND is the công văn that asked for the reports: one register per body per year
    assert (review_doc.doc_type, review_doc.reference, review_doc.kind) == ("BÁO CÁO", "03/BC-UBND", "review")
    assert review_doc.sha256 == hashlib.sha256(review_doc.content).hexdigest()
    assert review_doc.subject.startswith("Sơ kết Quý IV/2026 thực hiện Kế hoạch số 01/KH-UBND ngày 23/11/2026")
    docx = Document(io.BytesIO(review_doc.content))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in docx.tables]
    rollup = [t for t in tables if t[0][:2] == ["STT", "Chỉ tiêu"]]
    assert len(rollup) == 1, tables
    rows = rollup[0]
    assert len(rows) == 1 + len(plan_data["targets"])
    by_stt = {r[0]: [c.replace(" %", "%") for c in r] for r in rows[1:]}
    assert by_stt["3"][3:] == ["97,75%", "2/2", "Đạt"]  # CT3: average of 100 and 95,5
    assert by_stt["5"][3:] == ["56%", "1/2", "Đạt (1/2 đơn vị báo cáo)"]  # CT5: latest, only VHXH reported
    assert "Số: 03/BC-UBND" in docx_text(review_doc.content)
    assert state_of(org, ids["plan"]) == "distributed"


# --- audit ---------------------------------------------------------------------------------------------

def stored_files(uow_factory) -> dict[str, bytes]:
    """Every issued file as the archive folder holds it: documents and each recipient's copy."""
    with uow_factory() as uow:
        files = {d.file_name: d.content for d in uow.documents.all()}
        files.update({c.file_name: c.content for c in uow.document_copies.all()})
        return files


def verify(uow_factory, read_file):
    with uow_factory() as uow:
        return audit.verify(uow=uow, read_file=read_file)


def test_the_audit_trail_verifies_after_a_whole_lifecycle(org, plan_data, now):
    whole_lifecycle(org, plan_data, now)
    files = stored_files(org)
    verdict = verify(org, files.get)
    assert verdict.ok, verdict.message
    assert counts(org)[1] > 10
    # the plan, the request for reports, its six units' copies and the review
    assert f"{counts(org)[1]} sự kiện" in verdict.message and "9 tệp" in verdict.message


def test_an_audit_row_altered_behind_kehoachs_back_breaks_the_chain_at_that_event(org, plan_data, db_url, now):
    whole_lifecycle(org, plan_data, now)
    with closing(sqlite3.connect(db_path(db_url))) as conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET actor='x' WHERE id=3")
        conn.commit()
    verdict = verify(org, stored_files(org).get)
    assert not verdict.ok
    assert "sự kiện #3 " in verdict.message
    assert "bị sửa" in verdict.message


def test_a_deleted_audit_row_breaks_the_chain_at_the_next_event(org, plan_data, db_url, now):
    whole_lifecycle(org, plan_data, now)
    with closing(sqlite3.connect(db_path(db_url))) as conn:
        conn.execute("DROP TRIGGER audit_event_no_delete")
        conn.execute("DELETE FROM audit_event WHERE id=4")
        conn.commit()
    verdict = verify(org, stored_files(org).get)
    assert not verdict.ok
    assert "sự kiện #5 " in verdict.message


def test_an_issued_file_altered_on_disk_is_named_by_the_check(org, plan_data, now):
    ids = whole_lifecycle(org, plan_data, now)
    files = stored_files(org)
    altered = document(org, ids["review_doc"]).file_name
    verdict = verify(org, lambda name: b"altered" + files[name] if name == altered else files.get(name))
    assert not verdict.ok
    assert altered in verdict.message and "03/BC-UBND" in verdict.message


def test_a_missing_issued_file_is_named_by_the_check(org, plan_data, now):
    ids = whole_lifecycle(org, plan_data, now)
    files = stored_files(org)
    gone = document(org, ids["plan_doc"]).file_name
    verdict = verify(org, lambda name: None if name == gone else files.get(name))
    assert not verdict.ok
    assert gone in verdict.message and "không tìm thấy" in verdict.message


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET actor='x' WHERE id=3",
    "DELETE FROM audit_event WHERE id=3",
    "UPDATE document SET sha256='0' WHERE id=1",
    "DELETE FROM document WHERE id=1",
])
def test_audit_events_and_issued_documents_are_append_only_in_the_database(org, plan_data, db_url, now, statement):
    issued_plan(org, plan_data, now)
    with closing(sqlite3.connect(db_path(db_url))) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
        conn.rollback()
    assert verify(org, stored_files(org).get).ok


def test_the_hash_chain_can_be_recomputed_without_kehoach(org, plan_data, db_url, now):
    whole_lifecycle(org, plan_data, now)

    def digest(fields: dict) -> str:
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    with org() as uow:
        events = uow.audit.events()
    prev = "0" * 64
    for e in events:
        assert e.prev_hash == prev, e.id
        assert digest(e.fields()) == e.hash, e.id
        prev = e.hash

    # the same from the raw rows, with nothing of kehoach but the column names
    with closing(sqlite3.connect(db_path(db_url))) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM audit_event ORDER BY id").fetchall()
    assert len(rows) == len(events)
    prev = "0" * 64
    for row in rows:
        fields = {k: row[k] for k in ("id", "at", "actor", "action", "plan_id", "from_state", "to_state",
                                      "prev_hash")}
        fields["data"] = json.loads(row["data"])
        assert fields["prev_hash"] == prev
        assert digest(fields) == row["hash"], row["id"]
        prev = row["hash"]


def test_distributing_a_plan_that_is_not_issued_is_refused_and_queues_nothing(org, plan_data, now):
    plan_id = approved_plan(org, plan_data, now)
    with pytest.raises(DomainError) as info:
        with org() as uow:
            delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN)
    assert info.value.code == "action_not_allowed"
    assert outbox(org, plan_id, "distribution") == []
    assert state_of(org, plan_id) == "approved"


def test_only_a_clerk_or_the_system_distributes_a_plan(org, plan_data, now):
    plan_id, _ = issued_plan(org, plan_data, now)
    with pytest.raises(DomainError) as info:
        with org() as uow:
            delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="lan.vp", now=now, id_domain=ID_DOMAIN)
    assert info.value.code == "role_required"
    assert outbox(org, plan_id, "distribution") == []
    assert state_of(org, plan_id) == "issued"


def test_a_rejected_plan_stays_rejected(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    refused("reason_required", decide, org, plan_id, "reject", "hung.cvp", now)
    assert decide(org, plan_id, "reject", "hung.cvp", now, reason="Không phù hợp chỉ đạo của quận") == "rejected"
    error = refused("action_not_allowed", decide, org, plan_id, "resubmit", "lan.vp", now)
    assert "không có" in str(error)
    refused("action_not_allowed", issue, org, plan_id, now)


def review_rows(uow_factory, doc_id) -> dict[str, list[str]]:
    """The roll-up table of a rendered BÁO CÁO, by target number (STT)."""
    docx = Document(io.BytesIO(document(uow_factory, doc_id).content))
    for table in docx.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        if rows[0][:2] == ["STT", "Chỉ tiêu"]:
            return {r[0]: [c.replace(" %", "%") for c in r] for r in rows[1:]}
    raise AssertionError("no roll-up table")


def test_a_latest_target_shows_the_most_recently_reported_figure(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    later = now.replace(hour=15)
    submit(org, plan_id, "DTN-HB", {"CT5": 50}, "nam.dtn", now)  # the earlier figure
    submit(org, plan_id, "VHXH-HB", {"CT5": 56}, "ha.vhxh", later)  # the newest figure
    rows = review_rows(org, review(org, plan_id, later, render=render_docx))
    assert rows["5"][3] == "56%"


def test_a_share_met_target_shows_the_share_of_the_units_expected_to_report_as_a_percentage(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    submit(org, plan_id, "MTTQ-HB", {"CT1": 1}, "minh.mttq", now)
    submit(org, plan_id, "HLHPN-HB", {"CT1": 3}, "thu.pn", now)
    row = review_rows(org, review(org, plan_id, now, render=render_docx))["1"]
    assert row[3] == "50% đơn vị đạt"  # 2 of the 4 units that carry CT1; the 2 silent ones have not met it
    # both that reported met it: the two silent ones decide whether the share reaches 100%
    assert row[4:] == ["2/4", "Chưa đủ số liệu (2/4 đơn vị báo cáo)"]


@pytest.mark.parametrize("figure", ["nan", "inf"])
def test_a_figure_that_is_not_a_finite_number_is_refused(org, plan_data, now, figure):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    refused("figure_not_number", submit, org, plan_id, "MTTQ-HB", {"CT1": figure}, "minh.mttq", now)
