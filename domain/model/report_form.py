"""A unit's report ("báo cáo của đơn vị") read back out of its filled form ("biểu mẫu"), and checked.

The form a unit receives (domain/model/forms.py) carries who it is for in two places that survive
Word and LibreOffice re-saving it: the italic line under each annexed table's title ("... mã kế hoạch:
1, mã đơn vị: MTTQ-HB, mã kỳ: 2026-Q4") and the file's custom document properties (kehoach.plan,
kehoach.unit, ...). Its tables keep the codes ("Mã chỉ tiêu", "Mã nhiệm vụ") of each row.

This module is pure: the adapter (domain/adapters/docx_read.py) hands it the document's paragraphs
and tables as text, cell by cell, the way a person left them in Word (typed figures, extra spaces,
"55 %", "0,5", "1.200", "01", a cell split into paragraphs, a row added); `read_form` finds the
form's identity and rows, `check_report` turns them into a `ReportEntry` for the unit, refusing
anything it cannot take with a message that names the cell and says what to do.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from domain.messages import DomainError, message
from domain.model.plan import PlanContent, Target, nfc, parse_number

# The custom document properties the form carries (docProps/custom.xml), and what they hold.
PROPERTY_PREFIX = "kehoach."
IDENTITY_FIELDS = ("plan", "plan_reference", "letter", "unit", "period")

TARGET_CODE, TASK_CODE = "mã chỉ tiêu", "mã nhiệm vụ"
TARGET_RESULT, TARGET_NOTE = "kết quả kỳ này", "ghi chú"
TASK_RESULT, TASK_ISSUES = "kết quả thực hiện", "khó khăn, kiến nghị"
# What a person writes in a cell to mean "nothing to report" ("không có số liệu").
EMPTY_MARKS = {"-", "–", "—", "--", "...", "…"}
# Units counted in whole things: a figure in them is a whole number, never negative.
COUNT_UNITS = {
    "mô hình", "người", "hộ", "lượt", "lượt người", "cuộc", "hội nghị", "buổi", "lớp", "vụ", "việc", "đơn vị",
    "tổ", "câu lạc bộ", "clb", "công trình", "gương", "tập thể", "cá nhân", "cơ sở", "đảng viên", "hội viên",
    "đoàn viên", "văn bản", "bài", "tin", "tin bài", "ý kiến", "kiến nghị", "đơn", "đơn thư", "trường hợp",
    "đợt", "nhà", "căn", "hồ sơ", "thôn", "xóm", "ấp", "bản", "khu phố", "tổ dân phố", "chi bộ", "đối tượng",
    "học viên", "lao động", "sáng kiến", "phong trào", "xã", "phường", "điểm", "chương trình", "cuộc họp",
    "hội thi", "giải", "suất", "phần quà", "sản phẩm", "tổ chức", "doanh nghiệp", "hợp tác xã", "gia đình",
    "khu dân cư", "tuyến", "tuyến đường", "cán bộ", "công chức", "chiến sĩ", "lần", "đoàn", "nhóm", "ban",
}


@dataclass(frozen=True)
class FormIdentity:
    """Whom a form was made for, as far as the file still says it; None where it says nothing."""

    plan: int | None = None
    plan_reference: str | None = None  # "01/KH-UBND"
    letter: str | None = None  # the request's number, "02/UBND"
    unit: str | None = None
    period: str | None = None  # "2026-Q4"

    def known(self) -> bool:
        return any(getattr(self, f) is not None for f in IDENTITY_FIELDS)


@dataclass(frozen=True)
class FormRow:
    """One row of a form table as filled: its code (None on a row the person added without one)."""

    table: str  # "Biểu mẫu số 01"
    row: int  # 1-based, the header not counted
    code: str | None
    result: str  # the result column ("Kết quả kỳ này" / "Kết quả thực hiện")
    note: str  # the last column ("Ghi chú" / "Khó khăn, kiến nghị")
    text: str = ""  # the row's description (a row the person added says there what it is)


@dataclass(frozen=True)
class FilledForm:
    """What `read_form` found: the identity, the target rows and the task rows."""

    identity: FormIdentity
    targets: tuple[FormRow, ...] = ()
    tasks: tuple[FormRow, ...] = ()
    tables: int = 0  # form tables found (with or without anything typed in them)


@dataclass(frozen=True)
class ReportEntry:
    """A unit's report for a period as stored: figures per target, texts per target and task.

    `texts` is {"targets": {id: note}, "tasks": {ref: {"result": ..., "issues": ...}}, "other": [...]},
    with empty parts left out.
    """

    figures: dict[str, float]
    note: str | None = None
    texts: dict[str, Any] = field(default_factory=dict)
    # figures whose spelling reads two ways, for the read-back to flag (not stored): {id: {written, spelling}}
    spellings: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)

    def same_as(self, figures: Mapping[str, Any], note: str | None, texts: Mapping[str, Any] | None) -> bool:
        """True when a stored version says exactly this (a second submission of the same report)."""
        return (self.figures == {k: float(v) for k, v in (figures or {}).items()}
                and (self.note or None) == (note or None) and self.texts == dict(texts or {}))


# --- the identity line, written into the form and read back -------------------------------------

def identity_text(identity: FormIdentity) -> str:
    """ "mã kế hoạch: 1 (Kế hoạch số 01/KH-UBND), mã đơn vị: MTTQ-HB, mã kỳ: 2026-Q4" for the form's note."""
    plan = f"mã kế hoạch: {identity.plan}"
    if identity.plan_reference:
        plan += f" (Kế hoạch số {identity.plan_reference})"
    return f"{plan}, mã đơn vị: {identity.unit}, mã kỳ: {identity.period}"


def identity_properties(identity: FormIdentity) -> tuple[tuple[str, str], ...]:
    """The custom document properties of a form: (("kehoach.plan", "1"), ("kehoach.unit", "MTTQ-HB"), ...)."""
    return tuple((PROPERTY_PREFIX + f, str(getattr(identity, f))) for f in IDENTITY_FIELDS
                 if getattr(identity, f) is not None)


_SPACES = re.compile(r"\s+")
_PATTERNS = {
    "plan": re.compile(r"mã\s*kế\s*hoạch\s*:\s*(\d+)", re.I),
    "plan_reference": re.compile(r"kế\s*hoạch\s*số\s*:?\s*([0-9]+\s*[/-]\s*[\w\-/Đđ]+?)(?=[\s,;)]|$)", re.I),
    "letter": re.compile(r"công\s*văn\s*số\s*:?\s*([0-9]+\s*[/-]\s*[\w\-/Đđ]+?)(?=[\s,;)]|$)", re.I),
    "unit": re.compile(r"mã\s*đơn\s*vị\s*:\s*([^\s,;)]+)", re.I),
    "period": re.compile(r"mã\s*kỳ\s*:\s*([^\s,;)]+)", re.I),
}


def _plain(text: str) -> str:
    """NFC, no-break and zero-width spaces as spaces, runs of spaces as one, trimmed."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u200b", "").replace("\u00d0", "Đ")
    return _SPACES.sub(" ", text).strip()


def read_identity(texts: list[str], properties: Mapping[str, str]) -> FormIdentity:
    """The identity a form carries: the first line that says "mã đơn vị: ..." (what a person sees
    wins), each field it lacks taken from the custom properties."""
    found: dict[str, Any] = {}
    for text in texts:
        line = _plain(text)
        if not _PATTERNS["unit"].search(line) and not _PATTERNS["period"].search(line):
            continue
        for name, pattern in _PATTERNS.items():
            m = pattern.search(line)
            if m and name not in found:
                found[name] = m.group(1).replace(" ", "")
        break
    for name in IDENTITY_FIELDS:
        value = _plain(properties.get(PROPERTY_PREFIX + name, ""))
        if value and name not in found:
            found[name] = value
    plan = found.get("plan")
    return FormIdentity(plan=int(plan) if plan and str(plan).isdigit() else None,
                        plan_reference=found.get("plan_reference"), letter=found.get("letter"),
                        unit=found.get("unit"), period=found.get("period"))


# --- the tables ----------------------------------------------------------------------------------

def _key(text: str) -> str:
    return _plain(text).casefold()


def code_key(code: str) -> str:
    """A code as compared: "ct 2", "CT2 ", "1.1." -> "ct2", "ct2", "1.1"."""
    return _key(code).replace(" ", "").rstrip(".")


def _column(header: list[str], *names: str) -> int | None:
    keys = [_key(h) for h in header]
    for name in names:
        if name in keys:
            return keys.index(name)
    return None


@dataclass(frozen=True)
class _Layout:
    """Where a form table keeps what is read: its name and the columns of code, result, note, text."""

    kind: str
    name: str
    columns: int
    code: int
    result: int | None
    note: int | None
    text: int | None


def _layout(header: list[str], name: str) -> _Layout | None:
    if _column(header, TARGET_CODE) is not None:
        return _Layout(TARGET_CODE, name, len(header), _column(header, TARGET_CODE),
                       _column(header, TARGET_RESULT, "kết quả"), _column(header, TARGET_NOTE),
                       _column(header, "chỉ tiêu"))
    if _column(header, TASK_CODE) is not None:
        return _Layout(TASK_CODE, name, len(header), _column(header, TASK_CODE),
                       _column(header, TASK_RESULT, "kết quả"),
                       _column(header, TASK_ISSUES, "khó khăn, vướng mắc", "ghi chú"), _column(header, "nhiệm vụ"))
    return None


def read_form(items: list[str | list[list[str]]], properties: Mapping[str, str]) -> FilledForm:
    """The identity and rows of a filled form, from the document's items in reading order: a
    paragraph's text, or a table as rows of cell texts (a cell's paragraphs joined by line breaks).

    A table is a form table when its first row has the "Mã chỉ tiêu" or "Mã nhiệm vụ" column; its
    name is the last "Biểu mẫu số ..." line before it. A table with no such header that follows a
    form table with only empty paragraphs between them, and has as many columns, is the rest of it
    (Word's "Split Table", or Enter pressed between two rows). Rows with nothing typed in them are
    skipped.
    """
    texts = [i for i in items if isinstance(i, str)]
    identity = read_identity(texts, properties)
    rows: dict[str, list[FormRow]] = {TARGET_CODE: [], TASK_CODE: []}
    heading, count, last, numbered = None, 0, None, 0
    for item in items:
        if isinstance(item, str):
            line = _plain(item)
            if len(line) <= 40 and re.match(r"(biểu\s*mẫu|phụ\s*lục)\b", line, re.I):
                heading = line  # "Biểu mẫu số 01"
            if line:
                last = None
            continue
        if not item:
            continue
        layout = _layout(item[0], "")
        if layout is not None:
            count += 1
            layout = replace(layout, name=heading or message("form_table_name", number=f"{count:02d}"))
            heading, body, numbered = None, item[1:], 0
        elif last is not None and all(len(cells) == last.columns for cells in item):
            layout, body = last, item  # the rest of the table before
        else:
            last = None
            continue
        for cells in body:
            numbered += 1

            def cell(at: int | None) -> str:
                return cells[at].strip() if at is not None and at < len(cells) else ""

            code = _plain(cell(layout.code))
            row = FormRow(table=layout.name, row=numbered, code=code or None, result=_cell_text(cell(layout.result)),
                          note=_cell_text(cell(layout.note)), text=_cell_text(cell(layout.text)))
            if row.code or row.result or row.note or row.text:
                rows[layout.kind].append(row)  # a row with a code (as issued), or one the person added and wrote in
        last = layout
    return FilledForm(identity=identity, targets=tuple(rows[TARGET_CODE]), tasks=tuple(rows[TASK_CODE]),
                      tables=count)


def _cell_text(text: str) -> str:
    """A cell's text as kept: each paragraph's spaces tidied, empty paragraphs dropped, an "empty" mark as ""."""
    lines = [_plain(line) for line in text.split("\n")]
    text = "\n".join(line for line in lines if line)
    return "" if text in EMPTY_MARKS else text


# --- figures -------------------------------------------------------------------------------------

def is_count_unit(unit: str | None) -> bool:
    """ "mô hình", "người", "lượt người/năm" ... are counted in whole things."""
    if not unit:
        return False
    head = _key(unit).split("/")[0].strip()
    return head in COUNT_UNITS


def _figure_text(raw: str, target: Target) -> str:
    """The figure as typed, without the target's own unit written after it ("02 mô hình") or a final dot."""
    text = _plain(raw.replace("\n", " "))
    unit = (target.unit or "").strip()
    if unit and unit != "%" and _key(text).endswith(_key(unit)):
        text = text[: len(text) - len(unit)].strip()
    if re.fullmatch(r"-?[\d.,\s]+\.", text):
        text = text[:-1]  # "55." as some type it
    return text


def figure_value(raw: str, target: Target) -> float | None:
    """The number typed for `target`: "55", "55 %", "55%", "0,5", "1.200", "01", "02 mô hình" (its own
    unit written after it); None when it is not a number."""
    text = _figure_text(raw, target)
    unit = (target.unit or "").strip()
    if text.endswith("%") and unit and unit != "%":
        return None  # "55%" for a count of "mô hình"
    try:
        return parse_number(text, field_name=target.id)
    except DomainError:
        return None


# Spellings that read two ways. Vietnamese write a decimal comma and group thousands with dots ("1.200,5");
# English write the other way round. "1,200" (groups of three after commas) is 1,2 to a Vietnamese reader
# and 1200 to an English one; "1.5" (a dot not grouping thousands) can only be a decimal point.
COMMA_GROUPS = re.compile(r"-?[1-9]\d{0,2}(,\d{3})+")
DOT_GROUPS = re.compile(r"-?\d{1,3}(\.\d{3})+(,\d+)?")
SPELLINGS = ("comma_groups", "dot_decimal")


def spelling(raw: str, target: Target) -> str | None:
    """How a figure was spelled when it may not mean what it is read as: "comma_groups" ("1,200") or
    "dot_decimal" ("1.5"); None when it reads one way only ("1.200", "1,5", "55 %", "02")."""
    text = _figure_text(raw, target).replace(" ", "").rstrip("%")
    if COMMA_GROUPS.fullmatch(text):
        return "comma_groups"
    if "." in text and "," not in text and not DOT_GROUPS.fullmatch(text) and re.fullmatch(r"-?\d+\.\d+", text):
        return "dot_decimal"
    return None


def read_spelled(raw: str, target: Target, *, where: str) -> tuple[float | None, dict[str, str] | None]:
    """(the figure typed for `target`, or None when it is not a number; how it was spelled when that needs a
    second look: {"written", "spelling"}). "1,200" for a count ("mô hình", "người", "hộ", …) is refused
    as ambiguous rather than read as 1,2 and then refused as a fraction."""
    spelled = spelling(raw, target)
    written = _figure_text(raw, target)
    digits = written.replace(" ", "").rstrip("%")
    if spelled == "comma_groups" and digits.count(",") > 1:  # "1,000,000": thousands the English way, nothing else
        raise DomainError("figure_comma_grouping", where=where, value=written, whole=digits.replace(",", ""),
                          whole_dotted=digits.replace(",", "."))
    if spelled == "comma_groups" and is_count_unit(target.unit):
        raise DomainError("figure_ambiguous_grouping", where=where, value=written, unit=target.unit,
                          whole=digits.replace(",", ""), whole_dotted=digits.replace(",", "."),
                          decimal=f"{parse_number(digits, field_name=target.id):g}".replace(".", ","))
    value = figure_value(raw, target)
    return value, ({"written": written, "spelling": spelled} if spelled and value is not None else None)


def read_figure(raw: str, target: Target, *, where: str) -> float:
    """The figure typed in a form's cell for `target`, refused unless it is a number plausible for its unit."""
    return read_checked(raw, target, where=where)[0]


def read_checked(raw: str, target: Target, *, where: str) -> tuple[float, dict[str, str] | None]:
    """`read_figure`, with how it was spelled when that needs a second look (see `read_spelled`)."""
    value, spelled = read_spelled(raw, target, where=where)
    if value is None:
        unit = (target.unit or "").strip()
        raise DomainError("form_figure_not_number", where=where, value=_plain(raw.replace("\n", " ")),
                          unit=f" {unit}" if unit and unit != "%" else "")
    check_plausible(value, target, where=where)
    return value, spelled


def check_plausible(value: float, target: Target, *, where: str) -> None:
    """% within 0–100; counts whole and not negative."""
    shown = f"{value:g}".replace(".", ",")
    if target.unit == "%" and not 0 <= value <= 100:
        raise DomainError("figure_percent_range", where=where, value=shown)
    if is_count_unit(target.unit):
        if value < 0:
            raise DomainError("figure_negative_count", where=where, value=shown, unit=target.unit)
        if value != int(value):
            raise DomainError("figure_fractional_count", where=where, value=shown, unit=target.unit)


def cell_where(row: FormRow, column: str, kind: str) -> str:
    """ "Biểu mẫu số 01, dòng 2 (chỉ tiêu CT2), cột «Kết quả kỳ này»"."""
    what = f" ({kind} {row.code})" if row.code else ""
    return message("form_cell", table=row.table, row=row.row, what=what, column=column)


# --- the report for a unit -----------------------------------------------------------------------

def check_report(form: FilledForm, *, content: PlanContent, unit: str) -> ReportEntry:
    """The unit's report from its filled form, or a refusal naming the first cell that cannot be taken.

    Every code must be one of the unit's targets or tasks, once; a figure must be a number plausible
    for its target; a row added without a code may only hold text (kept under "other"). A form with
    nothing filled in is refused.
    """
    targets = {code_key(t.id): t for t in content.targets_for(unit)}
    tasks = {code_key(t.ref): t for t in content.tasks_for(unit)}
    figures: dict[str, float] = {}
    target_notes: dict[str, str] = {}
    task_texts: dict[str, dict[str, str]] = {}
    other: list[str] = []
    seen: dict[str, FormRow] = {}
    spellings: dict[str, dict[str, str]] = {}
    for row in form.targets:
        if row.code is None:
            if row.result:
                raise DomainError("form_figure_without_code",
                                  where=cell_where(row, "Kết quả kỳ này", "chỉ tiêu"), value=row.result)
            other.append(" — ".join(x for x in (row.text, row.note) if x))
            continue
        target = targets.get(code_key(row.code))
        if target is None:
            raise DomainError("form_target_not_for_unit", where=message("form_row", table=row.table, row=row.row),
                              mark=row.code, unit=unit, codes=", ".join(t.id for t in targets.values()) or "không có")
        _once(seen, "ct:" + target.id, row, target.id)
        if row.result:
            figures[target.id], spelled = read_checked(row.result, target,
                                                       where=cell_where(row, "Kết quả kỳ này", "chỉ tiêu"))
            if spelled:
                spellings[target.id] = spelled
        if row.note:
            target_notes[target.id] = row.note
    for row in form.tasks:
        if row.code is None:
            other.append(" — ".join(x for x in (row.text, row.result, row.note) if x))
            continue
        task = tasks.get(code_key(row.code))
        if task is None:
            raise DomainError("form_task_not_for_unit", where=message("form_row", table=row.table, row=row.row),
                              mark=row.code, unit=unit, codes=", ".join(t.ref for t in tasks.values()) or "không có")
        _once(seen, "nv:" + task.ref, row, task.ref)
        if row.result or row.note:
            task_texts[task.ref] = {k: v for k, v in (("result", row.result), ("issues", row.note)) if v}
    other = [o for o in other if o]
    if not figures and not target_notes and not task_texts and not other:
        raise DomainError("form_empty")
    texts = {k: v for k, v in (("targets", target_notes), ("tasks", task_texts), ("other", other)) if v}
    return ReportEntry(figures=figures, texts=texts, spellings=spellings)


def _once(seen: dict[str, FormRow], key: str, row: FormRow, code: str) -> None:
    if key in seen:
        first = seen[key]
        raise DomainError("form_code_twice", mark=code, first=message("form_row", table=first.table, row=first.row),
                          second=message("form_row", table=row.table, row=row.row))
    seen[key] = row


def _finite(raw: Any) -> float | None:
    try:
        return parse_number(raw, field_name="")
    except DomainError:
        return None


def entry_from_data(data: Mapping[str, Any], *, content: PlanContent, unit: str) -> ReportEntry:
    """The unit's report from a structured file: {figures: {CT1: 1, CT2: "55 %"}, note: ..., tasks:
    {"1.1": "kết quả ..." or {result: ..., issues: ...}}}, checked as a form is. It may say nothing
    (a unit with no target reporting that it has reported); a blank form is refused as a mistake."""
    targets = {t.id: t for t in content.targets_for(unit)}
    tasks = {t.ref: t for t in content.tasks_for(unit)}
    figures: dict[str, float] = {}
    spellings: dict[str, dict[str, str]] = {}
    for key, raw in dict(data.get("figures") or {}).items():
        target = targets.get(nfc(str(key)))
        if target is None:
            raise DomainError("target_not_for_unit", target=key, unit=unit,
                              targets=", ".join(sorted(targets)) or "không có")
        where = message("file_figure", target=target.id)
        value, spelled = (None, None) if isinstance(raw, bool) or raw is None else (
            read_spelled(raw, target, where=where) if isinstance(raw, str) else (_finite(raw), None))
        if value is None:
            raise DomainError("figure_not_number", value=raw, target=target.id)
        check_plausible(value, target, where=where)
        figures[target.id] = value
        if spelled:
            spellings[target.id] = spelled
    task_texts: dict[str, dict[str, str]] = {}
    for key, raw in dict(data.get("tasks") or {}).items():
        ref = nfc(str(key))
        if ref not in tasks:
            raise DomainError("form_task_not_for_unit", where=message("file_tasks"), mark=ref, unit=unit,
                              codes=", ".join(tasks) or "không có")
        parts = raw if isinstance(raw, dict) else {"result": raw}
        texts = {k: _cell_text(str(parts.get(k) or "")) for k in ("result", "issues")}
        if any(texts.values()):
            task_texts[ref] = {k: v for k, v in texts.items() if v}
    note = data.get("note")
    note = _cell_text(str(note)) if note is not None else None
    texts = {"tasks": task_texts} if task_texts else {}
    return ReportEntry(figures=figures, note=note or None, texts=texts, spellings=spellings)
