"""`kehoach demo`: the whole life of one plan on the embedded defaults, printed step by step."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from domain.messages import DomainError
from domain.settings import get_settings
from flows import runtime

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DRAFTER, APPROVER, SIGNER = "lan.vp", "hung.cvp", "tam.pct"
# (unit, who puts it on record, file): two units send their own; the third sent it on paper and the
# văn thư of the UBND records it on its behalf
REPORTS = (("MTTQ-HB", "minh.mttq", "mttq.yaml"), ("HLHPN-HB", "thu.pn", "phunu.yaml"),
           ("VHXH-HB", "hoa.vt", "vhxh.yaml"))
RETURN_REASON = ("Đề nghị bổ sung chỉ tiêu tỷ lệ người dân được đào tạo kỹ năng số và ghi rõ thời gian "
                 "hoàn thành của nhiệm vụ 3.1.")


def configure(out: Path, smtp: tuple[str, int]) -> None:
    """Point kehoach at the demo folder and the local mail server."""
    os.environ.update({
        "KEHOACH_DATABASE_URL": f"sqlite:///{(out / 'kehoach.db').resolve()}",
        "KEHOACH_DOCUMENTS_DIR": str((out / "documents").resolve()),
        "KEHOACH_SMTP_HOST": smtp[0], "KEHOACH_SMTP_PORT": str(smtp[1]),
        "KEHOACH_SMTP_STARTTLS": "false", "KEHOACH_SMTP_SSL": "false", "KEHOACH_SMTP_USER": "",
        "KEHOACH_SMTP_PASSWORD": "",
    })
    get_settings.cache_clear()


def fresh(out: Path) -> None:
    """Start from an empty demo folder (only what a previous demo wrote is removed)."""
    (out / "kehoach.db").unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        (out / f"kehoach.db{suffix}").unlink(missing_ok=True)
    for sub in ("documents", "mail"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / "mail").mkdir(parents=True)


def run_demo(out: Path, console: Console) -> dict:
    """Run every stage; returns the summary it prints."""
    from domain.adapters.mail import MailSink
    from flows import lifecycle
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    fresh(out)
    with MailSink(out / "mail") as sink, temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        configure(out, (sink.host, sink.port))
        step = Steps(console)
        step("Chuẩn bị cơ sở dữ liệu (Alembic)", runtime.ensure_schema)
        counts = step("Nạp tổ chức mẫu (examples/org.yaml) — luồng Prefect «load-organisation»",
                      lifecycle.load_organisation_flow, str(EXAMPLES / "org.yaml"))
        console.print(f"    {counts['bodies']} cơ quan, {counts['users']} người dùng, {counts['grants']} vai trò")
        plan = step(f"Tạo dự thảo kế hoạch (examples/plan.yaml), người soạn: {DRAFTER}",
                    lifecycle.create_plan_flow, str(EXAMPLES / "plan.yaml"), DRAFTER)
        step.decide(plan, "submit", DRAFTER)
        step.refused(plan, "approve", DRAFTER)
        step.decide(plan, "approve", APPROVER)
        step.decide(plan, "return", SIGNER, RETURN_REASON)
        step.decide(plan, "resubmit", DRAFTER)
        step.decide(plan, "approve", APPROVER)
        with step.progress("Gửi thư phát hành"):
            step(f"Ký ban hành và phát hành, người ký: {SIGNER} — luồng «issue-plan» → «distribute-plan»",
                 lifecycle.issue_plan_flow, plan, SIGNER)
        with step.progress("Gửi đề nghị báo cáo"):
            step("Mở kỳ báo cáo quý hiện tại, ban hành công văn đề nghị báo cáo kèm biểu mẫu riêng từng đơn vị "
                 "— luồng «open-reporting-period»",
                 lifecycle.open_reporting_period_flow, plan)
        for unit, user, file in REPORTS:
            step(f"Nhận báo cáo của {unit} ({user}{REPORTED_BY.get(user, '')}): số liệu và kết quả từng nhiệm vụ, "
                 f"examples/reports/{file} — luồng «receive-report-file»", lifecycle.receive_report_file_flow,
                 plan, str(EXAMPLES / "reports" / file), user, unit)
        step.refused_report(plan)
        with step.progress("Gửi thư nhắc"):
            step("Nhắc các đơn vị chưa báo cáo — luồng «send-reminders»", lifecycle.send_reminders_flow, plan)
        review = step(f"Sơ kết: tổng hợp số liệu thành dự thảo BÁO CÁO, người soạn: {DRAFTER} — luồng «review-plan»",
                      lifecycle.review_plan_flow, plan, DRAFTER)
        step.decide_review(review, "submit", DRAFTER)
        step.decide_review(review, "approve", APPROVER)
        with step.progress("Gửi thư phát hành báo cáo"):
            step(f"Ký ban hành báo cáo sơ kết (số BC) và phát hành tới nơi nhận của kế hoạch, người ký: {SIGNER} "
                 f"— luồng «issue-review» → «distribute-review»", lifecycle.issue_review_flow, review, SIGNER)
        verdict = step("Kiểm tra nhật ký và tệp đã ban hành (audit verify)", step.verify)
        step("Sổ đăng ký văn bản đi và kiểm tra tệp kế hoạch đã ban hành (register, verify)", step.register, plan)
        summary = collect(plan, out, sink.count)
        summary["audit"] = verdict.message
    print_summary(console, summary)
    return summary


REPORTED_BY = {"hoa.vt": ", văn thư ghi nhận thay đơn vị gửi báo cáo bằng giấy"}


class Steps:
    """Numbered, printed steps; decisions go straight to the services (no flow waits on people)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.n = 0
        self._bar: Progress | None = None

    def __call__(self, title: str, fn, *args):
        self.n += 1
        self.console.print(f"[bold cyan]{self.n:>2}.[/] {title}")
        return fn(*args)

    def decide(self, plan: int, action: str, actor: str, reason: str | None = None) -> None:
        from domain.model.workflow import ACTION_NAMES, STATE_NAMES, State
        from domain.services import plans

        from flows import lifecycle

        def go():
            with runtime.uow() as uow:
                return plans.decide(uow=uow, plan_id=plan, action=action, actor=actor, now=runtime.now(),
                                    reason=reason, id_domain=runtime.settings().message_id_domain)

        state = self(f"{ACTION_NAMES[action].capitalize()} — {actor}", go)
        note = f" (lý do: {reason})" if reason else ""
        self.console.print(f"    → «{STATE_NAMES[State(state)]}»{note}")
        totals = lifecycle.notify_approvals_flow(plan)
        self.console.print(f"    thư báo cho người xử lý tiếp — luồng «notify-approvals»: {totals['sent']} thư")

    def decide_review(self, review: int, action: str, actor: str, reason: str | None = None) -> None:
        """A decision on the sơ kết report: the same rules and notices as the plan's."""
        from domain.model.workflow import ACTION_NAMES, STATE_NAMES, State
        from domain.services import reviews

        from flows import lifecycle

        def go():
            with runtime.uow() as uow:
                state = reviews.decide_review(uow=uow, review_id=review, action=action, actor=actor,
                                              now=runtime.now(), reason=reason,
                                              id_domain=runtime.settings().message_id_domain)
                return state, reviews.get_review(uow, review).plan_id

        state, plan = self(f"Báo cáo sơ kết: {ACTION_NAMES[action]} — {actor}", go)
        self.console.print(f"    → «{STATE_NAMES[State(state)]}»")
        totals = lifecycle.notify_approvals_flow(plan)
        self.console.print(f"    thư báo cho người xử lý tiếp — luồng «notify-approvals»: {totals['sent']} thư")

    def refused(self, plan: int, action: str, actor: str) -> None:
        """Show that the table denies what a role does not allow."""
        try:
            self.decide(plan, action, actor)
        except DomainError as exc:
            self.console.print(f"    [yellow]bị từ chối đúng quy tắc:[/] {exc}")
        else:  # pragma: no cover - the state table would be wrong
            raise AssertionError(f"{actor} could {action}")

    def refused_report(self, plan: int) -> None:
        from domain.services import reporting

        def go():
            with runtime.uow() as uow:
                reporting.submit_report(uow=uow, plan_id=plan, unit="TDP-HB", figures={}, actor="minh.mttq",
                                        now=runtime.now())

        try:
            self("Thử nhận báo cáo của một đơn vị không có nhiệm vụ trong kế hoạch (TDP-HB)", go)
        except DomainError as exc:
            self.console.print(f"    [yellow]bị từ chối đúng quy tắc:[/] {exc}")

    def verify(self):
        from domain.services import audit

        with runtime.uow() as uow:
            verdict = audit.verify(uow=uow, read_file=runtime.read_document)
        self.console.print(f"    {verdict.message}")
        if not verdict.ok:
            raise SystemExit(2)
        return verdict

    def register(self, plan: int) -> None:
        """The register's lines, then the issued plan's file checked as an inspector would (kehoach verify)."""
        from domain.services import register

        with runtime.uow() as uow:
            book = register.register(uow=uow, body_id=uow.plans.get(plan).issuer_id, today=runtime.now().date(),
                                     tz=runtime.now().tzinfo)
            doc = uow.documents.get(uow.plans.get(plan).document_id)
            check = register.verify_file(uow=uow, data=runtime.read_document(doc.file_name) or b"",
                                         name=doc.file_name, render=runtime.render_docx, tz=runtime.now().tzinfo)
        for e in book.entries:
            self.console.print(f"    {e.reference} ngày {e.issued_on:%d/%m/%Y} — {e.doc_type}: {e.subject} "
                               f"— {e.status_name}")
        self.console.print(f"    {check.message}")
        if not check.ok:
            raise SystemExit(2)

    def progress(self, label: str):
        """A progress bar for the mail a step sends."""
        bar = Progress(TextColumn(f"    {label}"), BarColumn(), MofNCompleteColumn(), console=self.console,
                       transient=False)
        task = bar.add_task(label, total=None)
        runtime.on_progress(lambda _step, done, total: bar.update(task, completed=done, total=total))
        return _Closing(bar)


class _Closing:
    def __init__(self, bar: Progress) -> None:
        self.bar = bar

    def __enter__(self):
        self.bar.start()
        return self.bar

    def __exit__(self, *exc):
        self.bar.stop()
        runtime.on_progress(None)


def collect(plan_id: int, out: Path, mails: int) -> dict:
    from domain.model.notices import NOTICE_KINDS
    from domain.model.review import KINDS
    from domain.model.workflow import STATE_NAMES, State

    with runtime.uow() as uow:
        plan = uow.plans.get(plan_id)
        docs = uow.documents.for_plan(plan_id)
        copies = uow.document_copies.for_plan(plan_id)
        outbox = uow.outbox.for_plan(plan_id)
        return {
            "plan": plan_id,
            "state": STATE_NAMES[State(plan.state)],
            "number": docs[0].reference,
            "documents": [(d.reference, d.file_name, d.sha256) for d in docs],
            "copies": [(c.recipient_id, c.file_name, c.sha256) for c in copies],
            "sent": {**{k: sum(1 for o in outbox if o.kind == k and o.status == "sent")
                        for k in ("distribution", "report_request", "reminder")},
                     "notices": sum(1 for o in outbox if o.kind in NOTICE_KINDS and o.status == "sent")},
            "failed": sum(1 for o in outbox if o.status == "failed"),
            "received_by_server": mails,
            "reports": uow.reports.count(plan_id),
            "reviews": [(r.id, KINDS[r.kind], STATE_NAMES[State(r.state)],
                         uow.documents.get(r.document_id).reference if r.document_id else "")
                        for r in uow.reviews.for_plan(plan_id)],
            "out": str(out),
        }


def print_summary(console: Console, s: dict) -> None:
    table = Table(title="Tóm tắt", show_header=False)
    table.add_row("Kế hoạch", f"#{s['plan']} số {s['number']} — {s['state']}")
    for ref, name, digest in s["documents"]:
        table.add_row("Văn bản", f"{ref}: documents/{name}\nSHA-256 {digest}")
    if s["copies"]:
        table.add_row("Bản gửi từng đơn vị", f"{len(s['copies'])} bản công văn kèm biểu mẫu báo cáo riêng "
                                             f"(documents/… - <mã đơn vị>.docx)")
    table.add_row("Thư đã gửi", f"phát hành (kế hoạch, báo cáo) {s['sent']['distribution']}, đề nghị báo cáo "
                                f"{s['sent']['report_request']}, nhắc {s['sent']['reminder']}, thư báo duyệt và ban hành "
                                f"{s['sent']['notices']}; lỗi {s['failed']}")
    table.add_row("Máy chủ thư nhận", f"{s['received_by_server']} thư (mail/*.eml)")
    table.add_row("Báo cáo đã nhận", str(s["reports"]))
    for review_id, kind, state, ref in s["reviews"]:
        table.add_row(f"Báo cáo {kind.lower()}", f"#{review_id} {ref} — {state}")
    table.add_row("Nhật ký", s["audit"])
    table.add_row("Thư mục", s["out"])
    console.print(table)
