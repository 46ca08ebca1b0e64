"""Number and symbol ("số và ký hiệu") and the date line, by regime.

State (NĐ 30/2020): "Số: 10/KH-UBND", one series per body per calendar year.
Party (HD 36-HD/VPTW): "Số 48-KH/ĐU", one series per body, term ("nhiệm kỳ") and type.
A công văn (`LETTER`) has no tên loại: "Số: 12/UBND" (state), "Số 12-CV/ĐU" (Party).
"""
from __future__ import annotations

from datetime import date

TYPE_CODES = {
    "KẾ HOẠCH": "KH",
    "BÁO CÁO": "BC",
    "THÔNG BÁO": "TB",
    "CHƯƠNG TRÌNH": "CTr",
    "HƯỚNG DẪN": "HD",
    "QUYẾT ĐỊNH": "QĐ",
    "NGHỊ QUYẾT": "NQ",
    "CHỈ THỊ": "CT",
    "ĐỀ ÁN": "ĐA",
    "TỜ TRÌNH": "TTr",
    "CÔNG VĂN": "CV",  # the Party's code; a state công văn's symbol has no type code (see `symbol`)
}
LETTER = "CÔNG VĂN"  # công văn: an official letter without tên loại, e.g. a request for reports
LETTER_CODE = TYPE_CODES[LETTER]


def type_code(doc_type: str) -> str:
    return TYPE_CODES[doc_type.upper()]


def series_key(*, regime: str, issued_on: date, term: str | None, code: str) -> str:
    """The register series a number is drawn from."""
    if regime == "party":
        return f"{term or issued_on.year}/{code}"
    return str(issued_on.year)


def symbol(*, regime: str, code: str, body_abbr: str) -> str:
    """ "KH-UBND", "KH/ĐU"; a state công văn is the body's abbreviation alone ("UBND"), since NĐ 30
    Phụ lục III has no abbreviation for it, while the Party writes "CV/ĐU"."""
    if code == LETTER_CODE and regime != "party":
        return body_abbr
    return f"{code}/{body_abbr}" if regime == "party" else f"{code}-{body_abbr}"


def number_line(*, regime: str, number: int | None, sym: str) -> str:
    """ "Số: 05/KH-UBND" or "Số 48-KH/ĐU"; a draft (number None) leaves the gap to fill by hand."""
    n = f"{number:02d}" if number is not None else "      "
    return f"Số {n}-{sym}" if regime == "party" else f"Số: {n}/{sym}"


def reference(*, regime: str, number: int, sym: str) -> str:
    """The number-symbol as cited in other texts: "10/KH-UBND", "48-KH/ĐU"."""
    return f"{number:02d}-{sym}" if regime == "party" else f"{number:02d}/{sym}"


def date_words(d: date) -> str:
    """ "ngày 05 tháng 3 năm 2024": day < 10 and months 1, 2 take a leading zero."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def date_line(place: str | None, d: date | None) -> str:
    if d is None:
        return f"{place + ', ' if place else ''}ngày      tháng      năm"
    return f"{place + ', ' if place else ''}{date_words(d)}"
