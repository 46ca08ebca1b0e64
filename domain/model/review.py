"""The review report ("báo cáo sơ kết / tổng kết"): targets against the rolled-up results."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from domain.model.documents import Annex, Block, Chart, OfficialDocument, file_stem, header_fields
from domain.model.org import Body
from domain.model.plan import PlanContent, Target
from domain.model.reporting import Rollup, format_figure

KINDS = {"review": "Sơ kết", "close": "Tổng kết"}


def verdict(r: Rollup) -> str:
    """ "Đạt", "Chưa đạt", "Chưa có số liệu" (no figure yet, or a reduction without its baseline),
    "Chưa đủ số liệu" (units missing could still change it), or "Không có mức kế hoạch" (a target
    without a figure: nothing to judge against); when some expected units have not reported, followed
    by how many did: "Đạt (3/4 đơn vị báo cáo)"."""
    if r.result is None:
        text = "Chưa có số liệu"
    elif r.incomplete:
        text = "Chưa đủ số liệu"
    elif r.met is None:
        text = "Không có mức kế hoạch"
    else:
        text = "Đạt" if r.met else "Chưa đạt"
    return f"{text} ({units_reported(r)})" if r.partial and r.counts_units else text


def units_reported(r: Rollup) -> str:
    """ "3/4 đơn vị báo cáo"."""
    return f"{r.reported}/{r.expected} đơn vị báo cáo"


def with_unit(value: float | None, unit: str | None) -> str:
    """ "55%", "01 mô hình" as Vietnamese write figures; "—" when there is none."""
    if value is None:
        return "—"
    if not unit:
        return format_figure(value)
    return f"{format_figure(value)}%" if unit == "%" else f"{format_figure(value)} {unit}"


def review_title(kind: str, period_label: str, plan_reference: str, plan_issued: date, plan_title: str) -> str:
    return (f"{KINDS[kind]} {period_label} thực hiện Kế hoạch số {plan_reference} ngày "
            f"{plan_issued:%d/%m/%Y} về {plan_title[0].lower() + plan_title[1:]}")


def planned(target: Target) -> str:
    """The plan column: "55%", "không quá 3 vụ", "giảm 0,5% (đầu kỳ 2,1%)"; "—" without a figure."""
    if target.value is None:
        return "—"
    figure = with_unit(target.value, target.unit)
    if target.direction == "at_most":
        return f"không quá {figure}"
    if target.direction == "reduce_by":
        start = "" if target.baseline is None else f" (đầu kỳ {with_unit(target.baseline, target.unit)})"
        return f"giảm {figure}{start}"
    return figure


def outcome(r: Rollup) -> str:
    """The result column: "56%", "50% đơn vị đạt", "giảm 0,6% (còn 1,5%)", "tăng 0,2% (lên 2,3%)"; "—"."""
    if r.result is None:
        return "—"
    t = r.target
    if t.rollup == "share_met":
        return f"{format_figure(r.result)}% đơn vị đạt"
    if t.direction == "reduce_by":
        if r.result < 0:
            return f"tăng {with_unit(-r.result, t.unit)} (lên {with_unit(r.level, t.unit)})"
        return f"giảm {with_unit(r.result, t.unit)} (còn {with_unit(r.level, t.unit)})"
    return with_unit(r.result, t.unit)


def share_of_plan(r: Rollup) -> float | None:
    """How much of the plan a result reaches, in % of the plan figure (the plan itself is 100).

    A "share_met" result is already the % of units that met the target, so it stands as it is.
    None when there is no result; the caller leaves out targets without a (non-zero) plan figure.
    """
    if r.result is None:
        return None
    if r.target.rollup == "share_met":
        return round(r.result, 1)
    return round(100.0 * r.result / r.target.value, 1)


def _charted(r: Rollup) -> bool:
    return r.target.rollup == "share_met" or bool(r.target.value)


def rollup_chart(rollups: list[Rollup]) -> Block | None:
    """A bar chart after the table: per target ("(1)", "(2)" … as numbered in the table), the plan
    (100%) beside the result as a % of the plan, so that targets in different units compare.

    Targets without a plan figure are left out; a target without a result has no "Kết quả" bar.
    None when no target can be drawn.
    """
    drawn = [(i, r) for i, r in enumerate(rollups, 1) if _charted(r)]
    if not drawn:
        return None
    chart = Chart(
        title="Mức độ thực hiện các chỉ tiêu so với kế hoạch (%)",
        categories=tuple(f"({i})" for i, _ in drawn),
        series=(("Kế hoạch", tuple(100.0 for _ in drawn)), ("Kết quả", tuple(share_of_plan(r) for _, r in drawn))),
        unit="%",
    )
    caption = ["Biểu đồ: kết quả của từng chỉ tiêu tính bằng phần trăm so với mức kế hoạch (kế hoạch = 100%), "
               "để các chỉ tiêu có đơn vị tính khác nhau so sánh được trên cùng một thang đo; (1), (2)… là số thứ "
               "tự chỉ tiêu trong bảng trên."]
    if any(r.target.rollup == "share_met" for _, r in drawn):
        caption.append("Chỉ tiêu giao cho từng đơn vị tính bằng tỷ lệ đơn vị đạt.")
    if any(r.target.direction == "at_most" and r.target.rollup != "share_met" for _, r in drawn):
        caption.append("Với chỉ tiêu «không vượt quá», kết quả từ 100% trở xuống là đạt.")
    if any(r.target.direction == "reduce_by" and r.target.rollup != "share_met" for _, r in drawn):
        caption.append("Với chỉ tiêu giảm, kết quả là mức đã giảm so với đầu kỳ (mức đầu kỳ trừ số liệu kỳ này) "
                       "so với mức giảm kế hoạch; từ 100% trở lên là đạt.")
    if any(r.result is not None and r.result < 0 for _, r in drawn):
        rising = [f"({i})" for i, r in drawn if r.result is not None and r.result < 0]
        caption.append(f"Chỉ tiêu {', '.join(rising)} có kết quả âm: số liệu tăng so với đầu kỳ thay vì giảm.")
    no_figure = [f"({i})" for i, r in enumerate(rollups, 1) if not _charted(r) and r.target.value is None]
    if no_figure:
        caption.append(f"Chỉ tiêu {', '.join(no_figure)} không có mức kế hoạch bằng số nên không thể hiện.")
    zero = [f"({i})" for i, r in enumerate(rollups, 1) if not _charted(r) and r.target.value is not None]
    if zero:
        caption.append(f"Chỉ tiêu {', '.join(zero)} có mức kế hoạch bằng 0 nên không tính được phần trăm, "
                       f"không thể hiện.")
    no_baseline = [f"({i})" for i, r in drawn if r.result is None and r.reported
                   and r.target.direction == "reduce_by" and r.target.baseline is None]
    if no_baseline:
        caption.append(f"Chỉ tiêu {', '.join(no_baseline)} chưa có mức đầu kỳ nên chưa tính được mức đã giảm.")
    no_result = [f"({i})" for i, r in drawn if r.result is None and f"({i})" not in no_baseline]
    if no_result:
        caption.append(f"Chỉ tiêu {', '.join(no_result)} chưa có số liệu.")
    partial = [f"({i}) ({r.reported}/{r.expected})" for i, r in drawn
               if r.result is not None and r.partial and r.counts_units]
    if partial:
        caption.append(f"Chỉ tiêu {', '.join(partial)} mới có số liệu của một phần các đơn vị (số đơn vị đã "
                       f"báo cáo/số đơn vị được giao).")
    return Block("chart", " ".join(caption), chart=chart)


def units_annex(*, rollups: list[Rollup], unit_figures: dict[str, dict[str, float]], names: dict[str, str],
                note: str | None) -> Annex:
    """ "Biểu tổng hợp kết quả theo đơn vị": a row per reporting unit, a column per target
    (numbered as in the report's table, its unit of measure under it), the unit's latest figure."""
    targets: list[Target] = [r.target for r in rollups]
    header = ("STT", "Đơn vị báo cáo", *(f"({i})" for i in range(1, len(targets) + 1)))
    units_row = ("", "", *(t.unit or "" for t in targets))
    rows = [header, units_row]
    for i, (unit, figures) in enumerate(unit_figures.items(), 1):
        rows.append((str(i), names.get(unit, unit),
                     *("" if figures.get(t.id) is None else format_figure(figures[t.id]) for t in targets)))
    return Annex(heading="Phụ lục", title="Biểu tổng hợp kết quả theo đơn vị", rows=tuple(rows), header_rows=2,
                 note=note)


TaskTexts = dict[str, dict[str, dict[str, str]]]  # unit -> task ref -> {"result": …, "issues": …}


def _said(task_texts: TaskTexts, unit: str, ref: str) -> dict[str, str]:
    return task_texts.get(unit, {}).get(ref, {})


def _result_cell(task_texts: TaskTexts, unit: str, ref: str, reported: list[str]) -> str:
    if unit not in reported:
        return "Chưa gửi báo cáo"
    return _said(task_texts, unit, ref).get("result") or "Không nêu kết quả"


def tasks_section(*, content: PlanContent, task_texts: TaskTexts, reported: list[str], names: dict[str, str],
                  number: str) -> list[Block]:
    """The part on the plan's tasks ("nhiệm vụ"): per task, what each executing unit wrote in its latest
    report (result, difficulties and proposals), or that it has not reported or not said."""
    tasks = [t for t in content.tasks if t.executing]
    told = [t for t in tasks if any(_said(task_texts, u, t.ref).get("result") for u in t.executing)]
    whole = [t for t in told if all(_said(task_texts, u, t.ref).get("result") for u in t.executing)]
    if not told:
        summary = "chưa có nhiệm vụ nào được báo cáo kết quả thực hiện"
    elif len(whole) == len(tasks):
        summary = f"cả {len(tasks)} nhiệm vụ đều có kết quả thực hiện do tất cả các đơn vị thực hiện báo cáo"
    else:
        summary = (f"{len(told)}/{len(tasks)} nhiệm vụ đã có kết quả thực hiện được báo cáo, "
                   + (f"trong đó {len(whole)} nhiệm vụ có báo cáo của tất cả các đơn vị thực hiện" if whole
                      else "song chưa có nhiệm vụ nào có báo cáo của tất cả các đơn vị thực hiện"))
    blocks = [
        Block("heading1", f"{number}. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ"),
        Block("paragraph", f"Theo báo cáo mới nhất của các đơn vị, {summary}; cụ thể như sau:"),
    ]
    for i, task in enumerate(tasks, 1):
        rows = [("STT", "Đơn vị thực hiện", "Kết quả thực hiện", "Khó khăn, vướng mắc, kiến nghị")]
        rows += [(str(j), names.get(u, u), _result_cell(task_texts, u, task.ref, reported),
                  _said(task_texts, u, task.ref).get("issues", "")) for j, u in enumerate(task.executing, 1)]
        blocks += [Block("heading2", f"{i}. {task.text.rstrip('.')} (nhiệm vụ {task.ref})."),
                   Block("table", rows=tuple(rows))]
    return blocks


def difficulties(*, content: PlanContent, task_texts: TaskTexts, names: dict[str, str]) -> list[Block]:
    """The difficulties and proposals the units wrote, each with its unit and task, as a list; none: nothing."""
    said = [(u, t.ref, _said(task_texts, u, t.ref).get("issues", "").strip()) for t in content.tasks
            for u in t.executing]
    said = [(u, ref, text.rstrip(".;")) for u, ref, text in said if text]
    if not said:
        return []
    ends = [";"] * (len(said) - 1) + ["."]
    return [Block("paragraph", "Khó khăn, vướng mắc và kiến nghị các đơn vị nêu trong báo cáo:"),
            *(Block("item", f"{names.get(u, u)} (nhiệm vụ {ref}): {text}{end}")
              for (u, ref, text), end in zip(said, ends))]


def tasks_annex(*, content: PlanContent, task_texts: TaskTexts, reported: list[str], names: dict[str, str],
                note: str | None, heading: str) -> Annex:
    """ "Biểu tổng hợp kết quả thực hiện nhiệm vụ theo đơn vị": per reporting unit, a row per task it was
    given, with what it wrote (its result, its difficulties and proposals)."""
    rows = [("STT", "Đơn vị báo cáo", "Nhiệm vụ", "Kết quả thực hiện", "Khó khăn, vướng mắc, kiến nghị")]
    for i, unit in enumerate(reported, 1):
        for j, task in enumerate(content.tasks_for(unit)):
            rows.append((str(i) if j == 0 else "", names.get(unit, unit) if j == 0 else "",
                         f"{task.ref}. {task.text}", _result_cell(task_texts, unit, task.ref, reported),
                         _said(task_texts, unit, task.ref).get("issues", "")))
    return Annex(heading=heading, title="Biểu tổng hợp kết quả thực hiện nhiệm vụ theo đơn vị", rows=tuple(rows),
                 note=note)


def _annex_note(number_line: str, number: int | None, issued_on: date | None, issuer: Body, period_label: str,
                texts: bool = False) -> str:
    ref = number_line.removeprefix("Số:").removeprefix("Số").strip()
    of = f"số {ref} ngày {issued_on:%d/%m/%Y} " if number is not None and issued_on else ""
    period = f" kỳ {period_label}" if period_label else ""
    if texts:
        return f"(Kèm theo Báo cáo {of}của {issuer.name}; nội dung báo cáo mới nhất của từng đơn vị{period})"
    return (f"(Kèm theo Báo cáo {of}của {issuer.name}; số liệu báo cáo mới nhất của từng đơn vị{period}; "
            f"(1), (2)… là số thứ tự chỉ tiêu tại Mục I; ô trống: đơn vị không được giao hoặc chưa báo cáo chỉ tiêu)")


def _dmy(iso: str | None) -> str:
    return "" if not iso else f"{date.fromisoformat(iso):%d/%m/%Y}"


def lower_section(lower: list[dict] | tuple, number: str) -> list[Block]:
    """The part of a higher body's review on the plans that implement its plan: per plan, its body, its
    reference, the review it is read from (issued, else a draft) and the targets met, not met, without
    figures; then the targets each has not met, by name."""
    rows = [("STT", "Cơ quan", "Kế hoạch", "Báo cáo", "Chỉ tiêu đạt", "Chưa đạt", "Chưa có, chưa đủ số liệu")]
    for i, p in enumerate(lower, 1):
        plan = f"Số {p['plan_reference']} ngày {_dmy(p['plan_issued_on'])}" if p["plan_reference"] else "chưa ban hành"
        if p["review_id"] is None:
            report, figures = "chưa có báo cáo", ("—", "—", "—")
        else:
            report = (f"Số {p['review_reference']} ngày {_dmy(p['review_issued_on'])}" if p["review_reference"]
                      else "dự thảo, chưa ban hành") + f" ({p['period_label']})"
            figures = (f"{p['met']}/{p['targets']}", str(p["not_met"]), str(p["no_result"]))
        rows.append((str(i), p["issuer"], plan, report, *figures))
    blocks = [
        Block("heading1", f"{number}. KẾT QUẢ THỰC HIỆN CỦA CÁC KẾ HOẠCH CẤP DƯỚI"),
        Block("paragraph", f"Có {len(lower)} kế hoạch của cấp dưới thực hiện Kế hoạch này; tổng hợp từ báo cáo sơ "
                           f"kết, tổng kết mới nhất của từng kế hoạch (báo cáo đã ban hành, nếu chưa có thì bản dự "
                           f"thảo), cụ thể như sau:"),
        Block("table", rows=tuple(rows)),
    ]
    for p in lower:
        if p["not_met_targets"]:
            blocks.append(Block("item", f"{p['issuer']} — các chỉ tiêu chưa đạt: "
                                        + "; ".join(t.rstrip(".") for t in p["not_met_targets"]) + "."))
    return blocks


def review_document(*, content: PlanContent, issuer: Body, names: dict[str, str],
                    number: int | None, issued_on: date | None, title: str, rollups: list[Rollup],
                    reported: list[str], missing: list[str], notes: dict[str, str],
                    unit_figures: dict[str, dict[str, float]] | None = None,
                    period_label: str = "", lower: tuple | list = (),
                    task_texts: TaskTexts | None = None) -> OfficialDocument:
    """The BÁO CÁO with a table of each target's plan figure, result and verdict, a chart of the
    results as a share of the plan and, annexed, each unit's figures (`unit_figures`: unit ->
    {target id: latest figure}, in the order the rows should appear).

    With `task_texts` (what units wrote against their tasks in their latest reports), a part on the
    tasks follows the targets, the difficulties they raised go under the general assessment, and a second
    annex shows each unit's results and difficulties by task. Without them the report is as before."""
    rows = [("STT", "Chỉ tiêu", "Kế hoạch", "Kết quả", "Đơn vị báo cáo", "Đánh giá")]
    for i, r in enumerate(rollups, 1):
        rows.append((str(i), r.target.text, planned(r.target), outcome(r), f"{r.reported}/{r.expected}",
                     verdict(r)))
    met = sum(1 for r in rollups if r.met)
    incomplete = sum(1 for r in rollups if r.incomplete)
    pending = (f"; {incomplete} chỉ tiêu chưa đủ số liệu để đánh giá vì còn đơn vị chưa báo cáo"
               if incomplete else "")
    blocks = [
        Block("heading1", "I. KẾT QUẢ THỰC HIỆN"),
        Block("paragraph", f"Có {len(reported)}/{len(reported) + len(missing)} đơn vị đã gửi báo cáo kỳ này. "
                           f"Tổng hợp số liệu, {met}/{len(rollups)} chỉ tiêu đạt kế hoạch{pending}, cụ thể như sau:"),
        Block("table", rows=tuple(rows)),
    ]
    chart = rollup_chart(rollups)
    if chart is not None:
        blocks.append(chart)
    roman = iter(("II", "III", "IV", "V", "VI"))
    if task_texts:
        blocks += tasks_section(content=content, task_texts=task_texts, reported=reported, names=names,
                                number=next(roman))
    if lower:
        blocks += lower_section(lower, next(roman))
    blocks.append(Block("heading1", f"{next(roman)}. ĐÁNH GIÁ CHUNG"))
    blocks += [Block("item", f"{names.get(u, u)}: {notes[u]}") for u in reported if notes.get(u)]
    if task_texts:
        blocks += difficulties(content=content, task_texts=task_texts, names=names)
    if missing:
        blocks.append(Block("paragraph", "Các đơn vị chưa gửi báo cáo: "
                                         + "; ".join(names.get(u, u) for u in missing) + "."))
    blocks += [
        Block("heading1", f"{next(roman)}. NHIỆM VỤ TRỌNG TÂM THỜI GIAN TỚI"),
        Block("paragraph", "Các cơ quan, đơn vị tiếp tục thực hiện các nhiệm vụ được giao; tập trung vào các chỉ "
                           "tiêu chưa đạt, báo cáo kết quả đúng thời hạn."),
    ]
    signer = content.signer
    header = header_fields(issuer=issuer, regime=issuer.regime, doc_type="BÁO CÁO", number=number,
                           issued_on=issued_on, place=content.place)
    annexes: tuple[Annex, ...] = ()
    if unit_figures and rollups:
        note = _annex_note(header["number_line"], number, issued_on, issuer, period_label)
        annexes = (units_annex(rollups=rollups, unit_figures=unit_figures, names=names, note=note),)
    if task_texts:  # two annexes: numbered I, II
        note = _annex_note(header["number_line"], number, issued_on, issuer, period_label, texts=True)
        annexes = tuple(replace(a, heading="Phụ lục I") for a in annexes)
        annexes += (tasks_annex(content=content, task_texts=task_texts, reported=reported, names=names, note=note,
                                heading="Phụ lục II" if annexes else "Phụ lục"),)
    return OfficialDocument(
        **header,
        title=title,
        annexes=annexes,
        blocks=tuple(blocks),
        recipients=tuple(r.line() for r in content.recipients),
        signer_capacity=signer.capacity if signer else (),
        signer_title=signer.title if signer else "",
        signer_name=signer.name if signer else "",
        file_stem=file_stem("BÁO CÁO", number, issuer, issued_on, title),
    )


# --- the roll-up as drafted ("snapshot"): what the approvers see is what the signer issues ------------

def snapshot(*, title: str, kind: str, period_key: str, period_label: str, rollups: list[Rollup],
             reported: list[str], missing: list[str], notes: dict[str, str],
             unit_figures: dict[str, dict[str, float]], lower: list[dict] | None = None,
             task_texts: TaskTexts | None = None) -> dict:
    """The drafted review as plain data (stored with the review; JSON). `task_texts` are kept only when a
    unit wrote something against a task, so a review without them reads and renders as before."""
    return {**({"task_texts": task_texts} if task_texts else {}),
        "title": title, "kind": kind, "period": period_key, "period_label": period_label,
        "rollups": [{"target": r.target.id, "result": r.result, "level": r.level, "reported": r.reported,
                     "expected": r.expected, "met": r.met, "incomplete": r.incomplete} for r in rollups],
        "reported": list(reported), "missing": list(missing), "notes": dict(notes),
        "unit_figures": {u: dict(f) for u, f in unit_figures.items()},
        "lower": list(lower or ()),
    }


def rollups_of(content: PlanContent, snap: dict) -> list[Rollup]:
    """The snapshot's roll-ups, each with its target as the plan states it (a snapshot stored before
    verdicts said how many units reported has no "incomplete": it is laid out as it was issued)."""
    return [Rollup(content.target(r["target"]), r["result"], r["reported"], r["expected"], r["met"],
                   level=r.get("level"), counts_units="incomplete" in r) for r in snap["rollups"]]


def document_of(snap: dict, *, content: PlanContent, issuer: Body, names: dict[str, str], number: int | None,
                issued_on: date | None) -> OfficialDocument:
    """The BÁO CÁO a snapshot stands for, numbered and dated (or not yet: a draft)."""
    return review_document(content=content, issuer=issuer, names=names, number=number, issued_on=issued_on,
                           title=snap["title"], rollups=rollups_of(content, snap), reported=snap["reported"],
                           missing=snap["missing"], notes=snap["notes"], unit_figures=snap["unit_figures"],
                           period_label=snap["period_label"], lower=snap.get("lower", ()),
                           task_texts=snap.get("task_texts"))


def met_count(snap: dict) -> tuple[int, int, int]:
    """(targets met, not met, without a result or with too few units' figures to judge) of a snapshot."""
    rollups = snap["rollups"]
    unsettled = [r for r in rollups if r["result"] is None or r.get("incomplete")]
    return (sum(1 for r in rollups if r["met"] is True), sum(1 for r in rollups if r["met"] is False),
            len(unsettled))
