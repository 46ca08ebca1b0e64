"""The stages of a plan's life as Prefect flows; each task wraps one service call or one I/O."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.runtime import flow_run as current_flow_run

from domain.adapters.yaml_source import load_yaml
from domain.messages import DomainError
from domain.model.mail import TransientMailError
from domain.model.calendar import local_date
from domain.services import delivery, org, plans, reporting, reports, reviews
from flows import outbox, runtime

IO_RETRIES = dict(retries=3, retry_delay_seconds=[2, 10, 30])
UNITS_PER_TASK = 250  # batch work on units runs one task per chunk of units, never one per unit
PLANS_PER_TASK = 25  # the scheduled sweeps run one task per chunk of plans, never one per plan
PROGRESS_LABELS = {"mail": "Gửi thư", "periods": "Mở kỳ báo cáo", "copies": "Công văn và biểu mẫu của từng đơn vị"}


# --- progress: the CLI's bar (runtime.on_progress) and an artifact on the run's page in Prefect's UI -----
_artifacts: dict[tuple[str, str], tuple[UUID, float]] = {}


def _progress_artifact(step: str, done: int, total: int) -> None:
    """Mirror a long step on its flow run's page in Prefect's UI, by whole percents."""
    run_id = current_flow_run.id
    if not run_id or total <= 0:
        return
    percent = round(100.0 * done / total)
    key = (run_id, step)
    try:
        if key not in _artifacts:
            _artifacts[key] = (create_progress_artifact(percent, key=f"kehoach-{step}",
                                                        description=PROGRESS_LABELS.get(step, step)), percent)
        elif percent > _artifacts[key][1]:
            _artifacts[key] = (update_progress_artifact(_artifacts[key][0], percent), percent)
    except Exception as exc:  # a progress display never fails the work it shows
        get_run_logger().warning("progress artifact not updated: %s", exc)
    if done >= total:
        _artifacts.pop(key, None)  # finished: a long-running `kehoach serve` keeps nothing


runtime.listen_progress(_progress_artifact)


def for_each_plan(plan_ids: list[int], call: Callable[..., int | None]) -> int:
    """`call(uow, plan_id)` for each plan, each in its own transaction; returns the sum of the results.

    A plan that fails does not stop the others; the task then fails naming each such plan, and a
    retry does again only what is still missing (every step below is idempotent).
    """
    total, failures = 0, []
    for plan_id in plan_ids:
        try:
            with runtime.uow() as uow:
                total += call(uow, plan_id) or 0
        except Exception as exc:
            failures.append(f"#{plan_id[0]} {plan_id[1]}: {exc}" if isinstance(plan_id, (tuple, list))
                            else f"#{plan_id}: {exc}")
    if failures:
        raise DomainError("plans_failed", count=len(failures), failures="; ".join(failures))
    return total


# --- tasks: one service call each --------------------------------------------------------
@task
def load_organisation(path: str, actor: str) -> dict:
    """Load bodies, users and roles from a YAML file in one transaction."""
    with runtime.uow() as uow:
        return org.load_organisation(uow=uow, data=load_yaml(path), source=path, actor=actor, now=runtime.now())


@task
def create_plan(path: str, actor: str) -> int:
    """Create a draft plan from its structured YAML source."""
    with runtime.uow() as uow:
        return plans.create_plan(uow=uow, data=load_yaml(path), source=path, actor=actor, now=runtime.now())


@task
def sign_and_number(plan_id: int, actor: str, issued_on: date | None = None, replaces: str | None = None) -> int:
    """Sign: draw the register number, date, render the .docx and record its SHA-256."""
    with runtime.uow() as uow:
        return plans.issue_plan(uow=uow, plan_id=plan_id, actor=actor, now=runtime.now(), render=runtime.render_docx,
                                id_domain=runtime.settings().message_id_domain, run=current_flow_run.id,
                                issued_on=issued_on, replaces=replaces)


@task
def queue_distribution(plan_id: int, actor: str) -> int:
    """Queue one e-mail per recipient body that has an address."""
    with runtime.uow() as uow:
        return delivery.distribute_plan(uow=uow, plan_id=plan_id, actor=actor, now=runtime.now(),
                                        id_domain=runtime.settings().message_id_domain)


@task
def open_request(plan_id: int, period_key: str | None, actor: str, start: date | None = None,
                 end: date | None = None, deadline: date | None = None, label: str | None = None) -> dict:
    """Open the reporting period and issue its request letter (number drawn once); returns the units still to serve."""
    s = runtime.settings()
    with runtime.uow() as uow:
        return reporting.open_plan_request(
            uow=uow, plan_id=plan_id, period_key=period_key, start=start, end=end, deadline=deadline, label=label,
            actor=actor, now=runtime.now(), render=runtime.render_docx, deadline_days=s.report_deadline_days,
            calendar=runtime.calendar(), run=current_flow_run.id)


def not_a_refusal(task, task_run, state) -> bool:
    """Retry a chunk that failed storing its work (a locked or lost database), never a refused command."""
    return not isinstance(state.result(raise_on_failure=False), DomainError)


@task(**IO_RETRIES, retry_condition_fn=not_a_refusal)
def issue_copies(items: list[tuple[int, str, str]], actor: str, done_before: int, total: int) -> int:
    """Render, store and queue the request's copy of each (plan, period, unit) of a chunk, a transaction per plan."""
    s = runtime.settings()
    queued = 0
    for (plan_id, period_key), units in group_units(items):
        with runtime.uow() as uow:
            queued += reporting.issue_request_copies(uow=uow, plan_id=plan_id, period_key=period_key, units=units,
                                                     actor=actor, now=runtime.now(), id_domain=s.message_id_domain,
                                                     render=runtime.render_docx)
    runtime.progress("copies", done_before + len(items), total)
    return queued


def unit_items(opened: list[dict]) -> list[tuple[int, str, str]]:
    """(plan, period, unit) of every unit still to receive its copy, from what `open_request` returned."""
    return [(o["plan_id"], o["period"], unit) for o in opened if o for unit in o["units"]]


def group_units(items: list[tuple[int, str, str]]) -> list[tuple[tuple[int, str], list[str]]]:
    """A chunk's units by (plan, period), in order."""
    groups: dict[tuple[int, str], list[str]] = {}
    for plan_id, period_key, unit in items:
        groups.setdefault((plan_id, period_key), []).append(unit)
    return list(groups.items())


def issue_all_copies(opened: list[dict], actor: str) -> int:
    """Each unit's copy, one `issue_copies` task per chunk of units; returns how many were queued."""
    items = unit_items(opened)
    return sum(issue_copies(chunk, actor, i * UNITS_PER_TASK, len(items))
               for i, chunk in enumerate(chunks(items, UNITS_PER_TASK)))


@task
def record_report(plan_id: int, unit: str, figures: dict, actor: str, period_key: str | None,
                  note: str | None) -> int:
    """Record a unit's report as a new version; returns the version."""
    with runtime.uow() as uow:
        return reporting.submit_report(uow=uow, plan_id=plan_id, unit=unit, figures=figures, actor=actor,
                                       now=runtime.now(), period_key=period_key, note=note)[1]


@task
def record_reports(plan_id: int, batch: list[dict], period_key: str | None) -> int:
    """Record a chunk of units' reports, skipping any already recorded as sent; returns how many were recorded."""
    with runtime.uow() as uow:
        return reports.submit_reports(uow=uow, plan_id=plan_id, reports=batch, now=runtime.now(),
                                      period_key=period_key)


@task
def read_report_file(path: str) -> tuple:
    """Read the file a unit reports with: its filled .docx form, or a YAML/JSON file of figures."""
    from domain.adapters.report_files import read_report_file as read

    return read(Path(path))


@task
def record_report_file(plan_id: int, report, source: dict, actor: str, unit: str | None,
                       period_key: str | None) -> dict:
    """Check what a unit sent and record it as the next version of its report."""
    with runtime.uow() as uow:
        return reports.submit_report_file(uow=uow, plan_id=plan_id, report=report, source=source, actor=actor,
                                          now=runtime.now(), unit=unit, period_key=period_key)


@task
def units_to_remind(plan_id: int) -> dict:
    """The open period due next and the units that have not reported for it yet."""
    with runtime.uow() as uow:
        return reporting.units_to_remind(uow=uow, plan_id=plan_id, now=runtime.now())


@task
def queue_reminders(plan_id: int, actor: str, period_key: str, units: list[str]) -> int:
    """Queue a reminder to each unit of a chunk that has still not reported."""
    with runtime.uow() as uow:
        return reporting.remind_missing(uow=uow, plan_id=plan_id, actor=actor, now=runtime.now(),
                                        id_domain=runtime.settings().message_id_domain, period_key=period_key,
                                        units=units)


@task
def draft_review(plan_id: int, actor: str, final: bool, period_key: str | None) -> int:
    """Roll the reports up against the targets into a draft sơ kết (or tổng kết) report; returns its id."""
    with runtime.uow() as uow:
        return reviews.draft_review(uow=uow, plan_id=plan_id, actor=actor, now=runtime.now(), final=final,
                                    period_key=period_key, run=current_flow_run.id)


@task
def sign_review(review_id: int, actor: str) -> dict:
    """Sign the approved report: draw its register number (BC), date, render the .docx and record its SHA-256."""
    with runtime.uow() as uow:
        document_id = reviews.issue_review(uow=uow, review_id=review_id, actor=actor, now=runtime.now(),
                                           render=runtime.render_docx,
                                           id_domain=runtime.settings().message_id_domain, run=current_flow_run.id)
        return {"document_id": document_id, "plan_id": reviews.get_review(uow, review_id).plan_id}


@task
def queue_review_distribution(review_id: int, actor: str) -> dict:
    """Queue the issued report to every recipient body of its plan that has an address."""
    with runtime.uow() as uow:
        queued = reviews.distribute_review(uow=uow, review_id=review_id, actor=actor, now=runtime.now(),
                                           id_domain=runtime.settings().message_id_domain)
        return {"queued": queued, "plan_id": reviews.get_review(uow, review_id).plan_id}


@task
def plans_with_open_period() -> list[int]:
    """The plans being reported on: distributed, with an open period."""
    with runtime.uow() as uow:
        return reporting.plans_with_open_period(uow=uow)


@task
def remind_before_deadline(plan_ids: list[int]) -> int:
    """Remind the units that have not reported, from a few working days before each deadline (a chunk of plans)."""
    s = runtime.settings()
    return for_each_plan(plan_ids, lambda uow, plan_id: reporting.remind_before_deadline(
        uow=uow, plan_id=plan_id, now=runtime.now(), id_domain=s.message_id_domain,
        days_before=s.reminder_days_before, calendar=runtime.calendar()))


@task
def follow_up_overdue(plan_ids: list[int]) -> int:
    """After each deadline, queue the day's overdue list to the advisory bodies and the late units (a chunk of plans)."""
    s = runtime.settings()
    return for_each_plan(plan_ids, lambda uow, plan_id: reporting.follow_up_overdue(
        uow=uow, plan_id=plan_id, now=runtime.now(), id_domain=s.message_id_domain,
        overdue_days=s.overdue_follow_up_days, calendar=runtime.calendar()))


@task
def remind_unconfirmed_receipts() -> int:
    """Remind the recipients that have not confirmed receipt of a distributed document (xác nhận đã nhận)."""
    s = runtime.settings()
    with runtime.uow() as uow:
        return delivery.remind_unconfirmed(uow=uow, now=runtime.now(), id_domain=s.message_id_domain,
                                           reminder_days=s.receipt_reminder_days, calendar=runtime.calendar())


@task
def due_periods(period_key: str | None) -> list[tuple[int, str]]:
    """(plan, period) of every period due to open today that is not open yet."""
    s = runtime.settings()
    with runtime.uow() as uow:
        return reporting.due_periods(uow=uow, today=local_date(runtime.now()), deadline_days=s.report_deadline_days,
                                     calendar=runtime.calendar(), period_key=period_key)


@task
def open_periods(due: list[tuple[int, str]], done_before: int, total: int) -> list[dict]:
    """Open each (plan, period) of a chunk and issue its request letter (skipping any fully open); returns each."""
    s = runtime.settings()
    done, opened = [done_before], []

    def open_one(uow, item) -> int:
        plan_id, period_key = item
        result = reporting.open_due_request(uow=uow, plan_id=plan_id, period_key=period_key, actor="system",
                                            now=runtime.now(), render=runtime.render_docx,
                                            deadline_days=s.report_deadline_days, calendar=runtime.calendar())
        if result is not None:
            opened.append({**result, "plan_id": plan_id})
        done[0] += 1
        runtime.progress("periods", done[0], total)
        return 0

    for_each_plan(due, open_one)
    return opened


@task
def pending_messages(plan_id: int | None) -> list[int]:
    """The outbox rows still to send (pending, or left "sending" by a crash)."""
    return outbox.pending_ids(plan_id)


# --- tasks: one I/O each ---------------------------------------------------------------------
def not_refused(task, task_run, state) -> bool:
    """Retry a write after an I/O failure, not after a refusal (an altered file kehoach will not overwrite)."""
    try:
        state.result()
    except DomainError:
        return False
    except BaseException:
        return True
    return False


@task(**IO_RETRIES, retry_condition_fn=not_refused)
def write_documents(plan_id: int | None = None) -> dict:
    """Write a plan's (or every plan's) issued documents and copies to the archive folder; an altered file is refused."""
    with runtime.uow() as uow:
        items = reporting.archive_files(uow=uow, plan_id=plan_id)
    written = runtime.write_documents(items)
    return {"directory": str(runtime.documents_dir()), "written": [p.name for p in written],
            "present": len(items) - len(written)}


def transient_mail_failure(task, task_run, state) -> bool:
    """Retry a chunk only after a transient SMTP failure: waiting cures neither a bug nor a refusal."""
    try:
        state.result()
    except TransientMailError:
        return True
    except BaseException:
        return False
    return False


@task(**IO_RETRIES, retry_condition_fn=transient_mail_failure)
def send_chunk(ids: list[int], delivery: str, chunk: int, total: int) -> dict:
    """Send a chunk of outbox rows over one SMTP connection; rows already sent are skipped on a retry."""
    return outbox.send_rows(ids, delivery=delivery, chunk=chunk, total=total)


@task(**IO_RETRIES, retry_condition_fn=not_refused)
def write_plans_documents(plan_ids: list[int]) -> int:
    """Write the issued documents and copies of a chunk of plans to the archive folder (idempotent)."""
    with runtime.uow() as uow:
        items = [item for plan_id in plan_ids for item in reporting.archive_files(uow=uow, plan_id=plan_id)]
    return len(runtime.write_documents(items))


def chunks(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


# --- flows -------------------------------------------------------------------------------------
@flow(name="deliver-mail")
def deliver_mail(plan_id: int | None = None) -> dict:
    """Send every pending message in chunks, a few at once over a connection each, retrying transient failures."""
    ids = pending_messages(plan_id)
    delays = runtime.mail_retry_delays()
    send = send_chunk.with_options(retries=len(delays), retry_delay_seconds=delays)
    return outbox.send_chunks(ids, send.submit)


@flow(name="load-organisation")
def load_organisation_flow(path: str, actor: str = "system") -> dict:
    """Load an organisation (bodies, users, roles) from YAML."""
    return load_organisation(path, actor)


@flow(name="create-plan")
def create_plan_flow(path: str, actor: str) -> int:
    """Create a draft plan from a structured YAML file."""
    return create_plan(path, actor)


@flow(name="issue-plan")
def issue_plan_flow(plan_id: int, actor: str, issued_on: date | None = None, replaces: str | None = None) -> int:
    """Sign and number the plan, archive its .docx, then distribute it."""
    document_id = sign_and_number(plan_id, actor, issued_on, replaces)
    write_documents(plan_id)
    distribute_plan_flow(plan_id)
    return document_id


@flow(name="distribute-plan")
def distribute_plan_flow(plan_id: int, actor: str = "system") -> dict:
    """E-mail the issued plan to every recipient body with an address."""
    queue_distribution(plan_id, actor)
    return deliver_mail(plan_id)


@flow(name="open-reporting-period")
def open_reporting_period_flow(plan_id: int, period_key: str | None = None, actor: str = "system",
                               start: date | None = None, end: date | None = None, deadline: date | None = None,
                               label: str | None = None) -> dict:
    """Open a reporting period (by key, or ad hoc by its dates), archive the request and send each unit its copy."""
    opened = open_request(plan_id, period_key, actor, start, end, deadline, label)
    issue_all_copies([{**opened, "plan_id": plan_id}], actor)
    write_documents(plan_id)
    return deliver_mail(plan_id)


@flow(name="receive-report")
def receive_report_flow(plan_id: int, unit: str, figures: dict, actor: str, period_key: str | None = None,
                        note: str | None = None) -> int:
    """Record a unit's report against the plan's targets."""
    return record_report(plan_id, unit, figures, actor, period_key, note)


@flow(name="receive-reports")
def receive_reports_flow(plan_id: int, reports: list[dict], period_key: str | None = None) -> int:
    """Record many units' reports ({unit, actor, figures, note}), one task per chunk of units."""
    return sum(record_reports(plan_id, chunk, period_key) for chunk in chunks(reports, UNITS_PER_TASK))


@flow(name="receive-report-file")
def receive_report_file_flow(plan_id: int, path: str, actor: str, unit: str | None = None,
                             period_key: str | None = None) -> dict:
    """Read a unit's filled form (or structured file) and record it as its report's next version."""
    report, source = read_report_file(path)
    return record_report_file(plan_id, report, source, actor, unit, period_key)


@flow(name="send-reminders")
def send_reminders_flow(plan_id: int, actor: str = "system") -> dict:
    """Remind the units that have not reported for the open period, one task per chunk of units."""
    late = units_to_remind(plan_id)
    for chunk in chunks(late["units"], UNITS_PER_TASK):
        queue_reminders(plan_id, actor, late["period"], chunk)
    return deliver_mail(plan_id)


@flow(name="review-plan")
def review_plan_flow(plan_id: int, actor: str = "system", final: bool = False, period_key: str | None = None) -> int:
    """Roll up the reports into a draft sơ kết (or tổng kết) report, to be submitted and approved as a plan is."""
    return draft_review(plan_id, actor, final, period_key)


@flow(name="issue-review")
def issue_review_flow(review_id: int, actor: str) -> int:
    """Sign and number the approved sơ kết / tổng kết report, archive its .docx, then distribute it."""
    signed = sign_review(review_id, actor)
    write_documents(signed["plan_id"])
    distribute_review_flow(review_id)
    return signed["document_id"]


@flow(name="distribute-review")
def distribute_review_flow(review_id: int, actor: str = "system") -> dict:
    """E-mail the issued report to every recipient body of its plan with an address."""
    queued = queue_review_distribution(review_id, actor)
    return deliver_mail(queued["plan_id"])


@flow(name="write-archive")
def write_archive_flow(plan_id: int | None = None) -> dict:
    """Write the archive folder again from the database: the missing files, never over an altered one."""
    return write_documents(plan_id)


@flow(name="notify-approvals")
def notify_approvals_flow(plan_id: int) -> dict:
    """Send the notices a decision queued: to the approvers, the designated signer, the drafter or the clerks."""
    return deliver_mail(plan_id)


@flow(name="follow-up-overdue")
def follow_up_overdue_flow() -> dict:
    """After each reporting deadline, send the day's overdue list to the advisory bodies and each late unit."""
    overdue = sum(follow_up_overdue(chunk) for chunk in chunks(plans_with_open_period(), PLANS_PER_TASK))
    return {"overdue": overdue, **deliver_mail()}


@flow(name="daily-sweep")
def daily_sweep_flow() -> dict:
    """Each working day: reminders before each deadline, overdue lists after it, receipt reminders, then the mail."""
    reminders = overdue = 0
    for chunk in chunks(plans_with_open_period(), PLANS_PER_TASK):
        reminders += remind_before_deadline(chunk)
        overdue += follow_up_overdue(chunk)
    receipts = remind_unconfirmed_receipts()
    return {"reminders": reminders, "overdue": overdue, "receipt_reminders": receipts, **deliver_mail()}


@flow(name="open-due-periods")
def open_due_periods_flow(period_key: str | None = None) -> dict:
    """Open the periods due today (quý, 6 tháng, 9 tháng, năm, as each plan declares) that are not open yet."""
    due = due_periods(period_key)
    opened = [o for i, chunk in enumerate(chunks(due, PLANS_PER_TASK))
              for o in open_periods(chunk, i * PLANS_PER_TASK, len(due))]
    requests = issue_all_copies(opened, "system")
    for chunk in chunks(sorted({plan_id for plan_id, _ in due}), PLANS_PER_TASK):
        write_plans_documents(chunk)
    return {"period": ", ".join(sorted({key for _, key in due})) or "—", "plans": len({p for p, _ in due}),
            "periods": len(due), "requests": requests, **deliver_mail()}
