"""`kehoach`: the command line. Decisions are recorded directly; stages run as Prefect flows."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

# Quiet, local Prefect unless the user configured otherwise (set before prefect is imported).
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import typer
from rich.console import Console
from rich.table import Table

from domain.messages import DomainError, message
from domain.model.mail import TransientMailError
from domain.model.workflow import ACTION_NAMES, STATE_NAMES, State
from flows import runtime

console = Console()
app = typer.Typer(help="kehoach: vòng đời kế hoạch, từ dự thảo đến sơ kết, tổng kết.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
org_app = typer.Typer(help="Tổ chức: cơ quan, người dùng, vai trò.", no_args_is_help=True)
plan_app = typer.Typer(help="Kế hoạch: tạo, trình, duyệt, ký ban hành, phát hành, sơ kết.", no_args_is_help=True)
period_app = typer.Typer(help="Kỳ báo cáo.", no_args_is_help=True)
report_app = typer.Typer(help="Báo cáo của các đơn vị.", no_args_is_help=True)
audit_app = typer.Typer(help="Nhật ký: xem và kiểm tra toàn vẹn.", no_args_is_help=True)
mail_app = typer.Typer(help="Hộp thư đi.", no_args_is_help=True)
for sub, name in ((org_app, "org"), (plan_app, "plan"), (period_app, "period"), (report_app, "report"),
                  (audit_app, "audit"), (mail_app, "mail")):
    app.add_typer(sub, name=name)
receipt_app = typer.Typer(help="Xác nhận đã nhận văn bản.", no_args_is_help=True)
app.add_typer(receipt_app, name="receipt")
review_app = typer.Typer(help="Báo cáo sơ kết, tổng kết: trình, duyệt, ký ban hành, phát hành như kế hoạch.",
                         no_args_is_help=True)
app.add_typer(review_app, name="review")
register_app = typer.Typer(help="Sổ đăng ký văn bản đi: xem, lọc, xuất bảng tính.", invoke_without_command=True)
app.add_typer(register_app, name="register")
document_app = typer.Typer(help="Văn bản đã ban hành: đính chính, thay thế, thu hồi.", no_args_is_help=True)
app.add_typer(document_app, name="document")
documents_app = typer.Typer(help="Thư mục văn bản: ghi lại các tệp đã ban hành từ cơ sở dữ liệu.",
                             no_args_is_help=True)
app.add_typer(documents_app, name="documents")

ARCHIVE_NOT_WRITTEN = 4  # exit code: the decision is recorded (and mailed), only the archive folder lags behind
AS = typer.Option(..., "--as", help="Tên đăng nhập của người thực hiện.")
AS_SYSTEM = typer.Option("system", "--as", help="Tên đăng nhập (mặc định: hệ thống).")


def run(fn, *args, unattended: bool = False, **kwargs):
    """Run a command; a refused one prints its reason in Vietnamese and exits 1. Unless `unattended`
    (serve), a person waits for it: mail is retried briefly (`runtime.person_waiting`)."""
    try:
        runtime.ensure_schema()
        with runtime.person_waiting(not unattended):
            return fn(*args, **kwargs)
    except DomainError as exc:
        console.print(f"[bold red]Lỗi:[/] {exc}")
        raise typer.Exit(1) from None
    except TransientMailError as exc:
        console.print(f"[bold yellow]Chưa gửi được thư:[/] {message('mail_postponed', error=exc)}")
        raise typer.Exit(3) from None


def _lifecycle():
    from flows import lifecycle  # imports prefect: only for the commands that run flows

    return lifecycle


# --- organisation and plans ------------------------------------------------------------
@org_app.command("load")
def org_load(file: Path, actor: str = AS_SYSTEM) -> None:
    """Nạp tổ chức từ tệp YAML."""
    counts = run(lambda: _lifecycle().load_organisation_flow(str(file), actor))
    console.print(f"Đã nạp {counts['bodies']} cơ quan, {counts['users']} người dùng, {counts['grants']} vai trò.")


@plan_app.command("create")
def plan_create(file: Path, actor: str = AS) -> None:
    """Tạo dự thảo kế hoạch từ tệp YAML."""
    plan_id = run(lambda: _lifecycle().create_plan_flow(str(file), actor))
    console.print(f"Đã tạo dự thảo kế hoạch #{plan_id}.")
    _show_links(plan_id)


def _show_links(plan_id: int) -> None:
    """The higher plans the plan is linked to, the plans it cites that are not in the database, and the
    reductions still without their figure at the start."""
    from domain.services import links, plans

    def go():
        with runtime.uow() as uow:
            return links.higher_plans(uow=uow, plan_id=plan_id), (plans.citation_notes(uow=uow, plan_id=plan_id)
                                                                   + plans.baseline_notes(uow=uow, plan_id=plan_id))

    higher, notes = run(go)
    for h in higher:
        console.print(f"Thực hiện kế hoạch #{h['plan_id']} {h['reference']} của {h['issuer']}: đã liên kết.")
    for note in notes:
        console.print(f"[yellow]Lưu ý:[/] {note}")


@plan_app.command("import")
def plan_import(
    file: Path,
    as_json: bool = typer.Option(False, "--json", help="Chỉ in những gì đọc được (JSON), không lưu."),
    actor: Optional[str] = typer.Option(None, "--as", help="Tên đăng nhập của người soạn (bắt buộc khi lưu)."),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="Mã cơ quan ban hành, nếu văn bản không ghi rõ."),
    signer: Optional[str] = typer.Option(None, "--signer", help="Tên đăng nhập người ký, nếu không tự nhận ra."),
    yaml_out: Optional[Path] = typer.Option(None, "--yaml", help="Ghi thêm bản cấu trúc (YAML) để sửa rồi «plan update»."),
) -> None:
    """Nhập dự thảo kế hoạch từ tệp Word (.docx) hoặc văn bản (.txt)."""
    import json

    from domain.adapters.docx_read import read_source
    from domain.model.importer import read_plan

    def read():
        items, notes = read_source(file)
        imported = read_plan(items)
        imported.notes.extend(notes)
        return imported

    if as_json:
        try:
            imported = read()
        except DomainError as exc:
            Console(stderr=True).print(f"[bold red]Lỗi:[/] {exc}")
            raise typer.Exit(1) from None
        sys.stdout.write(json.dumps(imported.summary(), ensure_ascii=False, indent=2) + "\n")
        return
    if not actor:
        console.print(f"[bold red]Lỗi:[/] {message('import_needs_actor')}")
        raise typer.Exit(2)
    from domain.services import plans

    def go():
        imported = read()
        _show_import(imported)
        with runtime.uow() as uow:
            plan_id = plans.import_plan(uow=uow, imported=imported, source=str(file), actor=actor,
                                        now=runtime.now(), issuer=issuer, signer=signer)
        if yaml_out:
            from domain.adapters.yaml_source import dump_yaml

            with runtime.uow() as uow:
                dump_yaml(yaml_out, plans.get_plan_source(uow=uow, plan_id=plan_id))
        return plan_id

    plan_id = run(go)
    console.print(f"Đã tạo dự thảo kế hoạch #{plan_id} từ {file}."
                  + (f" Bản cấu trúc để sửa: {yaml_out} (sửa xong: kehoach plan update {plan_id} {yaml_out})."
                     if yaml_out else ""))
    _show_links(plan_id)


def _show_import(imported) -> None:
    """What the importer understood, and what it kept only as text."""
    s = imported.summary()
    table = Table(title="Những gì đã đọc được", show_header=False)
    for key, label in (("doc_type", "Loại văn bản"), ("regime", "Thể thức"), ("issuer", "Cơ quan ban hành"),
                       ("number", "Số"), ("symbol", "Ký hiệu"), ("place", "Địa danh"), ("date", "Ngày"),
                       ("title", "Trích yếu")):
        value = {"party": "Đảng", "state": "Nhà nước"}.get(s[key], s[key]) if key == "regime" else s[key]
        table.add_row(label, str(value) if value is not None else "[dim](văn bản không ghi)[/]")
    table.add_row("Thực hiện văn bản", ", ".join(s["implements"]) or "[dim](không có)[/]")
    table.add_row("Các phần", str(len(s["sections"])))
    table.add_row("Chỉ tiêu có số liệu", str(len(s["targets"])))
    table.add_row("Nhiệm vụ có phân công", str(len(s["tasks"])))
    table.add_row("Nơi nhận", str(len(s["recipients"])))
    signer = s["signer"] or {}
    table.add_row("Người ký", " ".join(x for x in (signer.get("authority"), signer.get("title"),
                                                   signer.get("name")) if x) or "[dim](không có)[/]")
    table.add_row("Biểu mẫu kèm theo", str(len(s["forms"])))
    console.print(table)
    if "tcvn3" in imported.notes:
        console.print(message("import_converted_tcvn3"))
    if imported.loose:
        console.print(message("import_loose", count=len(imported.loose)))
        for line in imported.loose:
            console.print(f"  [dim]{line}[/]")


@plan_app.command("update")
def plan_update(plan: int, file: Path, actor: str = AS) -> None:
    """Thay nội dung dự thảo (khi còn là dự thảo hoặc bị trả lại)."""
    from domain.adapters.yaml_source import load_yaml
    from domain.services import plans

    def go():
        with runtime.uow() as uow:
            return plans.update_plan(uow=uow, plan_id=plan, data=load_yaml(file), source=str(file), actor=actor,
                                     now=runtime.now())

    console.print(f"Kế hoạch #{plan}: đã lưu phiên bản {run(go)}.")
    _show_links(plan)


def _decide(plan: int, action: str, actor: str, reason: str | None = None) -> None:
    """Record the decision (with its notices, in one transaction), then start the next stage: sending them."""
    from domain.services import plans

    def go():
        with runtime.uow() as uow:
            return plans.decide(uow=uow, plan_id=plan, action=action, actor=actor, now=runtime.now(), reason=reason,
                                id_domain=runtime.settings().message_id_domain)

    state = run(go)
    console.print(f"Kế hoạch #{plan}: {ACTION_NAMES[action]} — trạng thái mới «{STATE_NAMES[State(state)]}».")
    _notify(plan)


def _notify(plan: int) -> None:
    """Flow «notify-approvals»: send the notices the decision queued."""
    totals = run(lambda: _lifecycle().notify_approvals_flow(plan))
    console.print(f"Đã gửi {totals['sent']} thư báo" + (f", lỗi {totals['failed']}." if totals["failed"] else "."))


class _ProgressBar:
    """A progress bar for the long steps of a flow run in this process (fed by runtime.on_progress)."""

    LABELS = {"mail": "Gửi thư", "periods": "Mở kỳ báo cáo", "copies": "Công văn từng đơn vị"}

    def __enter__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                            transient=True)
        self.tasks: dict[str, int] = {}
        self.bar.start()
        runtime.on_progress(self.update)
        return self

    def update(self, step: str, done: int, total: int) -> None:
        if step not in self.tasks:
            self.tasks[step] = self.bar.add_task(self.LABELS.get(step, step), total=total)
        self.bar.update(self.tasks[step], completed=done, total=total)

    def __exit__(self, *exc) -> None:
        runtime.on_progress(None)
        self.bar.stop()


@plan_app.command("submit")
def plan_submit(plan: int, actor: str = AS) -> None:
    """Trình duyệt dự thảo."""
    _decide(plan, "submit", actor)


@plan_app.command("approve")
def plan_approve(plan: int, actor: str = AS) -> None:
    """Duyệt kế hoạch đã trình."""
    _decide(plan, "approve", actor)


@plan_app.command("return")
def plan_return(plan: int, actor: str = AS, reason: str = typer.Option("", help="Lý do trả lại (bắt buộc).")) -> None:
    """Trả lại kế hoạch, kèm lý do."""
    _decide(plan, "return", actor, reason)


@plan_app.command("resubmit")
def plan_resubmit(plan: int, actor: str = AS) -> None:
    """Trình lại kế hoạch đã bị trả lại."""
    _decide(plan, "resubmit", actor)


@plan_app.command("reject")
def plan_reject(plan: int, actor: str = AS, reason: str = typer.Option("", help="Lý do (bắt buộc).")) -> None:
    """Không duyệt kế hoạch, kèm lý do."""
    _decide(plan, "reject", actor, reason)


@plan_app.command("issue")
def plan_issue(plan: int, actor: str = AS,
               date_: Optional[str] = typer.Option(None, "--date", help="Ngày ký nếu trước hôm nay (dd/mm/yyyy); "
                                                   "văn bản lấy số tiếp theo của sổ năm (nhiệm kỳ) đó."),
               replaces: Optional[str] = typer.Option(None, "--replaces", help="Số, ký hiệu kế hoạch mà kế hoạch "
                                                      "này thay thế, ví dụ 05/KH-UBND.")) -> None:
    """Ký ban hành: lấy số, ghi ngày, lưu tệp .docx và phát hành."""
    issued_on = _date(date_, "--date")
    with _ProgressBar():
        run(lambda: _lifecycle().issue_plan_flow(plan, actor, issued_on, replaces))
    _print_documents(plan)


def _date(value: str | None, option: str):
    """ "23/11/2026" or "2026-11-23" as a date; a clear refusal otherwise."""
    from datetime import date, datetime

    if not value:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    console.print(f"[bold red]Lỗi:[/] {message('bad_date', value=value, option=option)}")
    raise typer.Exit(2)
    return date.today()  # pragma: no cover


@plan_app.command("distribute")
def plan_distribute(plan: int, actor: str = AS_SYSTEM) -> None:
    """Gửi (lại) kế hoạch đã ban hành tới các nơi nhận chưa nhận."""
    totals = run(lambda: _lifecycle().distribute_plan_flow(plan, actor))
    console.print(f"Đã gửi {totals['sent']} thư, lỗi {totals['failed']}.")


@plan_app.command("review")
def plan_review(plan: int, actor: str = AS_SYSTEM,
                final: bool = typer.Option(False, "--final", help="Tổng kết (kết thúc kế hoạch khi ban hành) thay vì sơ kết."),
                period: Optional[str] = typer.Option(None, help="Mã kỳ, ví dụ 2026-Q4 (mặc định: kỳ vừa đến hạn).")) -> None:
    """Soạn dự thảo báo cáo sơ kết (hoặc tổng kết) từ số liệu các đơn vị; sau đó trình, duyệt, ký như kế hoạch."""
    review_id = run(lambda: _lifecycle().review_plan_flow(plan, actor, final, period))
    _print_review(review_id)
    console.print(f"Trình duyệt: kehoach review submit {review_id} --as NGƯỜI_SOẠN; xem bản dự thảo: "
                  f"kehoach review show {review_id} --docx TỆP.docx")


@plan_app.command("list")
def plan_list() -> None:
    """Danh sách kế hoạch."""
    def go():
        with runtime.uow() as uow:
            return [(p.id, p.title, p.state, uow.documents.get(p.document_id).reference if p.document_id else "")
                    for p in uow.plans.all()]

    table = Table("#", "Trích yếu", "Trạng thái", "Số")
    for pid, title, state, ref in run(go):
        table.add_row(str(pid), title, STATE_NAMES[State(state)], ref)
    console.print(table)


@plan_app.command("links")
def plan_links(plan: int,
               as_json: bool = typer.Option(False, "--json", help="In dạng JSON cho chương trình khác đọc.")) -> None:
    """Kế hoạch này thực hiện kế hoạch cấp trên nào, và những kế hoạch nào thực hiện nó."""
    import json

    from domain.services import links

    def go():
        with runtime.uow() as uow:
            return links.plan_links(uow=uow, plan_id=plan)

    found = run(go)
    if as_json:
        sys.stdout.write(json.dumps(found, ensure_ascii=False, indent=2) + "\n")
        return
    console.print(message("links_title", plan=found["plan_id"], title=found["title"]))
    console.print(message("links_implements"))
    for h in found["implements"]:
        console.print(message("links_higher", plan=h["plan_id"], reference=h["reference"] or "chưa ban hành",
                              issuer=h["issuer"], title=h["title"]))
    for text in found["pending"]:
        console.print(message("links_pending", cited=text))
    for text in found["other"]:
        console.print(message("links_other", cited=text))
    if not (found["implements"] or found["pending"] or found["other"]):
        console.print(message("links_none"))
    console.print(message("links_implemented_by"))
    for low in found["implemented_by"]:
        console.print(message("links_lower", plan=low["plan_id"], issuer=low["issuer"], title=low["title"],
                              reference=low["reference"] or STATE_NAMES[State(low["state"])]))
    if not found["implemented_by"]:
        console.print(message("links_none"))


def _print_documents(plan: int) -> None:
    def go():
        with runtime.uow() as uow:
            return [(d.reference, d.issued_on, d.file_name, d.sha256) for d in uow.documents.for_plan(plan)]

    for ref, issued_on, name, digest in run(go):
        console.print(f"  {ref} ngày {issued_on:%d/%m/%Y}: {runtime.documents_dir() / name}\n    SHA-256 {digest}")


# --- reporting ---------------------------------------------------------------------------
@period_app.command("open")
def period_open(plan: int,
                period: Optional[str] = typer.Option(None, help="Mã kỳ: 2026-Q4 (quý), 2026-6T (6 tháng), 2026-9T "
                                                                "(9 tháng), 2026-N (năm); mặc định: quý hiện tại."),
                start: Optional[str] = typer.Option(None, "--from", help="Kỳ đột xuất: ngày bắt đầu (15/03/2026)."),
                end: Optional[str] = typer.Option(None, "--to", help="Kỳ đột xuất: ngày kết thúc."),
                deadline: Optional[str] = typer.Option(None, "--deadline", help="Kỳ đột xuất: hạn gửi báo cáo."),
                label: Optional[str] = typer.Option(None, "--label", help="Kỳ đột xuất: tên kỳ (ví dụ «Đợt cao điểm "
                                                                          "tháng 3»)."),
                actor: str = AS_SYSTEM) -> None:
    """Mở kỳ báo cáo (quý, 6 tháng, 9 tháng, năm hoặc đột xuất) và gửi đề nghị báo cáo tới các đơn vị thực hiện."""
    from domain.model.calendar import parse_day

    def go():
        if period and (start or end or deadline):
            raise DomainError("period_key_and_dates")
        days = [parse_day(d) if d else None for d in (start, end, deadline)]
        return _lifecycle().open_reporting_period_flow(plan, period, actor, *days, label)

    totals = run(go)
    console.print(f"Đã mở kỳ báo cáo; gửi {totals['sent']} thư đề nghị báo cáo.")


@app.command("status")
def status(plan: int, period: Optional[str] = typer.Option(None, help="Chỉ kỳ này, ví dụ 2026-Q4."),
           as_json: bool = typer.Option(False, "--json", help="In dạng JSON.")) -> None:
    """Tình hình báo cáo: đơn vị đã báo cáo (phiên bản), đơn vị quá hạn, tiến độ từng chỉ tiêu."""
    import json

    from domain.model.calendar import local_date
    from domain.services.status import plan_status

    def go():
        with runtime.uow() as uow:
            return plan_status(uow=uow, plan_id=plan, today=local_date(runtime.now()), calendar=runtime.calendar(),
                               period_key=period)

    result = run(go)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return
    if not result["periods"]:
        console.print(f"Kế hoạch #{plan} chưa mở kỳ báo cáo nào.")
    for p in result["periods"]:
        console.print(f"[bold]{p['label']}[/] ({p['key']}): từ {_day(p['start'])} đến {_day(p['end'])}, "
                      f"hạn gửi {_day(p['deadline'])} — đã báo cáo {p['reported']}/{p['expected']} đơn vị"
                      + (f", quá hạn {len(p['late'])}" if p["late"] else ""))
        units = Table("Đơn vị", "Tình trạng", "Phiên bản", "Ngày gửi")
        for u in p["units"]:
            if u["reported"]:
                state = "đã báo cáo" + (f" (muộn {u['days_late']} ngày làm việc)" if u["days_late"] else "")
            else:
                state = f"quá hạn {u['days_late']} ngày làm việc" if u["days_late"] else "chưa báo cáo"
            units.add_row(u["name"], state, str(u["version"] or ""), _day(u["submitted_on"]) if u["reported"] else "")
        console.print(units)
        targets = Table("Chỉ tiêu", "Kế hoạch", "Kết quả", "Đơn vị báo cáo", "Đánh giá")
        for t in p["targets"]:
            met = t["verdict"]
            targets.add_row(f"{t['id']}. {t['text']}", t["shown"]["plan"], t["shown"]["result"],
                            f"{t['reported']}/{t['expected']}", met)
        console.print(targets)


def _day(iso: str | None) -> str:
    from datetime import date as _date

    return f"{_date.fromisoformat(iso):%d/%m/%Y}" if iso else ""


@report_app.command("submit")
def report_submit(plan: int, actor: str = AS,
                  file: Path = typer.Option(..., help="Biểu mẫu đã điền (.docx), hoặc tệp YAML/JSON: "
                                                      "figures: {mã chỉ tiêu: số liệu}, note: ..."),
                  unit: Optional[str] = typer.Option(None, help="Mã đơn vị báo cáo (mặc định: đơn vị ghi trên "
                                                                "biểu mẫu; nếu ghi, phải khớp biểu mẫu)."),
                  period: Optional[str] = typer.Option(None, help="Mã kỳ (mặc định: kỳ ghi trên biểu mẫu, "
                                                                  "hoặc kỳ đang mở).")) -> None:
    """Gửi báo cáo của một đơn vị: biểu mẫu Word đã điền hoặc tệp số liệu; bản sửa thành phiên bản mới."""
    from domain.model.reporting import format_figure

    done = run(lambda: _lifecycle().receive_report_file_flow(plan, str(file), actor, unit, period))
    console.print(message("report_recorded", unit=done["unit"], period=done["period"], version=done["version"]))
    if done["on_behalf"]:
        console.print(message("report_recorded_for", by=actor, unit=done["unit"]))
    for f in done["figures"]:
        unit_text = "%" if f["unit"] == "%" else f" {f['unit']}" if f["unit"] else ""
        console.print(message("report_recorded_figure", target=f["target"], text=f["text"],
                              value=format_figure(f["value"]) + unit_text))
        if f["check"]:
            console.print(f["check"])
    if done["tasks"]:
        console.print(message("report_recorded_tasks", count=done["tasks"]))


@report_app.command("list")
def report_list(plan: int, period: Optional[str] = typer.Option(None, help="Chỉ kỳ này, ví dụ 2026-Q4.")) -> None:
    """Các báo cáo đã nhận: từng đơn vị, từng phiên bản (phiên bản mới nhất được tính khi tổng hợp)."""
    from domain.model.reporting import format_figure
    from domain.services import reports

    def go():
        with runtime.uow() as uow:
            return reports.list_reports(uow=uow, plan_id=plan, period_key=period)

    rows = run(go)
    if not rows:
        console.print(message("report_none", plan=plan, period=f" kỳ «{period}»" if period else ""))
        return
    table = Table("Kỳ", "Đơn vị", "Phiên bản", "Lúc", "Người gửi", "Số liệu", "Tệp")
    for r in rows:
        figures = "; ".join(f"{k}: {format_figure(v)}" for k, v in r["figures"].items())
        table.add_row(r["period"], f"{r['unit_name']} ({r['unit']})",
                      f"{r['version']}" + (" (mới nhất)" if r["latest"] else ""),
                      f"{r['submitted_at'].astimezone(runtime.now().tzinfo):%d/%m/%Y %H:%M}",
                      r["submitted_by"] + (message("report_listed_on_behalf") if r["on_behalf"] else ""), figures,
                      r["file"] or "")
    console.print(table)


@report_app.command("show")
def report_show(plan: int, unit: str = typer.Option(..., help="Mã đơn vị."),
                period: Optional[str] = typer.Option(None, help="Mã kỳ (mặc định: kỳ đang mở)."),
                version: Optional[int] = typer.Option(None, help="Phiên bản (mặc định: mới nhất).")) -> None:
    """Một báo cáo của đơn vị như đã ghi nhận: số liệu, ghi chú từng chỉ tiêu, kết quả từng nhiệm vụ."""
    from domain.model.reporting import format_figure
    from domain.services import reports

    def go():
        with runtime.uow() as uow:
            return reports.show_report(uow=uow, plan_id=plan, unit=unit, now=runtime.now(), period_key=period,
                                       version=version)

    r = run(go)
    source = r["source"]
    console.print(message("report_heading", period=r["period_label"], unit_name=r["unit_name"], unit=r["unit"],
                          version=r["version"], versions=r["versions"],
                          latest=message("report_latest") if r["latest"] else ""))
    console.print(message("report_sent_by", when=f"{r['submitted_at'].astimezone(runtime.now().tzinfo):%H:%M %d/%m/%Y}",
                          by=r["submitted_by"] + (message("report_sent_on_behalf") if r["on_behalf"] else ""),
                          file=message("report_sent_file", **source) if source.get("file") else ""))
    if r["targets"]:
        table = Table("Mã chỉ tiêu", "Chỉ tiêu", "Kế hoạch", "Kết quả kỳ này", "Ghi chú")
        for t in r["targets"]:
            unit_text = "%" if t["unit"] == "%" else f" {t['unit']}" if t["unit"] else ""
            table.add_row(t["target"], t["text"], format_figure(t["plan"]) + unit_text if t["plan"] is not None else "",
                          format_figure(t["value"]) + unit_text if t["value"] is not None else "", t["note"])
        console.print(table)
    if r["tasks"]:
        table = Table("Mã nhiệm vụ", "Nhiệm vụ", "Kết quả thực hiện", "Khó khăn, kiến nghị")
        for t in r["tasks"]:
            table.add_row(t["task"], t["text"], t["result"], t["issues"])
        console.print(table)
    if r["other"] or r["note"]:
        console.print(message("report_other"))
        for line in ([r["note"]] if r["note"] else []) + r["other"]:
            console.print(f"  - {line}")


@report_app.command("remind")
def report_remind(plan: int, actor: str = AS_SYSTEM) -> None:
    """Nhắc các đơn vị chưa báo cáo kỳ đang mở."""
    totals = run(lambda: _lifecycle().send_reminders_flow(plan, actor))
    console.print(f"Đã gửi {totals['sent']} thư nhắc.")


@mail_app.command("send")
def mail_send() -> None:
    """Gửi mọi thư đang chờ trong hộp thư đi."""
    totals = run(lambda: _lifecycle().deliver_mail())
    console.print(message("mail_sent_summary", sent=totals["sent"], failed=totals["failed"]))
    if totals["failed"]:
        console.print(message("mail_failed_hint"))


@mail_app.command("list")
def mail_list(failed: bool = typer.Option(False, "--failed", help="Chỉ các thư không gửi được."),
              plan: Optional[int] = typer.Option(None, "--plan", help="Chỉ thư của kế hoạch này.")) -> None:
    """Các thư trong hộp thư đi: người nhận, loại, kỳ, trạng thái, số lần thử, lỗi gần nhất."""
    from domain.services import delivery

    def go():
        with runtime.uow() as uow:
            return delivery.list_outbox(uow=uow, plan_id=plan, status="failed" if failed else None)

    rows = run(go)
    if not rows:
        console.print(message("mail_none"))
        return
    table = Table("#", "KH", "Người nhận", "Loại thư", "Kỳ", "Trạng thái", "Số lần thử", "Lỗi gần nhất")
    for r in rows:
        table.add_row(str(r["id"]), str(r["plan_id"]), f"{r['recipient_name']} <{r['email']}>",
                      delivery.kind_name(r["kind"]), r["period_key"], delivery.status_name(r["status"]),
                      str(r["attempts"]), r["last_error"] or "")
    console.print(table)


@mail_app.command("retry")
def mail_retry(id: int = typer.Argument(..., help="Số thư (cột # của «kehoach mail list»)."),
               actor: str = AS_SYSTEM) -> None:
    """Đưa một thư không gửi được trở lại hàng chờ gửi (ghi vào nhật ký)."""
    from domain.services import delivery

    def go():
        with runtime.uow() as uow:
            return delivery.retry_failed(uow=uow, outbox_id=id, actor=actor, now=runtime.now())

    data = run(go)
    console.print(message("mail_retried", id=id, email=data["email"]))


# --- the sơ kết / tổng kết reports ---------------------------------------------------------------
def _print_review(review_id: int) -> dict:
    from domain.services import reviews

    def go():
        with runtime.uow() as uow:
            return reviews.review_summary(uow, reviews.get_review(uow, review_id))

    r = run(go)
    number = f", số {r['reference']} ngày {r['issued_on']:%d/%m/%Y}" if r["reference"] else ""
    console.print(f"Báo cáo {r['kind'].lower()} #{r['id']} (kế hoạch #{r['plan_id']}, {r['period_label']}, phiên bản "
                  f"{r['version']}): «{r['state']}»{number}. {r['met']} chỉ tiêu đạt, {r['not_met']} chưa đạt, "
                  f"{r['no_result']} chưa có hoặc chưa đủ số liệu.")
    return r


def _decide_review(review: int, action: str, actor: str, reason: str | None = None) -> None:
    """Record the decision on the report (with its notices), then send them (flow «notify-approvals»)."""
    from domain.services import reviews

    def go():
        with runtime.uow() as uow:
            state = reviews.decide_review(uow=uow, review_id=review, action=action, actor=actor, now=runtime.now(),
                                          reason=reason, id_domain=runtime.settings().message_id_domain)
            return state, reviews.get_review(uow, review).plan_id

    state, plan = run(go)
    console.print(f"Báo cáo #{review}: {ACTION_NAMES[action]} — trạng thái mới «{STATE_NAMES[State(state)]}».")
    _notify(plan)


@review_app.command("submit")
def review_submit(review: int, actor: str = AS) -> None:
    """Trình duyệt dự thảo báo cáo."""
    _decide_review(review, "submit", actor)


@review_app.command("approve")
def review_approve(review: int, actor: str = AS) -> None:
    """Duyệt báo cáo đã trình."""
    _decide_review(review, "approve", actor)


@review_app.command("return")
def review_return(review: int, actor: str = AS,
                  reason: str = typer.Option("", help="Lý do trả lại (bắt buộc).")) -> None:
    """Trả lại báo cáo, kèm lý do."""
    _decide_review(review, "return", actor, reason)


@review_app.command("resubmit")
def review_resubmit(review: int, actor: str = AS) -> None:
    """Trình lại báo cáo đã bị trả lại."""
    _decide_review(review, "resubmit", actor)


@review_app.command("reject")
def review_reject(review: int, actor: str = AS, reason: str = typer.Option("", help="Lý do (bắt buộc).")) -> None:
    """Không duyệt báo cáo, kèm lý do."""
    _decide_review(review, "reject", actor, reason)


@review_app.command("redraft")
def review_redraft(review: int, actor: str = AS) -> None:
    """Tổng hợp lại dự thảo báo cáo (dự thảo hoặc bị trả lại) theo số liệu mới nhất của các đơn vị."""
    from domain.services import reviews

    def go():
        with runtime.uow() as uow:
            return reviews.redraft_review(uow=uow, review_id=review, actor=actor, now=runtime.now())

    run(go)
    _print_review(review)


@review_app.command("issue")
def review_issue(review: int, actor: str = AS) -> None:
    """Ký ban hành báo cáo đã duyệt: lấy số (BC), ghi ngày, lưu tệp .docx và phát hành tới nơi nhận của kế hoạch."""
    with _ProgressBar():
        run(lambda: _lifecycle().issue_review_flow(review, actor))
    r = _print_review(review)
    console.print(f"  {runtime.documents_dir() / r['file_name']}")


@review_app.command("distribute")
def review_distribute(review: int, actor: str = AS_SYSTEM) -> None:
    """Gửi (lại) báo cáo đã ban hành tới các nơi nhận của kế hoạch chưa nhận."""
    totals = run(lambda: _lifecycle().distribute_review_flow(review, actor))
    console.print(f"Đã gửi {totals['sent']} thư, lỗi {totals['failed']}.")


@review_app.command("list")
def review_list(plan: Optional[int] = typer.Argument(None, help="Số kế hoạch (mặc định: mọi kế hoạch).")) -> None:
    """Các báo cáo sơ kết, tổng kết: kỳ, trạng thái, số, kết quả."""
    from domain.services import reviews

    def go():
        with runtime.uow() as uow:
            return reviews.list_reviews(uow=uow, plan_id=plan)

    table = Table("#", "KH", "Loại", "Kỳ", "Trạng thái", "Số", "Đạt", "Chưa đạt", "Chưa có, chưa đủ số liệu")
    for r in run(go):
        table.add_row(str(r["id"]), str(r["plan_id"]), r["kind"], r["period_label"], r["state"], r["reference"],
                      str(r["met"]), str(r["not_met"]), str(r["no_result"]))
    console.print(table)


@review_app.command("show")
def review_show(review: int, docx: Optional[Path] = typer.Option(
        None, "--docx", help="Ghi bản báo cáo ra tệp .docx (bản đã ban hành, hoặc bản dự thảo chưa có số).")) -> None:
    """Một báo cáo: trạng thái, kết quả từng chỉ tiêu; ghi bản .docx để đọc trước khi duyệt."""
    from domain.services import reviews

    def go():
        with runtime.uow() as uow:
            r = reviews.get_review(uow, review)
            data = None
            if docx is not None:
                data = (uow.documents.get(r.document_id).content if r.document_id
                        else runtime.render_docx(reviews.draft_document(uow=uow, review_id=review)))
            table = next(b for b in reviews.draft_document(uow=uow, review_id=review).blocks if b.kind == "table")
            return table.rows, data

    rows, data = run(go)
    _print_review(review)
    table = Table(*rows[0])
    for row in rows[1:]:
        table.add_row(*row)
    console.print(table)
    if docx is not None:
        docx.write_bytes(data)
        console.print(f"Đã ghi {docx}.")


# --- receipts ------------------------------------------------------------------------------
@receipt_app.command("confirm")
def receipt_confirm(code: str = typer.Argument(..., help="Mã xác nhận in trong thư, ví dụ K7M2Q-9XH4T."),
                    actor: Optional[str] = typer.Option(
                        None, "--as", help="Người ghi nhận thay nơi nhận (ví dụ văn thư đọc thư trả lời).")) -> None:
    """Xác nhận đã nhận văn bản, bằng mã in trong thư phát hành."""
    from domain.services import delivery

    def go():
        with runtime.uow() as uow:
            return delivery.confirm_receipt(uow=uow, code=code, now=runtime.now(), actor=actor)

    data = run(go)
    at = data["confirmed_at"]
    console.print(message("receipt_confirmed", recipient=data["recipient"], reference=data["reference"],
                          when=f"{at:%H:%M} ngày {at:%d/%m/%Y}"))


@receipt_app.command("list")
def receipt_list(plan: int = typer.Option(..., "--plan", help="Số kế hoạch.")) -> None:
    """Nơi nhận nào đã xác nhận đã nhận văn bản của kế hoạch, nơi nào chưa."""
    from domain.services import delivery

    def go():
        with runtime.uow() as uow:
            return delivery.receipts_of_plan(uow=uow, plan_id=plan)

    rows = run(go)
    if not rows:
        console.print(message("receipt_none", plan=plan))
        return
    zone = runtime.now().tzinfo
    when = lambda at: f"{at.astimezone(zone):%H:%M %d/%m/%Y}" if at else ""  # noqa: E731
    table = Table("Nơi nhận", "Văn bản", "Thư", "Gửi lúc", "Xác nhận lúc", "Người ghi nhận", "Số lần nhắc")
    for r in rows:
        table.add_row(r["recipient_name"], r["reference"], delivery.status_name(r["mail_status"]), when(r["sent_at"]),
                      when(r["confirmed_at"]) or message("receipt_not_yet"), r["confirmed_by"] or "",
                      str(r["reminders"]))
    console.print(table)
    console.print(message("receipt_summary", confirmed=sum(1 for r in rows if r["confirmed_at"]), total=len(rows)))


@receipt_app.command("remind")
def receipt_remind(plan: Optional[int] = typer.Option(None, "--plan", help="Chỉ kế hoạch này (mặc định: mọi kế hoạch)."),
                   actor: str = AS_SYSTEM) -> None:
    """Nhắc các nơi nhận chưa xác nhận đã nhận sau số ngày làm việc đã định, rồi gửi thư."""
    from domain.services import delivery

    def go():
        s = runtime.settings()
        with runtime.uow() as uow:
            return delivery.remind_unconfirmed(uow=uow, now=runtime.now(), id_domain=s.message_id_domain,
                                               calendar=runtime.calendar(),
                                               reminder_days=s.receipt_reminder_days, plan_id=plan, actor=actor)

    console.print(message("receipt_reminded", count=run(go)))
    totals = run(lambda: _lifecycle().deliver_mail(plan))
    console.print(message("mail_sent_summary", sent=totals["sent"], failed=totals["failed"]))



# --- audit ---------------------------------------------------------------------------------
@audit_app.command("show")
def audit_show(plan: int) -> None:
    """Mọi bước của một kế hoạch: ai, khi nào, làm gì."""
    from domain.services import audit
    from domain.services.workflow import get_plan

    def go():
        with runtime.uow() as uow:
            get_plan(uow, plan)
            return audit.trail(uow=uow, plan_id=plan)

    table = Table("#", "Thời điểm", "Người thực hiện", "Thao tác", "Trạng thái", "Chi tiết")
    for e in run(go):
        states = f"{e.from_state or ''} → {e.to_state}" if e.to_state and e.to_state != e.from_state else ""
        table.add_row(str(e.id), e.at, e.actor, ACTION_NAMES.get(e.action, e.action), states, _details(e.data))
    console.print(table)


def _details(data: dict) -> str:
    keys = ("review", "reason", "reference", "sha256", "unit", "on_behalf_of", "period", "recipient", "email", "queued",
            "units", "version", "implements_plans", "cited_as")
    return "; ".join(f"{k}={data[k]}" for k in keys if data.get(k) not in (None, "", []))


@audit_app.command("verify")
def audit_verify() -> None:
    """Kiểm tra chuỗi băm của nhật ký và SHA-256 của mọi tệp đã ban hành."""
    from domain.services import audit

    def go():
        with runtime.uow() as uow:
            return audit.verify(uow=uow, read_file=runtime.read_document)

    verdict = run(go)
    console.print(("[green]Hợp lệ:[/] " if verdict.ok else "[bold red]Hỏng:[/] ") + verdict.message)
    raise typer.Exit(0 if verdict.ok else 2)


@audit_app.command("export")
def audit_export(file: Path = typer.Argument(..., help="Tệp JSON Lines sẽ ghi (mỗi dòng một sự kiện).")) -> None:
    """Xuất toàn bộ nhật ký (JSON Lines, kèm mã băm từng sự kiện và sự kiện trước) để kiểm tra độc lập."""
    from domain.adapters.files import write_atomic
    from domain.services import audit

    def go():
        with runtime.uow() as uow:
            return audit.export_lines(uow=uow)

    lines = run(go)
    write_atomic(file, b"".join(lines))
    console.print(message("audit_exported", events=len(lines), file=file))


# --- the register ("sổ đăng ký văn bản đi") and checking a file ---------------------------------------
BODY = typer.Option(None, "--body", help="Mã cơ quan ban hành (mặc định: cơ quan duy nhất đã có văn bản).")
YEAR = typer.Option(None, "--year", help="Năm của sổ (cơ quan nhà nước); mặc định năm nay.")
TERM = typer.Option(None, "--term", help="Nhiệm kỳ của sổ (cơ quan Đảng), ví dụ 2025-2030; mặc định nhiệm kỳ hiện tại.")


@register_app.callback()
def register_show(
    ctx: typer.Context,
    body: Optional[str] = BODY, year: Optional[int] = YEAR, term: Optional[str] = TERM,
    doc_type: Optional[str] = typer.Option(None, "--type", help="Loại văn bản: kế hoạch, KH, công văn, báo cáo…"),
    date_from: Optional[str] = typer.Option(None, "--from", help="Từ ngày (dd/mm/yyyy)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Đến ngày (dd/mm/yyyy)."),
    words: Optional[str] = typer.Option(None, "--words", help="Những từ có trong trích yếu (không phân biệt dấu)."),
    number: Optional[int] = typer.Option(None, "--number", help="Số văn bản."),
    as_json: bool = typer.Option(False, "--json", help="In dạng JSON (cho các chương trình khác)."),
) -> None:
    """Sổ đăng ký văn bản đi của một cơ quan theo năm (nhà nước) hoặc nhiệm kỳ (Đảng)."""
    if ctx.invoked_subcommand is not None:
        return
    import json

    from domain.services import register as reg

    start, end = _date(date_from, "--from"), _date(date_to, "--to")

    def go():
        with runtime.uow() as uow:
            return reg.register(uow=uow, body_id=reg.choose_body(uow=uow, body_id=body), year=year, term=term,
                                doc_type=doc_type, date_from=start, date_to=end, words=words, number=number,
                                today=runtime.now().date(), tz=runtime.now().tzinfo)

    book = run(go)
    if as_json:
        sys.stdout.write(json.dumps({"body": book.body_id, "body_name": book.body_name, "book": book.book,
                                     "entries": [e.to_dict() for e in book.entries]}, ensure_ascii=False, indent=2)
                         + "\n")
        return
    filtered = any(v is not None for v in (doc_type, date_from, date_to, words, number))
    if not book.entries:
        console.print(message("register_empty", body=book.body_name, book=book.book_label.lower(),
                              filtered=" khớp điều kiện lọc" if filtered else ""))
        return
    table = Table("Số, ký hiệu", "Ngày", "Loại, trích yếu", "Người ký", "Nơi nhận", "Lưu", "Tình trạng", "Ghi chú",
                  title=f"Sổ đăng ký văn bản đi — {book.body_name} — {book.book_label}", show_lines=True)
    for e in book.entries:
        status = e.status_name if e.status == "issued" else f"[bold yellow]{e.status_name}[/]"
        table.add_row(e.reference, f"{e.issued_on:%d/%m/%Y}", f"{e.doc_type}: {e.subject}",
                      f"{e.signer_capacity}\n{e.signer}" if e.signer_capacity else e.signer,
                      "\n".join(e.recipients), e.archive, status, e.notes)
    console.print(table)


@register_app.command("export")
def register_export(xlsx: Path = typer.Option(..., "--xlsx", help="Tệp bảng tính .xlsx sẽ ghi."),
                    body: Optional[str] = BODY, year: Optional[int] = YEAR, term: Optional[str] = TERM) -> None:
    """Xuất sổ đăng ký văn bản đi ra bảng tính (mẫu NĐ 30/2020, Phụ lục IV), mỗi năm (nhiệm kỳ) một trang."""
    from domain.adapters.xlsx import write_register
    from domain.services import register as reg

    def go():
        with runtime.uow() as uow:
            body_id = reg.choose_body(uow=uow, body_id=body)
            registers = reg.register_all(uow=uow, body_id=body_id, year=year, term=term, tz=runtime.now().tzinfo)
            return registers, {body_id: uow.bodies.get(body_id).superior}

    registers, superior = run(go)
    rows = write_register(xlsx, registers, superior)
    console.print(message("register_exported", sheets=len(registers), rows=rows, file=xlsx))


@app.command("verify")
def verify_file(file: Path = typer.Argument(..., help="Tệp văn bản cần kiểm tra (.docx)."),
                as_json: bool = typer.Option(False, "--json", help="In dạng JSON.")) -> None:
    """Tệp này có đúng là văn bản đã ban hành không: văn bản nào, ai ký, gửi ai, còn hiệu lực không."""
    import json

    from domain.adapters.docx_read import read_docx_bytes
    from domain.services import register as reg

    if not file.is_file():
        console.print(f"[bold red]Lỗi:[/] {message('file_missing', file=file)}")
        raise typer.Exit(2)

    def go():
        with runtime.uow() as uow:
            return reg.verify_file(uow=uow, data=file.read_bytes(), name=file.name, render=runtime.render_docx,
                                   tz=runtime.now().tzinfo, read_text=read_docx_bytes)

    check = run(go)
    if as_json:
        sys.stdout.write(json.dumps({"verdict": check.verdict, "sha256": check.digest, "message": check.message,
                                     "document": check.document}, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_check(check)
    raise typer.Exit(VERIFY_EXIT[check.verdict])


def _shown(value) -> str:
    """An ISO date or time of the --json output as a reader writes it: "23/11/2026", "14:56 ngày 23/11/2026"."""
    from datetime import date, datetime

    if not value:
        return "—"
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    try:
        if "T" not in text:
            return f"{date.fromisoformat(text):%d/%m/%Y}"
        return f"{datetime.fromisoformat(text):%H:%M ngày %d/%m/%Y}"
    except ValueError:
        return text


VERIFY_EXIT = {"issued": 0, "unknown": 3, "altered": 4, "stored_altered": 5, "rerender_differs": 6}


def _print_check(check) -> None:
    console.print(("[green]Hợp lệ:[/] " if check.ok else "[bold red]Không hợp lệ:[/] ") + check.message)
    d = check.document
    console.print(f"  SHA-256 {check.digest}")
    if not d:
        return
    table = Table(show_header=False)
    table.add_row("Văn bản", f"{d['doc_type']} số {d['reference']} ngày {_shown(d['issued_on'])}: {d['subject']}")
    if d["copy_for"]:
        table.add_row("Bản gửi riêng", d["copy_for"])
    table.add_row("Người ký", f"{d['signer_capacity']} — {d['signer']}" if d["signer_capacity"] else d["signer"])
    table.add_row("Vào sổ", f"{_shown(d['registered_at'])} ({d['registered_by']})")
    table.add_row("Nơi nhận", "\n".join(d["recipients"]))
    table.add_row("Đã gửi", "\n".join(f"{s['recipient']} <{s['email']}> lúc {_shown(s['sent_at'])}"
                                       for s in d["sent"]) or "chưa gửi thư nào")
    if d["confirmed"]:
        table.add_row("Đã xác nhận", "\n".join(f"{c['recipient']} lúc {_shown(c['confirmed_at'])}"
                                              for c in d["confirmed"]))
    table.add_row("Tình trạng", d["status_name"] + (f" — {d['notes']}" if d["notes"] else ""))
    console.print(table)


# --- corrections and withdrawals ----------------------------------------------------------------------
@document_app.command("correct")
def document_correct(
    reference: str = typer.Argument(..., help="Số, ký hiệu văn bản cần đính chính, ví dụ 05/KH-UBND (hoặc #MÃ)."),
    actor: str = AS,
    at: Optional[str] = typer.Option(None, "--at", help="Vị trí sai sót, ví dụ «Mục II, chỉ tiêu (4)»."),
    was: Optional[str] = typer.Option(None, "--was", help="Nội dung đã viết."),
    now_: Optional[str] = typer.Option(None, "--now", help="Nội dung sửa lại."),
    file: Optional[Path] = typer.Option(None, "--file", help="Tệp YAML: danh sách các mục at/was/now."),
    replace_with: Optional[int] = typer.Option(None, "--replace-with", help="Thay thế bằng kế hoạch số # này "
                                               "(đã duyệt): ký ban hành kế hoạch mới với số mới."),
    signer: Optional[str] = typer.Option(None, "--signer", help="Người ký công văn đính chính (có vai trò ký tại "
                                         "cơ quan ban hành); mặc định: người đã ký văn bản gốc."),
    title: Optional[str] = typer.Option(None, "--title", help="Chức vụ của người ký, ví dụ «CHỦ TỊCH» (cần khi "
                                        "người ký khác người đã ký văn bản gốc)."),
    capacity: Optional[list[str]] = typer.Option(None, "--capacity", metavar="DÒNG", help="Dòng thẩm quyền ký, ví dụ «TM. ỦY BAN "
                                                 "NHÂN DÂN», «KT. CHỦ TỊCH» (ghi lần lượt từng dòng)."),
) -> None:
    """Đính chính (công văn đính chính, số mới) hoặc thay thế (kế hoạch mới) một văn bản đã ban hành."""
    if replace_with is not None:
        extra = [name for name, value in (("--at", at), ("--was", was), ("--now", now_), ("--file", file),
                                          ("--signer", signer), ("--title", title), ("--capacity", capacity))
                 if value]
        if extra:
            console.print(f"[bold red]Lỗi:[/] {message('replace_with_alone', options=', '.join(extra))}")
            raise typer.Exit(2)
        plan_issue(replace_with, actor, None, reference)
        return
    from domain.adapters.yaml_source import load_yaml
    from domain.model.corrections import parse_corrections
    from domain.services import corrections, plans

    def go():
        items = load_yaml(file) if file else ([{"at": at, "was": was, "now": now_}] if (at or was or now_) else [])
        parsed = parse_corrections(items, source=str(file) if file else "")
        with runtime.uow() as uow:
            doc_id = corrections.correct_document(uow=uow, reference=reference, corrections=parsed, actor=actor,
                                                  now=runtime.now(), render=runtime.render_docx,
                                                  id_domain=runtime.settings().message_id_domain, signer=signer,
                                                  title=title, capacity=tuple(capacity or ()))
        with runtime.uow() as uow:
            doc = uow.documents.get(doc_id)
            return doc.plan_id, doc.reference, doc.file_name, doc.sha256

    def archive():
        with runtime.uow() as uow:
            runtime.write_documents(plans.issued_files(uow=uow, plan_id=plan))

    plan, ref, name, digest = run(go)
    console.print(message("document_corrected", old=reference, reference=ref, path=runtime.documents_dir() / name,
                          digest=digest))
    _deliver(plan)
    try:  # after the letter is recorded and sent: an altered file in the folder stops nothing before
        archive()
    except (DomainError, OSError) as exc:
        said = message("correction_not_archived", reference=ref, plan=plan, error=exc)
        console.print(f"[bold yellow]Chưa ghi bản lưu:[/] {said}")
        raise typer.Exit(ARCHIVE_NOT_WRITTEN) from None


@document_app.command("withdraw")
def document_withdraw(
    reference: str = typer.Argument(..., help="Số, ký hiệu văn bản cần thu hồi, ví dụ 05/KH-UBND (hoặc #MÃ)."),
    actor: str = AS, reason: str = typer.Option("", "--reason", help="Lý do thu hồi (bắt buộc)."),
) -> None:
    """Thu hồi một văn bản đã ban hành (ghi lý do); số của văn bản không bao giờ được dùng lại."""
    from domain.services import corrections

    def go():
        with runtime.uow() as uow:
            return corrections.withdraw_document(uow=uow, reference=reference, reason=reason, actor=actor,
                                                 now=runtime.now(), id_domain=runtime.settings().message_id_domain)

    plan = run(go)
    console.print(message("document_withdrawn", reference=reference, reason=reason.strip()))
    _deliver(plan)


@documents_app.command("write")
def documents_write(plan: Optional[int] = typer.Option(None, "--plan", help="Chỉ văn bản của kế hoạch này "
                                                                          "(mặc định: mọi kế hoạch).")) -> None:
    """Ghi lại thư mục văn bản từ cơ sở dữ liệu: tệp còn thiếu được ghi, tệp đúng để nguyên, tệp bị sửa không ghi đè."""
    done = run(lambda: _lifecycle().write_archive_flow(plan))
    console.print(message("archive_written", directory=done["directory"], written=len(done["written"]),
                          present=done["present"]))
    for name in done["written"]:
        console.print(message("archive_written_file", name=name), highlight=False)


def _deliver(plan: int) -> None:
    """Flow «deliver-mail»: send what the decision queued (the letter, the notice of withdrawal) to each body
    that received the document."""
    totals = run(lambda: _lifecycle().deliver_mail(plan))
    console.print(message("mail_sent_summary", sent=totals["sent"], failed=totals["failed"]))
    if totals["failed"]:
        console.print(message("mail_failed_hint"))


@app.command("serve")
def serve(once: bool = typer.Option(False, "--once", help="Chạy một lượt các luồng định kỳ rồi thoát (dùng cho cron).")
          ) -> None:
    """Chạy mọi luồng theo lịch (giờ Việt Nam) và theo yêu cầu trong một tiến trình (Prefect serve)."""
    from flows import serve as serving

    if once:
        with _ProgressBar():
            results = run(serving.run_once, unattended=True)
        opened, swept = results["open-due-periods"], results["daily-sweep"]
        console.print(f"Mở kỳ báo cáo {opened['period']}: {opened['plans']} kế hoạch, {opened['requests']} thư đề nghị "
                      f"báo cáo.")
        console.print(f"Quét hằng ngày: nhắc {swept['reminders']} đơn vị, đôn đốc quá hạn {swept['overdue']} thư, "
                      f"nhắc xác nhận {swept['receipt_reminders']}; đã gửi {swept['sent']} thư, lỗi {swept['failed']}.")
        return
    table = Table("Triển khai (deployment)", "Lịch (giờ Việt Nam)")
    for name, cron in serving.deployment_specs():
        table.add_row(name, cron or "theo yêu cầu")
    console.print(table)
    run(serving.serve, unattended=True)


@app.command("demo")
def demo(out: Path = typer.Option(Path("kehoach-demo"), "--out", help="Thư mục kết quả.")) -> None:
    """Chạy trọn vòng đời một kế hoạch trên cấu hình nhúng (SQLite, Prefect, máy chủ thư cục bộ)."""
    from flows.demo import run_demo

    try:
        run_demo(out, console)
    except DomainError as exc:
        console.print(f"[bold red]Lỗi:[/] {exc}")
        raise typer.Exit(1) from None


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
