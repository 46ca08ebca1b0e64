"""The outgoing register as the spreadsheet a văn thư keeps (openpyxl): NĐ 30/2020, Phụ lục IV, mục I.

One sheet per register book (a year for state bodies, a term for Party bodies): the cover lines
(body, "SỔ ĐĂNG KÝ VĂN BẢN ĐI", year or term, from/to date and number), then the ten columns of the
model, numbered (1)…(10), one row per document; dates are date cells shown dd/mm/yyyy.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

COLUMNS = (  # (header, width)
    ("Số, ký hiệu văn bản", 16),
    ("Ngày tháng văn bản", 12),
    ("Tên loại và trích yếu nội dung văn bản", 48),
    ("Người ký", 20),
    ("Nơi nhận văn bản", 40),
    ("Đơn vị, người nhận bản lưu", 16),
    ("Số lượng bản", 9),
    ("Ngày chuyển", 12),
    ("Ký nhận", 18),
    ("Ghi chú", 34),
)
HEADER_ROW = 7  # the column headers; their numbers (1)…(10) under them, documents from the row after
DATE_FORMAT = "DD/MM/YYYY"
FONT = "Times New Roman"


def register_rows(book) -> list[tuple]:
    """The ten cells of each entry of a register book (plain values: str, int, date or None)."""
    rows = []
    for e in book.entries:
        about = e.subject if e.subject.startswith("V/v") else e.subject[:1].lower() + e.subject[1:]
        rows.append((e.reference, e.issued_on, f"{e.doc_type} {about}", e.signer, "\n".join(e.recipients),
                     e.archive, e.copies, e.sent_on, e.receipts, e.notes))
    return rows


def write_register(path: Path, books: list, superior: dict[str, str | None]) -> int:
    """Write each register book (services.register.Register) as a sheet of one workbook; returns the rows."""
    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    total = 0
    for book in books:
        title = book.book_label if len({b.body_id for b in books}) == 1 else f"{book.body_id} {book.book}"
        ws = wb.create_sheet(title[:31])
        entries = book.entries
        dates = [e.issued_on for e in entries]
        numbers = [e.number for e in entries]
        cover = [
            ((superior.get(book.body_id) or "").upper(), False),
            (book.body_name.upper(), True),
            ("SỔ ĐĂNG KÝ VĂN BẢN ĐI", True),
            (f"{book.book_label}", False),
            (f"Từ ngày {min(dates):%d/%m/%Y} đến ngày {max(dates):%d/%m/%Y}" if dates else "Từ ngày … đến ngày …",
             False),
            (f"Từ số {min(numbers):02d} đến số {max(numbers):02d}" if numbers else "Từ số … đến số …", False),
        ]
        for i, (text, bold) in enumerate(cover, 1):
            ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=len(COLUMNS))
            cell = ws.cell(row=i, column=1, value=text or None)
            cell.font = Font(name=FONT, size=14 if i == 3 else 12, bold=bold)
            cell.alignment = Alignment(horizontal="center")
        ws.row_dimensions[HEADER_ROW - 1].height = 6
        for col, (header, width) in enumerate(COLUMNS, 1):
            ws.column_dimensions[get_column_letter(col)].width = width
            for row, value in ((HEADER_ROW, header), (HEADER_ROW + 1, f"({col})")):
                cell = ws.cell(row=row, column=col, value=value)
                cell.font = Font(name=FONT, size=12, bold=row == HEADER_ROW)
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
                cell.border = box
        for r, values in enumerate(register_rows(book), HEADER_ROW + 2):
            for col, value in enumerate(values, 1):
                cell = ws.cell(row=r, column=col, value=value)
                cell.font = Font(name=FONT, size=12)
                cell.alignment = Alignment(vertical="top", wrap_text=True,
                                           horizontal="center" if col in (1, 2, 7, 8) else "left")
                cell.border = box
                if col in (2, 8) and value is not None:
                    cell.number_format = DATE_FORMAT
            total += 1
        ws.freeze_panes = ws.cell(row=HEADER_ROW + 2, column=1)
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW + 1}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    if not books:
        wb.create_sheet("Sổ văn bản đi")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return total
