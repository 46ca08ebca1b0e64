"""The review report ("báo cáo sơ kết / tổng kết"): targets against the rolled-up results."""
from __future__ import annotations

from datetime import date

from domain.model.documents import Block, OfficialDocument, file_stem, header_fields
from domain.model.org import Body
from domain.model.plan import PlanContent
from domain.model.reporting import Rollup, format_figure

KINDS = {"review": "Sơ kết", "close": "Tổng kết"}


def verdict(r: Rollup) -> str:
    if r.met is None:
        return "Chưa có số liệu"
    return "Đạt" if r.met else "Chưa đạt"


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


def review_document(*, content: PlanContent, issuer: Body, names: dict[str, str],
                    number: int | None, issued_on: date | None, title: str, rollups: list[Rollup],
                    reported: list[str], missing: list[str], notes: dict[str, str]) -> OfficialDocument:
    """The BÁO CÁO with a table of each target's plan figure, result and verdict."""
    rows = [("STT", "Chỉ tiêu", "Kế hoạch", "Kết quả", "Đơn vị báo cáo", "Đánh giá")]
    for i, r in enumerate(rollups, 1):
        result = "—" if r.result is None else (
            f"{format_figure(r.result)}% đơn vị đạt" if r.target.rollup == "share_met"
            else with_unit(r.result, r.target.unit))
        rows.append((str(i), r.target.text, with_unit(r.target.value, r.target.unit), result,
                     f"{r.reported}/{r.expected}", verdict(r)))
    met = sum(1 for r in rollups if r.met)
    blocks = [
        Block("heading1", "I. KẾT QUẢ THỰC HIỆN"),
        Block("paragraph", f"Có {len(reported)}/{len(reported) + len(missing)} đơn vị đã gửi báo cáo kỳ này. "
                           f"Tổng hợp số liệu, {met}/{len(rollups)} chỉ tiêu đạt kế hoạch, cụ thể như sau:"),
        Block("table", rows=tuple(rows)),
        Block("heading1", "II. ĐÁNH GIÁ CHUNG"),
    ]
    blocks += [Block("item", f"{names.get(u, u)}: {notes[u]}") for u in reported if notes.get(u)]
    if missing:
        blocks.append(Block("paragraph", "Các đơn vị chưa gửi báo cáo: "
                                         + "; ".join(names.get(u, u) for u in missing) + "."))
    blocks += [
        Block("heading1", "III. NHIỆM VỤ TRỌNG TÂM THỜI GIAN TỚI"),
        Block("paragraph", "Các cơ quan, đơn vị tiếp tục thực hiện các nhiệm vụ được giao; tập trung vào các chỉ "
                           "tiêu chưa đạt, báo cáo kết quả đúng thời hạn."),
    ]
    signer = content.signer
    return OfficialDocument(
        **header_fields(issuer=issuer, regime=issuer.regime, doc_type="BÁO CÁO",
                        number=number, issued_on=issued_on, place=content.place),
        title=title,
        blocks=tuple(blocks),
        recipients=tuple(r.line() for r in content.recipients),
        signer_capacity=signer.capacity if signer else (),
        signer_title=signer.title if signer else "",
        signer_name=signer.name if signer else "",
        file_stem=file_stem("BÁO CÁO", number, issuer, issued_on, title),
    )
