"""Reading a plan that people wrote (a Word draft or its text export) into its structure.

`read_plan(items)` takes the document as a sequence of lines (str) and tables (`Table`), in
reading order, and returns an `ImportedPlan`: the fields a careful reader takes out of the
text (number, date, title, cited documents, sections, targets, tasks, recipients, signer,
annexed forms) and the text itself, placed in numbered sections, so that nothing is lost.
What could not be placed is kept in `loose`, never dropped. Nothing is invented: a field the
text does not state is None.

Text exports mark emphasis with `*`/`**` and headings with `#`; those marks are not text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.model.plan import LABEL_ROLES, split_bodies

DOC_TYPES = (
    "KẾ HOẠCH", "BÁO CÁO", "THÔNG BÁO", "CHƯƠNG TRÌNH", "NGHỊ QUYẾT", "QUYẾT ĐỊNH", "CHỈ THỊ",
    "KẾT LUẬN", "HƯỚNG DẪN", "QUY ĐỊNH", "QUY CHẾ", "ĐỀ ÁN", "PHƯƠNG ÁN", "TỜ TRÌNH", "DỰ ÁN",
    "THÔNG TRI", "CÔNG ĐIỆN", "BIÊN BẢN",
)
STATE_HEADING = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
STATE_MOTTO = "ĐỘC LẬP - TỰ DO - HẠNH PHÚC"
PARTY_HEADING = "ĐẢNG CỘNG SẢN VIỆT NAM"

_ROMAN_OK = re.compile(r"^(X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_HEADING = re.compile(r"^(?:PHẦN\s+|Phần\s+)?([IVXL]+)\s*([.\-–:)])\s*(\S.*)$")
_DECIMAL = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*\.?|\d{1,2}\))\s+(\S.*)$")
_PAREN = re.compile(r"^(\((?:\d{1,2}|[a-zđ])\)|[a-zđ]\))\s*(\S.*)$")
_BULLET = re.compile(r"^([-+•–])\s*")
_LABEL = re.compile(r"^(?:[-+•–]\s*)?([^:]{6,45}?)\s*:\s*(.*)$")
_NUMBER_LINE = re.compile(r"^Số\b\s*:?\s*(.*)$")
_DATE = re.compile(
    r"(?:(?P<place>[^,]*?)\s*,\s*)?ngày\s+(?P<d>\d{1,2}|[.…_\s]*?)\s*tháng\s+(?P<m>\d{1,2}|[.…_\s]*?)\s*"
    r"năm\s+(?P<y>\d{4})", re.IGNORECASE)
_AUTHORITY = re.compile(r"^(TM\.|T/M|KT\.|K/T|TL\.|T/L|TUQ\.|Q\.)\s*(.*)$")
_RULE_LINE = re.compile(r"^[-_=~.·•*\s]{3,}$")
_DOC_REF = re.compile(
    r"(?<![\w/])(\d{1,4}[a-zA-Z]?(?:/\d{4})?\s*[-/]\s*[A-ZĐ][A-Za-zĐđ0-9]*(?:\s*[-/]\s*[A-ZĐ][A-Za-zĐđ0-9]*)*)")
_DOC_KINDS = (r"Nghị quyết|Quyết định|Chỉ thị|Kế hoạch|Kết luận|Thông báo|Thông tri|Hướng dẫn|Công văn|"
              r"Đề án|Chương trình|Luật|Nghị định|Thông tư|Quy định|Quy chế|Văn bản|Điều lệ|Hiến pháp")
_CLAUSE_SPLIT = re.compile(rf"(?:;|,|\bvà)\s+(?=(?:{_DOC_KINDS})\b)")
_DESCRIPTION = re.compile(r"\s(?:của|về|triển khai|hướng dẫn|quy định|ban hành)\s|[“\"]")
_NAME = re.compile(r"^(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]*\.?\s+){1,5}[A-ZĐÀ-Ỹ][a-zà-ỹđ]*$")
_PAGE_META_SIGNER = re.compile(r"^Người ký\s*:\s*(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Table:
    """A table as read: rows of cell texts; `header_rows` when the source marks them."""

    rows: tuple[tuple[str, ...], ...]
    header_rows: int | None = None


@dataclass
class ImportedSection:
    """A numbered part as written: its numbering ("II.", "2.1.", "(3)"), its text, what follows."""

    number: str
    title: str
    level: int
    paragraphs: list[str] = field(default_factory=list)
    subsections: list["ImportedSection"] = field(default_factory=list)
    task: str | None = None  # ref of the task whose labelled block follows this item
    targets: list[str] = field(default_factory=list)  # ids of the targets its text states


@dataclass
class ImportedTask:
    ref: str
    lead: list[str] = field(default_factory=list)
    advisory: list[str] = field(default_factory=list)
    executing: list[str] = field(default_factory=list)
    cooperating: list[str] = field(default_factory=list)
    timeframe: str | None = None
    written: list[tuple[str, str]] = field(default_factory=list)  # (label, text) as written
    targets: list[str] = field(default_factory=list)
    text: str = ""


@dataclass
class ImportedTarget:
    """A figure the text sets (`value` as written), its direction as the words around it say
    ("giảm 0,5%" reduce_by, "không quá 3 vụ" at_most, "trên 70%" at_least) and, for a reduction, the
    figure at the start when the text gives it ("từ 2,1% xuống còn 1,6%": baseline 2,1, reduction 0,5)."""

    id: str
    text: str
    value: float | None
    unit: str | None
    direction: str = "at_least"
    baseline: float | None = None
    reduction: float | None = None  # reduce_by: the planned reduction (the value itself, or baseline − value)

    @property
    def planned(self) -> float | None:
        """The figure the plan's target takes: the reduction for "reduce_by", else the value."""
        return self.reduction if self.direction == "reduce_by" else self.value


@dataclass
class ImportedForm:
    title: str
    rows: tuple[tuple[str, ...], ...]
    header_rows: int

    def columns(self) -> list[str]:
        cells: list[str] = []
        for row in self.rows[: self.header_rows]:
            for cell in row:
                if cell and (not cells or cells[-1] != cell):
                    cells.append(cell)
        return cells


@dataclass
class ImportedPlan:
    """What the importer understood, and the text it kept."""

    regime: str | None = None
    doc_type: str | None = None
    issuer: str | None = None
    number: str | None = None
    symbol: str | None = None
    place: str | None = None
    date: date | None = None
    title: str | None = None
    implements: list[str] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    sections: list[ImportedSection] = field(default_factory=list)
    closing: str | None = None
    targets: list[ImportedTarget] = field(default_factory=list)
    tasks: list[ImportedTask] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    signer_authority: str | None = None
    signer_capacity: list[str] = field(default_factory=list)
    signer_title: str | None = None
    signer_name: str | None = None
    forms: list[ImportedForm] = field(default_factory=list)
    loose: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the importer did to the text (e.g. TCVN3)

    def summary(self) -> dict[str, Any]:
        """The import shape (`kehoach plan import --json`): null where the text does not say."""
        signer = None
        if self.signer_title or self.signer_name:
            signer = {"authority": self.signer_authority, "title": self.signer_title, "name": self.signer_name}
        return {
            "regime": self.regime,
            "doc_type": self.doc_type,
            "issuer": self.issuer,
            "number": self.number,
            "symbol": self.symbol,
            "place": self.place,
            "date": self.date.isoformat() if self.date else None,
            "title": self.title,
            "implements": list(self.implements),
            "sections": [f"{s.number} {s.title}" for s in self.sections if s.level == 0],
            "targets": [{"text": t.text, "value": _json_number(t.value), "unit": t.unit, "direction": t.direction,
                         "baseline": _json_number(t.baseline)} for t in self.targets],
            "tasks": [{"ref": t.ref, "lead": t.lead, "advisory": t.advisory, "executing": t.executing,
                       "timeframe": t.timeframe} for t in self.tasks],
            "recipients": list(self.recipients),
            "signer": signer,
            "forms": [{"title": f.title, "columns": f.columns()} for f in self.forms],
        }


def _json_number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


# --- text clean-up ------------------------------------------------------------------------

def clean_text(text: str) -> str:
    """NFC, "Ð" read as "Đ", odd spaces made plain; line ends kept."""
    text = unicodedata.normalize("NFC", text).replace("\u00d0", "Đ").replace("\u00f0", "đ")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u200b", "")
    text = text.replace("\ufeff", "").replace("\u2028", "\n").replace("\u000b", "\n").replace("\f", "\n")
    return text


def strip_marks(line: str) -> str:
    """A line without the export's emphasis and heading marks; a lone "*" (Party header) stays."""
    s = line.rstrip()
    if s.strip() in ("*", "* * *", "***"):
        return "*"
    s = re.sub(r"^\s*#{1,6}\s+", "", s)
    s = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", s)
    s = s.replace("*", "")
    s = re.sub(r"(?<!\w)__|__(?!\w)", "", s)
    return s.strip()


def _letters(s: str) -> str:
    return "".join(ch for ch in s if ch.isalpha())


def is_upper(s: str) -> bool:
    letters = _letters(s)
    return len(letters) >= 2 and letters == letters.upper()


def _canon(s: str) -> str:
    s = unicodedata.normalize("NFC", s).upper().replace("HOÀ", "HÒA")
    s = re.sub(r"\s*[-–—]\s*", " - ", s)
    return re.sub(r"\s+", " ", s).strip()


# --- the reading itself -------------------------------------------------------------------

@dataclass
class _Para:
    text: str
    kind: str  # roman, decimal, paren, label, bullet, plain, blank
    number: str = ""
    body: str = ""


def read_plan(items: list[str | Table]) -> ImportedPlan:
    """Read a plan from its lines and tables in reading order."""
    plan = ImportedPlan()
    lines: list[str] = []
    tables: list[tuple[int, Table]] = []
    for item in items:
        if isinstance(item, Table):
            tables.append((len(lines), item))
            lines.append("")
        else:
            for raw in clean_text(item).split("\n"):
                lines.append(raw)
    lines, md_tables = _markdown_tables(lines)
    tables = sorted(tables + md_tables, key=lambda t: t[0])
    clean = [strip_marks(line) for line in lines]

    type_at = _find_doc_type(clean)
    body_start = 0
    if type_at is not None:
        head, rest = _split_type_line(clean[type_at])
        plan.doc_type = head
        _read_header(plan, clean[:type_at])
        title_lines, body_start = _title_lines(clean, type_at + 1)
        if rest:
            title_lines.insert(0, rest)
        plan.title = " ".join(title_lines) or None
    else:
        body_start = _read_headless(plan, clean)

    tail_at = _find_tail(clean, body_start)
    body_end = tail_at if tail_at is not None else len(clean)
    table_positions = {pos for pos, _ in tables}
    paras = _paragraphs(clean, body_start, body_end, table_positions)
    _read_body(plan, paras)
    for pos, table in tables:  # a table inside the text is kept as a form, titled by the line above it
        if pos < body_end:
            above = next((clean[k].strip() for k in range(pos - 1, -1, -1) if clean[k].strip()), "")
            plan.forms.append(ImportedForm(title=above, rows=table.rows,
                                           header_rows=table.header_rows if table.header_rows is not None
                                           else _header_rows(table)))
    _read_tail(plan, clean[body_end:], tables, body_end)
    _find_regime(plan)
    _number_targets_and_tasks(plan)
    return plan


def _markdown_tables(lines: list[str]) -> tuple[list[str], list[tuple[int, Table]]]:
    """Pipe tables of a text export ("| a | b |" with a "|---|" line) become `Table`s."""
    out: list[str] = []
    tables: list[tuple[int, Table]] = []
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|"):
            block = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                block.append(lines[i].strip())
                i += 1
            rows, header = [], None
            for row in block:
                cells = [strip_marks(c) for c in row.strip("|").split("|")]
                if all(re.fullmatch(r"\s*:?-{2,}:?\s*", c) for c in cells if c) and any(cells):
                    header = len(rows)
                    continue
                rows.append(tuple(cells))
            tables.append((len(out), Table(tuple(rows), header)))
            out.append("")
            continue
        out.append(lines[i])
        i += 1
    return out, tables


def _split_type_line(line: str) -> tuple[str, str]:
    s = re.sub(r"^DỰ THẢO\s*[:\-–]?\s*", "", line.strip())
    for t in DOC_TYPES:
        if s.startswith(t):
            return t, s[len(t):].strip(" :-–")
    return s, ""


def _find_doc_type(clean: list[str]) -> int | None:
    for i, line in enumerate(clean):
        s = re.sub(r"^DỰ THẢO\s*[:\-–]?\s*", "", line.strip())
        if _ROMAN_HEADING.match(s) and i > 0:
            return None
        for t in DOC_TYPES:
            if s == t or (s.startswith(t + " ") and not is_upper(s[len(t):]) and len(s) < 200
                          and not re.match(r"^\w+ (số|của)\b", s)):
                return i
        if re.match(r"^(Thực hiện|Căn cứ)\b", s):
            return None
    return None


def _title_lines(clean: list[str], start: int) -> tuple[list[str], int]:
    i = start
    while i < len(clean) and not clean[i].strip():
        i += 1
    out = []
    while i < len(clean) and clean[i].strip():
        s = clean[i].strip()
        if _RULE_LINE.match(s) or s == "*":
            i += 1
            break
        if out and re.match(r"^(Thực hiện|Căn cứ)\b", s) or _ROMAN_HEADING.match(s):
            break  # the trích yếu may itself begin "Thực hiện ...", the opening paragraph cannot follow it unbroken
        out.append(s)
        i += 1
    return out, i


def _segments(line: str) -> list[str]:
    """Header columns flattened side by side are split at tabs or runs of 3+ spaces."""
    out: list[str] = []
    for part in re.split(r"\t+|\s{3,}", line):
        part = part.strip()
        if not part:
            continue
        if out and (re.match(r"^[/\-.…_]", part) or re.fullmatch(r"Số\s*:?", out[-1])):
            out[-1] += " " + part  # "Số:      /KH-UBND": a blank number, not two columns
        else:
            out.append(part)
    return out


def _read_header(plan: ImportedPlan, lines: list[str]) -> None:
    """Issuer, number, place and date from the header region (lines before the type line)."""
    issuer: list[str] = []
    segments: list[str] = []
    for line in lines:
        segments.extend(_segments(line))
    i = 0
    while i < len(segments):
        seg = segments[i]
        canon = _canon(seg)
        if canon in (STATE_HEADING, STATE_MOTTO, PARTY_HEADING):
            plan.regime = plan.regime or ("party" if canon == PARTY_HEADING else "state")
        elif seg == "*" or _RULE_LINE.match(seg):
            pass
        elif _NUMBER_LINE.match(seg):
            _read_number(plan, seg)
        elif re.search(r"\bngày\b", seg) and re.search(r"\btháng\b|\bnăm\b", seg) or re.search(r",\s*ngày\b", seg):
            text = seg
            while not re.search(r"năm\s+\d{4}", text) and i + 1 < len(segments):
                i += 1
                text += " " + segments[i]
            _read_date(plan, text)
        elif _PAGE_META_SIGNER.match(seg):
            plan.signer_name = plan.signer_name or _PAGE_META_SIGNER.match(seg).group(1).strip()
            plan.loose.append(seg)
        elif seg.startswith("V/v"):
            plan.loose.append(seg)
        elif is_upper(seg) and "DỰ THẢO" not in seg:
            issuer.append(seg)
        else:
            plan.loose.append(seg)
        i += 1
    plan.issuer = " ".join(issuer) or None


def _read_number(plan: ImportedPlan, seg: str) -> None:
    rest = _NUMBER_LINE.match(seg).group(1).strip()
    m = re.match(r"^(\d+)?[\s.…_]*([-/])?\s*(.*)$", rest)
    number, sep, sym = m.group(1), m.group(2), m.group(3).strip()
    sym = re.sub(r"\s*([-/])\s*", r"\1", sym)
    plan.number = number
    plan.symbol = sym or None
    if sep == "-" or (sym and "/" in sym and not sep):
        plan.regime = plan.regime or "party"
    elif sep == "/":
        plan.regime = plan.regime or "state"


def _read_date(plan: ImportedPlan, text: str) -> None:
    m = _DATE.search(text)
    if not m:
        plan.loose.append(text)
        return
    place = (m.group("place") or "").strip(" ,")
    plan.place = place or None
    try:
        plan.date = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except (TypeError, ValueError):
        plan.date = None


def _read_headless(plan: ImportedPlan, clean: list[str]) -> int:
    """A text without a type line: the body starts at its first "Thực hiện"/"Căn cứ" or heading."""
    for i, line in enumerate(clean):
        s = line.strip()
        if re.match(r"^(Thực hiện|Căn cứ)\b", s) or _ROMAN_HEADING.match(s):
            plan.loose.extend(x.strip() for x in clean[:i] if x.strip())
            return i
    return 0


def _find_tail(clean: list[str], start: int) -> int | None:
    """Where the body ends: at "Nơi nhận", or at the signing block after the closing "./."."""
    noi_nhan = next((i for i in range(start, len(clean)) if re.match(r"^Nơi nhận\b", clean[i].strip())), None)
    end = noi_nhan if noi_nhan is not None else len(clean)
    for i in range(start, end):
        if clean[i].strip().endswith("./."):
            j = i + 1
            while j < end and not clean[j].strip():
                j += 1
            if j == end or _signing_line(clean[j].strip()):
                return j if j < end else noi_nhan
    for i in range(start, end):
        s = clean[i].strip()
        if _AUTHORITY.match(s) and is_upper(s):
            return i
    return noi_nhan


def _signing_line(s: str) -> bool:
    return bool(_AUTHORITY.match(s)) or (is_upper(s) and len(s.split()) <= 8) or bool(re.match(r"^Nơi nhận", s))


# --- paragraphs and the body -------------------------------------------------------------

def _classify(text: str) -> _Para:
    s = text.strip()
    m = _ROMAN_HEADING.match(s)
    if m and _ROMAN_OK.match(m.group(1)) and m.group(1) and not s.startswith(("V/v", "I/")):
        return _Para(s, "roman", m.group(1) + ".", m.group(3).strip())
    label = _label(s)
    if label:
        return _Para(s, "label", label[0], label[1])
    m = _PAREN.match(s)
    if m:
        return _Para(s, "paren", m.group(1), m.group(2).strip())
    m = _DECIMAL.match(s)
    if m and not re.match(r"^\d+\.\d+\.\d{2,4}\b", s):
        return _Para(s, "decimal", m.group(1), m.group(2).strip())
    if _BULLET.match(s) and len(s) > 1:
        return _Para(s, "bullet")
    return _Para(s, "plain")


def _label(s: str) -> tuple[str, str] | None:
    m = _LABEL.match(s)
    if not m:
        return None
    name = re.sub(r"\s+", " ", m.group(1)).strip()
    if name.lower() in LABEL_ROLES:
        return name, m.group(2).strip()
    return None


def _starts_new(s: str) -> bool:
    p = _classify(s)
    return p.kind != "plain" or bool(re.match(r"^(Nơi nhận|Thực hiện|Căn cứ)\b", s))


def _ends_sentence(s: str) -> bool:
    return bool(re.search(r"[.:;!?…]\s*[”\"’)]*$|\./\.$", s))


def _paragraphs(clean: list[str], start: int, end: int, table_positions: set[int]) -> list[_Para]:
    """Lines joined into paragraphs: hard wraps and page breaks inside a sentence are undone."""
    paras: list[str] = []
    blank_before = True
    for i in range(start, end):
        s = clean[i].strip()
        if not s:
            blank_before = True
            continue
        if _RULE_LINE.match(s) and i in table_positions:
            continue
        if paras:
            prev = paras[-1]
            continues_line = not blank_before and not _starts_new(s) and not _ends_sentence(prev)
            continues_page = (blank_before and not _starts_new(s) and not _ends_sentence(prev)
                              and s[:1].islower())
            if continues_line or continues_page:
                paras[-1] = prev + " " + s
                blank_before = False
                continue
        paras.append(s)
        blank_before = False
    return [_classify(p) for p in paras]


def _read_body(plan: ImportedPlan, paras: list[_Para]) -> None:
    stack: list[ImportedSection] = []  # open sections, outermost first
    current_task: ImportedTask | None = None
    last_was_label = False
    for p in paras:
        if p.kind == "label":
            owner = stack[-1] if stack else None
            if current_task is None or not last_was_label and owner is not None and owner.task is None:
                if owner is None:
                    plan.loose.append(p.text)
                    continue
                current_task = ImportedTask(ref=_task_ref(stack), text=owner.title)
                owner.task = current_task.ref
                plan.tasks.append(current_task)
            _add_label(current_task, p.number, p.body)
            last_was_label = True
            continue
        last_was_label = False
        if p.kind in ("roman", "decimal", "paren"):
            level = _level(p, stack)
            section = ImportedSection(number=p.number, title=p.body, level=level)
            while stack and stack[-1].level >= level:
                stack.pop()
            if not stack:  # a Roman heading, or numbered items in a text without them
                plan.sections.append(section)
            else:
                stack[-1].subsections.append(section)
            stack.append(section)
            current_task = None
            continue
        if not stack:
            plan.preamble.append(p.text)
        else:
            stack[-1].paragraphs.append(p.text)
        current_task = None
    _find_closing(plan)
    plan.implements = _implements(plan.preamble)


def _level(p: _Para, stack: list[ImportedSection]) -> int:
    if p.kind == "roman":
        return 0
    if p.kind == "decimal":
        return len([x for x in p.number.rstrip(".)").split(".") if x])
    decimal_levels = [s.level for s in stack if s.number[:1].isdigit()]
    return (decimal_levels[-1] if decimal_levels else (stack[-1].level if stack else 0)) + 1


def _task_ref(stack: list[ImportedSection]) -> str:
    """ "2.1.1.", or "(1)" under "2.1." as "2.1.(1)"."""
    item = stack[-1]
    if item.number.startswith("(") or re.match(r"^[a-zđ]\)$", item.number):
        decimals = [s for s in stack[:-1] if s.number[:1].isdigit()]
        prefix = decimals[-1].number if decimals else ""
        if prefix and not prefix.endswith("."):
            prefix += "."
        return prefix + item.number
    return item.number


def _add_label(task: ImportedTask, label: str, text: str) -> None:
    task.written.append((label, text))
    roles = LABEL_ROLES[label.lower()]
    value = text.strip().rstrip(".").strip()
    for role in roles:
        if role == "timeframe":
            task.timeframe = value or None
        else:
            getattr(task, role).extend(split_bodies(text))


def _find_closing(plan: ImportedPlan) -> None:
    """ "Trên đây là Kế hoạch ..." ending the last section is the closing paragraph."""
    if not plan.sections:
        return
    deepest = plan.sections[-1]
    while deepest.subsections:
        deepest = deepest.subsections[-1]
    for holder in (deepest, plan.sections[-1]):
        if holder.paragraphs and re.match(r"^Trên đây", holder.paragraphs[-1]):
            plan.closing = holder.paragraphs.pop()
            return


def _implements(preamble: list[str]) -> list[str]:
    """Number-symbols of the documents the opening "Thực hiện / Căn cứ" clauses cite directly."""
    found: list[str] = []
    for para in preamble:
        for clause in re.split(r"(?<=[.;])\s+(?=[A-ZĐ])|;\s*", para):
            clause = clause.strip()
            if not re.match(r"^(Thực hiện|Căn cứ)\b", clause):
                continue
            for part in _CLAUSE_SPLIT.split(clause):
                cut = _DESCRIPTION.search(part)
                head = part[: cut.start()] if cut else part
                for m in _DOC_REF.finditer(head):
                    ref = re.sub(r"\s*([-/])\s*", r"\1", m.group(1))
                    if ref not in found:
                        found.append(ref)
    return found


# --- targets ("chỉ tiêu") -----------------------------------------------------------------

_NUM = r"\d+(?:[.,]\d+)*"
_MEASURES = r"m²|m2|m³|m3|km²|km|ha|kg|tấn|tỷ đồng|triệu đồng|nghìn đồng|đồng"
_TIME_WORDS = {"năm", "tháng", "quý", "ngày", "tuần", "giờ", "phút", "lần", "kỳ", "đợt", "khóa", "khoá"}
_BOUNDS = r"ít nhất|tối thiểu|tối đa|không dưới|không quá|không ít hơn|trên|dưới|đạt|phấn đấu|phần đấu|phân đấu"
_NOUNS = ("mô hình", "chính sách", "cơ sở", "hội nghị", "văn bản", "công trình", "tổ chức", "đơn vị",
          "điển hình", "sáng kiến", "đề tài", "chuyên đề", "câu lạc bộ", "tổ dân phố", "khu dân cư", "lớp",
          "buổi", "cuộc", "người", "hộ", "lượt", "tin", "bài", "xã", "phường", "đảng viên", "hội viên")
_RANGE = re.compile(rf"\btừ\s+({_NUM})\s*(%|{_MEASURES})?\s*(?:đến|tới|-|–)\s*({_NUM})\s*(%|{_MEASURES}|[^\W\d_]+)?")
_PERCENT = re.compile(rf"(?<![\w/.,])({_NUM})\s*%")
_MEASURE = re.compile(rf"(?<![\w/.,])({_NUM})\s*({_MEASURES})(?!\w)")
_COUNTED = re.compile(rf"\b(?i:{_BOUNDS})\s+({_NUM})\s+([^\W\d_]+(?:\s+[^\W\d_]+)?)")
_DATES = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}/\d{4}|\b[IV]+/\d{4}|\d{1,2}-\d{1,2}-\d{4}")
_ABBREV = re.compile(r"(?:\b(?:TP|Tp|TT|TS|ThS|PGS|GS|St|v\.v|Q|P|X|H|K|T|Ô|Bà|Ông)|\.\.)$")


def sentences(text: str) -> list[str]:
    """Orthographic sentences, each keeping its final stop."""
    out, start = [], 0
    for m in re.finditer(r"(?<=[.!?…])[”\"’)]*\s+(?=[“\"(]?[A-ZĐÀ-Ỹ0-9])", text):
        before = text[start:m.start()]
        if _ABBREV.search(before.rstrip(".")) and not before.endswith(".."):
            continue
        if re.search(r"\d\.$", before) and re.match(r"\s+\d", text[m.start():]):
            continue
        out.append(text[start:m.end()].strip())
        start = m.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def _mask(s: str, spans) -> str:
    chars = list(s)
    for a, b in spans:
        for k in range(a, b):
            chars[k] = " "
    return "".join(chars)


def figures(sentence: str) -> list[tuple[int, float | None, str]]:
    """The quantities a sentence sets: (position, value or None for a range, unit)."""
    s = _mask(sentence, [m.span() for m in _DATES.finditer(sentence)])
    quoted = [m.span() for m in re.finditer(r"“[^”]*”|\"[^\"]*\"", s)]
    s = _mask(s, quoted)
    found: list[tuple[int, float | None, str]] = []
    for m in _RANGE.finditer(s):
        unit = m.group(4) or m.group(2)
        if unit and unit.lower() not in _TIME_WORDS:
            found.append((m.start(), None, _unit(unit)))
            s = _mask(s, [m.span()])
    for m in _PERCENT.finditer(s):
        found.append((m.start(), _value(m.group(1)), "%"))
    s = _mask(s, [m.span() for m in _PERCENT.finditer(s)])
    for m in _MEASURE.finditer(s):
        found.append((m.start(), _value(m.group(1)), _unit(m.group(2))))
    s = _mask(s, [m.span() for m in _MEASURE.finditer(s)])
    bracketed = _mask(s, [m.span() for m in re.finditer(r"\([^)]*\)", s)])
    for m in _COUNTED.finditer(bracketed):
        noun = _noun(m.group(2))
        if noun and noun.split()[0].lower() not in _TIME_WORDS:
            found.append((m.start(1), _value(m.group(1)), noun))
    return sorted(found, key=lambda f: f[0])


_AT_LEAST_BEFORE = re.compile(r"\b(?:không\s+dưới|không\s+ít\s+hơn|ít\s+nhất|tối\s+thiểu|trên|cao\s+hơn)\s*$")
_AT_MOST_BEFORE = re.compile(
    r"\b(?:không\s+(?:vượt\s+)?quá|tối\s+đa|dưới|thấp\s+hơn|ít\s+hơn|(?:xuống\s+)?còn(?:\s+dưới)?|xuống"
    r"(?:\s+dưới)?|không\s+để\s+(?:xảy\s+ra\s+)?quá)\s*$")
_AT_MOST_AFTER = re.compile(rf"^{_NUM}\s*(?:%|[^\W\d_]+)?(?:\s+[^\W\d_]+)?\s+trở\s+xuống\b")
_AT_LEAST_AFTER = re.compile(rf"^{_NUM}\s*(?:%|[^\W\d_]+)?(?:\s+[^\W\d_]+)?\s+trở\s+lên\b")
_REDUCE = re.compile(r"\bgiảm\b(?!\s+nghèo\b)")  # "giảm nghèo" names the poverty programme, not a cut
_FROM_TO = re.compile(rf"\btừ\s+({_NUM})\s*(?:%|{_MEASURES})?(?:\s+[^\W\d_]+){{0,4}}?\s+xuống\s+"
                      rf"(?:(?:còn|mức|dưới)\s+)*({_NUM})")


def direction_of(sentence: str, position: int) -> str:
    """How the figure at `position` binds, from the words of its own clause: "at_most" ("không quá 3 vụ",
    "dưới 5%", "xuống còn 1,6%", "5% trở xuống"), "reduce_by" ("giảm 0,5%/năm", "giảm tỷ lệ hộ nghèo
    0,5%"), else "at_least" ("đạt trên 70%", "ít nhất 01 mô hình", "85% trở lên", or no word at all)."""
    clause = re.split(r"[,;:]", sentence[:position])[-1].lower()
    after = sentence[position:].lower()
    if _AT_LEAST_BEFORE.search(clause) or _AT_LEAST_AFTER.match(after):
        return "at_least"
    if _AT_MOST_BEFORE.search(clause) or _AT_MOST_AFTER.match(after):
        return "at_most"
    cut = None
    for cut in _REDUCE.finditer(clause):
        pass
    if cut is not None and not re.search(r"\bđạt\b", clause[cut.end():]):
        return "reduce_by"  # "… giảm … đạt 100%" is what the cut reaches, a floor
    return "at_least"


def read_targets(sentence: str, first_id: int) -> list[ImportedTarget]:
    """The targets a sentence sets, each with its direction; "từ A xuống (còn) B" is one reduction from
    the baseline A by A − B (A is the figure at the start, not a target)."""
    found = figures(sentence)
    reductions = {m.start(2): _value(m.group(1)) for m in _FROM_TO.finditer(sentence)}
    baselines = {m.start(1) for m in _FROM_TO.finditer(sentence)}
    out = []
    for position, value, unit in found:
        if position in baselines:
            continue
        target = ImportedTarget(id=f"CT{first_id + len(out)}", text=sentence, value=value, unit=unit)
        if value is not None and position in reductions:
            start = reductions[position]
            target.direction, target.baseline = "reduce_by", start
            target.reduction = round(start - value, 9)
        elif value is not None:
            target.direction = direction_of(sentence, position)
            if target.direction == "reduce_by":
                target.reduction = value
        out.append(target)
    return out


def _unit(u: str) -> str:
    return {"m2": "m²", "m3": "m³"}.get(u, u)


def _noun(words: str) -> str | None:
    low = words.lower()
    for n in sorted(_NOUNS, key=len, reverse=True):
        if low == n or low.startswith(n + " "):
            return words[: len(n)]
    first = words.split()[0]
    return first if first.lower() not in {"và", "của", "trong", "với", "cho", "được", "có", "là"} else None


def _value(raw: str) -> float:
    text = raw
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", text):
        text = text.replace(".", "")
    text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return float(re.sub(r"[^\d.]", "", text) or 0)


def _number_targets_and_tasks(plan: ImportedPlan) -> None:
    """Targets in document order, each tied to the item that states it and that item's task."""
    tasks = {t.ref: t for t in plan.tasks}

    def visit(section: ImportedSection):
        texts = [section.title] + [_strip_bullet(p) for p in section.paragraphs]
        for text in texts:
            for sentence in sentences(text):
                for target in read_targets(sentence, len(plan.targets) + 1):
                    plan.targets.append(target)
                    section.targets.append(target.id)
                    if section.task and section.task in tasks:
                        tasks[section.task].targets.append(target.id)
        for sub in section.subsections:
            visit(sub)

    for section in plan.sections:
        visit(section)
    _disambiguate_refs(plan)


def _strip_bullet(p: str) -> str:
    return _BULLET.sub("", p, count=1) if _BULLET.match(p) else p


def _disambiguate_refs(plan: ImportedPlan) -> None:
    """Two tasks "2.2." under different Roman sections become "II.2.2." and "III.2.2."."""
    counts: dict[str, int] = {}
    for t in plan.tasks:
        counts[t.ref] = counts.get(t.ref, 0) + 1
    if all(c == 1 for c in counts.values()):
        return
    owners = [(top, s) for top in plan.sections for s in _walk(top) if s.task]  # document order, as tasks
    for (top, section), task in zip(owners, plan.tasks, strict=True):
        if counts[task.ref] > 1:
            task.ref = section.task = f"{top.number}{task.ref}"


def _walk(section: ImportedSection):
    yield section
    for sub in section.subsections:
        yield from _walk(sub)


# --- the tail: recipients, signer, forms ---------------------------------------------------

def _read_tail(plan: ImportedPlan, lines: list[str], tables: list[tuple[int, Table]], offset: int) -> None:
    segments: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        for seg in _segments(line) if line.strip() else []:
            segments.append((offset + i, seg))
    in_recipients = False
    first_table = min((pos for pos, _ in tables if pos >= offset), default=None)
    signer_lines: list[str] = []
    after_signer: list[tuple[int, str]] = []
    named = False
    for pos, seg in segments:
        if not seg.startswith("Nơi nhận") and (first_table is not None and pos > first_table
                                                or named and not in_recipients) \
                or re.match(r"^(Biểu mẫu|BIỂU MẪU|Mẫu số|Phụ lục|PHỤ LỤC)\b", seg):
            named = True
            after_signer.append((pos, seg))
            continue
        m = re.match(r"^Nơi nhận\s*:?\s*(.*)$", seg)
        if m:
            in_recipients = True
            if m.group(1):
                plan.recipients.append(_recipient(m.group(1)))
            continue
        if in_recipients and (_BULLET.match(seg) or (not is_upper(seg) and not _NAME.match(seg)
                                                     and seg.rstrip().endswith((";", ",", ".")))):
            plan.recipients.append(_recipient(seg))
            continue
        in_recipients = False
        if _AUTHORITY.match(seg) or is_upper(seg):
            signer_lines.append(seg)
        elif _NAME.match(seg) and not named:
            plan.signer_name, named = seg, True
        elif re.match(r"^\((Đã ký|đã ký|ký|Ký)", seg):
            continue
        else:
            after_signer.append((pos, seg))
    _read_signer(plan, signer_lines)
    _read_forms(plan, after_signer, [(p, t) for p, t in tables if p >= offset])
    plan.recipients = [r for r in plan.recipients if r]


def _recipient(seg: str) -> str:
    s = _BULLET.sub("", seg.strip(), count=1)
    return re.sub(r"[\s.,;:]+$", "", s).strip()


def _read_signer(plan: ImportedPlan, lines: list[str]) -> None:
    capacity, titles = [], []
    for line in lines:
        if _AUTHORITY.match(line):
            capacity.append(line)
        else:
            titles.append(line)
    if len(titles) >= 2 and not plan.signer_name and _NAME.match(titles[-1].title()):
        plan.signer_name = titles.pop()  # a name typed in capitals under the title
    if titles:
        plan.signer_title = titles[-1]
        capacity += titles[:-1]
    elif capacity:
        m = _AUTHORITY.match(capacity[-1])
        plan.signer_title = m.group(2) or None
    plan.signer_capacity = capacity
    if capacity:
        plan.signer_authority = _AUTHORITY.match(capacity[-1]).group(1) if _AUTHORITY.match(capacity[-1]) else None
        if titles and _AUTHORITY.match(capacity[-1]) is None:
            plan.signer_authority = None


def _read_forms(plan: ImportedPlan, lines: list[tuple[int, str]], tables: list[tuple[int, Table]]) -> None:
    """Tables after the signature are annexed forms; their title is the text just above them."""
    pending: list[tuple[int, str]] = list(lines)
    for pos, table in tables:
        above = [s for p, s in pending if p < pos]
        title_lines = above[-2:] if above else []
        if len(title_lines) == 2 and not re.match(r"^(Biểu|Mẫu|Phụ lục|PHỤ LỤC|BIỂU)", title_lines[0]):
            title_lines = title_lines[-1:]
        for line in above[: len(above) - len(title_lines)]:
            plan.loose.append(line)
        pending = [(p, s) for p, s in pending if p > pos]
        header = table.header_rows if table.header_rows is not None else _header_rows(table)
        plan.forms.append(ImportedForm(title=" ".join(title_lines), rows=table.rows, header_rows=header))
    plan.loose.extend(s for _, s in pending)


def _header_rows(table: Table) -> int:
    """One header row, two when the first row has merged (repeated) cells."""
    if len(table.rows) > 1:
        first = table.rows[0]
        if any(a == b and a for a, b in zip(first, first[1:])):
            return 2
    return 1 if table.rows else 0


# --- regime ---------------------------------------------------------------------------------

_PARTY_BODY = re.compile(r"\b(?:Đảng ủy|Đảng uỷ|Đảng bộ|Chi bộ|Ban Thường vụ|Ban Chấp hành|"
                         r"[A-ZĐ]\w*\s+(?:Tỉnh|Thành|Huyện|Quận|Thị|Đảng)\s+(?:ủy|uỷ))")
_STATE_BODY = re.compile(r"\b(?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Hội đồng nhân dân|HĐND|Sở|Phòng)\b")


def _find_regime(plan: ImportedPlan) -> None:
    if plan.regime:
        return
    authority = plan.signer_authority or ""
    if authority in ("T/M", "K/T", "T/L"):
        plan.regime = "party"
        return
    if authority in ("TM.", "KT.", "TL.", "TUQ.", "Q."):
        plan.regime = "state"
        return
    for para in plan.preamble[:3]:
        m = re.search(r"([^,.;]*?)\s+(?:xây dựng|ban hành|triển khai)\s+(?:Kế hoạch|kế hoạch|Chương trình|"
                      r"chương trình|Báo cáo|Hướng dẫn)", para)
        if m:
            subject = m.group(1)
            if _STATE_BODY.search(subject):
                plan.regime = "state"
            elif re.search(r"(?:ủy|uỷ)\b", subject) or _PARTY_BODY.search(subject):
                plan.regime = "party"
            return


# --- from what was read to a draft plan -------------------------------------------------------

def plan_source(plan: ImportedPlan, *, issuer: str, signer: str, body_ids: dict[str, str]) -> dict[str, Any]:
    """The structured plan source (the shape of examples/plan.yaml) of an imported plan.

    `body_ids` maps a body's name, abbreviation or id (case-folded) to its id: a body named in
    a task that the organisation knows becomes that body; any other stays as written.
    """

    def body(name: str) -> str:
        return body_ids.get(name.casefold(), name)

    def section(s: ImportedSection) -> dict[str, Any]:
        out: dict[str, Any] = {"number": s.number, "title": s.title, "paragraphs": list(s.paragraphs)}
        if s.task:
            out["task"] = s.task
        if s.targets:
            out["figures"] = list(s.targets)
        if s.subsections:
            out["subsections"] = [section(x) for x in s.subsections]
        return out

    capacity = list(plan.signer_capacity)
    return {
        "issuer": issuer,
        "doc_type": plan.doc_type or "KẾ HOẠCH",
        "title": plan.title or "",
        "place": plan.place,
        "implements": list(plan.implements),
        "preamble": list(plan.preamble),
        "sections": [section(s) for s in plan.sections],
        "closing": plan.closing,
        "targets": [{"id": t.id, "text": t.text, "value": t.planned, "unit": t.unit, "direction": t.direction,
                     "rollup": "average" if t.unit == "%" else "sum",
                     **({"baseline": t.baseline} if t.baseline is not None else {})}
                    for t in plan.targets],
        "tasks": [{"ref": t.ref, "text": t.text, "lead": [body(b) for b in t.lead],
                   "advisory": [body(b) for b in t.advisory], "executing": [body(b) for b in t.executing],
                   "cooperating": [body(b) for b in t.cooperating], "timeframe": t.timeframe,
                   "targets": list(t.targets),
                   "written": [{"label": label, "text": text} for label, text in t.written]}
                  for t in plan.tasks],
        "recipients": list(plan.recipients),
        "signer": {"user": signer, "title": plan.signer_title or "", "capacity": capacity},
        "forms": [{"title": f.title, "rows": [list(r) for r in f.rows], "header_rows": f.header_rows}
                  for f in plan.forms],
        "loose_text": list(plan.loose),
    }


def unmatched_bodies(plan: ImportedPlan, body_ids: dict[str, str]) -> list[str]:
    """Bodies named in the tasks that are not bodies of the organisation (kept as written)."""
    seen: dict[str, None] = {}
    for t in plan.tasks:
        for name in t.lead + t.advisory + t.executing + t.cooperating:
            if name.casefold() not in body_ids:
                seen.setdefault(name, None)
    return list(seen)


# --- what a document says it is ---------------------------------------------------------------------

HEADER_LINES = 40  # the number and date lines stand in the header, before the body


@dataclass(frozen=True)
class NumberClaim:
    """The number ("Số: 01/KH-UBND", "Số 01-KH/ĐU") and the date a document's header prints: which
    issued document it claims to be, whatever its bytes."""

    reference: str  # as the register writes it: "01/KH-UBND", "01-KH/ĐU"
    issued_on: date | None
    number_line: str  # as printed


def read_number_claim(items: list[str | Table]) -> NumberClaim | None:
    """The first filled-in number line of a document's header and the date line near it; None when the
    text has no numbered "Số" line (a draft, or not an official document)."""
    scratch = ImportedPlan()
    printed = None
    lines = [strip_marks(line) for item in items if isinstance(item, str) for line in clean_text(item).split("\n")]
    for line in lines[:HEADER_LINES]:
        for seg in _segments(line):
            if printed is None and _NUMBER_LINE.match(seg):
                _read_number(scratch, seg)
                if scratch.number and scratch.symbol:
                    printed = seg
            elif scratch.date is None and _DATE.search(seg):
                _read_date(scratch, seg)
    if printed is None:
        return None
    number = int(scratch.number)
    reference = f"{number:02d}-{scratch.symbol}" if scratch.regime == "party" else f"{number:02d}/{scratch.symbol}"
    return NumberClaim(reference=reference, issued_on=scratch.date, number_line=printed)
