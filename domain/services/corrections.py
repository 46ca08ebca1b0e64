"""Corrections ("đính chính"), replacements ("thay thế") and withdrawals ("thu hồi") of issued documents.

Nothing issued is edited or deleted: a correction is a new numbered document referring to the old
one, and every change of an issued document's standing is a `document_mark` row appended with its
audit event by `mark_document`, the one function that changes it. A withdrawn or replaced KẾ HOẠCH
also moves its plan (withdrawn / replaced) through `workflow.apply`, so reports on it stop; a withdrawn
sơ kết / tổng kết BÁO CÁO moves its review to withdrawn the same way, so the period may be reviewed again. In the same
transaction every body the document was mailed to gets a message queued in the outbox: the correction
letter, the replacement plan, or the withdrawal and its reason (domain/model/corrections.py, MARK_NOTICES).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial

from domain.messages import DomainError, message
from domain.model import numbering
from domain.model.audit import Event
from domain.model.corrections import (MARK_NOTICE_KINDS, MARK_NOTICES, Correction, Original, correction_letter,
                                      correction_subject, notice_recipients)
from domain.model.mail import FAILED, PENDING, SENDING, SENT, STATUSES
from domain.model.plan import PlanContent, Signer
from domain.model.workflow import DOC_STATUS_NAMES, Context, DocStatus, authorize_document
from domain.services.delivery import queue
from domain.services.plans import (ID_DOMAIN, Renderer, document_facts, find_document, issue_document,
                                   recipients_with_mail)
from domain.services.workflow import apply, get_plan, record, require_user

ORIGINAL_ACTION = {"correct": "corrected", "replace": "replaced", "withdraw": "withdrawn"}


def document_status(uow, doc) -> DocStatus:
    """The standing of an issued document: its last mark, or issued."""
    marks = uow.documents.marks([doc.id]).get(doc.id, [])
    return DocStatus(marks[-1].status) if marks else DocStatus.ISSUED


def _authorize(uow, doc, action: str, actor: str, reason: str | None) -> tuple[DocStatus, DocStatus]:
    require_user(uow, actor)
    status = document_status(uow, doc)
    body = uow.bodies.get(doc.body_id)
    target = authorize_document(status=status, action=action, roles_held=uow.users.roles(actor, doc.body_id),
                                ctx=Context(actor=actor, reason=reason), reference=doc.reference, body_name=body.name)
    return status, target


def mark_document(*, uow, doc, action: str, actor: str, now: datetime, by=None, reason: str | None = None,
                  id_domain: str = ID_DOMAIN) -> Event:
    """Authorise `action` (correct, replace, withdraw) on an issued document, append its mark and audit event,
    and queue the message to each body the document was mailed to; a withdrawn or replaced KẾ HOẠCH moves its
    plan too. In the caller's transaction."""
    status, target = _authorize(uow, doc, action, actor, reason)
    data = {"document_id": doc.id, "reference": doc.reference, "status": target.value,
            "status_name": DOC_STATUS_NAMES[target]}
    if by is not None:
        data.update(by_document_id=by.id, by_reference=by.reference)
    if reason:
        data["reason"] = reason
    if action in ("withdraw", "replace"):
        data["unsent"] = cancel_unsent(uow, doc=doc, status=target)
    data["notified"] = queue_mark_notices(uow, doc=doc, action=action, by=by, now=now, id_domain=id_domain)
    event = record(uow=uow, actor=actor, action=action, now=now, plan_id=doc.plan_id, from_state=status.value,
                   to_state=target.value, data=data)
    uow.documents.add_mark(document_id=doc.id, status=target.value, by_document_id=by.id if by is not None else None,
                           reason=reason, actor=actor, at=now, event_id=event.id)
    plan = get_plan(uow, doc.plan_id)
    if doc.kind == "plan" and plan.document_id == doc.id and action in ("withdraw", "replace"):
        apply(uow=uow, plan=plan, action=action, actor=actor, now=now, reason=reason,
              data={"document_id": doc.id, "reference": doc.reference,
                    **({"by_reference": by.reference} if by is not None else {})})
    review = next((r for r in uow.reviews.for_plan(plan.id) if r.document_id == doc.id), None)
    if review is not None and action == "withdraw":  # the sơ kết / tổng kết report withdrawn with its BC
        apply(uow=uow, plan=plan, review=review, action=action, actor=actor, now=now, reason=reason,
              data={"document_id": doc.id, "reference": doc.reference})
    return event


def cancel_unsent(uow, *, doc, status: DocStatus) -> list[int]:
    """The messages still waiting to carry `doc` (withdrawn or replaced) are not sent: each pending row is
    marked failed with the reason, for staff to see (`kehoach mail list --failed`); returns their ids. A
    row being sent at this moment ("sending") may reach its recipient, who is then told like the others."""
    cancelled = []
    for row in uow.outbox.for_document(doc.id):
        if row.status == PENDING and row.kind not in MARK_NOTICE_KINDS:
            row.status = FAILED
            row.last_error = message("mail_cancelled", reference=doc.reference, status=DOC_STATUS_NAMES[status])
            cancelled.append(row.id)
    return cancelled


def queue_mark_notices(uow, *, doc, action: str, by, now: datetime, id_domain: str) -> list[str]:
    """Queue the message ("thư báo") of a correction, replacement or withdrawal of `doc` to every body it was
    mailed to, each once: keyed by the new document (the letter, the replacement plan) or, for a withdrawal,
    by `doc` itself, so nothing is queued twice. Returns the bodies queued.

    A correction goes to every row's recipient (a failed row may still be retried); a withdrawal only to those
    the document reached or may have reached (sent, or being sent), after `cancel_unsent`; a replacement to
    every body the old plan was addressed to, since it carries the plan they are to carry out."""
    kind = MARK_NOTICES[action]
    carried = by if by is not None else doc  # the document the message is about and attaches
    plan = get_plan(uow, carried.plan_id)
    reached = (SENT, SENDING) if action == "withdraw" else STATUSES
    received = [row.recipient_id for row in uow.outbox.for_document(doc.id)
                if row.recipient_type == "body" and row.status in reached]
    anyway = ([body.id for _, body in recipients_with_mail(uow, PlanContent.from_dict(plan.content))]
              if action == "replace" else [])
    queued = []
    for body_id in notice_recipients(received, receiving_anyway=anyway):
        body = uow.bodies.get(body_id)
        if body is not None and body.email and queue(uow, plan=plan, recipient=body, kind=kind, now=now,
                                                     id_domain=id_domain, document_id=carried.id):
            queued.append(body_id)
    return queued


def correct_document(*, uow, reference: str, corrections: tuple[Correction, ...], actor: str, now: datetime,
                     render: Renderer, id_domain: str = ID_DOMAIN, signer: str | None = None,
                     title: str | None = None, capacity: tuple[str, ...] = ()) -> int:
    """Issue a công văn đính chính for the issued document `reference`; returns the new document's id.

    One transaction: the authorisation, the letter's own number and file, its register event, the
    mark on the old document and its audit event. The letter is signed by `signer` (a user holding the
    signer role of the issuing body; by default whoever signed the original), with the original's signing
    block, or `title` and `capacity` when someone else signs.
    """
    old = find_document(uow, reference)
    _authorize(uow, old, "correct", actor, None)  # before a number is drawn
    plan = get_plan(uow, old.plan_id)
    content = PlanContent.from_dict(plan.content)
    block = letter_signer(uow, old, content, user=signer, title=title, capacity=capacity)
    content = replace(content, signer=block)
    facts = {"corrections": [c.to_dict() for c in corrections], "signer": signer_facts(block)}
    letter = issue_document(uow=uow, plan_id=plan.id, kind="correction", content=content, actor=actor, now=now,
                            render=render, build=correction_builder(uow, old, content, corrections),
                            doc_type=numbering.LETTER, subject=correction_subject(_original(old)),
                            signer=block.user, corrects=old, correction="correct", facts=facts)
    record(uow=uow, actor=actor, action="register", now=now, plan_id=plan.id,
           data={**document_facts(letter), "corrects": old.reference, "corrections": facts["corrections"]})
    mark_document(uow=uow, doc=old, action="correct", actor=actor, now=now, by=letter, id_domain=id_domain)
    uow.commit()
    return letter.id


def withdraw_document(*, uow, reference: str, reason: str, actor: str, now: datetime,
                      id_domain: str = ID_DOMAIN) -> int:
    """Withdraw ("thu hồi") an issued document, with its reason; its number stays taken. Each body it was
    mailed to is told, in the same transaction. Returns the plan the document belongs to."""
    doc = find_document(uow, reference)
    mark_document(uow=uow, doc=doc, action="withdraw", actor=actor, now=now, reason=(reason or "").strip() or None,
                  id_domain=id_domain)
    uow.commit()
    return doc.plan_id


def _original(doc) -> Original:
    return Original(reference=doc.reference, issued_on=doc.issued_on, doc_type=doc.doc_type, subject=doc.subject)


def correction_builder(uow, old, content: PlanContent, corrections: tuple[Correction, ...]):
    """Lays out the letter correcting `old`: addressed to those the original went to."""
    names = {b.id: b.name for b in uow.bodies.all()}
    if old.kind == "report_request":
        addressees = tuple(names.get(u, u) for u in content.executing_units())
    else:
        addressees = tuple(r.label for r in content.recipients if r.body)
    return partial(correction_letter, original=_original(old), corrections=corrections, addressees=addressees)


def original_signer(old, content: PlanContent) -> Signer | None:
    """The signing block the document `old` was issued with: a correction letter's own, else its plan's."""
    kept = (old.facts or {}).get("signer")
    if kept:
        return signer_from_facts(kept)
    return content.signer


def letter_signer(uow, old, content: PlanContent, *, user: str | None, title: str | None,
                  capacity: tuple[str, ...]) -> Signer:
    """Who signs the correction letter of `old`, with which block: `user` (default: the original's signer)
    must hold the signer role of the issuing body; someone other than the original's signer needs a title."""
    body = uow.bodies.get(old.body_id)
    original = original_signer(old, content)
    user = (user or "").strip() or old.signer_id
    person = uow.users.get(user)
    if person is None:
        raise DomainError("unknown_user", user=user)
    if "signer" not in uow.users.roles(user, body.id):
        signers = ", ".join(f"{u.id} ({u.full_name})" for u in uow.users.with_role(body.id, "signer")) or "chưa có ai"
        raise DomainError("correction_signer_no_role", user=user, body=body.name, reference=old.reference,
                          signers=signers)
    title = (title or "").strip()
    capacity = tuple(c.strip() for c in capacity if c.strip())
    if title:
        return Signer(user=user, title=title, capacity=capacity, name=person.full_name)
    if original is not None and original.user == user:
        return replace(original, capacity=capacity or original.capacity, name=person.full_name)
    signed_by = uow.users.get(old.signer_id)
    raise DomainError("correction_signer_title", user=user, reference=old.reference,
                      original=f"do {signed_by.full_name if signed_by else old.signer_id} ký")


def signer_facts(block: Signer) -> dict:
    """A signing block as a letter's facts keep it (to lay the letter out again)."""
    return {"user": block.user, "title": block.title, "capacity": list(block.capacity), "name": block.name}


def signer_from_facts(data: dict) -> Signer:
    return Signer(user=data["user"], title=data["title"], capacity=tuple(data.get("capacity", ())),
                  name=data.get("name", ""))
