"""The official document as laid out on paper, before any file format.

`OfficialDocument` is what a renderer (domain/adapters/docx_render.py) turns into bytes; the
functions here build it from a plan or a review, purely. Same data, same document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.model import numbering
from domain.model.org import Body
from domain.model.plan import Form, PlanContent, Section, walk_sections

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


@dataclass(frozen=True)
class Chart:
    """A bar chart of figures: one group of bars per category, one bar per series.

    `series` is ((name, values), ...), each `values` as long as `categories`; None is a
    missing figure (no bar). The review's chart is ("Kế hoạch", ...), ("Kết quả", ...).
    """

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    unit: str | None = None  # axis label, e.g. "%"


@dataclass(frozen=True)
class Block:
    """One piece of body text.

    kind: "heading1" ("I. MỤC ĐÍCH, YÊU CẦU", bold), "heading2" ("1. ...", bold),
    "heading3" ("1.1. ...", bold italic), "paragraph" (justified, first-line indent),
    "item" (a "- " line), "label" (an italic label then text: `label` + `text`),
    "table" (`rows`; the first `header_rows` rows are bold header rows, repeated on each page;
    an empty string is an empty cell, left for the reader to fill),
    "chart" (`chart`, drawn as a picture the width of the text, `text` its caption).
    """

    kind: str
    text: str = ""
    label: str | None = None
    rows: tuple[tuple[str, ...], ...] = ()
    header_rows: int = 1
    chart: Chart | None = None


@dataclass(frozen=True)
class Annex:
    """An annexed table ("biểu mẫu", "phụ lục") on landscape pages after the signature.

    heading: "Biểu mẫu số 01" (bold, centred); title: what it is (bold, centred);
    note: an italic line under the title ("Kèm theo Kế hoạch số 05/KH-UBND ...") or None;
    rows and header_rows as in a "table" block.
    """

    heading: str
    title: str
    rows: tuple[tuple[str, ...], ...]
    header_rows: int = 1
    note: str | None = None


@dataclass(frozen=True)
class OfficialDocument:
    """A document with "tên loại" (KẾ HOẠCH, BÁO CÁO, ...) in the layout of its regime."""

    regime: str  # "state" (NĐ 30/2020) or "party" (HD 36-HD/VPTW)
    issuer_name: str  # upper case: "ỦY BAN NHÂN DÂN PHƯỜNG HÒA BÌNH"
    number_line: str  # "Số: 10/KH-UBND" or "Số 48-KH/ĐU"
    date_line: str  # "Hòa Bình, ngày 05 tháng 3 năm 2026"
    doc_type: str  # "KẾ HOẠCH"
    title: str  # trích yếu
    superior: str | None = None  # cơ quan chủ quản / cấp trên trực tiếp, upper case
    preamble: tuple[str, ...] = ()
    blocks: tuple[Block, ...] = ()
    recipients: tuple[str, ...] = ()  # lines as written, without "- " and end punctuation
    signer_capacity: tuple[str, ...] = ()  # "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"
    signer_title: str = ""  # "PHÓ CHỦ TỊCH"
    signer_name: str = ""
    file_stem: str = ""  # Vietnamese file name without extension
    # A công văn has no tên loại (doc_type and title empty): its trích yếu "V/v ..." stands
    # under the number (ô 5b) and "Kính gửi:" lines open the body (ô 9a).
    subject: str | None = None
    addressees: tuple[str, ...] = ()
    annexes: tuple[Annex, ...] = ()
    # Custom document properties (name, text) the file carries, e.g. a report form's identity
    # ("kehoach.unit", "MTTQ-HB"): Word and LibreOffice keep them when the file is saved again.
    properties: tuple[tuple[str, str], ...] = ()


def header_fields(*, issuer: Body, regime: str, doc_type: str,
                  number: int | None, issued_on: date | None, place: str | None) -> dict:
    code = numbering.type_code(doc_type)
    sym = numbering.symbol(regime=regime, code=code, body_abbr=issuer.abbr or code)
    return dict(
        regime=regime,
        issuer_name=issuer.name.upper(),
        superior=issuer.superior,
        number_line=numbering.number_line(regime=regime, number=number, sym=sym),
        date_line=numbering.date_line(place or issuer.place, issued_on),
        doc_type=doc_type.upper(),
    )


def office_title(title: str) -> str:
    """ "PHÓ CHỦ TỊCH" -> "Phó Chủ tịch", "BÍ THƯ" -> "Bí thư": a title as written in running text."""
    words = title.lower().split()
    start = 1 if words[:1] == ["phó"] and len(words) > 1 else 0
    return " ".join(w.capitalize() if i in (0, start) else w for i, w in enumerate(words))


def _number(path: tuple[int, ...]) -> str:
    if len(path) == 1:
        return ROMAN[path[0] - 1] + "."
    return ".".join(str(p) for p in path[1:]) + "."


def plan_blocks(content: PlanContent, names: dict[str, str], replaces: str | None = None) -> tuple[Block, ...]:
    """The body of a plan: numbered sections, then their paragraphs, targets and tasks; a replacement
    plan says which plan it replaces ("Kế hoạch này thay thế Kế hoạch số …") before its closing."""
    blocks: list[Block] = []
    target_no = 0
    for path, section in walk_sections(content):
        if section.number is not None:
            blocks.extend(_written_section(content, section, len(path), names))
            continue
        kind = "heading1" if len(path) == 1 else ("heading2" if len(path) == 2 else "heading3")
        title = section.title.upper() if len(path) == 1 else section.title
        blocks.append(Block(kind, f"{_number(path)} {title}"))
        blocks.extend(_paragraphs(section))
        for tid in section.targets:
            target_no += 1
            t = content.target(tid)
            blocks.append(Block("paragraph", f"({target_no}) {t.text}"))
            blocks.extend(_assignments(content, tid, names))
        for ref in section.tasks:
            task = content.task(ref)
            blocks.append(Block("paragraph", f"{task.ref}. {task.text}" if not task.ref.endswith(".")
                                else f"{task.ref} {task.text}"))
            blocks.extend(_task_lines(task, names))
    if replaces:
        blocks.append(Block("paragraph", replaces))
    if content.closing:
        blocks.append(Block("paragraph", content.closing))
    return tuple(blocks)


def _written_section(content: PlanContent, section: Section, depth: int, names: dict[str, str]) -> list[Block]:
    """A part numbered as its author wrote it: heading or numbered paragraph, text, task lines."""
    text = f"{section.number} {section.title}".strip()
    if depth == 1:
        kind = "heading1"
    elif not section.number[:1].isdigit() or len(section.title) > 100 or ". " in section.title.rstrip("."):
        kind = "paragraph"  # "(1) ...", "a) ...", or a whole sentence that is numbered
    else:
        kind = "heading2" if depth == 2 else "heading3"
    blocks = [Block(kind, text), *_paragraphs(section)]
    if section.task:
        blocks.extend(_task_lines(content.task(section.task), names))
    return blocks


def _paragraphs(section: Section) -> list[Block]:
    """A paragraph written "- ..." is a list item."""
    return [Block("item", p[2:]) if p.startswith("- ") else Block("paragraph", p) for p in section.paragraphs]


def _names(ids: tuple[str, ...], names: dict[str, str]) -> str:
    return "; ".join(names.get(i, i) for i in ids)


def _task_lines(task, names: dict[str, str]) -> list[Block]:
    if task.written_matches(names):
        return [Block("label", text, label=f"{label}: ") for label, text in task.written]
    lines = []
    for attr, label in (("lead", "Cơ quan lãnh đạo"), ("advisory", "Cơ quan tham mưu"),
                        ("executing", "Cơ quan thực hiện"), ("cooperating", "Cơ quan phối hợp")):
        ids = getattr(task, attr)
        if ids:
            lines.append(Block("label", _names(ids, names) + ".", label=f"{label}: "))
    if task.timeframe:
        lines.append(Block("label", task.timeframe + ".", label="Thời gian thực hiện: "))
    return lines


def _assignments(content: PlanContent, tid: str, names: dict[str, str]) -> list[Block]:
    """A target placed in a section shows the bodies of the tasks that carry it."""
    for task in content.tasks:
        if tid in task.targets:
            return _task_lines(task, names)
    return []


def plan_document(*, content: PlanContent, issuer: Body, names: dict[str, str],
                  number: int | None, issued_on: date | None, replaces: str | None = None) -> OfficialDocument:
    """The KẾ HOẠCH as it is signed: draft when `number` is None; `replaces` the line naming the plan
    it replaces, if any."""
    signer = content.signer
    return OfficialDocument(
        **header_fields(issuer=issuer, regime=issuer.regime, doc_type=content.doc_type,
                        number=number, issued_on=issued_on, place=content.place),
        title=content.title,
        preamble=content.preamble,
        blocks=plan_blocks(content, names, replaces),
        recipients=tuple(r.line() for r in content.recipients),
        signer_capacity=signer.capacity if signer else (),
        signer_title=signer.title if signer else "",
        signer_name=signer.name if signer else "",
        file_stem=file_stem(content.doc_type, number, issuer, issued_on, content.title),
        annexes=tuple(_annex(i, form) for i, form in enumerate(content.forms, 1)),
    )


def _annex(index: int, form: Form) -> Annex:
    """ "Biểu mẫu số 01 KẾT QUẢ ..." -> heading "Biểu mẫu số 01", title "KẾT QUẢ ..."."""
    m = re.match(r"^((?:Biểu mẫu|BIỂU MẪU|Mẫu|Phụ lục|PHỤ LỤC)(?:\s+số)?(?:\s+[\dIVX]+[a-z]?)?)\s*[:.\-–]?\s*(.*)$",
                 form.title)
    heading, title = (m.group(1), m.group(2)) if m else (f"Biểu mẫu số {index:02d}", form.title)
    return Annex(heading=heading, title=title, rows=form.rows, header_rows=form.header_rows)


def file_stem(doc_type: str, number: int | None, issuer: Body, issued_on: date | None, title: str) -> str:
    """ "Kế hoạch 05-KH-UBND ngày 23-11-2026 - Triển khai công tác dân vận" (no "/" in file names)."""
    code = numbering.type_code(doc_type)
    sym = numbering.symbol(regime=issuer.regime, code=code, body_abbr=issuer.abbr or code)
    ref = numbering.reference(regime=issuer.regime, number=number, sym=sym) if number else "dự thảo"
    when = f" ngày {issued_on:%d-%m-%Y}" if issued_on else ""
    short = title if len(title) <= 60 else title[:60].rsplit(" ", 1)[0]
    name = f"{doc_type.capitalize()} {ref}{when} - {short}"
    return "".join("-" if ch in '/\\:*?"<>|' else ch for ch in name)
