"""Distribution ("phát hành") and the outbox: queue messages with the change that causes them,
then deliver pending rows over one connection, marking each sent or failed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Protocol

from domain.model.documents import office_title
from domain.model.mail import (Attachment, OutgoingMail, PermanentMailError, TransientMailError,
                               message_id)
from domain.model.notices import NOTICE_KINDS
from domain.model.org import User
from domain.model.plan import PlanContent
from domain.model.reporting import format_figure
from domain.services.plans import recipients_with_mail
from domain.services.workflow import apply, get_plan, record


class Sender(Protocol):
    def send(self, *, mail_from: str, to: str, message: bytes) -> None: ...


def queue(uow, *, plan, recipient, kind: str, now: datetime, id_domain: str, period_key: str = "",
          document_id: int | None = None) -> bool:
    """One outbox row per (plan, recipient, kind, period); False when it was already queued.

    `recipient` is a body or, for the approval notices, a `User`: anything with an id and an e-mail.
    """
    return uow.outbox.add_once(
        plan_id=plan.id, document_id=document_id, recipient_id=recipient.id, email=recipient.email, kind=kind,
        recipient_type="user" if isinstance(recipient, User) else "body", period_key=period_key, created_at=now,
        message_id=message_id(plan_id=plan.id, recipient=recipient.id, kind=kind, period_key=period_key,
                              domain=id_domain))


def distribute_plan(*, uow, plan_id: int, actor: str, now: datetime, id_domain: str) -> int:
    """Queue the issued plan for every recipient body with an address; returns how many were queued."""
    plan = get_plan(uow, plan_id)
    content = PlanContent.from_dict(plan.content)
    targets = recipients_with_mail(uow, content)
    queued = sum(queue(uow, plan=plan, recipient=body, kind="distribution", now=now, id_domain=id_domain,
                       document_id=plan.document_id) for _, body in targets)
    apply(uow=uow, plan=plan, action="distribute", actor=actor, now=now,
          data={"queued": queued, "recipients": [b.id for _, b in targets],
                "without_address": [r.line() for r in content.recipients
                                    if not (r.body and uow.bodies.get(r.body).email)]})
    uow.commit()
    return queued


def pending(*, uow, plan_id: int | None = None) -> list[int]:
    return uow.outbox.pending_ids(plan_id)


def compose(*, uow, outbox_id: int) -> OutgoingMail | None:
    """The message an outbox row stands for, as data; None if it is no longer pending."""
    row = uow.outbox.get(outbox_id)
    if row is None or row.status != "pending":
        return None
    if row.kind in NOTICE_KINDS:  # the workflow's own notices (approvals, issue, overdue): see notices.py
        from domain.services.notices import compose_notice  # notices queues through this module

        return compose_notice(uow=uow, row=row)
    plan = uow.plans.get(row.plan_id)
    content = PlanContent.from_dict(plan.content)
    recipient = uow.bodies.get(row.recipient_id)
    document = uow.documents.get(plan.document_id)
    context = base_context(uow, plan, content, document, recipient.name)
    attachments: tuple[Attachment, ...] = ()
    if row.kind == "distribution":
        attachments = (Attachment(document.file_name, document.content),)
    else:
        context.update(period_context(uow, plan, content, row.recipient_id, row.period_key))
    if row.kind == "report_request":
        letter = unit_letter(uow, row)
        if letter is not None:
            sent, copy = letter
            context.update(letter_reference=sent.reference, letter_issued_on=f"{sent.issued_on:%d/%m/%Y}",
                           letter_file=copy.file_name)
            attachments = (Attachment(copy.file_name, copy.content),)
    return OutgoingMail(kind=row.kind, to_email=row.email, to_name=recipient.name,
                        message_id=row.message_id, context=context, attachments=attachments)


def unit_letter(uow, row):
    """(the công văn, the recipient's copy of it) an outbox row sends; None if it sends no copy.

    The row names the document and the recipient, and the copy is stored once with its bytes, so a
    resend after a crash attaches exactly the file first sent (and recorded in the audit trail).
    """
    if row.document_id is None:
        return None
    copy = uow.document_copies.get(row.document_id, row.recipient_id)
    return None if copy is None else (uow.documents.get(row.document_id), copy)


def base_context(uow, plan, content: PlanContent, document, recipient_name: str) -> dict[str, Any]:
    issuer = uow.bodies.get(plan.issuer_id)
    signer = content.signer
    return {
        "recipient_name": recipient_name,
        "issuer_name": issuer.name,
        "plan_reference": document.reference,
        "plan_title": content.title,
        "issued_on": f"{document.issued_on:%d/%m/%Y}",
        "signer": f"{office_title(signer.title)} {signer.name}" if signer else "",
        "sender_office": issuer.name,
    }


def period_context(uow, plan, content: PlanContent, unit: str, period_key: str) -> dict[str, Any]:
    """What a unit must report for a period: its own tasks and targets, the dates."""
    period = uow.periods.get(plan.id, period_key.split("@")[0])
    return {
        "period_label": period.label,
        "period_start": f"{period.start:%d/%m/%Y}",
        "period_end": f"{period.end:%d/%m/%Y}",
        "deadline": f"{period.deadline:%d/%m/%Y}",
        "targets": [{"id": t.id, "text": t.text, "unit": t.unit,
                     "value": None if t.value is None else format_figure(t.value)} for t in content.targets_for(unit)],
        "tasks": [{"ref": t.ref, "text": t.text, "timeframe": t.timeframe} for t in content.tasks_for(unit)],
        "command_hint": f"kehoach report submit {plan.id} --unit {unit} --period {period_key} --file <tệp>",
    }


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def deliver(*, uow_factory: Callable[[], Any], ids: list[int], sender: Sender,
            render: Callable[[OutgoingMail], bytes], mail_from: str, now: Callable[[], datetime],
            on_progress: Callable[[int], None] = lambda n: None) -> DeliveryResult:
    """Send each pending row over `sender` and record the outcome row by row.

    A transient failure stops the batch (the caller retries it later); rows already sent stay sent.
    """
    result = DeliveryResult()
    for outbox_id in ids:
        with uow_factory() as uow:
            mail = compose(uow=uow, outbox_id=outbox_id)
        if mail is None:
            result.skipped += 1
            on_progress(1)
            continue
        try:
            sender.send(mail_from=mail_from, to=mail.to_email, message=render(mail))
        except PermanentMailError as exc:
            with uow_factory() as uow:
                mark(uow=uow, outbox_id=outbox_id, now=now(), error=str(exc))
            result.failed += 1
        except TransientMailError as exc:
            with uow_factory() as uow:
                note_attempt(uow=uow, outbox_id=outbox_id, error=str(exc))
            raise
        else:
            with uow_factory() as uow:
                mark(uow=uow, outbox_id=outbox_id, now=now())
            result.sent += 1
        on_progress(1)
    return result


def mark(*, uow, outbox_id: int, now: datetime, error: str | None = None) -> None:
    """Record a row as sent (or as refused for good, with the server's words) and its audit event."""
    row = uow.outbox.get(outbox_id)
    row.attempts += 1
    row.status = "failed" if error else "sent"
    row.last_error = error
    row.sent_at = None if error else now
    record(uow=uow, actor="system", action="mail_failed" if error else "mail_sent", now=now, plan_id=row.plan_id,
           data={"outbox_id": row.id, "kind": row.kind, "recipient": row.recipient_id, "email": row.email,
                 "period": row.period_key, "message_id": row.message_id, **({"error": error} if error else {})})
    uow.commit()


def note_attempt(*, uow, outbox_id: int, error: str) -> None:
    row = uow.outbox.get(outbox_id)
    row.attempts += 1
    row.last_error = error
    uow.commit()
