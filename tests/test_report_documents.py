"""The request for reports (công văn), each unit's report form and the review's chart and annex:
pure model tests, then the same documents rendered and run through the official format check."""
from __future__ import annotations

import copy
import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from docx import Document

from domain.adapters.docx_render import render_docx
from domain.adapters.yaml_source import load_yaml
from domain.model import numbering
from domain.model.forms import (TARGET_HEADER, TASK_HEADER, form_annexes, period_words, plan_figure,
                                request_letter, request_subject, unit_copy)
from domain.model.org import Body
from domain.model.plan import PlanContent, Target, Task, parse_plan
from domain.model.reporting import quarter
from tests.format_check import format_faults

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
Q4 = quarter(2026, 4)
ISSUED = date(2026, 11, 23)
PLAN_ISSUED = date(2026, 11, 20)


def organisation() -> tuple[dict[str, Body], dict[str, str]]:
    data = load_yaml(EXAMPLES / "org.yaml")
    bodies = {}
    for b in data["bodies"]:
        fields = {k: v for k, v in b.items() if k in Body.__dataclass_fields__}
        bodies[b["id"]] = Body(**{**fields, "term": str(b["term"]) if b.get("term") else None})
    return bodies, {i: b.name for i, b in bodies.items()}


BODIES, NAMES = organisation()


def resolved(content: PlanContent, signer_name: str) -> PlanContent:
    """As the plan service stores it: recipients named after their bodies, the signer's name filled."""
    recipients = tuple(replace(r, label=r.label or NAMES[r.body]) for r in content.recipients)
    return replace(content, recipients=recipients, signer=replace(content.signer, name=signer_name))


def state_content() -> PlanContent:
    return resolved(parse_plan(load_yaml(EXAMPLES / "plan.yaml")), "Nguyễn Thị Tâm")


def party_content() -> PlanContent:
    data = copy.deepcopy(load_yaml(EXAMPLES / "plan.yaml"))
    data["issuer"] = "DU-HB"
    data["title"] = "Lãnh đạo thực hiện công tác dân vận năm 2026"
    data["recipients"] = [r for r in data["recipients"] if not isinstance(r, str) and r.get("body")]
    data["recipients"].append("Lưu Văn phòng Đảng ủy")
    data["signer"] = {"user": "thanh.du", "capacity": ["T/M ĐẢNG ỦY"], "title": "BÍ THƯ"}
    return resolved(parse_plan(data), "Phan Văn Thành")


def letter(content: PlanContent | None = None, number: int | None = 2, reference: str | None = None):
    content = content or state_content()
    issuer = BODIES[content.issuer]
    ref = reference or ("01/KH-UBND" if issuer.regime == "state" else "01-KH/ĐU")
    return request_letter(content=content, issuer=issuer, names=NAMES, number=number,
                          issued_on=ISSUED if number else None, plan_reference=ref, plan_issued_on=PLAN_ISSUED,
                          period=Q4, plan_id=7)


def copy_for(unit: str, content: PlanContent | None = None):
    content = content or state_content()
    issuer = BODIES[content.issuer]
    return unit_copy(letter(content), content=content, unit=unit, names=NAMES, issuer_name=issuer.name,
                     issued_on=ISSUED, period=Q4, plan_id=7, plan_reference="01/KH-UBND")


def body_text(doc) -> str:
    return "\n".join(b.text for b in doc.blocks)


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                lines.extend(p.text for p in cell.paragraphs)
    return "\n".join(lines)


# --- numbering of a công văn -----------------------------------------------------------------

def test_a_state_cong_van_number_has_the_body_abbreviation_and_no_type_code():
    code = numbering.type_code(numbering.LETTER)
    sym = numbering.symbol(regime="state", code=code, body_abbr="UBND")
    assert numbering.number_line(regime="state", number=12, sym=sym) == "Số: 12/UBND"
    assert numbering.reference(regime="state", number=3, sym=sym) == "03/UBND"


def test_a_party_cong_van_number_reads_cv_over_the_body():
    sym = numbering.symbol(regime="party", code=numbering.type_code("Công văn"), body_abbr="ĐU")
    assert numbering.number_line(regime="party", number=12, sym=sym) == "Số 12-CV/ĐU"


def test_a_cong_van_shares_the_state_year_series_and_has_its_own_party_series():
    code = numbering.type_code(numbering.LETTER)
    assert numbering.series_key(regime="state", issued_on=ISSUED, term=None, code=code) == "2026"
    assert numbering.series_key(regime="party", issued_on=ISSUED, term="2025-2030", code=code) == "2025-2030/CV"


def test_other_symbols_are_unchanged_by_the_cong_van_rule():
    assert numbering.symbol(regime="state", code="KH", body_abbr="UBND") == "KH-UBND"
    assert numbering.symbol(regime="party", code="BC", body_abbr="ĐU") == "BC/ĐU"


# --- the request letter ------------------------------------------------------------------------

def test_the_request_is_a_cong_van_without_type_or_title_and_with_a_v_v_subject():
    doc = letter()
    assert (doc.doc_type, doc.title) == ("", "")
    assert doc.subject == "V/v báo cáo kết quả thực hiện Kế hoạch số 01/KH-UBND quý IV năm 2026"
    assert doc.number_line == "Số: 02/UBND"
    assert doc.date_line == "Hòa Bình, ngày 23 tháng 11 năm 2026"
    assert doc.issuer_name == "ỦY BAN NHÂN DÂN PHƯỜNG HÒA BÌNH"
    assert doc.annexes == ()


def test_the_subject_names_the_plan_and_the_period_in_words():
    assert period_words(Q4) == "quý IV năm 2026"
    assert period_words(quarter(2027, 1)) == "quý I năm 2027"
    assert request_subject("48-KH/ĐU", quarter(2027, 2)) == "V/v báo cáo kết quả thực hiện Kế hoạch số 48-KH/ĐU quý II năm 2027"


def test_the_letter_is_addressed_to_every_executing_unit_by_name_in_order():
    assert letter().addressees == (
        "Bộ phận Văn hóa - Xã hội phường",
        "Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình",
        "Công an phường Hòa Bình",
        "Hội Liên hiệp Phụ nữ phường",
        "Đoàn Thanh niên Cộng sản Hồ Chí Minh phường",
        "Hội Cựu chiến binh phường",
    )


def test_the_letter_says_what_to_report_for_which_plan_and_period_with_its_dates():
    text = body_text(letter())
    assert ("Thực hiện Kế hoạch số 01/KH-UBND ngày 20/11/2026 của Ủy ban nhân dân phường Hòa Bình về thực hiện "
            "công tác dân vận chính quyền và phong trào thi đua “Dân vận khéo” năm 2026") in text
    assert "Quý IV/2026 (số liệu tính từ ngày 15/09/2026 đến ngày 14/12/2026)" in text


def test_the_letter_gives_the_deadline_of_the_period_and_who_receives_the_reports():
    text = body_text(letter())
    assert Q4.deadline == date(2026, 12, 17)
    assert "gửi về Ủy ban nhân dân phường Hòa Bình (qua Văn phòng HĐND và UBND phường) chậm nhất ngày 17/12/2026" in text


def test_the_letter_says_the_form_is_annexed_and_how_to_return_it():
    doc = letter()
    text = body_text(doc)
    assert "biểu mẫu" in text and "kèm theo Công văn này" in text
    items = [b.text for b in doc.blocks if b.kind == "item"]
    assert any("trả lời thư điện tử" in i and "tệp biểu mẫu đã điền" in i for i in items)
    assert any("kehoach report submit 7 --file <tệp biểu mẫu đã điền>" in i for i in items)
    assert text.endswith("./.")


def test_no_date_in_the_letter_body_looks_like_the_date_line():
    """The format check takes the first "ngày … tháng … năm …" of the body for the date line."""
    import re

    assert not re.search(r"ngày\s+\d{1,2}\s+tháng", body_text(letter()))


def test_the_letter_goes_as_above_and_keeps_the_plans_archive_line_and_signer():
    doc = letter()
    assert doc.recipients == ("Như trên", "Lưu: VT, VP")
    assert doc.signer_capacity == ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH")
    assert (doc.signer_title, doc.signer_name) == ("PHÓ CHỦ TỊCH", "Nguyễn Thị Tâm")


def test_a_plan_without_an_archive_line_gets_lưu_vt():
    content = state_content()
    content = replace(content, recipients=tuple(r for r in content.recipients if not r.line().startswith("Lưu")))
    assert letter(content).recipients == ("Như trên", "Lưu: VT")


def test_a_party_letter_is_numbered_cv_and_signed_for_the_committee():
    doc = letter(party_content())
    assert doc.number_line == "Số 02-CV/ĐU"
    assert doc.superior == "ĐẢNG BỘ QUẬN KIẾN AN"
    assert doc.subject == "V/v báo cáo kết quả thực hiện Kế hoạch số 01-KH/ĐU quý IV năm 2026"
    assert doc.recipients == ("Như trên", "Lưu Văn phòng Đảng ủy")
    assert doc.signer_capacity == ("T/M ĐẢNG ỦY",) and doc.signer_title == "BÍ THƯ"
    assert "của Đảng ủy phường Hòa Bình về lãnh đạo thực hiện công tác dân vận năm 2026" in body_text(doc)


def test_the_letter_file_name_has_the_number_date_and_no_slash():
    stem = letter().file_stem
    assert stem == "Công văn 02-UBND ngày 23-11-2026 - Đề nghị báo cáo Quý IV-2026 Kế hoạch 01-KH-UBND"
    assert letter(number=None).number_line.startswith("Số: ") and "dự thảo" in letter(number=None).file_stem


# --- each unit's form --------------------------------------------------------------------------

def test_a_unit_gets_a_targets_form_and_a_tasks_form_of_only_its_own_assignments():
    doc = copy_for("VHXH-HB")
    targets, tasks = doc.annexes
    assert (targets.heading, tasks.heading) == ("Biểu mẫu số 01", "Biểu mẫu số 02")
    assert targets.rows[0] == TARGET_HEADER and tasks.rows[0] == TASK_HEADER
    assert [r[1] for r in targets.rows[1:]] == ["CT4", "CT5", "CT6"]
    assert [r[1] for r in tasks.rows[1:]] == ["1.1", "1.2", "3.2"]
    assert [r[0] for r in tasks.rows[1:]] == ["1", "2", "3"]


def test_no_unit_form_holds_another_units_task_or_target():
    content = state_content()
    for unit in content.executing_units():
        forms = copy_for(unit).annexes
        refs = {r[1] for a in forms if a.rows[0] == TASK_HEADER for r in a.rows[1:]}
        ids = {r[1] for a in forms if a.rows[0] == TARGET_HEADER for r in a.rows[1:]}
        assert refs == {t.ref for t in content.tasks if unit in t.executing}, unit
        assert ids == {tid for t in content.tasks if unit in t.executing for tid in t.targets}, unit


def test_the_result_cells_are_empty_for_the_unit_to_fill_and_the_plan_figures_are_printed():
    targets, tasks = copy_for("VHXH-HB").annexes
    assert targets.rows[1] == ("1", "CT4", "Tỷ lệ hộ nghèo toàn phường giảm 0,5%/năm.",
                                "giảm 0,5% (đầu kỳ 2,1%; kết quả ghi số liệu hiện tại)", "", "")
    assert targets.rows[2][3:] == ("55%", "", "")
    assert tasks.rows[3] == ("3", "3.2", "Vận động Nhân dân tham gia giảm nghèo bền vững, học nghề và học kỹ năng "
                                         "số cơ bản.", "thường xuyên", "", "")


def test_a_unit_without_targets_gets_only_the_tasks_form():
    (form,) = copy_for("CA-HB").annexes
    assert form.heading == "Biểu mẫu số 01"
    assert form.rows[0] == TASK_HEADER
    assert [r[1] for r in form.rows[1:]] == ["1.2"]


def test_a_form_of_targets_alone_has_only_the_targets_table():
    target = Target(id="CT9", text="Giảm số vụ khiếu kiện đông người.", value=3, unit="vụ", direction="at_most")
    (form,) = form_annexes(unit_name="Công an phường", period=Q4, tasks=(), targets=(target,), note=None)
    assert form.rows == (TARGET_HEADER, ("1", "CT9", "Giảm số vụ khiếu kiện đông người.", "không quá 3 vụ", "", ""))


def test_the_form_names_the_unit_and_the_period_and_refers_to_the_letter():
    targets, tasks = copy_for("MTTQ-HB").annexes
    assert targets.title == "Kết quả thực hiện chỉ tiêu Quý IV/2026 của Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình"
    assert tasks.title.startswith("Kết quả thực hiện nhiệm vụ Quý IV/2026 của Ủy ban Mặt trận")
    assert targets.note == ("(Kèm theo Công văn số 02/UBND ngày 23/11/2026 của Ủy ban nhân dân phường Hòa Bình; "
                            "mã kế hoạch: 7 (Kế hoạch số 01/KH-UBND), mã đơn vị: MTTQ-HB, mã kỳ: 2026-Q4)")


def test_a_units_copy_is_the_same_letter_with_its_form_and_its_own_file_name():
    base, mine = letter(), copy_for("HLHPN-HB")
    assert replace(mine, annexes=(), file_stem=base.file_stem, properties=()) == base
    assert mine.file_stem == base.file_stem + " - HLHPN-HB"
    assert copy_for("DTN-HB").file_stem != mine.file_stem


def test_plan_figures_read_as_vietnamese_write_them():
    assert plan_figure(Target(id="a", text="", value=1, unit="mô hình")) == "1 mô hình"
    assert plan_figure(Target(id="a", text="", value=97.5, unit="%")) == "97,5%"
    assert plan_figure(Target(id="a", text="", value=0.5, unit="%", direction="reduce_by")) == "giảm 0,5%"
    assert plan_figure(Target(id="a", text="", value=None)) == ""
    assert plan_figure(Target(id="a", text="", value=12)) == "12"


def test_a_unit_with_a_task_without_time_frame_leaves_the_time_cell_empty():
    task = Task(ref="4", text="Tuyên truyền pháp luật.", executing=("CA-HB",))
    (form,) = form_annexes(unit_name="Công an phường", period=Q4, tasks=(task,), targets=(), note=None)
    assert form.rows[1] == ("1", "4", "Tuyên truyền pháp luật.", "", "", "")


# --- rendered: the official format check -------------------------------------------------------

@pytest.mark.parametrize("make, regime", [(state_content, "state"), (party_content, "party")])
def test_a_units_copy_of_the_letter_passes_the_official_format_check(tmp_path, make, regime):
    doc = copy_for("VHXH-HB", make())
    path = tmp_path / f"{doc.file_stem}.docx"
    path.write_bytes(render_docx(doc))
    assert format_faults(path, regime) == {}


@pytest.mark.parametrize("make", [state_content, party_content])
def test_the_rendered_copy_shows_the_subject_the_addressees_and_the_filled_in_form(make):
    doc = copy_for("VHXH-HB", make())
    data = render_docx(doc)
    text = docx_text(data)
    assert doc.subject in text
    assert "Kính gửi" in text
    for name in doc.addressees:
        assert name in text
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in Document(io.BytesIO(data)).tables]
    forms = [t for t in tables if t and tuple(t[0]) in (TARGET_HEADER, TASK_HEADER)]
    assert [tuple(t[0]) for t in forms] == [TARGET_HEADER, TASK_HEADER]
    assert [r[1] for r in forms[0][1:]] == ["CT4", "CT5", "CT6"]
    assert all(r[4] == "" for t in forms for r in t[1:])
    assert "KẾ HOẠCH" not in text.split("Kính gửi")[0]  # no tên loại above the body


# --- the sơ kết / tổng kết report: chart and per-unit annex -------------------------------------

def review(content: PlanContent | None = None, unit_figures: dict | None = None, number: int | None = 3,
           task_texts: dict | None = None):
    from domain.model.reporting import roll_up
    from domain.model.review import review_document

    content = content or state_content()
    figures = unit_figures if unit_figures is not None else {
        "VHXH-HB": {"CT4": 1.5, "CT5": 56.0, "CT6": 72.0},  # CT4: the rate now, 2,1 at the start
        "MTTQ-HB": {"CT1": 1.0, "CT2": 100.0, "CT3": 100.0},
        "CA-HB": {},
        "HLHPN-HB": {"CT1": 1.0, "CT2": 100.0, "CT3": 95.5},
        "DTN-HB": {},
        "HCCB-HB": {},
    }
    units = content.executing_units()
    rollups = []
    for target in content.targets:
        expected = [u for u in units if target in content.targets_for(u)]
        values = [figures[u][target.id] for u in expected if target.id in figures.get(u, {})]
        rollups.append(roll_up(target, values, expected=len(expected)))
    reported = [u for u in units if figures.get(u)]
    return review_document(content=content, issuer=BODIES[content.issuer], names=NAMES, number=number,
                           issued_on=ISSUED if number else None, title="Sơ kết Quý IV/2026 thực hiện Kế hoạch",
                           rollups=rollups, reported=reported, missing=[u for u in units if u not in reported],
                           notes={}, unit_figures=figures, period_label="Quý IV/2026", task_texts=task_texts)


def chart_block(doc):
    (block,) = [b for b in doc.blocks if b.kind == "chart"]
    return block


def test_the_review_chart_follows_the_targets_table():
    kinds = [b.kind for b in review().blocks]
    assert kinds[kinds.index("table") + 1] == "chart"


def test_the_chart_has_a_category_per_target_numbered_as_in_the_table_and_plan_and_result_series():
    chart = chart_block(review()).chart
    assert chart.categories == ("(1)", "(2)", "(3)", "(4)", "(5)", "(6)")
    assert [name for name, _ in chart.series] == ["Kế hoạch", "Kết quả"]
    assert chart.unit == "%"
    plan, result = (values for _, values in chart.series)
    assert plan == (100.0,) * 6
    # CT1 share of units met (2 of 4), CT2 100/100, CT3 97,75/85, CT4 0,6/0,5, CT5 56/55, CT6 72/70
    assert result == (50.0, 100.0, 115.0, 120.0, 101.8, 102.9)


def test_a_target_without_a_result_has_no_result_bar_and_the_caption_says_so():
    figures = {"VHXH-HB": {"CT5": 56.0}, "MTTQ-HB": {}, "CA-HB": {}, "HLHPN-HB": {}, "DTN-HB": {}, "HCCB-HB": {}}
    block = chart_block(review(unit_figures=figures))
    plan, result = (values for _, values in block.chart.series)
    assert result[4] == pytest.approx(101.8) and result[3] is None and result[1] is None
    assert "chưa có số liệu" in block.text and "(4)" in block.text


def test_a_target_without_a_plan_figure_is_left_out_of_the_chart_and_named_in_the_caption():
    content = state_content()
    content = replace(content, targets=tuple(replace(t, value=None) if t.id == "CT3" else t for t in content.targets))
    block = chart_block(review(content))
    assert block.chart.categories == ("(1)", "(2)", "(4)", "(5)", "(6)")
    assert all(len(values) == 5 for _, values in block.chart.series)
    assert "(3) không có mức kế hoạch" in block.text


def test_the_caption_explains_why_results_are_a_share_of_the_plan():
    text = chart_block(review()).text
    assert "phần trăm so với mức kế hoạch" in text and "đơn vị tính khác nhau" in text
    assert "tỷ lệ đơn vị đạt" in text  # CT1 is counted by units that met it


def test_no_chart_when_no_target_has_a_plan_figure():
    content = state_content()
    content = replace(content, targets=tuple(replace(t, value=None, rollup="sum") for t in content.targets))
    assert [b for b in review(content).blocks if b.kind == "chart"] == []


def test_the_review_annexes_each_units_latest_figure_by_target():
    (annex,) = review().annexes
    assert annex.title == "Biểu tổng hợp kết quả theo đơn vị"
    assert annex.header_rows == 2
    assert annex.rows[0] == ("STT", "Đơn vị báo cáo", "(1)", "(2)", "(3)", "(4)", "(5)", "(6)")
    assert annex.rows[1] == ("", "", "mô hình", "%", "%", "%", "%", "%")
    by_unit = {r[1]: r[2:] for r in annex.rows[2:]}
    assert by_unit["Bộ phận Văn hóa - Xã hội phường"] == ("", "", "", "1,5", "56", "72")  # CT4: the rate reported
    assert by_unit["Hội Liên hiệp Phụ nữ phường"] == ("1", "100", "95,5", "", "", "")
    assert by_unit["Công an phường Hòa Bình"] == ("",) * 6
    assert [r[0] for r in annex.rows[2:]] == ["1", "2", "3", "4", "5", "6"]
    assert annex.note.startswith("(Kèm theo Báo cáo số 03/BC-UBND ngày 23/11/2026 của Ủy ban nhân dân phường Hòa Bình")
    assert "Quý IV/2026" in annex.note


def test_a_review_without_unit_figures_has_no_annex():
    from domain.model.review import review_document

    doc = review()
    assert review_document(content=state_content(), issuer=BODIES["UBND-HB"], names=NAMES, number=3,
                           issued_on=ISSUED, title=doc.title, rollups=[], reported=[], missing=[],
                           notes={}).annexes == ()


@pytest.mark.parametrize("make, regime", [(state_content, "state"), (party_content, "party")])
def test_the_review_with_its_chart_and_annex_passes_the_official_format_check(tmp_path, make, regime):
    doc = review(make())
    path = tmp_path / f"{regime}-review.docx"
    data = render_docx(doc)
    path.write_bytes(data)
    assert format_faults(path, regime) == {}
    document = Document(io.BytesIO(data))
    pictures = document.inline_shapes
    assert len(pictures) == 1
    assert pictures[0]._inline.docPr.get("descr") == chart_block(doc).chart.title
    assert chart_block(doc).text in docx_text(data)
    annex = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables][-1]
    assert annex[0][:2] == ["STT", "Đơn vị báo cáo"] and len(annex) == 2 + 6
    assert "Biểu tổng hợp kết quả theo đơn vị" in docx_text(data)


# --- what the units wrote against their tasks ----------------------------------------------------------

TASK_TEXTS = {
    "VHXH-HB": {"1.1": {"result": "Tổ chức 03 hội nghị tuyên truyền cho 250 lượt người."},
                "3.2": {"result": "Mở 02 lớp kỹ năng số tại nhà văn hóa tổ dân phố.",
                        "issues": "Thiếu máy tính cho lớp học."}},
    "MTTQ-HB": {"2.1": {"result": "Phối hợp tổ chức 01 hội nghị đối thoại; 12/12 kiến nghị được trả lời.",
                        "issues": "Đề nghị UBND phường bố trí kinh phí tổ chức đối thoại."}},
}


def blocks_after(doc, heading: str) -> list:
    blocks = list(doc.blocks)
    start = next(i for i, b in enumerate(blocks) if b.text == heading) + 1
    end = next((i for i in range(start, len(blocks)) if blocks[i].kind == "heading1"), len(blocks))
    return blocks[start:end]


def test_the_review_has_a_part_on_each_task_with_what_each_unit_wrote_or_that_it_did_not():
    doc = review(task_texts=TASK_TEXTS)
    headings = [b.text for b in doc.blocks if b.kind == "heading1"]
    assert headings == ["I. KẾT QUẢ THỰC HIỆN", "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ", "III. ĐÁNH GIÁ CHUNG",
                        "IV. NHIỆM VỤ TRỌNG TÂM THỜI GIAN TỚI"]
    part = blocks_after(doc, "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ")
    assert part[0].text == ("Theo báo cáo mới nhất của các đơn vị, 3/5 nhiệm vụ đã có kết quả thực hiện được báo "
                            "cáo, song chưa có nhiệm vụ nào có báo cáo của tất cả các đơn vị thực hiện; cụ thể như "
                            "sau:")
    titles = [b.text for b in part if b.kind == "heading2"]
    assert titles[2] == ("3. Tổ chức đối thoại trực tiếp giữa người đứng đầu chính quyền với Nhân dân; giám sát "
                         "việc giải quyết kiến nghị sau đối thoại (nhiệm vụ 2.1).")
    tables = [b.rows for b in part if b.kind == "table"]
    assert len(titles) == len(tables) == 5
    assert tables[2] == (("STT", "Đơn vị thực hiện", "Kết quả thực hiện", "Khó khăn, vướng mắc, kiến nghị"),
                         ("1", "Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình",
                          "Phối hợp tổ chức 01 hội nghị đối thoại; 12/12 kiến nghị được trả lời.",
                          "Đề nghị UBND phường bố trí kinh phí tổ chức đối thoại."),
                         ("2", "Hội Liên hiệp Phụ nữ phường", "Không nêu kết quả", ""))  # reported figures only
    assert tables[3][3][1:3] == ("Đoàn Thanh niên Cộng sản Hồ Chí Minh phường", "Chưa gửi báo cáo")


def test_the_part_on_tasks_says_how_many_tasks_every_unit_reported_on():
    content = state_content()
    every = {u: {t.ref: {"result": "Đã thực hiện."} for t in content.tasks_for(u)} for u in content.executing_units()}
    part = blocks_after(review(task_texts=every), "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ")
    assert part[0].text == ("Theo báo cáo mới nhất của các đơn vị, cả 5 nhiệm vụ đều có kết quả thực hiện do tất cả "
                            "các đơn vị thực hiện báo cáo; cụ thể như sau:")
    del every["DTN-HB"]
    part = blocks_after(review(task_texts=every), "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ")
    assert "5/5 nhiệm vụ đã có kết quả thực hiện được báo cáo, trong đó 3 nhiệm vụ có báo cáo của tất cả" in part[0].text


def test_the_difficulties_units_raised_are_listed_under_the_general_assessment_with_unit_and_task():
    assessment = blocks_after(review(task_texts=TASK_TEXTS), "III. ĐÁNH GIÁ CHUNG")
    said = [b.text for b in assessment]
    assert said[0] == "Khó khăn, vướng mắc và kiến nghị các đơn vị nêu trong báo cáo:"
    assert said[1:3] == [
        ("Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình (nhiệm vụ 2.1): Đề nghị UBND phường bố trí kinh phí tổ "
         "chức đối thoại;"),
        "Bộ phận Văn hóa - Xã hội phường (nhiệm vụ 3.2): Thiếu máy tính cho lớp học.",
    ]
    assert [b.kind for b in assessment[1:3]] == ["item", "item"]


def test_the_review_annexes_each_units_results_and_difficulties_by_task_after_its_figures():
    figures, tasks = review(task_texts=TASK_TEXTS).annexes
    assert (figures.heading, tasks.heading) == ("Phụ lục I", "Phụ lục II")
    assert tasks.title == "Biểu tổng hợp kết quả thực hiện nhiệm vụ theo đơn vị"
    assert tasks.rows[0] == ("STT", "Đơn vị báo cáo", "Nhiệm vụ", "Kết quả thực hiện", "Khó khăn, vướng mắc, kiến nghị")
    vhxh = [r for r in tasks.rows[1:4]]
    assert [r[:2] for r in vhxh] == [("1", "Bộ phận Văn hóa - Xã hội phường"), ("", ""), ("", "")]
    assert [r[2][:4] for r in vhxh] == ["1.1.", "1.2.", "3.2."]
    assert [r[3:] for r in vhxh] == [("Tổ chức 03 hội nghị tuyên truyền cho 250 lượt người.", ""),
                                     ("Không nêu kết quả", ""),
                                     ("Mở 02 lớp kỹ năng số tại nhà văn hóa tổ dân phố.", "Thiếu máy tính cho lớp học.")]
    assert {r[1] for r in tasks.rows[1:] if r[1]} == {"Bộ phận Văn hóa - Xã hội phường",
                                                     "Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình",
                                                     "Hội Liên hiệp Phụ nữ phường"}  # the units that reported
    assert tasks.note == ("(Kèm theo Báo cáo số 03/BC-UBND ngày 23/11/2026 của Ủy ban nhân dân phường Hòa Bình; "
                          "nội dung báo cáo mới nhất của từng đơn vị kỳ Quý IV/2026)")


def test_a_review_without_anything_written_against_tasks_is_laid_out_as_before():
    before, empty = review(), review(task_texts={})
    assert before == empty
    assert [b.text for b in before.blocks if b.kind == "heading1"][1] == "II. ĐÁNH GIÁ CHUNG"
    assert [a.heading for a in before.annexes] == ["Phụ lục"]


@pytest.mark.parametrize("make, regime", [(state_content, "state"), (party_content, "party")])
def test_the_review_with_what_units_wrote_passes_the_official_format_check(tmp_path, make, regime):
    doc = review(make(), task_texts=TASK_TEXTS)
    path = tmp_path / f"{regime}-review-texts.docx"
    data = render_docx(doc)
    path.write_bytes(data)
    assert format_faults(path, regime) == {}
    text = docx_text(data)
    assert "KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ" in text and "Thiếu máy tính cho lớp học." in text
    assert "Biểu tổng hợp kết quả thực hiện nhiệm vụ theo đơn vị" in text and "Phụ lục II" in text
