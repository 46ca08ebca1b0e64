"""What a plan ("kế hoạch") says: sections, targets, tasks, recipients, signer.

Pure data and the rules read off it (which units execute what). `parse_plan` turns the
structured YAML shape (see examples/plan.yaml) into a `PlanContent`, refusing bad input
with the source line when the loader recorded one.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from domain.messages import DomainError, where

DIRECTIONS = ("at_least", "at_most", "reduce_by")
# A task's labelled lines as people write them (lower case) -> the roles they fill.
LABEL_ROLES: dict[str, tuple[str, ...]] = {
    "cơ quan lãnh đạo": ("lead",),
    "cơ quan chỉ đạo": ("lead",),
    "cơ quan chủ trì": ("lead",),
    "đơn vị chủ trì": ("lead",),
    "cơ quan tham mưu": ("advisory",),
    "cơ quan tham mưu, thực hiện": ("advisory", "executing"),
    "cơ quan tham mưu, tổ chức thực hiện": ("advisory", "executing"),
    "cơ quan thực hiện": ("executing",),
    "đơn vị thực hiện": ("executing",),
    "cơ quan phối hợp": ("cooperating",),
    "đơn vị phối hợp": ("cooperating",),
    "thời gian thực hiện": ("timeframe",),
    "thời gian hoàn thành": ("timeframe",),
}
ROLLUPS = ("sum", "average", "latest", "share_met")
TASK_ROLES = ("lead", "advisory", "executing", "cooperating")


def nfc(text: str) -> str:
    """Text as stored everywhere: NFC, "Ð" (U+00D0) read as "Đ", outer spaces trimmed."""
    return unicodedata.normalize("NFC", text).replace("\u00d0", "Đ").strip()


@dataclass(frozen=True)
class Target:
    """`Target`: "chỉ tiêu", a figure the plan commits to, reported by the units executing it."""

    id: str
    text: str
    value: float | None = None
    unit: str | None = None
    direction: str = "at_least"
    rollup: str = "sum"
    # "reduce_by" only: the figure at the start ("mức đầu kỳ", e.g. last year's hộ nghèo rate); the units
    # report the figure as it now is, and the result is the reduction achieved (baseline − now)
    baseline: float | None = None


@dataclass(frozen=True)
class Task:
    """`Task`: "nhiệm vụ", with its lead ("lãnh đạo"), advisory ("tham mưu"),
    executing ("thực hiện") and cooperating ("phối hợp") bodies and time frame."""

    ref: str
    text: str
    lead: tuple[str, ...] = ()
    advisory: tuple[str, ...] = ()
    executing: tuple[str, ...] = ()
    cooperating: tuple[str, ...] = ()
    timeframe: str | None = None
    targets: tuple[str, ...] = ()
    # The labelled lines as the author wrote them: (("Cơ quan chỉ đạo", "Đảng ủy"), ...).
    # They are printed as written while they still say what the role lists say.
    written: tuple[tuple[str, str], ...] = ()

    def written_matches(self, names: dict[str, str] | None = None) -> bool:
        """True when the written lines give exactly this task's bodies (a body id also matches
        its name in `names`) and time frame."""
        if not self.written:
            return False
        roles: dict[str, list[str]] = {r: [] for r in TASK_ROLES}
        timeframe = None
        for label, text in self.written:
            for role in LABEL_ROLES.get(label.lower(), ()):
                if role == "timeframe":
                    timeframe = text.strip().rstrip(".").strip() or None
                else:
                    roles[role].extend(split_bodies(text))
        names = names or {}

        def same(written: list[str], ids: tuple[str, ...]) -> bool:
            return len(written) == len(ids) and all(
                w.casefold() in (i.casefold(), names.get(i, i).casefold()) for w, i in zip(written, ids))

        return timeframe == self.timeframe and all(same(roles[r], getattr(self, r)) for r in TASK_ROLES)


def split_bodies(text: str) -> list[str]:
    """ "A, B; C và D - E." -> ["A", "B", "C và D - E"]: split at "," and ";" outside brackets."""
    out, depth, cur = [], 0, ""
    for ch in text.strip():
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        if ch in ",;" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [x.strip().rstrip(".").strip() for x in out if x.strip().rstrip(".").strip()]


@dataclass(frozen=True)
class Section:
    """A numbered part of the text: "I. Mục đích, yêu cầu", "1.", "1.1." ...

    `number` is the numbering as written ("I-", "2.1.", "(3)"); None numbers it from its place.
    `task` is the ref of the task whose labelled lines follow this part's text (imported plans);
    `figures` are the targets its text states (already in the text, not printed again).
    `targets` and `tasks` are printed after the paragraphs (plans written as structured data).
    """

    title: str
    paragraphs: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    subsections: tuple["Section", ...] = ()
    number: str | None = None
    task: str | None = None
    figures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """An annexed form ("biểu mẫu"): title and table; the first `header_rows` rows are headers."""

    title: str
    rows: tuple[tuple[str, ...], ...]
    header_rows: int = 1


@dataclass(frozen=True)
class Recipient:
    """One line of "Nơi nhận": a body of the organisation (mailed) or plain text ("Lưu: VT, VP")."""

    label: str
    body: str | None = None
    note: str | None = None

    def line(self) -> str:
        return f"{self.label} ({self.note})" if self.note else self.label


@dataclass(frozen=True)
class Signer:
    """The signing block: capacity lines ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"), title, user."""

    user: str
    title: str
    capacity: tuple[str, ...] = ()
    name: str = ""

    @property
    def authority(self) -> str | None:
        """The signing authority word of the first capacity line: TM., KT., T/M, K/T ..."""
        if not self.capacity:
            return None
        head = self.capacity[0].split(" ", 1)[0]
        return head if re.fullmatch(r"(TM|KT|TL|TUQ|Q)\.|[TK]/M|K/T|T/L", head) else None


@dataclass(frozen=True)
class PlanContent:
    """Everything written in a plan, as issued."""

    issuer: str
    title: str
    doc_type: str = "KẾ HOẠCH"
    preamble: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    closing: str | None = None
    targets: tuple[Target, ...] = ()
    tasks: tuple[Task, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    signer: Signer | None = None
    place: str | None = None
    implements: tuple[str, ...] = ()  # number-symbols of the documents it implements ("13-ĐA/TU")
    forms: tuple[Form, ...] = ()
    loose_text: tuple[str, ...] = ()  # text of the source the importer could not place; not printed
    report_periods: tuple[str, ...] = ()  # the periods units report on ("quarter", "6 months", ...); none: quarters
    report_cut_off: int | None = 14  # a Party body's own cut-off day (None: calendar months); state bodies: 14

    # --- rules read off the plan -------------------------------------------------------
    def missing_baselines(self) -> list[Target]:
        """The reductions ("reduce_by") whose figure at the start is still to be filled: the plan cannot
        be issued until they have one."""
        return [t for t in self.targets if t.direction == "reduce_by" and t.baseline is None]

    def target(self, target_id: str) -> Target:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(target_id)

    def task(self, ref: str) -> Task:
        for t in self.tasks:
            if t.ref == ref:
                return t
        raise KeyError(ref)

    def executing_units(self) -> tuple[str, ...]:
        """Bodies that must report: every executing body of a task, in order of first mention."""
        seen: dict[str, None] = {}
        for t in self.tasks:
            for b in t.executing:
                seen.setdefault(b, None)
        return tuple(seen)

    def tasks_for(self, unit: str) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if unit in t.executing)

    def targets_for(self, unit: str) -> tuple[Target, ...]:
        ids: dict[str, None] = {}
        for t in self.tasks_for(unit):
            for tid in t.targets:
                ids.setdefault(tid, None)
        return tuple(self.target(i) for i in ids)

    def office_bodies(self) -> tuple[str, ...]:
        """The bodies that follow the plan up: its issuer, then the advisory bodies ("cơ quan tham mưu")
        of its tasks, each once."""
        return tuple(dict.fromkeys([self.issuer, *(b for t in self.tasks for b in t.advisory)]))

    def bodies_named(self) -> set[str]:
        named = {self.issuer}
        for t in self.tasks:
            for role in TASK_ROLES:
                named.update(getattr(t, role))
        named.update(r.body for r in self.recipients if r.body)
        return named

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> "PlanContent":
        """Inverse of `to_dict` (for stored content, already valid)."""

        def section(d: dict) -> Section:
            return Section(
                title=d["title"],
                paragraphs=tuple(d.get("paragraphs", ())),
                targets=tuple(d.get("targets", ())),
                tasks=tuple(d.get("tasks", ())),
                subsections=tuple(section(s) for s in d.get("subsections", ())),
                number=d.get("number"),
                task=d.get("task"),
                figures=tuple(d.get("figures", ())),
            )

        def task(d: dict) -> Task:
            fields = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()}
            fields["written"] = tuple(tuple(pair) for pair in d.get("written", ()))
            return Task(**fields)

        signer = data.get("signer")
        return PlanContent(
            issuer=data["issuer"],
            title=data["title"],
            doc_type=data.get("doc_type", "KẾ HOẠCH"),
            preamble=tuple(data.get("preamble", ())),
            sections=tuple(section(s) for s in data.get("sections", ())),
            closing=data.get("closing"),
            targets=tuple(Target(**t) for t in data.get("targets", ())),
            tasks=tuple(task(t) for t in data.get("tasks", ())),
            recipients=tuple(Recipient(**r) for r in data.get("recipients", ())),
            signer=Signer(
                user=signer["user"], title=signer["title"],
                capacity=tuple(signer.get("capacity", ())), name=signer.get("name", ""),
            ) if signer else None,
            place=data.get("place"),
            implements=tuple(data.get("implements", ())),
            forms=tuple(Form(title=f["title"], rows=tuple(tuple(r) for r in f["rows"]),
                             header_rows=f.get("header_rows", 1)) for f in data.get("forms", ())),
            loose_text=tuple(data.get("loose_text", ())),
            report_periods=tuple(data.get("report_periods", ())),
            report_cut_off=data.get("report_cut_off", 14),
        )


# --- parsing the structured source -----------------------------------------------------

def line_of(node: Any, key: str | None = None) -> int | None:
    """The 1-based source line of `node` (or of its `key`) when the loader recorded it."""
    lines = getattr(node, "key_lines", None)
    if key is not None and lines and key in lines:
        return lines[key]
    return getattr(node, "line", None)


def _req(node: dict, key: str, kind: type | tuple = str, expected: str = "một chuỗi chữ") -> Any:
    if key not in node or node[key] in (None, ""):
        raise DomainError("field_missing", field=key, where=where(line_of(node)))
    value = node[key]
    if not isinstance(value, kind):
        raise DomainError("field_type", field=key, where=where(line_of(node, key)), expected=expected)
    return value


def _opt_str(node: dict, key: str) -> str | None:
    value = node.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int, float)):
        raise DomainError("field_type", field=key, where=where(line_of(node, key)), expected="một chuỗi chữ")
    return nfc(str(value))


def _str_list(node: dict, key: str) -> tuple[str, ...]:
    value = node.get(key, [])
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise DomainError("field_type", field=key, where=where(line_of(node, key)),
                          expected="một danh sách chuỗi chữ")
    for index, item in enumerate(value, 1):
        if not isinstance(item, (str, int, float)):
            raise DomainError("list_item_not_text", index=index, field=key,
                              where=where(line_of(item) or line_of(node, key)))
    return tuple(nfc(str(v)) for v in value)


def _mapping_list(node: dict, key: str) -> list[dict]:
    value = node.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DomainError("field_type", field=key, where=where(line_of(node, key)),
                          expected="một danh sách các mục khóa: giá trị")
    return value


def parse_number(raw: Any, *, field_name: str, node: Any = None) -> float:
    """A figure as Vietnamese write it: 55, "55%", "0,5", "1.250", "12,5 %"."""
    if isinstance(raw, bool):
        raise DomainError("figure_not_number", value=raw, target=field_name)
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw):
            raise DomainError("figure_not_number", value=raw, target=field_name)
        return float(raw)
    text = nfc(str(raw)).replace("\u00a0", " ").replace(" ", "").rstrip("%")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text):  # 1.250,5: dots group thousands
        text = text.replace(".", "")
    text = text.replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):  # no "nan", "inf", "1e3", "1_000"
        raise DomainError("figure_not_number", value=raw, target=field_name)
    return float(text)


def _target(node: dict) -> Target:
    tid = nfc(str(_req(node, "id", (str, int), "một mã")))
    direction = _opt_str(node, "direction") or "at_least"
    if direction not in DIRECTIONS:
        raise DomainError("field_value", value=direction, field="direction",
                          where=where(line_of(node, "direction")), hint="một trong " + ", ".join(DIRECTIONS))
    rollup = _opt_str(node, "rollup") or ("average" if (_opt_str(node, "unit") == "%") else "sum")
    if rollup not in ROLLUPS:
        raise DomainError("field_value", value=rollup, field="rollup",
                          where=where(line_of(node, "rollup")), hint="một trong " + ", ".join(ROLLUPS))
    value = node.get("value")
    return Target(
        id=tid,
        text=nfc(_req(node, "text")),
        value=None if value is None else parse_number(value, field_name=tid, node=node),
        unit=_opt_str(node, "unit"),
        direction=direction,
        rollup=rollup,
        baseline=_baseline(node, tid, direction),
    )


def _baseline(node: dict, tid: str, direction: str) -> float | None:
    """A "reduce_by" target's figure at the start (`baseline:`), refused on other targets. A draft may
    leave it to be filled (an imported plan whose text does not give it); the plan cannot be issued
    without it (`missing_baselines`)."""
    raw = node.get("baseline")
    at = where(line_of(node, "baseline") if raw is not None else line_of(node))
    if raw is None or raw == "":
        return None
    if direction != "reduce_by":
        raise DomainError("baseline_not_reduce", target=tid, where=at, direction=direction)
    try:
        return parse_number(raw, field_name=tid, node=node)
    except DomainError:
        raise DomainError("baseline_not_number", value=raw, target=tid, where=at) from None


def _task(node: dict) -> Task:
    return Task(
        ref=nfc(str(_req(node, "ref", (str, int, float), "một số thứ tự như 2.1"))),
        text=nfc(_req(node, "text")),
        lead=_str_list(node, "lead"),
        advisory=_str_list(node, "advisory"),
        executing=_str_list(node, "executing"),
        cooperating=_str_list(node, "cooperating"),
        timeframe=_opt_str(node, "timeframe"),
        targets=_str_list(node, "targets"),
        written=tuple(_written(n) for n in _mapping_list(node, "written")),
    )


def _written(node: dict) -> tuple[str, str]:
    label = nfc(_req(node, "label"))
    if label.lower() not in LABEL_ROLES:
        raise DomainError("field_value", value=label, field="label", where=where(line_of(node, "label")),
                          hint="một trong: " + "; ".join(LABEL_ROLES))
    return label, nfc(str(node.get("text") or ""))


def _section(node: dict) -> Section:
    return Section(
        title=nfc(_req(node, "title")),
        paragraphs=_str_list(node, "paragraphs"),
        targets=_str_list(node, "targets"),
        tasks=_str_list(node, "tasks"),
        subsections=tuple(_section(s) for s in _mapping_list(node, "subsections")),
        number=_opt_str(node, "number"),
        task=_opt_str(node, "task"),
        figures=_str_list(node, "figures"),
    )


def _form(node: dict) -> Form:
    rows = node.get("rows")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise DomainError("field_type", field="rows", where=where(line_of(node, "rows")),
                          expected="một danh sách các hàng, mỗi hàng là một danh sách ô")
    header_rows = node.get("header_rows", 1)
    if not isinstance(header_rows, int) or not 0 <= header_rows <= len(rows):
        raise DomainError("field_value", value=header_rows, field="header_rows",
                          where=where(line_of(node, "header_rows")), hint=f"một số từ 0 đến {len(rows)}")
    return Form(title=nfc(_req(node, "title")), header_rows=header_rows,
                rows=tuple(tuple(nfc("" if c is None else str(c)) for c in r) for r in rows))


def _recipient(node: Any) -> Recipient:
    if isinstance(node, str):
        return Recipient(label=nfc(node))
    if not isinstance(node, dict):
        raise DomainError("field_type", field="recipients", where="", expected="chuỗi chữ hoặc mục có «body»")
    body = _opt_str(node, "body")
    label = _opt_str(node, "label")
    if not body and not label:
        raise DomainError("field_missing", field="body", where=where(line_of(node)))
    return Recipient(label=label or "", body=body, note=_opt_str(node, "note"))


def _signer(node: dict) -> Signer:
    return Signer(
        user=nfc(_req(node, "user")),
        title=nfc(_req(node, "title")),
        capacity=_str_list(node, "capacity"),
    )


def parse_plan(data: Any, *, source: str = "tệp kế hoạch") -> PlanContent:
    """Validate the structured plan and build its content; every reference must resolve."""
    if not isinstance(data, dict):
        raise DomainError("yaml_not_mapping", file=source)
    targets = [_target(n) for n in _mapping_list(data, "targets")]
    tasks = [_task(n) for n in _mapping_list(data, "tasks")]
    sections = [_section(n) for n in _mapping_list(data, "sections")]
    if not sections:
        raise DomainError("field_missing", field="sections", where=where(line_of(data)))
    raw_recipients = data.get("recipients") or []
    if not isinstance(raw_recipients, list):
        raise DomainError("field_type", field="recipients", where=where(line_of(data, "recipients")),
                          expected="một danh sách")
    signer_node = data.get("signer")
    if not isinstance(signer_node, dict):
        raise DomainError("field_missing", field="signer", where=where(line_of(data)))

    _unique([t.id for t in targets], "chỉ tiêu", data, "targets")
    _unique([t.ref for t in tasks], "nhiệm vụ", data, "tasks")
    target_ids = {t.id for t in targets}
    task_refs = {t.ref for t in tasks}
    for node, task in zip(_mapping_list(data, "tasks"), tasks):
        for tid in task.targets:
            if tid not in target_ids:
                raise DomainError("unknown_ref", ref=tid, where=where(line_of(node, "targets")), what="chỉ tiêu")
    for section in _walk(sections):
        for tid in section.targets:
            if tid not in target_ids:
                raise DomainError("unknown_ref", ref=tid, where="", what="chỉ tiêu")
        for ref in section.tasks + ((section.task,) if section.task else ()):
            if ref not in task_refs:
                raise DomainError("unknown_ref", ref=ref, where="", what="nhiệm vụ")
        for tid in section.figures:
            if tid not in target_ids:
                raise DomainError("unknown_ref", ref=tid, where="", what="chỉ tiêu")

    return PlanContent(
        issuer=nfc(_req(data, "issuer")),
        title=nfc(_req(data, "title")),
        doc_type=_opt_str(data, "doc_type") or "KẾ HOẠCH",
        preamble=_str_list(data, "preamble"),
        sections=tuple(sections),
        closing=_opt_str(data, "closing"),
        targets=tuple(targets),
        tasks=tuple(tasks),
        recipients=tuple(_recipient(r) for r in raw_recipients),
        signer=_signer(signer_node),
        place=_opt_str(data, "place"),
        implements=_str_list(data, "implements"),
        forms=tuple(_form(n) for n in _mapping_list(data, "forms")),
        loose_text=_str_list(data, "loose_text"),
        **_reporting(data),
    )


# the periods a plan reports on (`reporting:`), in English or Vietnamese
REPORT_KIND_WORDS = {
    "quarter": "quarter", "quý": "quarter", "6 months": "6 months", "6 tháng": "6 months",
    "9 months": "9 months", "9 tháng": "9 months", "year": "year", "năm": "year",
}
CALENDAR_MONTHS = ("cuối tháng", "calendar", "end of month")


def _reporting(data: dict) -> dict[str, Any]:
    """`reporting: [quý, 6 tháng, năm]`, or `reporting: {periods: [...], cut_off: 20 | cuối tháng}` (the
    cut-off day of a Party body's periods; state bodies keep NĐ 09/2019's 14th)."""
    node = data.get("reporting")
    if node is None:
        return {}
    holder, key = (node, "periods") if isinstance(node, dict) else (data, "reporting")
    kinds = []
    for word in _str_list(holder, key):
        kind = REPORT_KIND_WORDS.get(" ".join(word.lower().split()))
        if kind is None:
            raise DomainError("field_value", value=word, field="reporting", where=where(line_of(holder, key)),
                              hint="mỗi kỳ là «quý», «6 tháng», «9 tháng» hoặc «năm»")
        kinds.append(kind)
    found = {"report_periods": tuple(dict.fromkeys(kinds))}
    if isinstance(node, dict) and node.get("cut_off") is not None:
        raw = node["cut_off"]
        if isinstance(raw, str) and " ".join(raw.lower().split()) in CALENDAR_MONTHS:
            found["report_cut_off"] = None
        elif isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 28:
            found["report_cut_off"] = raw
        else:
            raise DomainError("field_value", value=raw, field="cut_off", where=where(line_of(node, "cut_off")),
                              hint="ghi ngày chốt số liệu từ 1 đến 28, hoặc «cuối tháng» cho tháng dương lịch")
    return found


def _unique(ids: list[str], what: str, node: dict, key: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise DomainError("duplicate_id", id=i, where=where(line_of(node, key)), what=what)
        seen.add(i)


def _walk(sections: list[Section] | tuple[Section, ...]):
    for s in sections:
        yield s
        yield from _walk(s.subsections)


def walk_sections(content: PlanContent):
    """Every section, depth first, with its numbering path: (path, section)."""

    def go(sections, path):
        for i, s in enumerate(sections, 1):
            p = path + (i,)
            yield p, s
            yield from go(s.subsections, p)

    yield from go(content.sections, ())
