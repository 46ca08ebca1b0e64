"""Opening a reporting period issues the request for reports (công văn) from the issuer's register
and mails each executing unit its own copy, with its report form annexed: real services on SQLite."""
from __future__ import annotations

import copy
import email
import email.policy
import hashlib
import io
import re
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone

import pytest
from docx import Document

from domain.adapters.docx_render import render_docx
from domain.adapters.mail import render_mail
from domain.messages import DomainError
from domain.model.forms import TARGET_HEADER, TASK_HEADER
from domain.services import delivery, reporting
from tests.format_check import format_faults
from tests.test_services import (EXECUTING_UNITS, ID_DOMAIN, add_users, counter, create, db_path, decide,
                                 distributed_plan, issue, open_q4, outbox, party_plan_data, snapshot, stored_files, submit,
                                 verify)


def letters(uow_factory, plan_id) -> list:
    with uow_factory() as uow:
        return [snapshot(d) for d in uow.documents.for_plan(plan_id) if d.kind == "report_request"]


def copies(uow_factory, plan_id) -> dict:
    with uow_factory() as uow:
        return {c.recipient_id: snapshot(c) for c in uow.document_copies.for_plan(plan_id)}


def compose_for(uow_factory, plan_id, unit):
    row = next(r for r in outbox(uow_factory, plan_id, "report_request") if r.recipient_id == unit)
    with uow_factory() as uow:
        return delivery.compose(uow=uow, outbox_id=row.id)


def tables(data: bytes) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in Document(io.BytesIO(data)).tables]


def form_codes(data: bytes) -> tuple[list[str], list[str]]:
    """(target ids, task refs) in the form tables of a rendered copy."""
    found = {TARGET_HEADER: [], TASK_HEADER: []}
    for t in tables(data):
        if t and tuple(t[0]) in found:
            found[tuple(t[0])].extend(r[1] for r in t[1:])
    return found[TARGET_HEADER], found[TASK_HEADER]


def party_distributed_plan(uow_factory, plan_data, now, render=render_docx) -> int:
    add_users(uow_factory, now, {"id": "binh.du", "name": "Lê Văn Bình", "roles": {"DU-HB": ["approver", "clerk"]}})
    plan_id = create(uow_factory, party_plan_data(plan_data), now, actor="thanh.du")
    decide(uow_factory, plan_id, "submit", "thanh.du", now)
    decide(uow_factory, plan_id, "approve", "binh.du", now)
    issue(uow_factory, plan_id, now, actor="thanh.du", render=render)
    with uow_factory() as uow:
        delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN)
    return plan_id


# --- the letter in the register ------------------------------------------------------------------

def test_opening_a_period_issues_the_request_as_a_cong_van_with_the_next_number_of_the_register(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now, render=render_docx)
    (letter,) = letters(org, plan_id)
    assert (letter.doc_type, letter.reference, letter.symbol, letter.series) == ("CÔNG VĂN", "02/UBND", "UBND", "2026")
    assert letter.subject == "V/v báo cáo kết quả thực hiện Kế hoạch số 01/KH-UBND quý IV năm 2026"
    assert letter.signer_id == "tam.pct"
    assert letter.sha256 == hashlib.sha256(letter.content).hexdigest()
    assert letter.file_name == "Công văn 02-UBND ngày 23-11-2026 - Đề nghị báo cáo Quý IV-2026 Kế hoạch 01-KH-UBND.docx"
    assert counter(org, "UBND-HB", "2026") == 2
    text = "\n".join(c for t in tables(letter.content) for r in t for c in r)
    assert "Số: 02/UBND" in text


def test_the_period_and_the_letter_land_together_then_the_units_copies_with_their_own_audit_event(
        org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    (letter,) = letters(org, plan_id)
    with org() as uow:
        events = uow.audit.events(plan_id)
    opened, registered, stored_copies = events[-3:]
    assert (opened.action, registered.action, stored_copies.action) == ("open_period", "register", "register_copies")
    assert registered.data["document_id"] == letter.id and registered.data["reference"] == "02/UBND"
    assert registered.data["period"] == "2026-Q4" and registered.data["sha256"] == letter.sha256
    assert stored_copies.data["document_id"] == letter.id and stored_copies.data["period"] == "2026-Q4"
    stored = copies(org, plan_id)
    assert {c["recipient"]: c["sha256"] for c in stored_copies.data["copies"]} == {
        u: c.sha256 for u, c in stored.items()}


def test_a_refused_opening_draws_no_number_and_writes_nothing(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    with pytest.raises(DomainError) as info:
        open_q4(org, plan_id, now, actor="minh.mttq")
    assert info.value.code == "role_required"
    assert counter(org, "UBND-HB", "2026") == 1
    assert letters(org, plan_id) == [] and copies(org, plan_id) == {}
    open_q4(org, plan_id, now)
    with pytest.raises(DomainError) as info:
        open_q4(org, plan_id, now)
    assert info.value.code == "period_exists"
    assert counter(org, "UBND-HB", "2026") == 2 and len(letters(org, plan_id)) == 1


def test_a_party_committee_numbers_its_request_in_its_own_cong_van_series(org, plan_data, now):
    plan_id = party_distributed_plan(org, plan_data, now, render=lambda d: d.number_line.encode())
    open_q4(org, plan_id, now)
    (letter,) = letters(org, plan_id)
    assert (letter.reference, letter.series, letter.content) == ("01-CV/ĐU", "2025-2030/CV", "DOCX:Số 01-CV/ĐU".encode())
    assert counter(org, "DU-HB", "2025-2030/KH") == 1


# --- each unit's copy -------------------------------------------------------------------------------

def test_every_executing_unit_gets_a_stored_copy_even_one_without_an_address(org, plan_data, now):
    data = copy.deepcopy(plan_data)
    data["tasks"][1]["executing"].append("TDP-HB")  # Các tổ dân phố: no e-mail, a paper copy
    plan_id = distributed_plan(org, data, now)
    assert open_q4(org, plan_id, now, render=render_docx) == len(EXECUTING_UNITS)
    stored = copies(org, plan_id)
    assert set(stored) == EXECUTING_UNITS | {"TDP-HB"}
    for unit, c in stored.items():
        assert c.sha256 == hashlib.sha256(c.content).hexdigest()
        assert c.file_name.endswith(f" - {unit}.docx")
    assert form_codes(stored["TDP-HB"].content) == ([], ["1.2"])


def test_each_copy_holds_only_that_units_targets_and_tasks(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now, render=render_docx)
    stored = copies(org, plan_id)
    assert form_codes(stored["VHXH-HB"].content) == (["CT4", "CT5", "CT6"], ["1.1", "1.2", "3.2"])
    assert form_codes(stored["MTTQ-HB"].content) == (["CT2", "CT3", "CT1"], ["1.1", "2.1", "3.1"])
    assert form_codes(stored["HCCB-HB"].content) == (["CT1"], ["3.1"])
    assert form_codes(stored["CA-HB"].content) == ([], ["1.2"])
    (letter,) = letters(org, plan_id)
    assert form_codes(letter.content) == ([], [])  # the register's original has no unit's form


def test_the_report_request_mail_attaches_the_units_own_copy(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now, render=render_docx)
    (letter,) = letters(org, plan_id)
    rows = outbox(org, plan_id, "report_request")
    assert {r.document_id for r in rows} == {letter.id}
    stored = copies(org, plan_id)
    for unit in ("MTTQ-HB", "CA-HB"):
        mail = compose_for(org, plan_id, unit)
        (attachment,) = mail.attachments
        assert (attachment.filename, attachment.content) == (stored[unit].file_name, stored[unit].content)
        assert mail.context["letter_reference"] == "02/UBND"
        assert mail.context["letter_file"] == stored[unit].file_name


def test_a_resend_after_a_crash_attaches_the_same_bytes_recorded_in_the_audit_trail(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now, render=render_docx)
    first = compose_for(org, plan_id, "HLHPN-HB")
    # the process dies before the row is marked sent: the row is still pending, composed again later
    again = compose_for(org, plan_id, "HLHPN-HB")
    assert again.attachments == first.attachments and again.message_id == first.message_id
    with org() as uow:
        register = [e for e in uow.audit.events(plan_id) if e.action == "register_copies"][0]
    recorded = {c["recipient"]: c["sha256"] for c in register.data["copies"]}
    assert hashlib.sha256(again.attachments[0].content).hexdigest() == recorded["HLHPN-HB"]


def test_the_mail_names_the_letter_and_the_annexed_form_and_how_to_send_it_back(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now, render=render_docx)
    mail = compose_for(org, plan_id, "MTTQ-HB")
    raw = render_mail(mail, sender_email="vanphong@hoabinh.example.vn", sender_name="Văn phòng HĐND và UBND phường",
                      date=datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=7))))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, re.sub(r"<[^>]+>", "", html)):
        assert "Công văn số 02/UBND ngày 23/11/2026" in body
        assert "biểu mẫu" in body and "trả lời thư này" in body
        assert "chậm nhất ngày 17/12/2026" in body
    assert mail.attachments[0].filename in text
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == mail.attachments[0].filename
    assert attachment.get_content() == mail.attachments[0].content


def test_a_reminder_attaches_the_units_own_form_again_as_first_sent(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now, render=render_docx)
    submit(org, plan_id, "MTTQ-HB", {"CT1": 1}, "minh.mttq", now)
    with org() as uow:
        reporting.remind_missing(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN)
    rows = {r.recipient_id: r for r in outbox(org, plan_id, "reminder")}
    assert "MTTQ-HB" not in rows
    mine = copies(org, plan_id)["DTN-HB"]
    with org() as uow:
        mail = delivery.compose(uow=uow, outbox_id=rows["DTN-HB"].id)
    (attachment,) = mail.attachments
    assert (attachment.filename, attachment.content) == (mine.file_name, mine.content)
    raw = render_mail(mail, sender_email="vp@hoabinh.example.vn", sender_name="Văn phòng", date=now)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert [a.get_filename() for a in message.iter_attachments()] == [mine.file_name]
    for body in (text, re.sub(r"<[^>]+>", "", html)):
        assert "được gửi lại kèm theo thư này" in body and "Công văn số 02/UBND ngày 23/11/2026" in body
        assert mine.file_name in body and "trả lời thư này" in body
        assert f"kehoach report submit {plan_id} --unit DTN-HB --period 2026-Q4 --file" in body


# --- found again by SHA-256, checked by the audit ---------------------------------------------------

def test_an_issued_copy_is_found_again_by_its_sha256(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now, render=render_docx)
    mine, (issued,) = copies(org, plan_id)["DTN-HB"], letters(org, plan_id)
    with org() as uow:
        (found,) = reporting.find_issued(uow=uow, digest=hashlib.sha256(mine.content).hexdigest())
        (letter,) = reporting.find_issued(uow=uow, digest=issued.sha256)
        nothing = reporting.find_issued(uow=uow, digest=hashlib.sha256(b"other").hexdigest())
    assert (found["reference"], found["recipient"], found["file_name"]) == ("02/UBND", "DTN-HB", mine.file_name)
    assert (letter["reference"], letter["recipient"], letter["kind"]) == ("02/UBND", None, "report_request")
    assert nothing == []


def test_the_audit_names_a_units_copy_altered_on_disk(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now, render=render_docx)
    files = stored_files(org)
    assert verify(org, files.get).ok
    altered = copies(org, plan_id)["CA-HB"].file_name
    verdict = verify(org, lambda name: b"x" + files[name] if name == altered else files.get(name))
    assert not verdict.ok and altered in verdict.message and "02/UBND" in verdict.message


def test_copies_are_append_only_in_the_database(org, plan_data, db_url, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    with closing(sqlite3.connect(db_path(db_url))) as conn:
        for statement in ("UPDATE document_copy SET sha256='0'", "DELETE FROM document_copy"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
    assert len(copies(org, plan_id)) == len(EXECUTING_UNITS)


# --- rendered: the official format check ------------------------------------------------------------

def test_every_state_request_file_passes_the_official_format_check(org, plan_data, now, tmp_path):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now, render=render_docx)
    (letter,) = letters(org, plan_id)
    files = [(letter.file_name, letter.content)] + [(c.file_name, c.content) for c in copies(org, plan_id).values()]
    for name, data in files:
        path = tmp_path / name
        path.write_bytes(data)
        assert format_faults(path, "state") == {}, name


def test_every_party_request_file_passes_the_official_format_check(org, plan_data, now, tmp_path):
    plan_id = party_distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now, render=render_docx)
    (letter,) = letters(org, plan_id)
    assert "Số 01-CV/ĐU" in "\n".join(c for t in tables(letter.content) for r in t for c in r)
    stored = copies(org, plan_id)
    for name, data in [(letter.file_name, letter.content)] + [(c.file_name, c.content) for c in stored.values()]:
        path = tmp_path / name
        path.write_bytes(data)
        assert format_faults(path, "party") == {}, name
    assert form_codes(stored["MTTQ-HB"].content) == (["CT2", "CT3", "CT1"], ["1.1", "2.1", "3.1"])


# --- the review: chart and per-unit annex from the stored reports --------------------------------------

def test_the_review_annexes_each_units_latest_reported_figures_and_draws_the_chart(org, plan_data, now, tmp_path):
    from tests.test_services import review, submit

    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    submit(org, plan_id, "MTTQ-HB", {"CT1": 1, "CT2": 90, "CT3": 80}, "minh.mttq", now)
    submit(org, plan_id, "MTTQ-HB", {"CT1": 2, "CT2": 100, "CT3": "97,5"}, "minh.mttq", now.replace(hour=11))
    submit(org, plan_id, "VHXH-HB", {"CT5": 56}, "ha.vhxh", now)
    doc_id = review(org, plan_id, now.replace(hour=15), render=render_docx)
    with org() as uow:
        doc = snapshot(uow.documents.get(doc_id))
    found = tables(doc.content)
    annex = found[-1]
    assert annex[0] == ["STT", "Đơn vị báo cáo", "(1)", "(2)", "(3)", "(4)", "(5)", "(6)"]
    by_unit = {r[1]: r[2:] for r in annex[2:]}
    assert by_unit["Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình"] == ["2", "100", "97,5", "", "", ""]
    assert by_unit["Bộ phận Văn hóa - Xã hội phường"] == ["", "", "", "", "56", ""]
    assert by_unit["Hội Cựu chiến binh phường"] == [""] * 6
    assert len(annex) == 2 + len(EXECUTING_UNITS)
    pictures = Document(io.BytesIO(doc.content)).inline_shapes
    assert len(pictures) == 1
    path = tmp_path / doc.file_name
    path.write_bytes(doc.content)
    assert format_faults(path, "state") == {}
