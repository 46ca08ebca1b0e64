"""The request for reports ("công văn đề nghị báo cáo") and each unit's report form ("biểu mẫu").

A reporting period opens with one công văn from the plan's issuing body to every executing unit.
Each unit receives its own copy: the same letter with, annexed after the signature, the form
built from only the tasks and targets the plan assigns to that unit. The form keeps the codes
("Mã chỉ tiêu", "Mã nhiệm vụ") so that a filled form can be read back. Pure: same data, same
document.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Protocol

from domain.model import numbering
from domain.model.documents import Annex, Block, OfficialDocument, file_stem, header_fields
from domain.model.org import Body
from domain.model.plan import PlanContent, Target, Task
from domain.model.report_form import FormIdentity, identity_properties, identity_text
from domain.model.reporting import format_figure

TARGET_HEADER = ("STT", "Mã chỉ tiêu", "Chỉ tiêu", "Kế hoạch", "Kết quả kỳ này", "Ghi chú")
TASK_HEADER = ("STT", "Mã nhiệm vụ", "Nhiệm vụ", "Thời gian", "Kết quả thực hiện", "Khó khăn, kiến nghị")
MAX_LISTED_ADDRESSEES = 10  # more units than this: one collective "Kính gửi", the list annexed to the letter
UNITS_HEADER = ("STT", "Mã đơn vị", "Tên cơ quan, đơn vị")
SUBMIT_HINT = "kehoach report submit {plan} --file <tệp biểu mẫu đã điền>"


class PeriodLike(Protocol):
    """A reporting period as the services hold it (model `Period` or its stored row)."""

    key: str
    label: str
    start: date
    end: date
    deadline: date


def dmy(d: date) -> str:
    """ "17/12/2026": dates inside running text (the "ngày … tháng … năm …" form is the date line's)."""
    return f"{d:%d/%m/%Y}"


def period_words(period: PeriodLike) -> str:
    """ "Quý IV/2026" -> "quý IV năm 2026", as a trích yếu writes it."""
    label = period.label.replace("/", " năm ")
    return label[:1].lower() + label[1:]


def plan_figure(target: Target) -> str:
    """The plan's figure as a form prints it: "55%", "01 mô hình", "giảm 0,5%", "không quá 3 vụ"; "" if none.

    A reduction with its baseline says so, and that the unit reports the figure as it now is (the
    review computes the reduction): "giảm 0,5% (đầu kỳ 2,1%; kết quả ghi số liệu hiện tại)".
    """
    if target.value is None:
        return ""
    unit = target.unit or ""
    figure = format_figure(target.value) + ("%" if unit == "%" else (f" {unit}" if unit else ""))
    if target.direction == "reduce_by":
        if target.baseline is None:
            return f"giảm {figure}"
        start = format_figure(target.baseline) + ("%" if unit == "%" else (f" {unit}" if unit else ""))
        return f"giảm {figure} (đầu kỳ {start}; kết quả ghi số liệu hiện tại)"
    if target.direction == "at_most":
        return f"không quá {figure}"
    return figure


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def request_subject(plan_reference: str, period: PeriodLike) -> str:
    """ "V/v báo cáo kết quả thực hiện Kế hoạch số 05/KH-UBND quý IV năm 2026"."""
    return f"V/v báo cáo kết quả thực hiện Kế hoạch số {plan_reference} {period_words(period)}"


def _advisory(content: PlanContent, names: dict[str, str]) -> str | None:
    """The one body that advises on every task ("tham mưu"), which receives the reports; else None."""
    bodies = {b for task in content.tasks for b in task.advisory}
    if len(bodies) != 1 or not all(task.advisory for task in content.tasks):
        return None
    (body,) = bodies
    return None if body == content.issuer else names.get(body, body)


def _archive_lines(content: PlanContent) -> tuple[str, ...]:
    """The plan's "Lưu: VT, …" lines, or "Lưu: VT" when it has none."""
    lines = tuple(r.line() for r in content.recipients if r.line().startswith("Lưu"))
    return lines or ("Lưu: VT",)


def request_letter(*, content: PlanContent, issuer: Body, names: dict[str, str], number: int | None,
                   issued_on: date | None, plan_reference: str, plan_issued_on: date, period: PeriodLike,
                   plan_id: int) -> OfficialDocument:
    """The công văn asking every executing unit of the plan to report for `period`.

    Up to `MAX_LISTED_ADDRESSEES` units are named under "Kính gửi"; more are addressed together and listed
    in an annex of the letter (each unit's copy replaces that annex with its own form).
    """
    units = content.executing_units()
    issuer_name = names.get(issuer.id, issuer.name)
    plan = (f"Kế hoạch số {plan_reference} ngày {dmy(plan_issued_on)} của {issuer_name} "
            f"về {_lower_first(content.title)}")
    via = _advisory(content, names)
    to = f"{issuer_name} (qua {via})" if via else issuer_name
    subject = request_subject(plan_reference, period)
    blocks = (
        Block("paragraph", f"Thực hiện {plan}, để tổng hợp, đánh giá kết quả thực hiện {period.label}, "
                           f"{issuer_name} đề nghị các cơ quan, đơn vị báo cáo kết quả thực hiện các nhiệm vụ, "
                           f"chỉ tiêu được giao, cụ thể như sau:"),
        Block("paragraph", f"1. Nội dung báo cáo: kết quả thực hiện từng nhiệm vụ, chỉ tiêu Kế hoạch giao cho "
                           f"cơ quan, đơn vị trong {period.label} (số liệu tính từ ngày {dmy(period.start)} "
                           f"đến ngày {dmy(period.end)}); khó khăn, vướng mắc và kiến nghị, đề xuất."),
        Block("paragraph", "2. Biểu mẫu báo cáo: mỗi cơ quan, đơn vị nhận kèm theo Công văn này biểu mẫu lập "
                           "riêng theo nhiệm vụ, chỉ tiêu được giao; đề nghị điền kết quả vào các cột còn trống, "
                           "giữ nguyên mã chỉ tiêu, mã nhiệm vụ, số liệu ghi bằng số."),
        Block("paragraph", f"3. Thời hạn và cách gửi: báo cáo gửi về {to} chậm nhất ngày {dmy(period.deadline)}, "
                           f"bằng một trong hai cách sau:"),
        Block("item", "trả lời thư điện tử gửi Công văn này, đính kèm tệp biểu mẫu đã điền đầy đủ;"),
        Block("item", "nhập số liệu bằng lệnh: "
                      + SUBMIT_HINT.format(plan=plan_id) + "."),
        Block("paragraph", f"Đề nghị các cơ quan, đơn vị quan tâm, thực hiện đúng thời hạn; trường hợp có khó khăn, "
                           f"vướng mắc, liên hệ {via or issuer_name} để được hướng dẫn./."),
    )
    signer = content.signer
    addressees, annexes = tuple(names.get(u, u) for u in units), ()
    if len(units) > MAX_LISTED_ADDRESSEES:  # each unit's copy would otherwise carry the whole list
        addressees = (f"Các cơ quan, đơn vị thực hiện Kế hoạch số {plan_reference} (theo danh sách kèm theo)",)
        annexes = (Annex(heading="Danh sách", title="Các cơ quan, đơn vị được đề nghị báo cáo",
                         rows=(UNITS_HEADER, *((str(i), u, names.get(u, u)) for i, u in enumerate(units, 1))),
                         note=f"(Kèm theo Công văn đề nghị báo cáo {period.label})"),)
    return OfficialDocument(
        **{**header_fields(issuer=issuer, regime=issuer.regime, doc_type=numbering.LETTER, number=number,
                           issued_on=issued_on, place=content.place), "doc_type": ""},
        title="",
        subject=subject,
        addressees=addressees,
        annexes=annexes,
        blocks=blocks,
        recipients=("Như trên", *_archive_lines(content)),
        signer_capacity=signer.capacity if signer else (),
        signer_title=signer.title if signer else "",
        signer_name=signer.name if signer else "",
        file_stem=file_stem(numbering.LETTER, number, issuer, issued_on,
                            f"Đề nghị báo cáo {period.label} Kế hoạch {plan_reference}"),
    )


def form_annexes(*, unit_name: str, period: PeriodLike, tasks: tuple[Task, ...], targets: tuple[Target, ...],
                 note: str | None) -> tuple[Annex, ...]:
    """A unit's report form: a targets table, then a tasks table, result cells left empty.

    A table with no row is left out; the annexes are numbered "Biểu mẫu số 01", "02" in order.
    """
    tables = []
    if targets:
        rows = [TARGET_HEADER] + [(str(i), t.id, t.text, plan_figure(t), "", "") for i, t in enumerate(targets, 1)]
        tables.append((f"Kết quả thực hiện chỉ tiêu {period.label} của {unit_name}", rows))
    if tasks:
        rows = [TASK_HEADER] + [(str(i), t.ref, t.text, t.timeframe or "", "", "") for i, t in enumerate(tasks, 1)]
        tables.append((f"Kết quả thực hiện nhiệm vụ {period.label} của {unit_name}", rows))
    return tuple(Annex(heading=f"Biểu mẫu số {i:02d}", title=title, rows=tuple(rows), note=note)
                 for i, (title, rows) in enumerate(tables, 1))


def form_note(letter: OfficialDocument, issuer_name: str, issued_on: date | None, unit: str,
              period: PeriodLike, *, plan_id: int | None = None, plan_reference: str | None = None) -> str:
    """ "(Kèm theo Công văn số 02/UBND ngày 23/11/2026 của …; mã kế hoạch: 1 (Kế hoạch số 01/KH-UBND),
    mã đơn vị: MTTQ-HB, mã kỳ: 2026-Q4)": the line a filled form is recognised by when it comes back."""
    number = letter.number_line.removeprefix("Số:").removeprefix("Số").strip()
    when = f" ngày {dmy(issued_on)}" if issued_on else ""
    codes = (identity_text(FormIdentity(plan=plan_id, plan_reference=plan_reference, unit=unit, period=period.key))
             if plan_id is not None else f"mã đơn vị: {unit}, mã kỳ: {period.key}")
    return f"(Kèm theo Công văn số {number}{when} của {issuer_name}; {codes})"


def unit_copy(letter: OfficialDocument, *, content: PlanContent, unit: str, names: dict[str, str],
              issuer_name: str, issued_on: date | None, period: PeriodLike, plan_id: int | None = None,
              plan_reference: str | None = None) -> OfficialDocument:
    """The copy of `letter` sent to `unit`: its own form annexed, its code in the file name, and the
    form's identity (plan, unit, period) in each annex's note and in the file's custom properties."""
    note = form_note(letter, issuer_name, issued_on, unit, period, plan_id=plan_id, plan_reference=plan_reference)
    annexes = form_annexes(unit_name=names.get(unit, unit), period=period, tasks=content.tasks_for(unit),
                           targets=content.targets_for(unit), note=note)
    number = letter.number_line.removeprefix("Số:").removeprefix("Số").strip()
    identity = FormIdentity(plan=plan_id, plan_reference=plan_reference, letter=number or None, unit=unit,
                            period=period.key)
    stem = "".join("-" if ch in '/\\:*?"<>|' else ch for ch in f"{letter.file_stem} - {unit}")
    return replace(letter, annexes=annexes, file_stem=stem, properties=identity_properties(identity))
