"""The sơ kết / tổng kết report ("báo cáo sơ kết, tổng kết") of a plan, as a document with a life of its own.

Drafted from the roll-up of the units' latest reports (`draft_review`, the plan's "review" action), it
then goes the way a plan goes, by the same table's rules (REVIEW_TRANSITIONS) through the same
`apply`: submit, approve / return / reject, drafted again from the latest figures while it is a draft
or returned (`redraft_review`), signed by the plan's signer, who draws its number from the issuing
body's register (BC), then distributed to the plan's recipients. Its notices go through the outbox
like a plan's. Issuing the tổng kết ends the plan ("close") and its period.
"""
from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from domain.messages import DomainError, message
from domain.model.plan import PlanContent
from domain.model.reporting import period_last_due, roll_up_targets
from domain.model.review import KINDS, document_of, met_count, review_title, snapshot
from domain.model.workflow import STATE_NAMES, State
from domain.services.delivery import ask_receipt, queue_row
from domain.services.plans import (ID_DOMAIN, DECISIONS, Renderer, document_facts, issue_document,
                                   recipients_with_mail, registered_in_run, run_mark)
from domain.services.workflow import apply, check, get_plan, record

DONE = (State.ISSUED, State.DISTRIBUTED)
SET_ASIDE = (State.REJECTED, State.WITHDRAWN)  # a report not approved, or withdrawn: the period may be reviewed anew


def get_review(uow, review_id: int):
    review = uow.reviews.get(review_id)
    if review is None:
        raise DomainError("unknown_review", review=review_id)
    return review


def _period(uow, plan, period_key: str | None, now: datetime):
    """The period named, else the open one whose deadline passed last (see `period_last_due`)."""
    if period_key:
        period = uow.periods.get(plan.id, period_key)
    else:
        period = period_last_due([p for p in uow.periods.for_plan(plan.id) if p.status == "open"], now.date())
    if period is None:
        raise DomainError("no_open_period", plan=plan.id, period=period_key or "hiện tại")
    return period


def roll_up_period(uow, plan, period, kind: str) -> dict[str, Any]:
    """The review's snapshot: each target rolled up over its units' latest reports of the period, and what
    the units wrote against their tasks in them."""
    content = PlanContent.from_dict(plan.content)
    reports = uow.reports.latest(period.id)
    if not reports:
        raise DomainError("no_reports", plan=plan.id, period=period.label)
    units = content.executing_units()
    rollups = roll_up_targets(content, reports)
    plan_doc = uow.documents.get(plan.document_id)
    return snapshot(
        title=review_title(kind, period.label, plan_doc.reference, plan_doc.issued_on, content.title),
        kind=kind, period_key=period.key, period_label=period.label, rollups=rollups,
        reported=[u for u in units if u in reports], missing=[u for u in units if u not in reports],
        notes={u: r.note for u, r in reports.items() if r.note},
        unit_figures={u: dict(reports[u].figures) if u in reports else {} for u in units},
        lower=lower_summaries(uow, plan), task_texts=task_texts(content, reports))


def task_texts(content: PlanContent, reports: dict[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """What each unit wrote against its own tasks in its latest report (result, difficulties), by unit in the
    plan's order, then task; units and tasks with nothing written are left out."""
    said = {}
    for unit in content.executing_units():
        written = ((reports[unit].texts or {}).get("tasks", {})) if unit in reports else {}
        mine = {t.ref: {k: v for k, v in written[t.ref].items() if k in ("result", "issues") and (v or "").strip()}
                for t in content.tasks_for(unit) if t.ref in written}
        mine = {ref: texts for ref, texts in mine.items() if texts}
        if mine:
            said[unit] = mine
    return said


def lower_summaries(uow, plan) -> list[dict[str, Any]]:
    """What the plans implementing `plan` have reported in their own reviews (see domain/services/links)."""
    from domain.services.links import lower_summaries as summaries  # links reads reviews' snapshots

    return summaries(uow=uow, plan_id=plan.id)


def draft_review(*, uow, plan_id: int, actor: str, now: datetime, final: bool = False,
                 period_key: str | None = None, run: str | None = None) -> int:
    """Draft the sơ kết (or, `final`, the tổng kết) report of a period from the roll-up; returns its id.

    A period has one report of each kind unless it was rejected or withdrawn: a second is refused, naming the first
    and what to do. The same orchestration `run`, retried, gets the report it drafted.
    """
    plan = get_plan(uow, plan_id)
    if run:
        done = next((e.data for e in uow.audit.events(plan.id) if e.action == "review" and e.data.get("run") == run),
                    None)
        if done is not None:
            return done["review"]
    kind = "close" if final else "review"
    check(uow=uow, plan=plan, action="review", actor=actor)  # a closed plan, a unit's reporter: refused first
    period = _period(uow, plan, period_key, now)
    for other in uow.reviews.for_plan(plan.id):
        if other.period_key == period.key and other.kind == kind and other.state not in SET_ASIDE:
            hint = message("review_exists_hint_done" if other.state in DONE else "review_exists_hint_draft",
                           review=other.id)
            raise DomainError("review_exists", kind=KINDS[kind], period=period.label, plan=plan.id, review=other.id,
                              state=STATE_NAMES[State(other.state)], hint=hint)
    snap = roll_up_period(uow, plan, period, kind)
    review = uow.reviews.add(plan_id=plan.id, period_key=period.key, kind=kind, state=State.DRAFT.value, version=1,
                             snapshot=snap, created_by=actor, created_at=now, updated_at=now)
    apply(uow=uow, plan=plan, action="review", actor=actor, now=now,
          data={"review": review.id, "kind": kind, "period": period.key, "title": snap["title"], **run_mark(run)})
    uow.commit()
    return review.id


def redraft_review(*, uow, review_id: int, actor: str, now: datetime) -> int:
    """Draft the report again from the latest reports (a draft or a returned one); returns its new version."""
    review = get_review(uow, review_id)
    plan = get_plan(uow, review.plan_id)
    apply(uow=uow, plan=plan, review=review, action="edit", actor=actor, now=now,
          data={"version": review.version + 1})
    period = uow.periods.get(plan.id, review.period_key)
    review.snapshot = roll_up_period(uow, plan, period, review.kind)
    review.version += 1
    uow.commit()
    return review.version


def decide_review(*, uow, review_id: int, action: str, actor: str, now: datetime, reason: str | None = None,
                  id_domain: str = ID_DOMAIN) -> str:
    """Record a decision on the report (submit, approve, return, resubmit, reject) with its notices, as
    `plans.decide` does for a plan; returns the report's new state."""
    from domain.services.notices import queue_decision_notices  # notices -> delivery -> plans

    if action not in DECISIONS:
        raise ValueError(action)
    review = get_review(uow, review_id)
    plan = get_plan(uow, review.plan_id)
    event = apply(uow=uow, plan=plan, review=review, action=action, actor=actor, now=now, reason=reason,
                  data={"version": review.version})
    queue_decision_notices(uow=uow, plan=plan, event=event, now=now, id_domain=id_domain, review=review)
    uow.commit()
    return review.state


def issue_review(*, uow, review_id: int, actor: str, now: datetime, render: Renderer, id_domain: str = ID_DOMAIN,
                 run: str | None = None) -> int:
    """Sign the approved report: the next number of the issuer's register (BC), the date, the .docx and its
    SHA-256, as drafted and approved; returns the document id.

    One transaction: the number, the file, the report's state, the audit events and the notice to the
    clerks; a tổng kết also ends the plan ("close", by the same signer) and its period. The same `run`,
    retried after a later step failed, gets the document it issued.
    """
    from domain.services.notices import queue_decision_notices  # notices -> delivery -> plans

    review = get_review(uow, review_id)
    plan = get_plan(uow, review.plan_id)
    done = registered_in_run(uow, plan.id, run)
    if done is not None:
        return done["document_id"]
    if review.state in DONE:
        doc = uow.documents.get(review.document_id)
        raise DomainError("review_already_issued", review=review.id, number=doc.reference,
                          date=f"{doc.issued_on:%d/%m/%Y}")
    content = PlanContent.from_dict(plan.content)
    event = apply(uow=uow, plan=plan, review=review, action="issue", actor=actor, now=now)  # before a number
    if review.kind == "close":
        apply(uow=uow, plan=plan, action="close", actor=actor, now=now,
              data={"review": review.id, "period": review.period_key})
    snap = review.snapshot
    doc = issue_document(uow=uow, plan_id=plan.id, kind=review.kind, content=content, actor=actor, now=now,
                         render=render, build=partial(document_of, snap), doc_type="BÁO CÁO", subject=snap["title"],
                         signer=content.signer.user if content.signer else actor,
                         facts={"period": review.period_key, "review": review.id})
    review.document_id = doc.id
    if review.kind == "close":
        period = uow.periods.get(plan.id, review.period_key)
        if period is not None:
            period.status = "closed"
    record(uow=uow, actor=actor, action="register", now=now, plan_id=plan.id,
           data={**document_facts(doc), **run_mark(run), "review": review.id})
    queue_decision_notices(uow=uow, plan=plan, event=event, now=now, id_domain=id_domain, review=review)
    uow.commit()
    return doc.id


def distribute_review(*, uow, review_id: int, actor: str, now: datetime, id_domain: str) -> int:
    """Queue the issued report for every recipient body of the plan with an address, each message asking
    for a receipt; returns how many were queued (none twice: the outbox key names the report's document)."""
    review = get_review(uow, review_id)
    plan = get_plan(uow, review.plan_id)
    content = PlanContent.from_dict(plan.content)
    targets = recipients_with_mail(uow, content)
    apply(uow=uow, plan=plan, review=review, action="distribute", actor=actor, now=now,
          data={"recipients": [b.id for _, b in targets]})  # authorised first: the report is issued
    new_rows = [row for _, body in targets
                if (row := queue_row(uow, plan=plan, recipient=body, kind="distribution", now=now,
                                     id_domain=id_domain, document_id=review.document_id)) is not None]
    for row in new_rows:
        ask_receipt(uow, row=row, now=now)
    uow.commit()
    return len(new_rows)


def draft_document(*, uow, review_id: int):
    """The report as it would print now, unnumbered (to read before approving)."""
    review = get_review(uow, review_id)
    plan = get_plan(uow, review.plan_id)
    content = PlanContent.from_dict(plan.content)
    names = {b.id: b.name for b in uow.bodies.all()}
    return document_of(review.snapshot, content=content, issuer=uow.bodies.get(plan.issuer_id), names=names,
                       number=None, issued_on=None)


def review_summary(uow, review) -> dict[str, Any]:
    """What `review list` and `review show` print of a report."""
    doc = uow.documents.get(review.document_id) if review.document_id else None
    met, not_met, missing = met_count(review.snapshot)
    return {"id": review.id, "plan_id": review.plan_id, "kind": KINDS[review.kind], "period": review.period_key,
            "period_label": review.snapshot["period_label"], "title": review.snapshot["title"],
            "state": STATE_NAMES[State(review.state)], "version": review.version,
            "reference": doc.reference if doc else "", "issued_on": doc.issued_on if doc else None,
            "file_name": doc.file_name if doc else "", "met": met, "not_met": not_met, "no_result": missing}


def list_reviews(*, uow, plan_id: int | None = None) -> list[dict[str, Any]]:
    """Every sơ kết / tổng kết report, of one plan or of all."""
    if plan_id is not None:
        get_plan(uow, plan_id)
    rows = uow.reviews.for_plan(plan_id) if plan_id is not None else uow.reviews.all()
    return [review_summary(uow, r) for r in rows]
