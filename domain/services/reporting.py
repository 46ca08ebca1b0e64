"""Reporting periods, the units' reports and reminders (the sơ kết / tổng kết report: reviews.py)."""
from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any, Callable

from domain.messages import DomainError
from domain.model import numbering
from domain.model.audit import sha256
from domain.model.calendar import VIETNAM, WorkCalendar, local_date
from domain.model.forms import request_letter, request_subject, unit_copy
from domain.model.plan import PlanContent
from domain.model.notices import OVERDUE, advisory_bodies, overdue_recipients
from domain.model.reporting import (OVERDUE as OVERDUE_STEP, REMIND, Period, ad_hoc, follow_up_step, parse_period_key,
                                    period_due_next, period_kind, periods_due, plan_cut_off,
                                    plan_kinds, quarter_containing, roll_up_targets)
from domain.model.review import review_document, review_title
from domain.model.workflow import SYSTEM, State
from domain.services.delivery import queue
from domain.services.reports import submit_report  # noqa: F401  (a unit's report: domain/services/reports.py)
from domain.services.plans import (Renderer, document_facts, issue_document, issued_files, registered_in_run,
                                   run_mark)
from domain.services.workflow import apply, check, get_plan, record


Progress = Callable[[int, int], None]  # (done, total)


def _no_progress(done: int, total: int) -> None:
    pass


UNITS_PER_CHUNK = 250  # the units' copies are stored and queued a chunk of units per transaction


def open_period(*, uow, plan_id: int, period: Period, actor: str, now: datetime, id_domain: str,
                render: Renderer, on_progress: Progress = _no_progress, run: str | None = None,
                units_per_chunk: int = UNITS_PER_CHUNK) -> int:
    """Open a reporting period, issue its request for reports and queue each unit's copy; returns how many.

    The steps the `open-reporting-period` flow runs as tasks, in turn: `open_request` (the period and
    the công văn's number and file, one transaction), then `issue_request_copies` for each chunk of
    units (their copies and outbox rows, one transaction per chunk). Opening again a period whose
    copies are not all stored (a run cut short) completes it without drawing another number.
    """
    opened = open_request(uow=uow, plan_id=plan_id, period=period, actor=actor, now=now, render=render, run=run)
    units, queued = opened["units"], 0
    for i in range(0, len(units), units_per_chunk):
        chunk = units[i:i + units_per_chunk]
        queued += issue_request_copies(uow=uow, plan_id=plan_id, period_key=period.key, units=chunk, actor=actor,
                                       now=now, id_domain=id_domain, render=render)
        on_progress(i + len(chunk), len(units))
    return queued


def open_request(*, uow, plan_id: int, period: Period, actor: str, now: datetime, render: Renderer,
                 run: str | None = None) -> dict[str, Any]:
    """Open a reporting period and issue its request for reports (công văn đề nghị báo cáo): the period,
    the letter's register number and file and their audit events, in one transaction. Returns
    {"document_id", "period", "units"}: the units whose copy is still to be made (`issue_request_copies`).

    Idempotent: a period already open whose copies are not all stored (a run cut short), or that this
    run opened, gives back its letter and the units still without a copy, and no number is drawn twice;
    a period fully opened before is refused (`period_exists`).
    """
    plan = get_plan(uow, plan_id)
    content = PlanContent.from_dict(plan.content)
    existing = uow.periods.get(plan.id, period.key)
    if existing is not None:
        check(uow=uow, plan=plan, action="open_period", actor=actor)  # a plan withdrawn since: not completed
        letter = uow.documents.request_for(plan.id, period.key)
        missing = _without_copy(uow, content, letter) if letter is not None else []
        if missing or (letter is not None and registered_in_run(uow, plan.id, run) is not None):
            return {"document_id": letter.id, "period": period.key, "units": missing}
        raise DomainError("period_exists", period=period.label, plan=plan.id, opened=f"{existing.opened_at:%d/%m/%Y}")
    apply(uow=uow, plan=plan, action="open_period", actor=actor, now=now,
          data={"period": period.key, "start": period.start.isoformat(), "end": period.end.isoformat(),
                "deadline": period.deadline.isoformat()})
    uow.periods.add(plan_id=plan.id, key=period.key, label=period.label, start=period.start, end=period.end,
                    deadline=period.deadline, opened_at=now)
    facts = request_facts(uow, plan, period)
    letter = issue_document(uow=uow, plan_id=plan.id, kind="report_request", content=content, actor=actor, now=now,
                            render=render, build=partial(request_letter, **facts), doc_type=numbering.LETTER,
                            subject=request_subject(facts["plan_reference"], period),
                            signer=content.signer.user if content.signer else actor, facts={"period": period.key})
    record(uow=uow, actor=actor, action="register", now=now, plan_id=plan.id,
           data={**document_facts(letter), **run_mark(run), "period": period.key})
    uow.commit()
    return {"document_id": letter.id, "period": period.key, "units": content.executing_units()}


def issue_request_copies(*, uow, plan_id: int, period_key: str, units: list[str], actor: str, now: datetime,
                         id_domain: str, render: Renderer) -> int:
    """Each unit's copy of the period's request for reports (the letter with that unit's own report form
    annexed) for a chunk of units: rendered, stored with its SHA-256 and an audit event, and queued to the
    units with an address, in one transaction; returns how many were queued.

    Idempotent: a unit that has its copy already is skipped and nothing is queued twice, so a retried
    chunk, or a run completing one cut short, makes only what is missing.
    """
    plan = get_plan(uow, plan_id)
    check(uow=uow, plan=plan, action="open_period", actor=actor)  # as the opening: the plan still distributed
    content = PlanContent.from_dict(plan.content)
    period = uow.periods.get(plan.id, period_key)
    letter = uow.documents.request_for(plan.id, period_key) if period is not None else None
    if letter is None:
        raise DomainError("no_open_period", plan=plan.id, period=period_key)
    wanted = set(content.executing_units())
    strangers = [u for u in units if u not in wanted]
    if strangers:
        raise DomainError("unit_not_in_plan", unit=", ".join(strangers), plan=plan.id)
    have = uow.document_copies.recipients(letter.id)
    todo = [u for u in units if u not in have]
    if todo:
        issuer = uow.bodies.get(letter.body_id)
        names = {b.id: b.name for b in uow.bodies.all()}
        facts = request_facts(uow, plan, period)
        official = request_letter(content=content, issuer=issuer, names=names, number=letter.number,
                                  issued_on=letter.issued_on, **facts)
        copies = []
        for unit in todo:
            doc = unit_copy(official, content=content, unit=unit, names=names, issuer_name=issuer.name,
                            issued_on=letter.issued_on, period=period, plan_id=plan.id,
                            plan_reference=facts["plan_reference"])
            data = render(doc)
            copies.append(uow.document_copies.add(document_id=letter.id, recipient_id=unit,
                                                  file_name=doc.file_stem + ".docx", sha256=sha256(data),
                                                  content=data, created_at=now))
        record(uow=uow, actor=actor, action="register_copies", now=now, plan_id=plan.id,
               data={"document_id": letter.id, "reference": letter.reference, "period": period_key,
                     "copies": [{"recipient": c.recipient_id, "file_name": c.file_name, "sha256": c.sha256}
                                for c in copies]})
    queued = _queue_units(uow, plan, units, "report_request", period_key, now, id_domain, document_id=letter.id)
    uow.commit()
    return queued


def request_incomplete(uow, plan_id: int, period_key: str) -> bool:
    """Whether the period's request was issued but some unit's copy is still to be made (a run cut short)."""
    plan = get_plan(uow, plan_id)
    letter = uow.documents.request_for(plan.id, period_key)
    return letter is not None and bool(_without_copy(uow, PlanContent.from_dict(plan.content), letter))


def _without_copy(uow, content: PlanContent, letter) -> list[str]:
    have = uow.document_copies.recipients(letter.id)
    return [u for u in content.executing_units() if u not in have]


def _queue_units(uow, plan, units, kind: str, period_key: str, now: datetime, id_domain: str,
                 document_id: int | None = None) -> int:
    bodies = [uow.bodies.get(u) for u in units]
    return sum(queue(uow, plan=plan, recipient=b, kind=kind, now=now, id_domain=id_domain, period_key=period_key,
                     document_id=document_id or plan.document_id) for b in bodies if b and b.email)


def issued_copies(*, uow, plan_id: int | None = None) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every recipient's copy of the plan's issued documents (or of every plan's)."""
    copies = uow.document_copies.for_plan(plan_id) if plan_id is not None else uow.document_copies.all()
    return [(c.file_name, c.content) for c in copies]


def archive_files(*, uow, plan_id: int | None = None) -> list[tuple[str, bytes]]:
    """What the archive folder ("thư mục văn bản") holds, as the database keeps it: (file name, bytes) of every
    issued document and every unit's copy, of one plan (which must exist) or of all."""
    if plan_id is not None:
        get_plan(uow, plan_id)
    return issued_files(uow=uow, plan_id=plan_id) + issued_copies(uow=uow, plan_id=plan_id)


def find_issued(*, uow, digest: str) -> list[dict[str, Any]]:
    """Every issued file, document or recipient's copy, whose SHA-256 is `digest`."""
    found = [{"reference": d.reference, "issued_on": d.issued_on, "file_name": d.file_name, "kind": d.kind,
              "plan_id": d.plan_id, "recipient": None} for d in uow.documents.with_sha256(digest)]
    for c in uow.document_copies.with_sha256(digest):
        d = uow.documents.get(c.document_id)
        found.append({"reference": d.reference, "issued_on": d.issued_on, "file_name": c.file_name, "kind": d.kind,
                      "plan_id": d.plan_id, "recipient": c.recipient_id})
    return found


def _open_period(uow, plan, period_key: str | None, now: datetime | None = None):
    """The period named, else the open one whose report is due next (see `period_due_next`)."""
    if period_key:
        period = uow.periods.get(plan.id, period_key)
    elif now is not None:
        period = period_due_next(_open_periods(uow, plan), now.date())
    else:
        period = uow.periods.latest_open(plan.id)
    if period is None or period.status != "open":
        raise DomainError("no_open_period", plan=plan.id, period=period_key or "hiện tại")
    return period


def missing_units(uow, plan, period) -> list[str]:
    content = PlanContent.from_dict(plan.content)
    reported = uow.reports.latest(period.id)
    return [u for u in content.executing_units() if u not in reported]


def reminder_key(period_key: str, now: datetime) -> str:
    """Reminders are keyed by period and day (in Việt Nam): at most one a day per unit, again on a later day."""
    return f"{period_key}@{local_date(now).isoformat()}"


def units_to_remind(*, uow, plan_id: int, now: datetime, period_key: str | None = None) -> dict[str, Any]:
    """The open period (the one named, else the one due next) and its executing units that have not reported:
    {"period", "units"}, for `remind_missing` to remind a chunk at a time."""
    plan = get_plan(uow, plan_id)
    period = _open_period(uow, plan, period_key, now)
    return {"period": period.key, "units": missing_units(uow, plan, period)}


def remind_missing(*, uow, plan_id: int, actor: str, now: datetime, id_domain: str,
                   period_key: str | None = None, units: list[str] | None = None) -> int:
    """Queue a reminder to every executing unit that has not reported for the open period (only those of
    `units`, a chunk, when given), with its audit event, in one transaction; returns how many were queued
    (a unit reminded already today is not queued again)."""
    plan = get_plan(uow, plan_id)
    period = _open_period(uow, plan, period_key, now)
    missing = missing_units(uow, plan, period)
    if units is not None:
        chunk = set(units)
        missing = [u for u in missing if u in chunk]
    apply(uow=uow, plan=plan, action="remind", actor=actor, now=now,
          data={"period": period.key, "units": missing})
    queued = _queue_units(uow, plan, missing, "reminder", reminder_key(period.key, now), now, id_domain)
    uow.commit()
    return queued


def review_builder(uow, plan, content: PlanContent, period, reports: dict[str, Any], action: str):
    """The review's title and the function laying it out (see `review_document`), from the reports
    rolled up (each unit's latest, by unit): the same reports give the same document."""
    units = content.executing_units()
    rollups = roll_up_targets(content, reports)
    plan_doc = uow.documents.get(plan.document_id)
    title = review_title(action, period.label, plan_doc.reference, plan_doc.issued_on, content.title)
    build = partial(review_document, title=title, rollups=rollups, reported=[u for u in units if u in reports],
                    missing=[u for u in units if u not in reports],
                    notes={u: r.note for u, r in reports.items() if r.note},
                    unit_figures={u: dict(reports[u].figures) if u in reports else {} for u in units},
                    period_label=period.label)
    return title, build


def request_facts(uow, plan, period) -> dict[str, Any]:
    """What the request for reports cites: the plan's number and date, the period, the plan's id."""
    plan_doc = uow.documents.get(plan.document_id)
    return dict(plan_reference=plan_doc.reference, plan_issued_on=plan_doc.issued_on, period=period, plan_id=plan.id)


# --- the scheduled follow-up: opening periods, reminders before the deadline, overdue lists after it ---

def plans_due_for_period(*, uow, period_key: str) -> list[int]:
    """Distributed plans with units to report that have not opened the period `period_key` yet, or whose
    request for it still lacks some unit's copy (a run cut short)."""
    return [p.id for p in uow.plans.all()
            if p.state == State.DISTRIBUTED and PlanContent.from_dict(p.content).executing_units()
            and (uow.periods.get(p.id, period_key) is None or request_incomplete(uow, p.id, period_key))]


def open_period_unless_open(*, uow, plan_id: int, period: Period, actor: str, now: datetime, id_domain: str,
                            render: Renderer, on_progress: Progress = _no_progress) -> int | None:
    """Open the period as `open_period` does, unless it is fully open already (then None): a scheduled run
    that is retried, or two runs at once, open each plan's period once; one cut short is completed."""
    if uow.periods.get(plan_id, period.key) is not None and not request_incomplete(uow, plan_id, period.key):
        return None
    return open_period(uow=uow, plan_id=plan_id, period=period, actor=actor, now=now, id_domain=id_domain,
                       render=render, on_progress=on_progress)


def open_request_unless_open(*, uow, plan_id: int, period: Period, actor: str, now: datetime,
                             render: Renderer) -> dict[str, Any] | None:
    """`open_request`, unless the period is fully open already (then None); see `open_period_unless_open`."""
    if uow.periods.get(plan_id, period.key) is not None and not request_incomplete(uow, plan_id, period.key):
        return None
    return open_request(uow=uow, plan_id=plan_id, period=period, actor=actor, now=now, render=render)


def plan_period(*, uow, plan_id: int, today: date, deadline_days: int, calendar: WorkCalendar = VIETNAM,
                period_key: str | None = None, start: date | None = None, end: date | None = None,
                deadline: date | None = None, label: str | None = None) -> Period:
    """The period a plan opens: an ad-hoc one from its own dates (and label), else the one `period_key` names,
    else the quarter holding `today`; keyed periods follow the issuer's cut-offs (NĐ 09/2019 for state
    bodies, the plan's `reporting: cut_off` for Party bodies) and end `deadline_days` working days later."""
    plan = get_plan(uow, plan_id)
    if start or end or deadline:
        if not (start and end and deadline):
            raise DomainError("period_ad_hoc_incomplete")
        return ad_hoc(start, end, deadline, label, cal=calendar)
    content = PlanContent.from_dict(plan.content)
    issuer = uow.bodies.get(content.issuer)
    cut_off = plan_cut_off(issuer.regime if issuer else "state", content)
    if period_key:
        return parse_period_key(period_key, deadline_days=deadline_days, cal=calendar, cut_off=cut_off)
    return quarter_containing(today, deadline_days=deadline_days, cal=calendar, cut_off=cut_off)


def open_plan_period(*, uow, plan_id: int, actor: str, now: datetime, id_domain: str, render: Renderer,
                     deadline_days: int, calendar: WorkCalendar = VIETNAM, period_key: str | None = None,
                     start: date | None = None, end: date | None = None, deadline: date | None = None,
                     label: str | None = None, on_progress: Progress = _no_progress, run: str | None = None) -> int:
    """`open_period` for the period `plan_period` resolves (a key, ad-hoc dates, or the current quarter)."""
    period = plan_period(uow=uow, plan_id=plan_id, today=local_date(now), deadline_days=deadline_days,
                         calendar=calendar, period_key=period_key, start=start, end=end, deadline=deadline, label=label)
    return open_period(uow=uow, plan_id=plan_id, period=period, actor=actor, now=now, id_domain=id_domain,
                       render=render, on_progress=on_progress, run=run)


def open_plan_request(*, uow, plan_id: int, actor: str, now: datetime, render: Renderer, deadline_days: int,
                      calendar: WorkCalendar = VIETNAM, period_key: str | None = None, start: date | None = None,
                      end: date | None = None, deadline: date | None = None, label: str | None = None,
                      run: str | None = None) -> dict[str, Any]:
    """`open_request` for the period `plan_period` resolves (a key, ad-hoc dates, or the current quarter)."""
    period = plan_period(uow=uow, plan_id=plan_id, today=local_date(now), deadline_days=deadline_days,
                         calendar=calendar, period_key=period_key, start=start, end=end, deadline=deadline, label=label)
    return open_request(uow=uow, plan_id=plan_id, period=period, actor=actor, now=now, render=render, run=run)


def due_periods(*, uow, today: date, deadline_days: int, calendar: WorkCalendar = VIETNAM,
                period_key: str | None = None) -> list[tuple[int, str]]:
    """(plan, period key) of every period due to open on `today` and not open yet, for each distributed plan
    with units to report: the kinds it declares (`reporting:`, quarters by default) on their opening days
    (`periods_due`), or only `period_key` when one is named (for the plans that report on its kind)."""
    due = []
    for plan in uow.plans.all():
        content = PlanContent.from_dict(plan.content)
        if plan.state != State.DISTRIBUTED or not content.executing_units():
            continue
        kinds = plan_kinds(content)
        if period_key:
            keys = [period_key] if period_kind(period_key) in kinds else []
        else:
            issuer = uow.bodies.get(content.issuer)
            keys = [p.key for p in periods_due(today, kinds, deadline_days=deadline_days, cal=calendar,
                                               cut_off=plan_cut_off(issuer.regime if issuer else "state", content))]
        due += [(plan.id, key) for key in keys if uow.periods.get(plan.id, key) is None]
        due += [(plan.id, p.key) for p in _open_periods(uow, plan)
                if (period_key is None or p.key == period_key) and (plan.id, p.key) not in due
                and request_incomplete(uow, plan.id, p.key)]  # a run cut short
    return due


def open_due_period(*, uow, plan_id: int, period_key: str, actor: str, now: datetime, id_domain: str,
                    render: Renderer, deadline_days: int, calendar: WorkCalendar = VIETNAM,
                    on_progress: Progress = _no_progress) -> int | None:
    """Open the plan's period `period_key` unless it is open already (then None), as the scheduled run does."""
    period = plan_period(uow=uow, plan_id=plan_id, today=local_date(now), deadline_days=deadline_days,
                         calendar=calendar, period_key=period_key)
    return open_period_unless_open(uow=uow, plan_id=plan_id, period=period, actor=actor, now=now,
                                   id_domain=id_domain, render=render, on_progress=on_progress)


def open_due_request(*, uow, plan_id: int, period_key: str, actor: str, now: datetime, render: Renderer,
                     deadline_days: int, calendar: WorkCalendar = VIETNAM) -> dict[str, Any] | None:
    """`open_request` for the plan's period `period_key` unless it is fully open already (then None), as the
    scheduled run does."""
    period = plan_period(uow=uow, plan_id=plan_id, today=local_date(now), deadline_days=deadline_days,
                         calendar=calendar, period_key=period_key)
    return open_request_unless_open(uow=uow, plan_id=plan_id, period=period, actor=actor, now=now, render=render)


def plans_with_open_period(*, uow) -> list[int]:
    """Plans being reported on: distributed, with an open period."""
    return [p.id for p in uow.plans.all()
            if p.state == State.DISTRIBUTED and uow.periods.latest_open(p.id) is not None]


def _open_periods(uow, plan) -> list:
    return [p for p in uow.periods.for_plan(plan.id) if p.status == "open"]


def remind_before_deadline(*, uow, plan_id: int, now: datetime, id_domain: str, days_before: int,
                           actor: str = SYSTEM, calendar: WorkCalendar = VIETNAM) -> int:
    """The daily reminder: from `days_before` working days before an open period's deadline through the
    deadline, remind the units that have not reported, once a day; returns how many were queued."""
    plan = get_plan(uow, plan_id)
    queued = 0
    for period in _open_periods(uow, plan):
        if follow_up_step(local_date(now), period.deadline, remind_days_before=days_before, cal=calendar) != REMIND:
            continue
        key = reminder_key(period.key, now)
        if not missing_units(uow, plan, period) or any(
                r.kind == "reminder" and r.period_key == key for r in uow.outbox.for_plan(plan.id)):
            continue
        queued += remind_missing(uow=uow, plan_id=plan.id, actor=actor, now=now, id_domain=id_domain,
                                 period_key=period.key)
    return queued


def late_heads(uow, late: list[str]) -> dict[str, list[str]]:
    """The heads (thủ trưởng) of the late units who have an address: user id -> the late units they head."""
    heads: dict[str, list[str]] = {}
    for unit in late:
        body = uow.bodies.get(unit)
        person = uow.users.get(body.head) if body and body.head else None
        if person is not None and person.email:
            heads.setdefault(person.id, []).append(unit)
    return heads


def follow_up_overdue(*, uow, plan_id: int, now: datetime, id_domain: str, overdue_days: int = 10,
                      actor: str = SYSTEM, calendar: WorkCalendar = VIETNAM) -> int:
    """On each of the `overdue_days` working days after an open period's deadline, queue one overdue list
    to the plan's advisory bodies, to each late unit and to each late unit's head (the `head` of the body
    in the organisation file, when that person has an address); returns how many were queued.

    One transaction, with an audit event per period that keeps the list as it stood that day; a
    second run the same day queues nothing.
    """
    plan = get_plan(uow, plan_id)
    content = PlanContent.from_dict(plan.content)
    today = local_date(now)
    day = today.isoformat()

    def has_mail(body_id: str) -> bool:
        body = uow.bodies.get(body_id)
        return bool(body and body.email)

    queued = 0
    for period in _open_periods(uow, plan):
        if follow_up_step(today, period.deadline, remind_days_before=0, overdue_days=overdue_days,
                          cal=calendar) != OVERDUE_STEP:
            continue
        late = missing_units(uow, plan, period)
        if not late or any(e.action == "follow_up" and e.data.get("period") == period.key
                           and e.data.get("day") == day for e in uow.audit.events(plan.id)):
            continue
        advisory = advisory_bodies(content, has_mail)
        recipients = overdue_recipients(advisory, late, has_mail)
        heads = late_heads(uow, late)
        apply(uow=uow, plan=plan, action="follow_up", actor=actor, now=now,
              data={"period": period.key, "day": day, "deadline": period.deadline.isoformat(), "units": late,
                    "advisory": advisory, "recipients": recipients, "heads": heads,
                    "days_late": calendar.working_days_between(period.deadline, today)})
        people = [uow.bodies.get(b) for b in recipients] + [uow.users.get(h) for h in heads]
        queued += sum(queue(uow, plan=plan, recipient=p, kind=OVERDUE, now=now, id_domain=id_domain,
                            period_key=reminder_key(period.key, now), document_id=plan.document_id) for p in people)
    uow.commit()
    return queued
