"""A unit reports by returning its own form filled in Word: the real renderer builds the copy it
received, python-docx types into it the way a person does, the real reader and services (SQLite)
read it back, check it and keep each correction as a new version."""
from __future__ import annotations

import copy
import io
import shutil
import sqlite3
import subprocess
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from domain.adapters.docx_read import read_filled_form
from domain.adapters.docx_render import render_docx
from domain.adapters.report_files import read_report_file
from domain.messages import DomainError
from domain.model.plan import Target
from domain.model.report_form import (FilledForm, FormIdentity, FormRow, check_report, figure_value, read_checked,
                                      read_form)
from domain.services import reports
from tests.test_services import db_path, distributed_plan, open_q4, submit

MTTQ_TARGETS = ("CT2", "CT3", "CT1")  # as its form lists them: by task, then by the task's targets
MTTQ_TASKS = ("1.1", "2.1", "3.1")


# --- a person filling the form ----------------------------------------------------------------

def type_into(cell, text: str) -> None:
    """Type `text` into a table cell as Word keeps it: a line break (Enter) starts a new paragraph."""
    first, *rest = text.split("\n")
    cell.paragraphs[0].add_run(first)
    for line in rest:
        cell.add_paragraph(line)


def form_tables(document) -> dict[str, object]:
    """{"targets": table, "tasks": table} of a unit's copy."""
    found = {}
    for table in document.tables:
        header = [c.text for c in table.rows[0].cells]
        if "Mã chỉ tiêu" in header:
            found["targets"] = table
        elif "Mã nhiệm vụ" in header:
            found["tasks"] = table
    return found


def fill(data: bytes, path: Path, *, targets: dict | None = None, tasks: dict | None = None,
         added: list[tuple[str, ...]] = (), code: dict | None = None, forget_identity: bool = False) -> Path:
    """The copy `data` filled in: targets {code: (result, note)}, tasks {ref: (result, issues)},
    rows `added` at the end of the targets table, codes changed {old: new}; saved to `path`."""
    document = Document(io.BytesIO(data))
    tables = form_tables(document)
    for key, values in (("targets", targets or {}), ("tasks", tasks or {})):
        for row in tables[key].rows[1:]:
            cells = row.cells
            if cells[1].text in (code or {}):
                cells[1].paragraphs[0].runs[0].text = code[cells[1].text]
            if cells[1].text in values:
                result, note = values[cells[1].text]
                type_into(cells[4], result)
                type_into(cells[5], note)
    for values in added:
        cells = tables["targets"].add_row().cells
        for cell, value in zip(cells, values):
            type_into(cell, value)
    if forget_identity:
        for paragraph in document.paragraphs:
            if paragraph.text.startswith("(Kèm theo"):
                paragraph.text = "(Kèm theo Công văn đề nghị báo cáo)"
        rels = document.part.package.rels  # the custom properties part goes with its relationship
        for rid, rel in list(rels.items()):
            if rel.reltype.endswith("/custom-properties"):
                rels.pop(rid)
    document.save(path)
    return path


def copy_for(uow_factory, plan_id: int, unit: str) -> bytes:
    with uow_factory() as uow:
        return next(c.content for c in uow.document_copies.for_plan(plan_id) if c.recipient_id == unit)


@pytest.fixture
def plan(org, plan_data, now) -> int:
    """Plan #1 distributed, quý IV/2026 open, each unit's copy rendered for real."""
    plan_id = distributed_plan(org, plan_data, now, render=render_docx)
    open_q4(org, plan_id, now, render=render_docx)
    return plan_id


def send(uow_factory, plan_id: int, path: Path, actor: str, now, unit=None, period=None) -> dict:
    report, source = read_report_file(path)
    with uow_factory() as uow:
        return reports.submit_report_file(uow=uow, plan_id=plan_id, report=report, source=source, actor=actor,
                                          now=now, unit=unit, period_key=period)


def stored(uow_factory, unit: str) -> list:
    with uow_factory() as uow:
        rows = [r for p in uow.periods.for_plan(1) for r in uow.reports.for_period(p.id) if r.unit_id == unit]
        return [(r.version, dict(r.figures), r.note, dict(r.texts or {}), dict(r.source or {})) for r in rows]


def trail(uow_factory) -> int:
    with uow_factory() as uow:
        return len(uow.audit.events())


def refused_and_nothing_written(code: str, uow_factory, *args, **kwargs) -> DomainError:
    before = (trail(uow_factory), [stored(uow_factory, u) for u in ("MTTQ-HB", "VHXH-HB")])
    with pytest.raises(DomainError) as info:
        send(uow_factory, *args, **kwargs)
    assert info.value.code == code, str(info.value)
    assert (trail(uow_factory), [stored(uow_factory, u) for u in ("MTTQ-HB", "VHXH-HB")]) == before
    return info.value


# --- read back as typed --------------------------------------------------------------------------

def test_a_form_filled_in_word_is_read_back_with_its_figures_and_texts(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "Báo cáo MTTQ quý IV.docx",
                targets={"CT2": ("  100 % ", "Đã trả lời 12/12 kiến nghị"), "CT3": ("95,5", ""),
                         "CT1": (" 01 ", "Mô hình «Dân vận khéo»\ntổ dân phố số 5")},
                tasks={"1.1": ("Tổ chức 03 hội nghị\nphát 500 tờ rơi", ""), "2.1": ("", "Thiếu kinh phí")})
    done = send(org, plan, path, "minh.mttq", now)
    assert (done["unit"], done["period"], done["version"], done["tasks"]) == ("MTTQ-HB", "2026-Q4", 1, 2)
    assert [(f["target"], f["value"], f["unit"]) for f in done["figures"]] == [
        ("CT2", 100.0, "%"), ("CT3", 95.5, "%"), ("CT1", 1.0, "mô hình")]
    ((version, figures, note, texts, source),) = stored(org, "MTTQ-HB")
    assert figures == {"CT2": 100.0, "CT3": 95.5, "CT1": 1.0}
    assert texts == {"targets": {"CT2": "Đã trả lời 12/12 kiến nghị", "CT1": "Mô hình «Dân vận khéo»\ntổ dân phố số 5"},
                     "tasks": {"1.1": {"result": "Tổ chức 03 hội nghị\nphát 500 tờ rơi"},
                               "2.1": {"issues": "Thiếu kinh phí"}}}
    assert source["file"] == "Báo cáo MTTQ quý IV.docx" and len(source["sha256"]) == 64


def test_the_form_names_its_plan_unit_and_period_in_its_note_and_in_its_custom_properties(org, plan, tmp_path):
    path = tmp_path / "form.docx"
    path.write_bytes(copy_for(org, plan, "VHXH-HB"))
    document = Document(str(path))
    notes = [p.text for p in document.paragraphs if p.text.startswith("(Kèm theo")]
    assert notes and all("mã kế hoạch: 1 (Kế hoạch số 01/KH-UBND), mã đơn vị: VHXH-HB, mã kỳ: 2026-Q4" in n
                         for n in notes)
    identity = read_filled_form(path).identity
    assert identity == FormIdentity(plan=1, plan_reference="01/KH-UBND", letter="02/UBND", unit="VHXH-HB",
                                    period="2026-Q4")
    assert read_form([], {"kehoach.plan": "1", "kehoach.unit": "VHXH-HB", "kehoach.period": "2026-Q4"}
                     ).identity == FormIdentity(plan=1, unit="VHXH-HB", period="2026-Q4")


CT_PERCENT = Target("CT5", "Tỷ lệ lao động qua đào tạo đạt 55%.", 55, "%")
CT_MODELS = Target("CT1", "Ít nhất 01 mô hình.", 1, "mô hình")
CT_MONEY = Target("CT9", "Huy động quỹ.", 100, "triệu đồng")


@pytest.mark.parametrize("typed, target, value", [
    ("55", CT_PERCENT, 55.0), ("55 %", CT_PERCENT, 55.0), ("55%", CT_PERCENT, 55.0), (" 55\u00a0% ", CT_PERCENT, 55.0),
    ("0,5", CT_PERCENT, 0.5), ("12,75", CT_PERCENT, 12.75), ("55.", CT_PERCENT, 55.0), ("55\n%", CT_PERCENT, 55.0),
    ("01", CT_MODELS, 1.0), ("02 mô hình", CT_MODELS, 2.0), ("1.200", CT_MODELS, 1200.0), ("1 200", CT_MODELS, 1200.0),
    ("1.250,5", CT_MONEY, 1250.5), ("12,5 triệu đồng", CT_MONEY, 12.5),
])
def test_figures_typed_the_way_vietnamese_write_them_are_read_as_numbers(typed, target, value):
    assert figure_value(typed, target) == value


@pytest.mark.parametrize("typed", ["khoảng 50", "50-60", "55%", "nhiều", "1e3", "nan"])
def test_text_that_is_not_a_figure_is_not_read_as_one(typed):
    assert figure_value(typed, CT_MODELS) is None


CT_PEOPLE = Target("CT7", "Số người tham gia.", 1000, "người")
CT_HOUSEHOLDS = Target("CT8", "Số hộ thoát nghèo.", 10, "hộ")


@pytest.mark.parametrize("typed, target", [("1,200", CT_MODELS), ("1,200 mô hình", CT_MODELS), ("12,500", CT_PEOPLE),
                                           ("2,000", CT_HOUSEHOLDS)])
def test_a_count_with_a_comma_before_three_digits_is_refused_as_ambiguous_asking_for_either_spelling(typed, target):
    with pytest.raises(DomainError) as caught:
        read_checked(typed, target, where="Biểu mẫu số 01, dòng 1")
    assert caught.value.code == "figure_ambiguous_grouping"
    digits = typed.split(" ")[0]
    whole, decimal = digits.replace(",", ""), f"{float(digits.replace(',', '.')):g}"
    text = str(caught.value)
    assert text.startswith(f"Biểu mẫu số 01, dòng 1: «{digits}» có thể hiểu hai cách: {whole} {target.unit}")
    assert f"Hãy ghi {whole} (hoặc {digits.replace(',', '.')}) nếu là {whole} {target.unit}" in text
    assert f"hoặc ghi {decimal.replace('.', ',')} nếu ý là" in text


@pytest.mark.parametrize("target", [CT_PEOPLE, CT_PERCENT, CT_MONEY])
def test_thousands_grouped_by_commas_the_english_way_are_refused_asking_for_the_vietnamese_spelling(target):
    with pytest.raises(DomainError) as caught:
        read_checked("1,000,000", target, where="ô")
    assert caught.value.code == "figure_comma_grouping"
    assert "Hãy ghi 1000000 hoặc 1.000.000" in str(caught.value)


@pytest.mark.parametrize("typed, target, value, spelled", [
    ("1.5", CT_PERCENT, 1.5, "dot_decimal"), ("1.5 %", CT_PERCENT, 1.5, "dot_decimal"),
    ("12.75", CT_MONEY, 12.75, "dot_decimal"), ("1,200", CT_PERCENT, 1.2, "comma_groups"),
    ("1,5", CT_PERCENT, 1.5, None), ("1.200", CT_MODELS, 1200.0, None), ("1.250,5", CT_MONEY, 1250.5, None),
    ("0,500", CT_PERCENT, 0.5, None), ("55.", CT_PERCENT, 55.0, None), ("02 mô hình", CT_MODELS, 2.0, None),
])
def test_a_figure_that_reads_two_ways_is_read_the_vietnamese_way_and_marked_for_the_read_back(typed, target, value,
                                                                                               spelled):
    read, how = read_checked(typed, target, where="ô")
    assert read == value
    assert (how or {}).get("spelling") == spelled


def test_a_form_with_1_200_models_is_refused_naming_the_cell_and_nothing_is_recorded(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT1": ("1,200", "")})
    error = refused_and_nothing_written("figure_ambiguous_grouping", org, plan, path, "minh.mttq", now)
    assert str(error).startswith("Biểu mẫu số 01, dòng 3 (chỉ tiêu CT1), cột «Kết quả kỳ này»: «1,200» có thể hiểu")
    assert "Hãy ghi 1200 (hoặc 1.200) nếu là 1200 mô hình, hoặc ghi 1,2 nếu ý là 1,2." in str(error)


def test_the_read_back_flags_1_5_written_with_a_dot_for_a_percentage_and_records_1_5(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("1.5", ""), "CT3": ("90", "")})
    done = send(org, plan, path, "minh.mttq", now)
    checks = {f["target"]: f["check"] for f in done["figures"]}
    assert checks["CT3"] == ""
    assert checks["CT2"] == ("    Lưu ý: đã ghi «1.5» với dấu chấm, được hiểu là 1,5% (dấu chấm được coi là dấu thập phân "
                             "vì không ngăn cách hàng nghìn). Nếu không đúng, hãy sửa và gửi lại; bản gửi lại là phiên "
                             "bản mới.")
    assert stored(org, "MTTQ-HB")[0][1] == {"CT2": 1.5, "CT3": 90.0}


def test_a_structured_file_is_held_to_the_same_spelling_rules(org, plan, now, tmp_path):
    (tmp_path / "r.yaml").write_text("unit: MTTQ-HB\nfigures: {CT1: '1,200'}\n", encoding="utf-8")
    error = refused_and_nothing_written("figure_ambiguous_grouping", org, plan, tmp_path / "r.yaml", "minh.mttq", now)
    assert str(error).startswith("Chỉ tiêu «CT1» (mục figures): «1,200» có thể hiểu hai cách")
    (tmp_path / "r.yaml").write_text("unit: MTTQ-HB\nfigures: {CT2: '1,200', CT3: 1.5}\n", encoding="utf-8")
    done = send(org, plan, tmp_path / "r.yaml", "minh.mttq", now)
    checks = {f["target"]: f["check"] for f in done["figures"]}
    assert "đã ghi «1,200», được hiểu là 1,2% theo cách viết của Việt Nam" in checks["CT2"]
    assert "Nếu ý là 1200, hãy sửa thành 1200" in checks["CT2"]
    assert checks["CT3"] == ""  # a YAML number is a number: nothing to read two ways


def test_a_dash_or_an_empty_cell_means_not_reported_and_the_row_is_left_out(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx",
                targets={"CT2": ("90", ""), "CT3": (" - ", ""), "CT1": ("", "")})
    send(org, plan, path, "minh.mttq", now)
    assert stored(org, "MTTQ-HB")[0][1] == {"CT2": 90.0}


def test_a_row_the_person_added_with_text_only_is_kept_with_the_report(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("100", "")},
                added=[("4", "", "Vận động 15 hộ hiến đất mở đường", "", "", "Ngoài kế hoạch"),
                       ("5", "", "Tặng 20 suất quà", "", "", ""), ("6", "", "", "", "", "")])
    send(org, plan, path, "minh.mttq", now)
    assert stored(org, "MTTQ-HB")[0][3]["other"] == ["Vận động 15 hộ hiến đất mở đường — Ngoài kế hoạch",
                                                     "Tặng 20 suất quà"]


def test_tracked_insertions_are_read_and_tracked_deletions_are_not(org, plan, now, tmp_path):
    document = Document(io.BytesIO(copy_for(org, plan, "MTTQ-HB")))
    cell = form_tables(document)["targets"].rows[1].cells[4]  # CT2
    paragraph = cell.paragraphs[0]._p
    for tag, text in (("w:del", "80"), ("w:ins", "85")):
        change = OxmlElement(tag)
        change.set(qn("w:id"), "1" if tag == "w:del" else "2")
        change.set(qn("w:author"), "Minh")
        run = OxmlElement("w:r")
        t = OxmlElement("w:delText" if tag == "w:del" else "w:t")
        t.text = text
        run.append(t)
        change.append(run)
        paragraph.append(change)
    path = tmp_path / "tracked.docx"
    document.save(path)
    send(org, plan, path, "minh.mttq", now)
    assert stored(org, "MTTQ-HB")[0][1] == {"CT2": 85.0}


def test_a_figure_word_split_into_runs_with_proofing_marks_is_read_whole(org, plan, now, tmp_path):
    document = Document(io.BytesIO(copy_for(org, plan, "MTTQ-HB")))
    paragraph = form_tables(document)["targets"].rows[1].cells[4].paragraphs[0]  # CT2
    paragraph._p.append(OxmlElement("w:proofErr"))
    for text in ("9", "7", ",5 ", "%"):
        paragraph.add_run(text)
    bookmark = OxmlElement("w:bookmarkStart")
    bookmark.set(qn("w:id"), "0")
    bookmark.set(qn("w:name"), "_GoBack")
    paragraph._p.insert(1, bookmark)
    path = tmp_path / "runs.docx"
    document.save(path)
    send(org, plan, path, "minh.mttq", now)
    assert stored(org, "MTTQ-HB")[0][1] == {"CT2": 97.5}


def test_a_party_committees_form_is_recognised_by_its_party_style_numbers(org, plan_data, now, tmp_path):
    from tests.test_report_requests import party_distributed_plan

    plan_id = party_distributed_plan(org, plan_data, now, render=render_docx)
    open_q4(org, plan_id, now, actor="thanh.du", render=render_docx)
    path = fill(copy_for(org, plan_id, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("100", "")})
    identity = read_filled_form(path).identity
    with org() as uow:
        letter = next(d for d in uow.documents.for_plan(plan_id) if d.kind == "report_request")
        assert (identity.plan, identity.plan_reference, identity.letter) == (plan_id, "01-KH/ĐU", letter.reference)
    assert send(org, plan_id, path, "minh.mttq", now)["version"] == 1


def test_a_form_table_split_in_two_in_word_is_read_as_one(org, plan, now, tmp_path):
    document = Document(io.BytesIO(copy_for(org, plan, "MTTQ-HB")))
    table = form_tables(document)["targets"]
    type_into(table.rows[1].cells[4], "100")
    type_into(table.rows[3].cells[4], "2")  # CT1, on the part split off below
    rest = copy.deepcopy(table._tbl)  # Word's "Split Table" before the third row: an empty paragraph between
    for tr in rest.findall(qn("w:tr"))[:3]:
        rest.remove(tr)
    for tr in table._tbl.findall(qn("w:tr"))[3:]:
        table._tbl.remove(tr)
    gap = OxmlElement("w:p")
    table._tbl.addnext(gap)
    gap.addnext(rest)
    path = tmp_path / "split.docx"
    document.save(path)
    send(org, plan, path, "minh.mttq", now)
    assert stored(org, "MTTQ-HB")[0][1] == {"CT2": 100.0, "CT1": 2.0}
    rows = read_filled_form(path).targets
    assert [(r.table, r.row, r.code) for r in rows] == [("Biểu mẫu số 01", 1, "CT2"), ("Biểu mẫu số 01", 2, "CT3"),
                                                        ("Biểu mẫu số 01", 3, "CT1")]


# --- refused, each with its cell and what to do, nothing written ----------------------------------

def test_a_figure_that_is_not_a_number_is_refused_naming_its_cell(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT3": ("khoảng 90", "")})
    error = refused_and_nothing_written("form_figure_not_number", org, plan, path, "minh.mttq", now)
    assert str(error).startswith("Biểu mẫu số 01, dòng 2 (chỉ tiêu CT3), cột «Kết quả kỳ này»: «khoảng 90» "
                                 "không phải là số. Hãy ghi một số")


def test_a_percentage_above_100_is_refused_as_implausible(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("1.200", "")})
    error = refused_and_nothing_written("figure_percent_range", org, plan, path, "minh.mttq", now)
    assert "(chỉ tiêu CT2)" in str(error) and "1200%" in str(error) and "từ 0 đến 100" in str(error)


def test_a_negative_count_is_refused(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT1": ("-1", "")})
    error = refused_and_nothing_written("figure_negative_count", org, plan, path, "minh.mttq", now)
    assert "dòng 3 (chỉ tiêu CT1)" in str(error) and "số mô hình không thể âm" in str(error)


def test_a_fractional_count_of_models_is_refused(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT1": ("0,5", "")})
    error = refused_and_nothing_written("figure_fractional_count", org, plan, path, "minh.mttq", now)
    assert "số mô hình phải là số nguyên, không thể là 0,5" in str(error)


def test_a_figure_on_a_row_added_without_a_code_is_refused(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("100", "")},
                added=[("4", "", "Số hộ hiến đất", "", "15", "")])
    error = refused_and_nothing_written("form_figure_without_code", org, plan, path, "minh.mttq", now)
    assert "Biểu mẫu số 01, dòng 4" in str(error) and "cột «Mã chỉ tiêu»" in str(error)


def test_a_form_of_another_plan_is_refused_as_the_wrong_form(org, plan, plan_data, now, tmp_path):
    other = distributed_plan(org, plan_data, now, render=render_docx)
    open_q4(org, other, now, render=render_docx)
    path = fill(copy_for(org, other, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("100", "")})
    error = refused_and_nothing_written("wrong_form_plan", org, plan, path, "minh.mttq", now)
    assert "kế hoạch #2" in str(error) and "không phải kế hoạch #1 (01/KH-UBND)" in str(error)
    assert send(org, other, path, "minh.mttq", now)["version"] == 1  # where it belongs


def test_a_form_of_another_unit_is_refused_as_the_wrong_form(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "VHXH-HB"), tmp_path / "f.docx", targets={"CT5": ("56", "")})
    error = refused_and_nothing_written("wrong_form_unit", org, plan, path, "minh.mttq", now, unit="MTTQ-HB")
    assert "lập cho đơn vị «VHXH-HB», không phải «MTTQ-HB»" in str(error)


def test_a_form_of_another_period_is_refused_as_the_wrong_form(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("100", "")})
    error = refused_and_nothing_written("wrong_form_period", org, plan, path, "minh.mttq", now, period="2027-Q1")
    assert "kỳ «2026-Q4», không phải kỳ «2027-Q1»" in str(error)


def test_a_target_the_unit_was_not_assigned_is_refused(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", code={"CT3": "CT5"},
                targets={"CT5": ("60", "")})
    error = refused_and_nothing_written("form_target_not_for_unit", org, plan, path, "minh.mttq", now)
    assert str(error).startswith("Biểu mẫu số 01, dòng 2: chỉ tiêu «CT5» không được giao cho đơn vị «MTTQ-HB»")
    assert "CT2, CT3, CT1" in str(error)


def test_a_task_the_unit_was_not_assigned_is_refused(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", code={"2.1": "1.2"},
                tasks={"1.2": ("Đã tổ chức", "")})
    error = refused_and_nothing_written("form_task_not_for_unit", org, plan, path, "minh.mttq", now)
    assert "Biểu mẫu số 02, dòng 2: nhiệm vụ «1.2» không được giao" in str(error)


def test_a_report_for_a_closed_period_is_refused(org, plan, now, tmp_path):
    submit(org, plan, "VHXH-HB", {"CT5": 56}, "ha.vhxh", now)
    from tests.test_review_lifecycle import approved, sign

    sign(org, approved(org, plan, now, final=True), now)  # the tổng kết, issued, closes the period
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("100", "")})
    error = refused_and_nothing_written("period_closed", org, plan, path, "minh.mttq", now)
    assert "Quý IV/2026" in str(error) and "đã khóa sổ" in str(error)


def test_the_same_report_sent_twice_is_refused_as_already_recorded(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("100", "")})
    send(org, plan, path, "minh.mttq", now)
    error = refused_and_nothing_written("report_duplicate", org, plan, path, "minh.mttq", now)
    assert "đã được ghi nhận (phiên bản 1, lúc 09:30 ngày 23/11/2026)" in str(error)


def test_a_form_with_nothing_filled_in_is_refused(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx")
    refused_and_nothing_written("form_empty", org, plan, path, "minh.mttq", now)


def test_a_form_that_lost_its_identity_needs_the_unit_named(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("100", "")},
                forget_identity=True)
    assert not read_filled_form(path).identity.known()
    refused_and_nothing_written("form_unidentified", org, plan, path, "minh.mttq", now)
    assert send(org, plan, path, "minh.mttq", now, unit="MTTQ-HB")["version"] == 1


def test_a_word_file_without_a_form_table_is_refused(org, plan, now, tmp_path):
    path = tmp_path / "ke-hoach.docx"
    with org() as uow:
        path.write_bytes(uow.documents.get(uow.plans.get(plan).document_id).content)  # the plan itself
    error = refused_and_nothing_written("not_a_report_form", org, plan, path, "minh.mttq", now)
    assert "ke-hoach.docx" in str(error) and "«Mã chỉ tiêu»" in str(error)


def test_a_spreadsheet_is_refused_asking_for_the_docx_form(org, plan, now, tmp_path):
    path = tmp_path / "bao-cao.xlsx"
    path.write_bytes(b"PK")
    error = refused_and_nothing_written("report_file_format", org, plan, path, "minh.mttq", now)
    assert "«.xlsx»" in str(error)


def test_a_unit_cannot_send_another_units_form_as_its_own_reporter(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "VHXH-HB"), tmp_path / "f.docx", targets={"CT5": ("56", "")})
    error = refused_and_nothing_written("report_not_entitled", org, plan, path, "minh.mttq", now)
    assert str(error).startswith("Người dùng «minh.mttq» không được gửi báo cáo của Bộ phận Văn hóa - Xã hội phường")
    assert "văn thư, người soạn thảo của Ủy ban nhân dân phường Hòa Bình hoặc Văn phòng HĐND và UBND phường" in str(error)


# --- recorded by the office on a unit's behalf ------------------------------------------------------

def test_an_office_clerk_records_a_form_that_came_by_email_for_the_unit_named_in_it(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "MTTQ gửi qua thư.docx",
                targets={"CT2": ("90", "")}, tasks={"1.1": ("Đã tổ chức hội nghị", "")})
    done = send(org, plan, path, "hoa.vt", now)  # văn thư of UBND-HB, no role at MTTQ-HB
    assert (done["unit"], done["version"], done["on_behalf"]) == ("MTTQ-HB", 1, True)
    ((version, figures, _, _, source),) = stored(org, "MTTQ-HB")
    assert (version, figures, source["file"], source["recorded_on_behalf"]) == (1, {"CT2": 90.0},
                                                                               "MTTQ gửi qua thư.docx", True)
    with org() as uow:
        (event,) = [e for e in uow.audit.events(plan) if e.action in ("submit_report", "record_report")]
        assert (event.actor, event.action, event.data["unit"], event.data["on_behalf_of"], event.data["recorded_by"]) \
            == ("hoa.vt", "record_report", "MTTQ-HB", "MTTQ-HB", "hoa.vt")
        assert uow.reports.latest(uow.periods.get(plan, "2026-Q4").id)["MTTQ-HB"].submitted_by == "hoa.vt"


def test_a_drafter_of_the_issuing_body_records_a_paper_report_typed_into_a_structured_file(org, plan, now, tmp_path):
    (tmp_path / "giay.yaml").write_text("unit: HLHPN-HB\nfigures: {CT2: 100}\n", encoding="utf-8")
    done = send(org, plan, tmp_path / "giay.yaml", "lan.vp", now)
    assert (done["unit"], done["on_behalf"]) == ("HLHPN-HB", True)
    assert stored(org, "HLHPN-HB")[0][1] == {"CT2": 100.0}


def test_a_clerk_of_an_advisory_body_of_the_plan_may_record_a_units_report(org, plan, now, tmp_path):
    with org() as uow:  # VP-HB advises every task of the example plan
        uow.users.replace_grants("hoa.vt", [("VP-HB", "clerk")])
        uow.commit()
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("90", "")})
    assert send(org, plan, path, "hoa.vt", now)["on_behalf"] is True


def test_the_units_own_reporter_still_sends_its_report_itself(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("90", "")})
    assert send(org, plan, path, "minh.mttq", now)["on_behalf"] is False
    with org() as uow:
        assert [e.action for e in uow.audit.events(plan) if "report" in e.action] == ["submit_report"]


def test_the_signer_or_approver_of_the_issuing_body_may_not_record_a_units_report(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("90", "")})
    for user in ("tam.pct", "hung.cvp"):
        error = refused_and_nothing_written("report_not_entitled", org, plan, path, user, now)
        assert f"«{user}»" in str(error) and "ghi nhận thay" in str(error)


def test_report_show_and_audit_show_say_the_report_was_recorded_on_the_units_behalf(cli, org, plan, now, tmp_path):
    send(org, plan, fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("90", "")}),
         "hoa.vt", now)
    code, out = cli("report", "show", "1", "--unit", "MTTQ-HB")
    assert code == 0, out
    assert "người gửi: hoa.vt (văn thư, người soạn thảo ghi nhận thay đơn vị)" in out
    code, out = cli("audit", "show", "1")
    assert code == 0, out
    assert "│ hoa.vt │ ghi nhận báo cáo thay đơn vị │" in out and "unit=MTTQ-HB; on_behalf_of=MTTQ-HB" in out
    code, out = cli("report", "list", "1")
    assert code == 0 and "hoa.vt (ghi nhận thay)" in out


def test_the_code_of_a_row_copied_twice_is_refused(org, plan, now, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("100", "")},
                added=[("4", "CT2", "", "", "90", "")])
    error = refused_and_nothing_written("form_code_twice", org, plan, path, "minh.mttq", now)
    assert "(Biểu mẫu số 01, dòng 1 và Biểu mẫu số 01, dòng 4)" in str(error)


# --- versions -------------------------------------------------------------------------------------

def test_a_corrected_form_is_a_new_version_and_the_roll_up_counts_the_latest(org, plan, now, tmp_path):
    data = copy_for(org, plan, "MTTQ-HB")
    send(org, plan, fill(data, tmp_path / "v1.docx", targets={"CT2": ("80", ""), "CT3": ("90", "")}),
         "minh.mttq", now)
    done = send(org, plan, fill(data, tmp_path / "v2.docx", targets={"CT2": ("95", "Sửa số liệu"), "CT3": ("90", "")}),
                "minh.mttq", now)
    assert done["version"] == 2
    versions = stored(org, "MTTQ-HB")
    assert [(v, f) for v, f, *_ in versions] == [(1, {"CT2": 80.0, "CT3": 90.0}), (2, {"CT2": 95.0, "CT3": 90.0})]
    assert [s["file"] for *_, s in versions] == ["v1.docx", "v2.docx"]
    with org() as uow:
        events = [e for e in uow.audit.events(plan) if e.action == "submit_report"]
        assert [(e.data["version"], e.data["source"]["file"]) for e in events] == [(1, "v1.docx"), (2, "v2.docx")]
        assert uow.reports.latest(uow.periods.get(plan, "2026-Q4").id)["MTTQ-HB"].figures["CT2"] == 95.0
    listed = [(r["unit"], r["version"], r["latest"]) for r in list_for(org, plan)]
    assert listed == [("MTTQ-HB", 1, False), ("MTTQ-HB", 2, True)]


def test_a_stored_report_version_cannot_be_changed_or_deleted(org, plan, now, tmp_path, db_url):
    send(org, plan, fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "f.docx", targets={"CT2": ("80", "")}),
         "minh.mttq", now)
    with closing(sqlite3.connect(db_path(db_url))) as db:
        for statement in ("UPDATE report SET figures = '{}'", "DELETE FROM report"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)


def list_for(uow_factory, plan_id, period=None) -> list[dict]:
    with uow_factory() as uow:
        return reports.list_reports(uow=uow, plan_id=plan_id, period_key=period)


# --- structured files keep working ----------------------------------------------------------------

def test_a_yaml_or_json_report_is_checked_like_a_form(org, plan, now, tmp_path):
    (tmp_path / "r.yaml").write_text("unit: MTTQ-HB\nfigures: {CT2: '95 %', CT1: 2}\ntasks: {'1.1': Đã tổ chức}\n",
                                     encoding="utf-8")
    assert send(org, plan, tmp_path / "r.yaml", "minh.mttq", now)["version"] == 1
    (tmp_path / "r.json").write_text('{"figures": {"CT2": 130}}', encoding="utf-8")
    error = refused_and_nothing_written("figure_percent_range", org, plan, tmp_path / "r.json", "minh.mttq", now,
                                        unit="MTTQ-HB")
    assert str(error).startswith("Chỉ tiêu «CT2» (mục figures): 130% không hợp lý")
    assert stored(org, "MTTQ-HB")[0][1:4] == ({"CT2": 95.0, "CT1": 2.0}, None, {"tasks": {"1.1": {"result": "Đã tổ chức"}}})


# --- the command line -----------------------------------------------------------------------------

def test_report_list_shows_each_units_versions(cli, org, plan, now, tmp_path):
    data = copy_for(org, plan, "MTTQ-HB")
    send(org, plan, fill(data, tmp_path / "v1.docx", targets={"CT2": ("80", "")}), "minh.mttq", now)
    send(org, plan, fill(data, tmp_path / "v2.docx", targets={"CT2": ("85,5", "")}), "minh.mttq", now)
    code, out = cli("report", "list", "1", "--period", "2026-Q4")
    assert code == 0, out
    assert "MTTQ-HB" in out and "CT2: 80" in out and "2 (mới nhất)" in out and "CT2: 85,5" in out and "v2.docx" in out
    code, out = cli("report", "list", "1", "--period", "2025-Q1")
    assert code == 1 and "không có kỳ báo cáo «2025-Q1»" in out


def test_report_show_prints_a_version_as_recorded_with_its_texts_and_file(cli, org, plan, now, tmp_path):
    data = copy_for(org, plan, "MTTQ-HB")
    send(org, plan, fill(data, tmp_path / "v1.docx", targets={"CT2": ("80", "")}), "minh.mttq", now)
    send(org, plan, fill(data, tmp_path / "v2.docx", targets={"CT2": ("85,5", "Đã rà soát lại")},
                         tasks={"2.1": ("Tổ chức 02 buổi đối thoại", "Cần thêm kinh phí")}), "minh.mttq", now)
    code, out = cli("report", "show", "1", "--unit", "MTTQ-HB")
    assert code == 0, out
    assert "phiên bản 2/2 (mới nhất, được tính khi tổng hợp)" in out and "tệp: v2.docx (SHA-256" in out
    assert "85,5%" in out and "Đã rà soát lại" in out
    assert "Tổ chức 02 buổi đối thoại" in out and "Cần thêm kinh phí" in out
    code, out = cli("report", "show", "1", "--unit", "MTTQ-HB", "--version", "1")
    assert code == 0 and "phiên bản 1/2" in out and "mới nhất" not in out and "80%" in out
    code, out = cli("report", "show", "1", "--unit", "MTTQ-HB", "--version", "3")
    assert code == 1 and "không có phiên bản 3 (các phiên bản: 1, 2)" in out
    code, out = cli("report", "show", "1", "--unit", "VHXH-HB")
    assert code == 1 and "chưa gửi báo cáo kỳ «Quý IV/2026»" in out


@pytest.mark.slow
def test_report_submit_reads_the_filled_docx_through_the_flow_and_refuses_a_second_copy(cli, org, plan, tmp_path):
    path = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "MTTQ.docx",
                targets={"CT2": (" 98 %", ""), "CT1": ("02", "")}, tasks={"3.1": ("Nhân rộng 02 mô hình", "")})
    code, out = cli("report", "submit", "1", "--file", str(path), "--as", "minh.mttq")
    assert code == 0, out
    assert "Đã nhận báo cáo của MTTQ-HB kỳ «2026-Q4» (phiên bản 1)" in out
    assert "- CT2 (100% kiến nghị của Nhân dân" in out and "thời hạn.): 98%" in out
    assert "- CT1 (Mỗi cơ quan" in out and "): 2 mô hình" in out and "Kết quả thực hiện 1 nhiệm vụ." in out
    assert stored(org, "MTTQ-HB")[0][1] == {"CT2": 98.0, "CT1": 2.0}
    code, out = cli("report", "submit", "1", "--file", str(path), "--as", "minh.mttq", "--unit", "MTTQ-HB")
    assert code == 1 and "đã được ghi nhận (phiên bản 1" in out


@pytest.mark.slow
def test_report_submit_as_the_office_clerk_records_the_form_for_the_unit_named_in_it(cli, org, plan, tmp_path):
    path = fill(copy_for(org, plan, "HLHPN-HB"), tmp_path / "HLHPN.docx", targets={"CT2": ("97.5", "")})
    code, out = cli("report", "submit", "1", "--file", str(path), "--as", "hoa.vt")
    assert code == 0, out
    assert "Đã nhận báo cáo của HLHPN-HB kỳ «2026-Q4» (phiên bản 1)" in out
    assert "thời hạn.): 97,5% Lưu ý: đã ghi «97.5» với dấu chấm, được hiểu là 97,5%" in out
    assert "(Ghi nhận thay đơn vị: hoa.vt nhập báo cáo của HLHPN-HB từ biểu mẫu đơn vị gửi; nhật ký ghi rõ.)" in out
    code, out = cli("report", "submit", "1", "--file", str(path), "--as", "tam.pct")
    assert code == 1 and "«tam.pct» không được gửi báo cáo của Hội Liên hiệp Phụ nữ phường" in out


# --- LibreOffice re-saving the form ----------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_form_saved_again_by_libreoffice_is_still_recognised_and_read(org, plan, now, tmp_path):
    filled = fill(copy_for(org, plan, "MTTQ-HB"), tmp_path / "filled.docx",
                  targets={"CT2": ("55 %", "ghi chú"), "CT3": ("0,5", ""), "CT1": ("1.200", "")},
                  tasks={"1.1": ("Dòng một\nDòng hai", "")})
    out = tmp_path / "resaved"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(filled)],
                   check=True, capture_output=True, timeout=180)
    resaved = out / "filled.docx"
    with zipfile.ZipFile(resaved) as package:
        assert b"LibreOffice" in package.read("docProps/app.xml")  # written again by LibreOffice, not copied
    form = read_filled_form(resaved)
    assert form.identity == FormIdentity(plan=1, plan_reference="01/KH-UBND", letter="02/UBND", unit="MTTQ-HB",
                                         period="2026-Q4")
    # the note line gone, the custom properties still say it
    document = Document(str(resaved))
    for paragraph in document.paragraphs:
        if paragraph.text.startswith("(Kèm theo"):
            paragraph.text = ""
    document.save(tmp_path / "no-note.docx")
    assert read_filled_form(tmp_path / "no-note.docx").identity.unit == "MTTQ-HB"
    send(org, plan, resaved, "minh.mttq", now)
    ((_, figures, _, texts, _),) = stored(org, "MTTQ-HB")
    assert figures == {"CT2": 55.0, "CT3": 0.5, "CT1": 1200.0}
    assert texts["tasks"] == {"1.1": {"result": "Dòng một\nDòng hai"}}


# --- the model alone --------------------------------------------------------------------------------

def test_check_report_keeps_codes_as_typed_loosely(plan_data):
    from domain.model.plan import parse_plan

    content = parse_plan(copy.deepcopy(plan_data))
    form = FilledForm(identity=FormIdentity(), tables=1, targets=(
        FormRow("Biểu mẫu số 01", 1, " ct 2 ", "100", ""), FormRow("Biểu mẫu số 01", 2, "CT1.", "3", "")))
    assert check_report(form, content=content, unit="MTTQ-HB").figures == {"CT2": 100.0, "CT1": 3.0}

