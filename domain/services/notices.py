"""The workflow's notices ("thư báo"): queued in the outbox with the decision that causes them,
composed into a message when the outbox is delivered (see domain/model/notices.py for who is told)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.model.audit import Event
from domain.model.mail import Attachment, OutgoingMail
from domain.model.notices import DECISION_NOTICES, OVERDUE, decision_key, event_id_of, told
from domain.model.plan import PlanContent
from domain.model.reporting import working_days_late
from domain.services.delivery import base_context, period_context, queue, subject_context, unit_form

SYSTEM_SENDER = "Hệ thống quản lý kế hoạch"


def queue_decision_notices(*, uow, plan, event: Event, now: datetime, id_domain: str, review=None) -> int:
    """Queue the notices of a recorded decision in the caller's transaction; returns how many.

    With `review`, the decision is on the plan's sơ kết / tổng kết report (the event names it)."""
    kind, audience = DECISION_NOTICES[event.action]
    people = told(_audience(uow, plan, audience, review), event.actor)
    subject = review if review is not None else plan
    document_id = subject.document_id if kind == "issued" else None
    return sum(queue(uow, plan=plan, recipient=person, kind=kind, now=now, id_domain=id_domain,
                     period_key=decision_key(event.id), document_id=document_id) for person in people)


def _audience(uow, plan, audience: str, review=None) -> list:
    content = PlanContent.from_dict(plan.content)
    if audience == "approvers":
        return uow.users.with_role(plan.issuer_id, "approver")
    if audience == "clerks":
        return uow.users.with_role(plan.issuer_id, "clerk")
    if audience == "signer":
        return [uow.users.get(content.signer.user)] if content.signer else []
    return [uow.users.get(_drafter(uow, plan, review))]


def _drafter(uow, plan, review=None) -> str:
    """Who last submitted the plan or its report (else who created it): the one a return or rejection
    concerns."""
    review_id = review.id if review is not None else None
    submitted = [e.actor for e in uow.audit.events(plan.id)
                 if e.action in ("submit", "resubmit") and e.data.get("review") == review_id]
    return submitted[-1] if submitted else (review or plan).created_by


# --- composing ---------------------------------------------------------------------------------

def compose_notice(*, uow, row) -> OutgoingMail:
    """The message a notice row stands for, as data (the row is pending: delivery.compose checked)."""
    plan = uow.plans.get(row.plan_id)
    content = PlanContent.from_dict(plan.content)
    issuer = uow.bodies.get(plan.issuer_id)
    if row.recipient_type == "user":
        person = uow.users.get(row.recipient_id)
        to_name, recipient_name = person.full_name, f"đồng chí {person.full_name}"
    else:
        to_name = recipient_name = uow.bodies.get(row.recipient_id).name
    context: dict[str, Any] = {
        "recipient_name": recipient_name, "recipient_id": row.recipient_id, "plan_id": plan.id,
        "plan_title": content.title, "issuer_name": issuer.name, "sender_office": f"{SYSTEM_SENDER} — {issuer.name}",
    }
    attachments: tuple[Attachment, ...] = ()
    context.update(subject_context(plan, content))
    if row.kind == OVERDUE:
        overdue, attachments = overdue_context(uow, plan, content, row)
        context.update(overdue)
    else:
        context.update(decision_context(uow, plan, row))
        if context["review_id"] is not None:
            context.update(subject_context(plan, content, uow.reviews.get(context["review_id"])))
    if row.kind == "issued":
        document = uow.documents.get(row.document_id)
        context.update(issued_context(uow, content, document))
        attachments = (Attachment(document.file_name, document.content),)
    return OutgoingMail(kind=row.kind, to_email=row.email, to_name=to_name, message_id=row.message_id,
                        context=context, attachments=attachments)


def decision_context(uow, plan, row) -> dict[str, Any]:
    """Who decided what and when, and the reason (a return, a rejection)."""
    event_id = event_id_of(row.period_key)
    event = next(e for e in uow.audit.events(plan.id) if e.id == event_id)
    actor = uow.users.get(event.actor)
    return {
        "action": event.action,
        "actor_name": actor.full_name if actor else event.actor,
        "decided_at": _when(datetime.fromisoformat(event.at)),
        "reason": event.data.get("reason", ""),
        "version": event.data.get("version", plan.version),
        "review_id": event.data.get("review"),
    }


def issued_context(uow, content: PlanContent, document) -> dict[str, Any]:
    """The register entry of the issued plan, and the recipients the clerk must send to by other means."""
    return {
        "plan_reference": document.reference,
        "issued_on": f"{document.issued_on:%d/%m/%Y}",
        "file_name": document.file_name,
        "sha256": document.sha256,
        "without_address": [r.line() for r in content.recipients
                            if not (r.body and uow.bodies.get(r.body) and uow.bodies.get(r.body).email)],
    }


def overdue_context(uow, plan, content: PlanContent, row) -> tuple[dict[str, Any], tuple[Attachment, ...]]:
    """The plan, the period, the units late on the row's day (as the follow-up recorded them) and, for a
    late unit (or its head), its own tasks and targets, and its own form again, attached as first sent
    with the request for reports (as the reminder attaches it)."""
    document = uow.documents.get(plan.document_id)
    context = base_context(uow, plan, content, document, "")
    del context["recipient_name"]
    period_key, _, day = row.period_key.partition("@")
    facts = next(e.data for e in uow.audit.events(plan.id)
                 if e.action == "follow_up" and e.data.get("period") == period_key and e.data.get("day") == day)
    headed = facts.get("heads", {}).get(row.recipient_id, []) if row.recipient_type == "user" else []
    context.update(period_context(uow, plan, content, headed[0] if headed else row.recipient_id, row.period_key))
    context["head_of"] = ", ".join(uow.bodies.get(u).name for u in headed)
    period = uow.periods.get(plan.id, period_key)
    context.update(
        late_units=[{"id": u, "name": uow.bodies.get(u).name, "has_mail": bool(uow.bodies.get(u).email)}
                    for u in facts["units"]],
        is_late=row.recipient_id in facts["units"] or bool(headed),
        is_advisory=row.recipient_id in facts["advisory"],
        days_late=facts.get("days_late", working_days_late(period.deadline, date.fromisoformat(day))),
    )
    own = headed or ([row.recipient_id] if row.recipient_id in facts["units"] else [])
    forms = [(u, form) for u in own if (form := unit_form(uow, plan.id, u, period_key)) is not None]
    context["forms"] = [{"unit_name": uow.bodies.get(u).name, "own": not headed, "letter_reference": sent.reference,
                         "letter_issued_on": f"{sent.issued_on:%d/%m/%Y}", "file": copy.file_name}
                        for u, (sent, copy) in forms]
    return context, tuple(Attachment(copy.file_name, copy.content) for _, (_, copy) in forms)


def _when(at: datetime) -> str:
    return f"{at:%H:%M} ngày {at:%d/%m/%Y}"
