"""The register (sổ đăng ký văn bản đi), checking a file, corrections and withdrawals, as a văn thư uses them.

Real services on SQLite and the real .docx renderer (a file is checked by rendering it again).
"""
from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from domain.adapters.docx_render import render_docx
from domain.messages import DomainError
from domain.model.corrections import parse_corrections
from domain.services import audit, corrections, delivery, register, reporting
from tests.format_check import format_faults
from tests.test_services import (ID_DOMAIN, add_users, create, db_path, decide, issue, open_q4, party_plan_data,
                                 refused, review, submit)


@pytest.fixture
def cli(cli, monkeypatch):
    """The shared `cli` (tests/conftest.py), without the deliver-mail flow after a correction or a withdrawal
    (tests/test_correction_flows.py runs it against a mail server)."""
    monkeypatch.setattr("flows.cli._deliver", lambda plan: None)
    return cli


def book(uow_factory, body="UBND-HB", **filters) -> register.Register:
    with uow_factory() as uow:
        return register.register(uow=uow, body_id=body, **{"year": 2026, **filters})


def references(reg: register.Register) -> list[str]:
    return [e.reference for e in reg.entries]


def approved(uow_factory, data, now, drafter="lan.vp", approver="hung.cvp") -> int:
    plan_id = create(uow_factory, data, now, actor=drafter)
    decide(uow_factory, plan_id, "submit", drafter, now)
    decide(uow_factory, plan_id, "approve", approver, now)
    return plan_id


def lifecycle(uow_factory, plan_data, now) -> dict:
    """A plan issued and distributed, Q4 opened (the công văn and six copies), three reports, the review:
    every document rendered by the real renderer."""
    plan_id = approved(uow_factory, plan_data, now)
    plan_doc = issue(uow_factory, plan_id, now, render=render_docx)
    with uow_factory() as uow:
        delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="hoa.vt", now=now, id_domain=ID_DOMAIN)
    open_q4(uow_factory, plan_id, now, render=render_docx)
    submit(uow_factory, plan_id, "MTTQ-HB", {"CT1": 1, "CT2": "100", "CT3": 100}, "minh.mttq", now,
           note="Đã tổ chức 02 hội nghị đối thoại.")
    submit(uow_factory, plan_id, "HLHPN-HB", {"CT1": 1, "CT2": 100, "CT3": "95,5"}, "thu.pn", now)
    submit(uow_factory, plan_id, "VHXH-HB", {"CT4": "0,6", "CT5": "56 %", "CT6": 72}, "ha.vhxh", now)
    review_doc = review(uow_factory, plan_id, now, render=render_docx)
    return {"plan": plan_id, "plan_doc": plan_doc, "review_doc": review_doc}


ITEMS = [{"at": "Mục II, chỉ tiêu (4)", "was": "giảm 0,5%/năm", "now": "giảm 1%/năm"}]


def correct(uow_factory, reference, now, actor="hoa.vt", items=None) -> int:
    items = items or ITEMS
    with uow_factory() as uow:
        return corrections.correct_document(uow=uow, reference=reference, corrections=parse_corrections(items),
                                            actor=actor, now=now, render=render_docx)


def withdraw(uow_factory, reference, now, reason="Ban hành chưa đúng thẩm quyền", actor="tam.pct"):
    with uow_factory() as uow:
        corrections.withdraw_document(uow=uow, reference=reference, reason=reason, actor=actor, now=now)


def check(uow_factory, data: bytes, name: str = "tệp.docx") -> register.FileCheck:
    with uow_factory() as uow:
        return register.verify_file(uow=uow, data=data, name=name, render=render_docx)


def stored(uow_factory, doc_id) -> tuple[str, bytes]:
    with uow_factory() as uow:
        doc = uow.documents.get(doc_id)
        return doc.file_name, doc.content


# --- the register ---------------------------------------------------------------------------------------

def test_the_register_shows_each_document_with_its_signer_recipients_archive_copy_and_status(org, plan_data, now):
    lifecycle(org, plan_data, now)
    reg = book(org)
    assert reg.book_label == "Năm 2026"
    assert references(reg) == ["01/KH-UBND", "02/UBND", "03/BC-UBND"]
    plan, letter, review = reg.entries
    assert (plan.doc_type, plan.issued_on, plan.status, plan.status_name) == ("Kế hoạch", now.date(), "issued",
                                                                               "đã ban hành")
    assert plan.subject.startswith("Thực hiện công tác dân vận chính quyền")
    assert plan.signer == "Nguyễn Thị Tâm"
    assert plan.signer_capacity == "TM. ỦY BAN NHÂN DÂN, KT. CHỦ TỊCH, PHÓ CHỦ TỊCH"
    assert "Ủy ban nhân dân quận Kiến An (b/c)" in plan.recipients and plan.archive == "VT, VP"
    assert plan.copies == len(plan.recipients) + 2
    assert letter.doc_type == "Công văn" and letter.subject.startswith("V/v báo cáo kết quả thực hiện Kế hoạch số 01")
    assert "Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình" in letter.recipients
    assert review.doc_type == "Báo cáo"


def test_the_register_filters_by_type_dates_number_and_words_typed_without_accents(org, plan_data, now):
    lifecycle(org, plan_data, now)
    assert references(book(org, doc_type="cong van")) == ["02/UBND"]
    assert references(book(org, doc_type="KH")) == ["01/KH-UBND"]
    assert references(book(org, number=3)) == ["03/BC-UBND"]
    assert references(book(org, words="dan van CHINH quyen")) == ["01/KH-UBND", "03/BC-UBND"]
    assert references(book(org, words="báo cáo kết quả")) == ["02/UBND"]
    assert references(book(org, date_from=now.date() + timedelta(days=1))) == []
    assert references(book(org, date_to=now.date())) == ["01/KH-UBND", "02/UBND", "03/BC-UBND"]
    assert references(book(org, year=2025)) == []
    with org() as uow:
        refused("register_unknown_type", register.register, uow=uow, body_id="UBND-HB", doc_type="sắc lệnh")
        refused("register_term_for_state", register.register, uow=uow, body_id="UBND-HB", term="2025-2030")


def test_a_party_committee_register_is_kept_per_term_and_exported_as_a_sheet_per_term(org, plan_data, now,
                                                                                      tmp_path):
    add_users(org, now, {"id": "an.du", "name": "Lê Văn An", "roles": {"DU-HB": ["approver"]}})
    plan_id = approved(org, party_plan_data(plan_data), now, drafter="thanh.du", approver="an.du")
    issue(org, plan_id, now, actor="thanh.du", render=render_docx)
    reg = book(org, body="DU-HB", year=None)
    assert reg.book == "2025-2030" and reg.book_label == "Nhiệm kỳ 2025-2030"
    assert references(reg) == ["01-KH/ĐU"]
    assert reg.entries[0].signer_capacity == "T/M ĐẢNG ỦY, BÍ THƯ"
    from domain.adapters.xlsx import write_register

    with org() as uow:
        books = register.register_all(uow=uow, body_id="DU-HB")
    out = tmp_path / "so-dang-uy.xlsx"
    assert write_register(out, books, {"DU-HB": "ĐẢNG BỘ QUẬN KIẾN AN"}) == 1
    ws = openpyxl.load_workbook(out)["Nhiệm kỳ 2025-2030"]
    assert (ws["A1"].value, ws["A4"].value, ws["A9"].value) == ("ĐẢNG BỘ QUẬN KIẾN AN", "Nhiệm kỳ 2025-2030",
                                                                  "01-KH/ĐU")


def test_the_register_command_prints_the_table_and_json_for_scripts(org, plan_data, now, cli):
    lifecycle(org, plan_data, now)
    code, out = cli("register", "--year", "2026")
    assert code == 0
    assert "Sổ đăng ký văn bản đi" in out and "01/KH-UBND" in out and "Nguyễn Thị Tâm" in out
    code, out = cli("register", "--year", "2026", "--json", "--type", "báo cáo")
    assert code == 0
    data = json.loads(out)
    assert [e["reference"] for e in data["entries"]] == ["03/BC-UBND"]
    assert data["entries"][0]["issued_on"] == now.date().isoformat() and data["entries"][0]["status"] == "issued"
    code, out = cli("register", "--body", "KHONG-CO")
    assert code == 1 and "KHONG-CO" in out


# --- numbers: restarting each year, a document dated in a past year, never reused ------------------------

def test_a_plan_dated_in_a_past_year_takes_the_next_number_of_that_years_series(org, plan_data, now):
    early = now.replace(year=2025, month=12, day=1)
    first = approved(org, plan_data, early)
    issue(org, first, early)  # 01/KH-UBND of 2025
    this_year = approved(org, plan_data, early)
    issue(org, this_year, now)  # 01/KH-UBND of 2026: numbers restart each year
    late = approved(org, plan_data, early)
    with org() as uow:  # signed on 30/12/2025, registered on 23/11/2026
        from domain.services import plans
        plans.issue_plan(uow=uow, plan_id=late, actor="tam.pct", now=now, render=render_docx,
                         issued_on=date(2025, 12, 30))
    assert [(e.reference, e.issued_on) for e in book(org, year=2025).entries] == [
        ("01/KH-UBND", date(2025, 12, 1)), ("02/KH-UBND", date(2025, 12, 30))]
    assert references(book(org, year=2026)) == ["01/KH-UBND"]


def test_an_issue_date_in_the_future_or_before_the_draft_is_refused_and_draws_no_number(org, plan_data, now):
    from domain.services import plans

    plan_id = approved(org, plan_data, now)
    for day, code in ((now.date() + timedelta(days=1), "issue_date_future"),
                      (now.date() - timedelta(days=1), "issue_date_before_draft")):
        with org() as uow:
            refused(code, plans.issue_plan, uow=uow, plan_id=plan_id, actor="tam.pct", now=now, render=render_docx,
                    issued_on=day)
    assert references(book(org)) == []


def test_a_withdrawn_number_is_never_given_again(org, plan_data, now):
    plan_id = approved(org, plan_data, now)
    issue(org, plan_id, now)
    withdraw(org, "01/KH-UBND", now)
    again = approved(org, plan_data, now)
    issue(org, again, now)
    reg = book(org)
    assert [(e.reference, e.status) for e in reg.entries] == [("01/KH-UBND", "withdrawn"), ("02/KH-UBND", "issued")]


# --- the spreadsheet --------------------------------------------------------------------------------------

HEADERS = ["Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản", "Người ký",
           "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận", "Ghi chú"]


def test_the_register_exports_as_the_nd30_spreadsheet_one_sheet_per_year_with_date_cells(org, plan_data, now, cli,
                                                                                          tmp_path):
    early = now.replace(year=2025, month=12, day=1)
    issue(org, approved(org, plan_data, early), early)
    lifecycle(org, plan_data, now)
    refused("ambiguous_document", correct, org, "01/KH-UBND", now)
    correct(org, f"01/KH-UBND ngày {now:%d/%m/%Y}", now)
    out = tmp_path / "so-van-ban-di.xlsx"
    code, text = cli("register", "export", "--xlsx", str(out), "--body", "UBND-HB")
    assert code == 0, text
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Năm 2025", "Năm 2026"]
    ws = wb["Năm 2026"]
    assert ws["A3"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐI" and ws["A2"].value == "ỦY BAN NHÂN DÂN PHƯỜNG HÒA BÌNH"
    assert [c.value for c in ws[7]] == HEADERS
    assert [c.value for c in ws[8]] == [f"({i})" for i in range(1, 11)]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=9)]
    assert [r[0] for r in rows] == ["01/KH-UBND", "02/UBND", "03/BC-UBND", "04/UBND"]
    plan = rows[0]
    assert isinstance(plan[1], datetime) and plan[1].date() == now.date()
    assert ws["B9"].number_format == "DD/MM/YYYY"
    assert plan[2].startswith("Kế hoạch thực hiện công tác dân vận") and plan[3] == "Nguyễn Thị Tâm"
    assert "Ủy ban nhân dân quận Kiến An (b/c)" in plan[4] and plan[5] == "VT, VP" and isinstance(plan[6], int)
    assert "Đã được đính chính bởi Công văn số 04/UBND" in plan[9]
    assert rows[3][2].startswith("Công văn V/v đính chính Kế hoạch số 01/KH-UBND")
    assert [r[0] for r in wb["Năm 2025"].iter_rows(min_row=9, values_only=True)] == ["01/KH-UBND"]


# --- is this file the one we issued? -----------------------------------------------------------------------

def test_every_issued_file_is_recognised_and_renders_again_to_the_same_bytes(org, plan_data, now):
    ids = lifecycle(org, plan_data, now)
    with org() as uow:
        files = [(d.file_name, d.content, d.reference) for d in uow.documents.all()]
        files += [(c.file_name, c.content, uow.documents.get(c.document_id).reference)
                  for c in uow.document_copies.all()]
    assert len(files) == 9  # the plan, the công văn, six units' copies, the review
    for name, data, reference in files:
        result = check(org, data, name)
        assert result.ok, (name, result.message)
        assert result.document["reference"] == reference
    plan = check(org, stored(org, ids["plan_doc"])[1])
    assert plan.document["registered_by"] == "tam.pct"
    assert {s["recipient"] for s in plan.document["sent"]} == set()  # queued, not yet sent
    assert plan.document["status"] == "issued" and plan.document["later"] == []


def test_a_file_that_was_never_issued_or_was_altered_is_refused_with_the_reason(org, plan_data, now):
    ids = lifecycle(org, plan_data, now)
    name, data = stored(org, ids["plan_doc"])
    unknown = check(org, b"PK\x03\x04 something else", "ke-hoach.docx")
    assert unknown.verdict == "unknown" and "không phải là văn bản nào đã ban hành" in unknown.message
    altered = check(org, data + b"\0", name)
    assert altered.verdict == "altered" and "01/KH-UBND" in altered.message and "bị sửa" in altered.message


def test_a_plan_changed_in_the_database_behind_kehoachs_back_is_named_by_both_checks(org, plan_data, db_url, now):
    ids = lifecycle(org, plan_data, now)
    name, data = stored(org, ids["plan_doc"])
    with closing(sqlite3.connect(db_path(db_url))) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="cannot be changed"):
            conn.execute("UPDATE plan SET title = 'khác' WHERE id = ?", (ids["plan"],))
        conn.execute("DROP TRIGGER plan_issued_frozen")
        content = json.loads(conn.execute("SELECT content FROM plan WHERE id = ?", (ids["plan"],)).fetchone()[0])
        content["closing"] = "Một câu đã bị sửa lén./."
        conn.execute("UPDATE plan SET content = ? WHERE id = ?", (json.dumps(content, ensure_ascii=False), ids["plan"]))
        conn.commit()
    result = check(org, data, name)
    assert result.verdict == "rerender_differs" and "01/KH-UBND" in result.message
    files = _all_files(org)
    with org() as uow:
        verdict = audit.verify(uow=uow, read_file=files.get)
    assert not verdict.ok and "kế hoạch #1" in verdict.message and "01/KH-UBND" in verdict.message


@pytest.mark.parametrize("statement, named", [
    ("UPDATE document SET subject = 'Một trích yếu khác' WHERE id = 1", "trích yếu"),
    ("UPDATE document SET signer_id = 'hung.cvp' WHERE id = 1", "người ký"),
    ("UPDATE document SET issued_on = '2026-11-20' WHERE id = 1", "ngày ban hành"),
    ("UPDATE document SET body_id = 'UBND-QUAN' WHERE id = 1", "cơ quan ban hành"),
    ("UPDATE document SET facts = '{\"corrections\": []}' WHERE id = 4", "dữ liệu dựng văn bản"),
])
def test_an_issued_documents_row_changed_in_the_database_is_named_field_by_field_by_both_checks(
        org, plan_data, db_url, now, statement, named):
    ids = lifecycle(org, plan_data, now)
    correct(org, "01/KH-UBND", now)
    doc_id = int(statement.rsplit("=", 1)[1])
    name, data = stored(org, doc_id)
    with closing(sqlite3.connect(db_path(db_url))) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
        conn.execute("DROP TRIGGER document_no_update")
        conn.execute(statement)
        conn.commit()
    files = _all_files(org)
    with org() as uow:
        verdict = audit.verify(uow=uow, read_file=files.get)
    reference = "01/KH-UBND" if doc_id == ids["plan_doc"] else "04/UBND"
    assert not verdict.ok and f"Văn bản {reference} trong sổ đã bị sửa ngoài kehoach: {named}" in verdict.message
    result = check(org, data, name)
    assert result.verdict == "stored_altered" and named in result.message and reference in result.message


@pytest.mark.parametrize("statement", [
    "UPDATE document_mark SET reason = 'Một lý do khác'",
    "UPDATE document_mark SET by_document_id = 2",
])
def test_a_withdrawal_or_correction_mark_changed_in_the_database_is_named_by_the_audit_check(
        org, plan_data, db_url, now, statement):
    lifecycle(org, plan_data, now)
    correct(org, "01/KH-UBND", now)
    withdraw(org, "03/BC-UBND", now)
    with closing(sqlite3.connect(db_path(db_url))) as conn:
        conn.execute("DROP TRIGGER document_mark_no_update")
        conn.execute(statement)
        conn.commit()
    files = _all_files(org)
    with org() as uow:
        verdict = audit.verify(uow=uow, read_file=files.get)
    assert not verdict.ok and "không khớp sự kiện nào trong nhật ký" in verdict.message


def _all_files(uow_factory) -> dict[str, bytes]:
    with uow_factory() as uow:
        files = {d.file_name: d.content for d in uow.documents.all()}
        files.update({c.file_name: c.content for c in uow.document_copies.all()})
        return files


def test_the_verify_command_exits_0_for_an_issued_file_and_non_zero_otherwise(org, plan_data, now, cli, tmp_path):
    ids = lifecycle(org, plan_data, now)
    name, data = stored(org, ids["review_doc"])
    good = tmp_path / name
    good.write_bytes(data)
    code, out = cli("verify", str(good))
    assert code == 0, out
    assert "đúng là văn bản 03/BC-UBND" in out and "Nguyễn Thị Tâm" in out and "đã ban hành" in out
    bad = tmp_path / "khac" / name
    bad.parent.mkdir()
    bad.write_bytes(data[:-10] + b"0123456789")
    code, out = cli("verify", str(bad))
    assert code == 4 and "bị sửa" in out
    other = tmp_path / "la.docx"
    other.write_bytes(b"not issued")
    code, out = cli("verify", str(other), "--json")
    assert code == 3 and json.loads(out)["verdict"] == "unknown"
    code, out = cli("verify", str(tmp_path / "khong-co.docx"))
    assert code == 2 and "Không tìm thấy tệp" in out


def edited(data: bytes, old: str, new: str) -> bytes:
    """The .docx with `old` replaced by `new` in the one paragraph that has it, as a hand in Word would."""
    import io

    from docx import Document

    doc = Document(io.BytesIO(data))
    paragraphs = list(doc.paragraphs) + [p for t in doc.tables for row in t.rows for c in row.cells
                                         for p in c.paragraphs]
    (paragraph,) = {id(p._p): p for p in paragraphs if old in p.text}.values()
    text = paragraph.text.replace(old, new)
    for run in paragraph.runs[1:]:
        run.text = ""
    paragraph.runs[0].text = text
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_the_number_and_date_a_document_prints_are_read_in_both_styles_and_a_blank_number_is_no_claim():
    from domain.model.importer import read_number_claim

    state = read_number_claim(["ỦY BAN NHÂN DÂN\nPHƯỜNG HÒA BÌNH\n", "Số: 2/UBND\n",
                               "Hòa Bình, ngày 23 tháng 11 năm 2026\n"])
    assert (state.reference, state.issued_on, state.number_line) == ("02/UBND", date(2026, 11, 23), "Số: 2/UBND")
    party = read_number_claim(["ĐẢNG BỘ QUẬN KIẾN AN\nĐẢNG ỦY PHƯỜNG HÒA BÌNH\n*\nSố 01-KH/ĐU\n",
                               "Hòa Bình, ngày 05 tháng 3 năm 2026\n"])
    assert (party.reference, party.issued_on) == ("01-KH/ĐU", date(2026, 3, 5))
    assert read_number_claim(["Số:      /KH-UBND\n", "Hòa Bình, ngày    tháng    năm 2026\n"]) is None
    assert read_number_claim(["Biên bản họp tổ dân phố\n"]) is None and read_number_claim([]) is None


def test_a_file_known_neither_by_hash_nor_by_name_is_named_by_the_number_it_prints_as_altered(org, plan_data, now,
                                                                                            cli, tmp_path):
    from domain.adapters.docx_read import read_docx_bytes

    ids = lifecycle(org, plan_data, now)
    name, original = stored(org, ids["plan_doc"])
    altered = edited(original, "giảm 0,5%/năm", "giảm 5%/năm")

    def verdict(data: bytes) -> register.FileCheck:
        with org() as uow:
            return register.verify_file(uow=uow, data=data, name="ke-hoach-nhan-duoc.docx", render=render_docx,
                                        read_text=read_docx_bytes)

    found = verdict(altered)
    assert found.verdict == "altered" and found.document["reference"] == "01/KH-UBND"
    assert found.message.startswith("Tệp ke-hoach-nhan-duoc.docx ghi «Số: 01/KH-UBND, ngày 23/11/2026»: đó là văn "
                                    "bản 01/KH-UBND của Ủy ban nhân dân phường Hòa Bình ban hành ngày 23/11/2026")
    assert "tệp đã bị sửa" in found.message and name in found.message
    other_day = verdict(edited(altered, "ngày 23 tháng 11 năm 2026", "ngày 20 tháng 11 năm 2026"))
    assert other_day.verdict == "altered" and "ngày 20/11/2026" in other_day.message
    assert "ban hành ngày 23/11/2026" in other_day.message
    unknown = verdict(edited(original, "Số: 01/KH-UBND", "Số: 07/KH-UBND"))
    assert unknown.verdict == "unknown" and "không có văn bản nào số 07/KH-UBND" in unknown.message
    assert verdict(b"not a docx").verdict == "unknown"
    exported = "\n".join(["ỦY BAN NHÂN DÂN", "PHƯỜNG HÒA BÌNH", "Số: 01/KH-UBND",  # its text export
                          "Hòa Bình, ngày 23 tháng 11 năm 2026", "KẾ HOẠCH", "Thực hiện công tác dân vận"])
    assert verdict(exported.encode("utf-8")).document["reference"] == "01/KH-UBND"

    path = tmp_path / "ke-hoach-nhan-duoc.docx"
    path.write_bytes(altered)
    code, out = cli("verify", str(path))
    assert code == 4 and "Không hợp lệ" in out and "đó là văn bản 01/KH-UBND" in out and "Nguyễn Thị Tâm" in out
    code, out = cli("verify", str(path), "--json")
    assert code == 4 and json.loads(out)["document"]["reference"] == "01/KH-UBND"


# --- corrections, replacements, withdrawals ---------------------------------------------------------------

def test_a_correction_is_a_new_cong_van_with_its_own_number_and_the_register_marks_the_old(org, plan_data, now,
                                                                                       tmp_path):
    ids = lifecycle(org, plan_data, now)
    letter_id = correct(org, "01/KH-UBND", now)
    reg = book(org)
    assert [(e.reference, e.status) for e in reg.entries] == [
        ("01/KH-UBND", "corrected"), ("02/UBND", "issued"), ("03/BC-UBND", "issued"), ("04/UBND", "issued")]
    assert reg.entries[0].notes == f"Đã được đính chính bởi Công văn số 04/UBND ngày {now:%d/%m/%Y}"
    assert reg.entries[3].notes == f"Đính chính Kế hoạch số 01/KH-UBND ngày {now:%d/%m/%Y}"
    name, data = stored(org, letter_id)
    text = _docx_text(data)
    assert "V/v đính chính Kế hoạch số 01/KH-UBND" in text
    assert "đã viết: “giảm 0,5%/năm”; nay sửa lại là: “giảm 1%/năm”" in text
    assert "Các nội dung khác của Kế hoạch số 01/KH-UBND" in text
    path = tmp_path / name
    path.write_bytes(data)
    assert format_faults(path, "state") == {}
    assert check(org, data, name).ok
    old = check(org, stored(org, ids["plan_doc"])[1])
    assert old.ok and old.document["status"] == "corrected" and old.document["later"][0]["by"] == "04/UBND"
    with org() as uow:
        assert uow.plans.get(ids["plan"]).state == "distributed"  # a corrected plan goes on
        events = [e for e in uow.audit.events() if e.action == "correct"]
    assert len(events) == 1 and events[0].actor == "hoa.vt" and events[0].data["by_reference"] == "04/UBND"


def test_a_party_correction_is_numbered_as_a_party_cong_van_and_passes_the_format_check(org, plan_data, now, tmp_path):
    add_users(org, now, {"id": "an.du", "name": "Lê Văn An", "roles": {"DU-HB": ["approver"]}})
    plan_id = approved(org, party_plan_data(plan_data), now, drafter="thanh.du", approver="an.du")
    issue(org, plan_id, now, actor="thanh.du", render=render_docx)
    letter_id = correct(org, "01-KH/ĐU", now, actor="thanh.du")
    name, data = stored(org, letter_id)
    assert name.startswith("Công văn 01-CV-ĐU")
    path = tmp_path / name
    path.write_bytes(data)
    assert format_faults(path, "party") == {}


def test_corrections_are_refused_to_a_drafter_and_to_an_empty_or_unchanged_list(org, plan_data, now):
    lifecycle(org, plan_data, now)
    refused("role_required", correct, org, "01/KH-UBND", now, actor="lan.vp")
    refused("unknown_document", correct, org, "09/KH-UBND", now)
    with pytest.raises(Exception) as info:
        parse_corrections([])
    assert info.value.code == "corrections_empty"
    with pytest.raises(Exception) as info:
        parse_corrections([{"at": "Mục I", "was": "a", "now": "a"}])
    assert info.value.code == "correction_same"
    with pytest.raises(Exception) as info:
        parse_corrections([{"at": "Mục I", "was": "a"}])
    assert info.value.code == "correction_fields"
    assert references(book(org)) == ["01/KH-UBND", "02/UBND", "03/BC-UBND"]  # no number drawn


def test_a_withdrawal_needs_a_reason_and_stops_the_plan_being_reported_on(org, plan_data, now):
    ids = lifecycle(org, plan_data, now)
    refused("reason_required", withdraw, org, "01/KH-UBND", now, reason="  ")
    refused("role_required", withdraw, org, "01/KH-UBND", now, actor="minh.mttq")
    withdraw(org, "01/KH-UBND", now)
    entry = book(org).entries[0]
    assert entry.status == "withdrawn" and "Ban hành chưa đúng thẩm quyền" in entry.notes
    with org() as uow:
        assert uow.plans.get(ids["plan"]).state == "withdrawn"
        assert reporting.plans_due_for_period(uow=uow, period_key="2027-Q1") == []
        assert [e.action for e in uow.audit.events()][-2:] == ["withdraw", "withdraw"]
    files = _all_files(org)
    with org() as uow:
        assert audit.verify(uow=uow, read_file=files.get).ok
    refused("document_action_not_allowed", withdraw, org, "01/KH-UBND", now)
    refused("document_action_not_allowed", correct, org, "01/KH-UBND", now)
    result = check(org, stored(org, ids["plan_doc"])[1])
    assert result.ok and result.document["status_name"] == "đã thu hồi"


def test_withdrawing_from_the_command_line_records_the_reason(org, plan_data, now, cli):
    lifecycle(org, plan_data, now)
    code, out = cli("document", "withdraw", "03/BC-UBND", "--as", "hoa.vt")
    assert code == 1 and "lý do" in out
    code, out = cli("document", "withdraw", "03/BC-UBND", "--as", "hoa.vt", "--reason", "Số liệu tổng hợp sai")
    assert code == 0 and "Đã thu hồi văn bản 03/BC-UBND" in out
    code, out = cli("register", "--year", "2026", "--json")
    entries = {e["reference"]: e for e in json.loads(out)["entries"]}
    assert entries["03/BC-UBND"]["status"] == "withdrawn" and entries["01/KH-UBND"]["status"] == "issued"


def test_a_replacement_plan_has_its_own_number_says_what_it_replaces_and_the_old_plan_stops(org, plan_data, now):
    from domain.services import plans

    ids = lifecycle(org, plan_data, now)
    data = copy.deepcopy(plan_data)
    data["title"] = plan_data["title"] + " (thay thế)"
    new_plan = approved(org, data, now)
    with org() as uow:
        refused("role_required", plans.issue_plan, uow=uow, plan_id=new_plan, actor="hoa.vt", now=now,
                render=render_docx, replaces="01/KH-UBND")
    with org() as uow:
        doc_id = plans.issue_plan(uow=uow, plan_id=new_plan, actor="tam.pct", now=now, render=render_docx,
                                  replaces="01/KH-UBND")
    reg = book(org)
    assert [(e.reference, e.status) for e in reg.entries][0] == ("01/KH-UBND", "replaced")
    assert reg.entries[-1].reference == "04/KH-UBND"
    assert reg.entries[-1].notes == f"Thay thế Kế hoạch số 01/KH-UBND ngày {now:%d/%m/%Y}"
    name, data_ = stored(org, doc_id)
    assert f"Kế hoạch này thay thế Kế hoạch số 01/KH-UBND ngày {now:%d/%m/%Y}" in _docx_text(data_)
    assert check(org, data_, name).ok
    with org() as uow:
        assert uow.plans.get(ids["plan"]).state == "replaced"
        assert uow.plans.get(new_plan).state == "issued"


def _docx_text(data: bytes) -> str:
    import io

    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


# --- what the database refuses ---------------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE document_mark SET reason = 'khác'",
    "DELETE FROM document_mark",
    "UPDATE report SET figures = '{}'",
    "DELETE FROM report",
    "UPDATE document_copy SET sha256 = '0'",
    "UPDATE register_counter SET last_number = 1",
    "DELETE FROM register_counter",
    "UPDATE plan SET content = '{}' WHERE document_id IS NOT NULL",
    "DELETE FROM plan WHERE document_id IS NOT NULL",
    "UPDATE reporting_period SET deadline = '2030-01-01'",
])
def test_issued_records_cannot_be_changed_in_the_database(org, plan_data, db_url, now, statement):
    lifecycle(org, plan_data, now)
    withdraw(org, "03/BC-UBND", now)
    with closing(sqlite3.connect(db_path(db_url))) as conn:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(statement)
        conn.rollback()
    files = _all_files(org)
    with org() as uow:
        assert audit.verify(uow=uow, read_file=files.get).ok


def test_a_register_counter_rewound_behind_kehoachs_back_is_named_by_the_audit_check(org, plan_data, db_url, now):
    lifecycle(org, plan_data, now)
    with closing(sqlite3.connect(db_path(db_url))) as conn:
        conn.execute("DROP TRIGGER register_counter_no_rewind")
        conn.execute("UPDATE register_counter SET last_number = 1 WHERE body_id = 'UBND-HB'")
        conn.commit()
    files = _all_files(org)
    with org() as uow:
        verdict = audit.verify(uow=uow, read_file=files.get)
    assert not verdict.ok and "bị lùi số" in verdict.message and "3" in verdict.message


# --- the trail, checked without kehoach --------------------------------------------------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "audit-chain.md"


def _recipe(language: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"```{language}\n") + len(language) + 4
    return text[start:text.index("```", start)]


def _export(cli, tmp_path) -> Path:
    out = tmp_path / "nhat-ky.jsonl"
    code, text = cli("audit", "export", str(out))
    assert code == 0 and "sự kiện" in text
    return out


def test_the_exported_trail_is_checked_by_the_python_recipe_of_the_docs_and_a_tampered_line_fails(
        org, plan_data, now, cli, tmp_path):
    import subprocess
    import sys

    lifecycle(org, plan_data, now)
    withdraw(org, "03/BC-UBND", now)
    out = _export(cli, tmp_path)
    script = tmp_path / "check_chain.py"
    script.write_text(_recipe("python"), encoding="utf-8")
    with org() as uow:
        events = uow.audit.events()
    ok = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"chain intact: {len(events)} events, last hash {events[-1].hash}"
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    assert json.loads(lines[0])["prev_hash"] == "0" * 64
    assert all(json.loads(b)["prev_hash"] == json.loads(a)["hash"] for a, b in zip(lines, lines[1:]))
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("".join(lines).replace('"actor":"tam.pct"', '"actor":"hung.cvp"', 1), encoding="utf-8")
    bad = subprocess.run([sys.executable, str(script), str(tampered)], capture_output=True, text=True)
    assert bad.returncode == 1 and "content does not match its hash" in bad.stderr
    dropped = tmp_path / "dropped.jsonl"
    dropped.write_text("".join(lines[:3] + lines[4:]), encoding="utf-8")
    gap = subprocess.run([sys.executable, str(script), str(dropped)], capture_output=True, text=True)
    assert gap.returncode == 1 and "line 4 " in gap.stderr and "does not follow" in gap.stderr


def test_the_shell_recipe_of_the_docs_agrees_with_sha256sum_and_fails_on_a_tampered_line(
        org, plan_data, now, cli, tmp_path):
    import shutil
    import subprocess

    if not (shutil.which("bash") and shutil.which("sha256sum") and shutil.which("sed")):
        pytest.skip("bash, sed and sha256sum are needed for the shell recipe")
    lifecycle(org, plan_data, now)
    out = _export(cli, tmp_path)
    script = _recipe("bash").replace("nhat-ky.jsonl", '"$1"')
    ok = subprocess.run(["bash", "-c", script, "check", str(out)], capture_output=True, text=True)
    with org() as uow:
        events = uow.audit.events()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip() == f"chain intact: {len(events)} events, last hash {events[-1].hash}"
    text = out.read_text(encoding="utf-8")
    tampered = tmp_path / "tampered.jsonl"
    changed = text.replace('"actor":"lan.vp"', '"actor":"hung.cvp"', 1)
    assert changed != text
    tampered.write_text(changed, encoding="utf-8")
    bad = subprocess.run(["bash", "-c", script, "check", str(tampered)], capture_output=True, text=True)
    assert bad.returncode == 1 and "content does not match its hash" in bad.stdout


def test_a_review_issued_before_its_reports_were_kept_is_listed_and_said_not_to_render_again(org, plan_data, db_url,
                                                                                             now, monkeypatch):
    from domain.services import plans

    def older_register_facts(doc):  # what a register event recorded before it kept the trích yếu and the facts' hash
        data = recorded(doc)
        return {k: v for k, v in data.items() if k not in ("subject", "body", "doc_type", "facts_sha256")}

    recorded = plans.document_facts
    from domain.services import reviews

    for module in (reporting, reviews):
        monkeypatch.setattr(module, "document_facts", older_register_facts)
    ids = lifecycle(org, plan_data, now)
    monkeypatch.undo()
    with closing(sqlite3.connect(db_path(db_url))) as conn:  # as a database from before migration 0006 holds it
        conn.execute("DROP TRIGGER document_no_update")
        conn.execute("UPDATE document SET facts = NULL WHERE id = ?", (ids["review_doc"],))
        conn.commit()
    entry = book(org).entries[2]
    assert entry.reference == "03/BC-UBND" and entry.signer == "Nguyễn Thị Tâm" and entry.archive == "VT, VP"
    result = check(org, stored(org, ids["review_doc"])[1])
    assert result.verdict == "rerender_differs" and "Không dựng lại được văn bản 03/BC-UBND" in result.message


def test_correcting_from_the_command_line_files_the_letter_and_names_its_number(org, plan_data, now, cli, docs_dir):
    lifecycle(org, plan_data, now)
    code, out = cli("document", "correct", "01/KH-UBND", "--as", "hoa.vt")
    assert code == 1 and "Chưa có nội dung đính chính" in out
    code, out = cli("document", "correct", "01/KH-UBND", "--as", "hoa.vt", "--at", "Mục II, chỉ tiêu (4)",
                    "--was", "giảm 0,5%/năm", "--now", "giảm 1%/năm")
    assert code == 0, out
    assert "Đã đính chính 01/KH-UBND bằng Công văn số 04/UBND" in out
    (written,) = [p for p in docs_dir.iterdir() if p.name.startswith("Công văn 04-UBND")]
    code, out = cli("verify", str(written))
    assert code == 0 and "đúng là văn bản 04/UBND" in out


def test_the_correction_letter_is_signed_by_the_original_signer_unless_another_signer_of_the_body_is_named(
        org, plan_data, now, tmp_path):
    lifecycle(org, plan_data, now)
    add_users(org, now, {"id": "binh.ct", "name": "Lê Văn Bình", "roles": {"UBND-HB": ["signer"]}})
    letter_id = correct(org, "01/KH-UBND", now)  # by default, whoever signed the plan
    text = _docx_text(stored(org, letter_id)[1])
    assert "KT. CHỦ TỊCH" in text and "PHÓ CHỦ TỊCH" in text and "Nguyễn Thị Tâm" in text
    with org() as uow:
        assert uow.documents.get(letter_id).signer_id == "tam.pct"

    items = parse_corrections([{"at": "Mục III", "was": "quý I", "now": "quý II"}])
    with org() as uow:
        letter_id = corrections.correct_document(uow=uow, reference="01/KH-UBND", corrections=items, actor="hoa.vt",
                                                 now=now, render=render_docx, signer="binh.ct", title="CHỦ TỊCH",
                                                 capacity=("TM. ỦY BAN NHÂN DÂN",))
    name, data = stored(org, letter_id)
    text = _docx_text(data)
    assert "TM. ỦY BAN NHÂN DÂN" in text and "\nCHỦ TỊCH" in text and "Lê Văn Bình" in text
    assert "Nguyễn Thị Tâm" not in text and "KT. CHỦ TỊCH" not in text
    entry = next(e for e in book(org).entries if e.document_id == letter_id)
    assert entry.signer == "Lê Văn Bình" and entry.signer_capacity == "TM. ỦY BAN NHÂN DÂN, CHỦ TỊCH"
    assert check(org, data, name).ok  # laid out again with its own signer: the same bytes
    path = tmp_path / name
    path.write_bytes(data)
    assert format_faults(path, "state") == {}


def test_a_correction_signer_without_the_signer_role_or_without_a_title_is_refused_and_draws_no_number(
        org, plan_data, now):
    lifecycle(org, plan_data, now)
    add_users(org, now, {"id": "binh.ct", "name": "Lê Văn Bình", "roles": {"UBND-HB": ["signer"]}})
    items = parse_corrections(ITEMS)

    def attempt(**signing):
        with org() as uow:
            corrections.correct_document(uow=uow, reference="01/KH-UBND", corrections=items, actor="hoa.vt", now=now,
                                         render=render_docx, **signing)

    error = refused("correction_signer_no_role", attempt, signer="hung.cvp")
    assert "hung.cvp" in str(error) and "tam.pct (Nguyễn Thị Tâm)" in str(error) and "binh.ct" in str(error)
    refused("correction_signer_no_role", attempt, signer="hoa.vt", title="CHÁNH VĂN PHÒNG")
    refused("unknown_user", attempt, signer="khong.co")
    error = refused("correction_signer_title", attempt, signer="binh.ct")
    assert "--title" in str(error) and "Nguyễn Thị Tâm" in str(error)
    assert references(book(org)) == ["01/KH-UBND", "02/UBND", "03/BC-UBND"]  # no number drawn
    with org() as uow:
        assert not [e for e in uow.audit.events() if e.action == "correct"]


def test_correcting_from_the_command_line_with_another_signer_names_the_refusal_or_files_the_letter(
        org, plan_data, now, cli, docs_dir):
    lifecycle(org, plan_data, now)
    add_users(org, now, {"id": "binh.ct", "name": "Lê Văn Bình", "roles": {"UBND-HB": ["signer"]}})
    args = ("document", "correct", "01/KH-UBND", "--as", "hoa.vt", "--at", "Mục II, chỉ tiêu (4)", "--was",
            "giảm 0,5%/năm", "--now", "giảm 1%/năm")
    code, out = cli(*args, "--signer", "lan.vp")
    assert code == 1 and "«lan.vp» không có vai trò «ký ban hành» tại Ủy ban nhân dân phường Hòa Bình" in out
    code, out = cli(*args, "--signer", "binh.ct")
    assert code == 1 and "--title" in out
    code, out = cli(*args, "--signer", "binh.ct", "--title", "CHỦ TỊCH", "--capacity", "TM. ỦY BAN NHÂN DÂN")
    assert code == 0 and "Công văn số 04/UBND" in out, out
    (written,) = [p for p in docs_dir.iterdir() if p.name.startswith("Công văn 04-UBND")]
    assert "Lê Văn Bình" in _docx_text(written.read_bytes())
    code, out = cli("document", "correct", "01/KH-UBND", "--replace-with", "9", "--signer", "binh.ct", "--as",
                    "tam.pct")
    assert code == 2 and "không dùng cùng --signer" in out


def test_an_issued_file_altered_on_disk_is_never_overwritten_and_stays_named_by_the_audit_check(
        org, plan_data, now, cli, docs_dir):
    from domain.adapters import files

    ids = lifecycle(org, plan_data, now)
    name, original = stored(org, ids["plan_doc"])
    files.write_files(docs_dir, [(name, original)])
    (docs_dir / name).write_bytes(original + b"sua")
    code, out = cli("document", "correct", "01/KH-UBND", "--as", "hoa.vt", "--at", "Mục II, chỉ tiêu (4)",
                    "--was", "giảm 0,5%/năm", "--now", "giảm 1%/năm")
    assert code == 4 and "Đã đính chính 01/KH-UBND bằng Công văn số 04/UBND" in out
    assert "Công văn đính chính 04/UBND ĐÃ được vào sổ và gửi tới các nơi nhận" in out
    assert "không phải đính chính lại" in out and "kehoach documents write --plan 1" in out
    assert "KHÔNG ghi đè 1 tệp" in out and name in out and hashlib.sha256(original).hexdigest() in out
    assert "04/UBND" in references(book(org))  # recorded: correcting again would draw another number
    assert (docs_dir / name).read_bytes() == original + b"sua"  # the evidence is kept
    assert [p for p in docs_dir.iterdir() if p.name.startswith("Công văn 04-UBND")]  # the others are written
    code, out = cli("audit", "verify")
    assert code == 2 and name in out and "tệp trên đĩa không khớp SHA-256" in out
    (docs_dir / name).unlink()  # put aside: the next write puts the issued file back
    assert files.write_files(docs_dir, [(name, original)]) == [docs_dir / name]
    assert (docs_dir / name).read_bytes() == original


def test_the_archive_folder_is_written_again_from_the_database_without_overwriting_an_altered_file(
        org, plan_data, now, docs_dir):
    from domain.adapters import files

    ids = lifecycle(org, plan_data, now)
    with org() as uow:
        everything = reporting.archive_files(uow=uow)
        assert reporting.archive_files(uow=uow, plan_id=ids["plan"]) == everything  # one plan here
        assert {d.file_name for d in uow.documents.all()} | {c.file_name for c in uow.document_copies.all()} == {
            name for name, _ in everything}
    assert len(everything) == 9  # the plan, the request and its six copies, the sơ kết report
    assert len(files.write_files(docs_dir, everything)) == 9
    assert files.write_files(docs_dir, everything) == []  # identical files are left alone

    (lost, lost_bytes), (altered, altered_bytes) = everything[0], everything[-1]
    (docs_dir / lost).unlink()
    (docs_dir / altered).write_bytes(altered_bytes + b"sua")
    with pytest.raises(DomainError) as refused:
        files.write_files(docs_dir, everything)
    said = str(refused.value)
    assert refused.value.code == "archive_file_differs"
    assert "đã ghi 1 tệp, 7 tệp đã có sẵn đúng nội dung; KHÔNG ghi đè 1 tệp" in said
    assert f"«{altered}» (SHA-256 của bản đã ban hành: {hashlib.sha256(altered_bytes).hexdigest()})" in said
    assert lost not in said and "kehoach documents write" in said
    assert (docs_dir / lost).read_bytes() == lost_bytes  # the others are written all the same
    assert (docs_dir / altered).read_bytes() == altered_bytes + b"sua"  # the evidence is kept


def test_writing_the_archive_of_a_plan_that_does_not_exist_is_refused(org):
    with org() as uow, pytest.raises(DomainError) as refused:
        reporting.archive_files(uow=uow, plan_id=99)
    assert "Không có kế hoạch «99»" in str(refused.value)


def test_an_issue_date_that_is_not_a_date_is_refused_before_anything_runs(org, plan_data, now, cli):
    plan_id = approved(org, plan_data, now)
    code, out = cli("plan", "issue", str(plan_id), "--as", "tam.pct", "--date", "31/02/2026")
    assert code == 2 and "không phải là ngày hợp lệ" in out
    assert references(book(org)) == []
