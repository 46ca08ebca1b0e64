"""The .docx renderer: official format, stable bytes, fonts, page numbers, recipients, tables."""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from domain.adapters.docx_render import load_profile, render_docx
from domain.model.documents import Block, OfficialDocument

REPO = Path(__file__).resolve().parents[1]
CHECKER = REPO.parent / "shared" / "tools" / "docx_check.py"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

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


def part_xml(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name).decode("utf-8")


def run_checker(tmp_path: Path, doc: OfficialDocument) -> subprocess.CompletedProcess:
    if not CHECKER.is_file():
        pytest.skip(f"official format checker not found at {CHECKER}")
    path = tmp_path / f"{doc.regime}.docx"
    path.write_bytes(render_docx(doc))
    return subprocess.run([sys.executable, str(CHECKER), str(path), "--regime", doc.regime],
                          capture_output=True, text=True, timeout=60)


def test_a_state_plan_passes_the_official_format_check(tmp_path):
    result = run_checker(tmp_path, state_plan())
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_party_plan_passes_the_official_format_check(tmp_path):
    result = run_checker(tmp_path, party_plan())
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_same_document_renders_to_the_same_bytes():
    first = render_docx(state_plan())
    assert render_docx(state_plan()) == first
    script = ("import hashlib, sys; sys.path[:0] = sys.argv[1:3]; import test_docx_render as t; "
              "from domain.adapters.docx_render import render_docx; "
              "print(hashlib.sha256(render_docx(t.state_plan())).hexdigest())")
    other_process = subprocess.run(
        [sys.executable, "-c", script, str(REPO), str(REPO / "tests")], capture_output=True, text=True,
        timeout=60, env={**os.environ, "PYTHONHASHSEED": "12345"}, check=True)
    assert other_process.stdout.strip() == hashlib.sha256(first).hexdigest()
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_different_document_renders_to_different_bytes():
    assert render_docx(state_plan()) != render_docx(state_plan(signer_name="Lê Văn Bình"))


@pytest.mark.parametrize("make", [state_plan, party_plan], ids=["state", "party"])
def test_every_run_is_set_in_times_new_roman(make):
    data = render_docx(make())
    for name in ("word/document.xml", "word/header1.xml", "word/header2.xml"):
        xml = part_xml(data, name) if name != "word/header2.xml" or _has(data, name) else ""
        assert xml.count("<w:r>") + xml.count("<w:r ") == xml.count('w:hAnsi="Times New Roman"'), name
    document = open_docx(data)
    runs = [run for paragraph in _all_paragraphs(document) for run in paragraph.runs]
    assert runs
    for run in runs:
        fonts = run._r.rPr.rFonts
        assert [fonts.get(qn(a)) for a in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia")] == ["Times New Roman"] * 4
        assert fonts.get(qn("w:asciiTheme")) is None
    body_size = load_profile(make().regime)["body"]["size"]
    defaults = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr")[0]
    for rpr in (defaults, document.styles["Normal"].element.rPr):
        assert rpr.rFonts.get(qn("w:eastAsia")) == "Times New Roman"
        assert rpr.rFonts.get(qn("w:eastAsiaTheme")) is None
        assert rpr.sz_val.pt == body_size


def test_page_numbers_start_on_page_two():
    data = render_docx(state_plan())
    document = open_docx(data)
    section = document.sections[0]
    assert section._sectPr.find(qn("w:titlePg")) is not None
    default_header = section.header._element
    instructions = [t.text.strip() for t in default_header.iter(qn("w:instrText"))]
    assert instructions == ["PAGE"]
    assert section.header.paragraphs[0].alignment == 1  # centred
    first_header = section.first_page_header
    assert not first_header.is_linked_to_previous
    assert not list(first_header._element.iter(qn("w:instrText")))
    assert not list(first_header._element.iter(qn("w:fldSimple")))


def test_recipients_end_with_semicolons_and_the_last_with_a_full_stop():
    lines = _recipient_lines(open_docx(render_docx(state_plan())))
    assert lines == [
        "Nơi nhận:",
        "- Thường trực Đảng ủy phường;",
        "- Thường trực HĐND phường;",
        "- Chủ tịch, các Phó Chủ tịch UBND phường;",
        "- Các tổ dân phố;",
        "- Lưu: VT, VP.",
    ]


def test_party_recipients_follow_the_party_profile():
    lines = _recipient_lines(open_docx(render_docx(party_plan())))
    assert lines == [
        "Nơi nhận:",
        "- Ban Thường vụ Quận ủy (để báo cáo),",
        "- Các chi bộ trực thuộc,",
        "- Lưu Văn phòng Đảng ủy.",
    ]


def test_tables_render_as_word_tables():
    document = open_docx(render_docx(state_plan()))
    header, body_table, footer = document.tables
    assert body_table.style.name == "Table Grid"
    assert [[cell.text for cell in row.cells] for row in body_table.rows] == [list(r) for r in TASKS_TABLE]
    header_runs = [run for cell in body_table.rows[0].cells for run in cell.paragraphs[0].runs]
    assert header_runs and all(run.bold for run in header_runs)
    assert all(not run.bold for cell in body_table.rows[1].cells for run in cell.paragraphs[0].runs)
    table_size = load_profile("state")["table"]["size"]
    assert {run.font.size.pt for row in body_table.rows for cell in row.cells
            for run in cell.paragraphs[0].runs} == {table_size}
    widths = [cell.width for cell in body_table.rows[1].cells]
    assert widths[1] > widths[3] > widths[0] - 1  # the long column is the widest
    for layout in (header, footer):
        borders = layout._tbl.tblPr.find(qn("w:tblBorders"))
        assert {edge.get(qn("w:val")) for edge in borders} == {"nil"}


def test_the_header_carries_the_state_heading_and_the_issuer_rule():
    header = open_docx(render_docx(state_plan())).tables[0]
    left, right = (cell.text.split("\n") for cell in header.columns[0].cells[:1] + header.columns[1].cells[:1])
    assert left == ["ỦY BAN NHÂN DÂN PHƯỜNG HÒA BÌNH", ""]  # the empty line carries the rule
    assert right == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    rule = header.rows[0].cells[0].paragraphs[1]
    assert rule._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:val")) == "single"
    motto = header.rows[0].cells[1].paragraphs[1].runs[0]
    assert motto.underline and motto.bold
    number, date = header.rows[1].cells
    assert number.text == "Số: 10/KH-UBND"
    assert date.text == "Hòa Bình, ngày 05 tháng 3 năm 2026" and date.paragraphs[0].runs[0].italic


def test_the_party_header_has_the_superior_the_star_and_the_party_title():
    header = open_docx(render_docx(party_plan())).tables[0]
    assert header.rows[0].cells[0].text.split("\n") == ["ĐẢNG BỘ QUẬN KIẾN AN", "ĐẢNG ỦY PHƯỜNG HÒA BÌNH", "*"]
    superior, issuer, _ = header.rows[0].cells[0].paragraphs
    assert not superior.runs[0].bold and issuer.runs[0].bold
    assert header.rows[0].cells[1].text == "ĐẢNG CỘNG SẢN VIỆT NAM"
    assert header.rows[1].cells[0].text == "Số 05-KH/ĐU"


def test_the_signature_block_is_bold_and_upper_case_with_room_to_sign():
    footer = open_docx(render_docx(state_plan())).tables[-1]
    paragraphs = footer.rows[0].cells[1].paragraphs
    texts = [p.text for p in paragraphs]
    assert texts == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", "", "", "", "Nguyễn Thị Tâm"]
    assert all(run.bold for p in paragraphs for run in p.runs)


def test_body_blocks_keep_their_emphasis():
    document = open_docx(render_docx(state_plan()))
    by_text = {p.text: p for p in document.paragraphs}
    assert by_text["I. MỤC ĐÍCH, YÊU CẦU"].runs[0].bold
    heading3 = by_text["1.1. Đẩy mạnh cải cách hành chính"].runs[0]
    assert heading3.bold and heading3.italic
    item = by_text["- Bám sát các chủ trương của Đảng, chính sách, pháp luật của Nhà nước."]
    assert item.paragraph_format.first_line_indent.cm == pytest.approx(1.27, abs=0.01)
    label = by_text["- Cơ quan thực hiện: Công chức Văn phòng - Thống kê."]
    assert [(r.text, bool(r.italic)) for r in label.runs] == [
        ("- ", False), ("Cơ quan thực hiện: ", True), ("Công chức Văn phòng - Thống kê.", False)]
    assert by_text[BODY[2].text].alignment == 3  # justified


def test_an_unknown_block_kind_is_refused():
    with pytest.raises(ValueError, match="unknown block kind"):
        render_docx(state_plan(blocks=(Block("poem", "Trăng"),)))


def _has(data: bytes, name: str) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return name in package.namelist()


def _all_paragraphs(document):
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs
    for section in document.sections:
        yield from section.header.paragraphs
        yield from section.first_page_header.paragraphs


def _recipient_lines(document) -> list[str]:
    return [p.text for p in document.tables[-1].rows[0].cells[0].paragraphs]
