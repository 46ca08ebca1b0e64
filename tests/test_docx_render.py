"""The .docx renderer: official format, stable bytes, fonts, page numbers, recipients, tables."""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from lxml import etree

from domain.adapters.docx_render import load_profile, render_docx
from domain.model.documents import Block, OfficialDocument
from tests.format_check import format_faults

REPO = Path(__file__).resolve().parents[1]
FONT_ATTRS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
THEME_FONT_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")

STATE_RECIPIENTS = (
    "Thường trực Đảng ủy phường",
    "Thường trực HĐND phường;",
    "Chủ tịch, các Phó Chủ tịch UBND phường",
    "Các tổ dân phố,",
    "Lưu: VT, VP.",
)
PARTY_RECIPIENTS = (
    "Ban Thường vụ Quận ủy (để báo cáo)",
    "Các chi bộ trực thuộc",
    "Lưu Văn phòng Đảng ủy",
)
TASKS_TABLE = (
    ("STT", "Nội dung công việc", "Đơn vị chủ trì", "Thời gian"),
    ("1", "Rà soát, cập nhật danh sách hộ nghèo, hộ cận nghèo trên địa bàn", "Công chức Văn hóa - Xã hội",
     "Quý II/2026"),
    ("2", "Tổ chức hội nghị đối thoại với Nhân dân về cải cách hành chính", "Văn phòng HĐND và UBND",
     "Tháng 9/2026"),
)
BODY = (
    Block("heading1", "I. MỤC ĐÍCH, YÊU CẦU"),
    Block("heading2", "1. Mục đích"),
    Block("paragraph", "Nâng cao hiệu quả công tác dân vận của chính quyền, xây dựng đội ngũ cán bộ, công chức "
                       "phường gần dân, trọng dân, hiểu dân, học dân và có trách nhiệm với Nhân dân."),
    Block("heading2", "2. Yêu cầu"),
    Block("item", "Bám sát các chủ trương của Đảng, chính sách, pháp luật của Nhà nước."),
    Block("item", "Phân công cụ thể, rõ người, rõ việc, rõ thời gian hoàn thành."),
    Block("heading1", "II. NỘI DUNG THỰC HIỆN"),
    Block("heading3", "1.1. Đẩy mạnh cải cách hành chính"),
    Block("paragraph", "(1) Giải quyết đúng hạn 100% hồ sơ thủ tục hành chính tiếp nhận tại Bộ phận Một cửa."),
    Block("label", "Công chức Văn phòng - Thống kê.", label="Cơ quan thực hiện: "),
    Block("label", "Thường xuyên trong năm 2026.", label="Thời gian thực hiện: "),
    Block("table", rows=TASKS_TABLE),
    Block("heading1", "III. TỔ CHỨC THỰC HIỆN"),
    Block("paragraph", "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các bộ phận báo cáo về UBND "
                       "phường (qua Văn phòng HĐND và UBND) để tổng hợp, xem xét, giải quyết."),
)


def state_plan(**changes) -> OfficialDocument:
    fields = dict(
        regime="state",
        superior=None,
        issuer_name="ỦY BAN NHÂN DÂN PHƯỜNG HÒA BÌNH",
        number_line="Số: 10/KH-UBND",
        date_line="Hòa Bình, ngày 05 tháng 3 năm 2026",
        doc_type="KẾ HOẠCH",
        title="Triển khai công tác dân vận chính quyền năm 2026",
        # dates in the body as dd/mm/yyyy: docx_check takes the first "ngày … tháng … năm …"
        # paragraph, body before tables, for the date line
        preamble=("Thực hiện Kế hoạch số 12/KH-UBND ngày 10/01/2026 của UBND quận Kiến An về công tác "
                  "dân vận chính quyền năm 2026, UBND phường ban hành Kế hoạch thực hiện như sau:",),
        blocks=BODY,
        recipients=STATE_RECIPIENTS,
        signer_capacity=("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"),
        signer_title="PHÓ CHỦ TỊCH",
        signer_name="Nguyễn Thị Tâm",
    )
    return OfficialDocument(**{**fields, **changes})


def party_plan() -> OfficialDocument:
    return state_plan(
        regime="party",
        superior="ĐẢNG BỘ QUẬN KIẾN AN",
        issuer_name="ĐẢNG ỦY PHƯỜNG HÒA BÌNH",
        number_line="Số 05-KH/ĐU",
        title="thực hiện Chỉ thị của Ban Thường vụ Quận ủy về tăng cường công tác dân vận",
        preamble=("Thực hiện Chỉ thị số 15-CT/QU ngày 20/01/2026 của Ban Thường vụ Quận ủy, Đảng ủy "
                  "phường xây dựng kế hoạch thực hiện như sau:",),
        recipients=PARTY_RECIPIENTS,
        signer_capacity=("T/M ĐẢNG ỦY",),
        signer_title="BÍ THƯ",
        signer_name="Trần Văn Hùng",
    )


def open_docx(data: bytes):
    return Document(io.BytesIO(data))


def faults(tmp_path: Path, doc: OfficialDocument) -> dict:
    path = tmp_path / f"{doc.regime}.docx"
    path.write_bytes(render_docx(doc))
    return format_faults(path, doc.regime)


def test_a_state_plan_passes_the_official_format_check(tmp_path):
    assert faults(tmp_path, state_plan()) == {}


def test_a_party_plan_passes_the_official_format_check(tmp_path):
    assert faults(tmp_path, party_plan()) == {}


def test_the_same_document_renders_to_the_same_bytes():
    first = render_docx(state_plan())
    assert render_docx(state_plan()) == first
    script = ("import hashlib, test_docx_render as t; "
              "print(hashlib.sha256(t.render_docx(t.state_plan())).hexdigest())")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")]),
           "PYTHONHASHSEED": "12345"}
    other_process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                   timeout=60, env=env, check=True)
    assert other_process.stdout.strip() == hashlib.sha256(first).hexdigest()
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    props = open_docx(first).core_properties
    assert props.author == "kehoach"
    assert props.created == props.modified == props.last_printed  # no clock in the file
    assert props.created.date() != date.today()


def test_a_different_document_renders_to_different_bytes():
    assert render_docx(state_plan()) != render_docx(state_plan(signer_name="Lê Văn Bình"))


@pytest.mark.parametrize("make", [state_plan, party_plan], ids=["state", "party"])
def test_every_run_is_set_in_times_new_roman(make):
    data = render_docx(make())
    runs = [run for name in word_parts(data) for run in etree.fromstring(part_xml(data, name)).iter(qn("w:r"))]
    assert len(runs) > 40
    for run in runs:
        assert_times_new_roman(run.find(qn("w:rPr")))
    document = open_docx(data)
    body_size = load_profile(make().regime)["body"]["size"]
    defaults = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr")[0]
    for rpr in (defaults, document.styles["Normal"].element.rPr):
        assert_times_new_roman(rpr)
        assert rpr.sz_val.pt == body_size


def test_page_numbers_start_on_page_two():
    section = open_docx(render_docx(state_plan())).sections[0]
    assert section._sectPr.find(qn("w:titlePg")) is not None
    assert section.different_first_page_header_footer
    default_header = section.header
    assert [t.text.strip() for t in default_header._element.iter(qn("w:instrText"))] == ["PAGE"]
    assert default_header.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    first_header = section.first_page_header
    assert not first_header.is_linked_to_previous
    assert not list(first_header._element.iter(qn("w:instrText")))
    assert not list(first_header._element.iter(qn("w:fldSimple")))


def test_recipients_end_with_semicolons_and_the_last_with_a_full_stop():
    assert recipient_lines(render_docx(state_plan())) == [
        "Nơi nhận:",
        "- Thường trực Đảng ủy phường;",
        "- Thường trực HĐND phường;",
        "- Chủ tịch, các Phó Chủ tịch UBND phường;",
        "- Các tổ dân phố;",
        "- Lưu: VT, VP.",
    ]


def test_party_recipients_end_with_commas_as_the_party_profile_says():
    assert recipient_lines(render_docx(party_plan())) == [
        "Nơi nhận:",
        "- Ban Thường vụ Quận ủy (để báo cáo),",
        "- Các chi bộ trực thuộc,",
        "- Lưu Văn phòng Đảng ủy.",
    ]


def test_tables_render_as_word_tables():
    header, body_table, footer = open_docx(render_docx(state_plan())).tables
    assert body_table.style.name == "Table Grid"
    assert [[cell.text for cell in row.cells] for row in body_table.rows] == [list(row) for row in TASKS_TABLE]
    assert body_table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    runs = [[run for cell in row.cells for run in cell.paragraphs[0].runs] for row in body_table.rows]
    assert all(run.bold for run in runs[0])
    assert not any(run.bold for row in runs[1:] for run in row)
    assert {run.font.size.pt for row in runs for run in row} == {load_profile("state")["table"]["size"]}
    follower = body_table._tbl.getnext()
    assert follower.tag == qn("w:p") and not follower.xpath("string(.)")  # keeps tables apart
    stt, content, lead, when = (cell.width for cell in body_table.rows[1].cells)
    assert content > lead > when and content > stt
    for layout in (header, footer):
        borders = layout._tbl.tblPr.find(qn("w:tblBorders"))
        assert {edge.get(qn("w:val")) for edge in borders} == {"nil"}


def test_the_state_header_has_the_issuer_rule_and_the_national_heading():
    header = open_docx(render_docx(state_plan())).tables[0]
    (issuer_cell, heading_cell), (number_cell, date_cell) = (row.cells for row in header.rows)
    issuer, rule = issuer_cell.paragraphs  # no superior: no line for it
    assert issuer.text == "ỦY BAN NHÂN DÂN PHƯỜNG HÒA BÌNH" and issuer.runs[0].bold
    assert rule.text == "" and rule._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:val")) == "single"
    assert rule.paragraph_format.left_indent > 0
    assert [p.text for p in heading_cell.paragraphs] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                                         "Độc lập - Tự do - Hạnh phúc"]
    motto = heading_cell.paragraphs[1].runs[0]
    assert motto.bold and motto.underline
    assert number_cell.text == "Số: 10/KH-UBND"
    assert date_cell.text == "Hòa Bình, ngày 05 tháng 3 năm 2026" and date_cell.paragraphs[0].runs[0].italic


def test_the_party_header_has_the_superior_the_star_and_the_party_title():
    header = open_docx(render_docx(party_plan())).tables[0]
    (issuer_cell, title_cell), (number_cell, _) = (row.cells for row in header.rows)
    superior, issuer, star = issuer_cell.paragraphs
    assert (superior.text, issuer.text, star.text) == ("ĐẢNG BỘ QUẬN KIẾN AN", "ĐẢNG ỦY PHƯỜNG HÒA BÌNH", "*")
    assert not superior.runs[0].bold and issuer.runs[0].bold
    assert title_cell.text == "ĐẢNG CỘNG SẢN VIỆT NAM" and title_cell.paragraphs[0].runs[0].underline
    assert number_cell.text == "Số 05-KH/ĐU"


def test_the_signature_is_bold_upper_case_with_room_to_sign():
    footer = open_docx(render_docx(state_plan())).tables[-1]
    paragraphs = footer.rows[0].cells[1].paragraphs
    assert [p.text for p in paragraphs] == [
        "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", "", "", "", "Nguyễn Thị Tâm"]
    assert all(run.bold for p in paragraphs for run in p.runs)
    assert footer.rows[0]._tr.trPr.find(qn("w:cantSplit")) is not None


def test_body_blocks_keep_their_emphasis_and_indent():
    by_text = {p.text: p for p in open_docx(render_docx(state_plan())).paragraphs}
    assert by_text["I. MỤC ĐÍCH, YÊU CẦU"].runs[0].bold
    heading3 = by_text["1.1. Đẩy mạnh cải cách hành chính"].runs[0]
    assert heading3.bold and heading3.italic
    item = by_text["- Bám sát các chủ trương của Đảng, chính sách, pháp luật của Nhà nước."]
    assert item.paragraph_format.first_line_indent.cm == pytest.approx(1.27, abs=0.01)
    label = by_text["- Cơ quan thực hiện: Công chức Văn phòng - Thống kê."]
    assert [(run.text, bool(run.italic)) for run in label.runs] == [
        ("- ", False), ("Cơ quan thực hiện: ", True), ("Công chức Văn phòng - Thống kê.", False)]
    assert by_text[BODY[2].text].alignment == WD_ALIGN_PARAGRAPH.JUSTIFY


def test_an_unknown_block_kind_is_refused():
    with pytest.raises(ValueError, match="unknown block kind"):
        render_docx(state_plan(blocks=(Block("poem", "Trăng"),)))


def test_an_unknown_regime_has_no_profile():
    with pytest.raises(ValueError, match="no format profile"):
        load_profile("church")


def part_xml(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name)


def word_parts(data: bytes) -> list[str]:
    """The parts that hold text: the body and the page headers."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return [n for n in package.namelist() if n == "word/document.xml" or n.startswith("word/header")]


def assert_times_new_roman(rpr) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    assert [fonts.get(qn(a)) for a in FONT_ATTRS] == ["Times New Roman"] * 4
    assert not [a for a in THEME_FONT_ATTRS if fonts.get(qn(a))]


def recipient_lines(data: bytes) -> list[str]:
    return [p.text for p in open_docx(data).tables[-1].rows[0].cells[0].paragraphs]
