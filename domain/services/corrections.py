"""Corrections ("đính chính"), replacements ("thay thế") and withdrawals ("thu hồi") of issued documents.

Nothing issued is edited or deleted: a correction is a new numbered document referring to the old
one, and every change of an issued document's standing is a `document_mark` row appended with its
audit event by `mark_document`, the one function that changes it. A withdrawn or replaced KẾ HOẠCH
also moves its plan (withdrawn / replaced) through `workflow.apply`, so reports on it stop.
"""
from __future__ import annotations

from datetime import datetime
from functools import partial

from domain.model import numbering
from domain.model.audit import Event
from domain.model.corrections import Correction, Original, correction_letter, correction_subject
from domain.model.plan import PlanContent
from domain.model.workflow import DOC_STATUS_NAMES, Context, DocStatus, authorize_document
from domain.services.plans import Renderer, document_facts, find_document, issue_document
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


def mark_document(*, uow, doc, action: str, actor: str, now: datetime, by=None, reason: str | None = None) -> Event:
    """Authorise `action` (correct, replace, withdraw) on an issued document, append its mark and audit event;
    a withdrawn or replaced KẾ HOẠCH moves its plan too. In the caller's transaction."""
    status, target = _authorize(uow, doc, action, actor, reason)
    data = {"document_id": doc.id, "reference": doc.reference, "status": target.value,
            "status_name": DOC_STATUS_NAMES[target]}
    if by is not None:
        data.update(by_document_id=by.id, by_reference=by.reference)
    if reason:
        data["reason"] = reason
    event = record(uow=uow, actor=actor, action=action, now=now, plan_id=doc.plan_id, from_state=status.value,
                   to_state=target.value, data=data)
    uow.documents.add_mark(document_id=doc.id, status=target.value, by_document_id=by.id if by is not None else None,
                           reason=reason, actor=actor, at=now, event_id=event.id)
    plan = get_plan(uow, doc.plan_id)
    if doc.kind == "plan" and plan.document_id == doc.id and action in ("withdraw", "replace"):
        apply(uow=uow, plan=plan, action=action, actor=actor, now=now, reason=reason,
              data={"document_id": doc.id, "reference": doc.reference,
                    **({"by_reference": by.reference} if by is not None else {})})
    return event


def correct_document(*, uow, reference: str, corrections: tuple[Correction, ...], actor: str, now: datetime,
                     render: Renderer) -> int:
    """Issue a công văn đính chính for the issued document `reference`; returns the new document's id.

    One transaction: the authorisation, the letter's own number and file, its register event, the
    mark on the old document and its audit event. The letter carries the original's signing block.
    """
    old = find_document(uow, reference)
    _authorize(uow, old, "correct", actor, None)  # before a number is drawn
    plan = get_plan(uow, old.plan_id)
    content = PlanContent.from_dict(plan.content)
    facts = {"corrections": [c.to_dict() for c in corrections]}
    letter = issue_document(uow=uow, plan_id=plan.id, kind="correction", content=content, actor=actor, now=now,
                            render=render, build=correction_builder(uow, old, content, corrections),
                            doc_type=numbering.LETTER, subject=correction_subject(_original(old)),
                            signer=content.signer.user if content.signer else actor, corrects=old,
                            correction="correct", facts=facts)
    record(uow=uow, actor=actor, action="register", now=now, plan_id=plan.id,
           data={**document_facts(letter), "corrects": old.reference, "corrections": facts["corrections"]})
    mark_document(uow=uow, doc=old, action="correct", actor=actor, now=now, by=letter)
    uow.commit()
    return letter.id


def withdraw_document(*, uow, reference: str, reason: str, actor: str, now: datetime) -> None:
    """Withdraw ("thu hồi") an issued document, with its reason; its number stays taken."""
    doc = find_document(uow, reference)
    mark_document(uow=uow, doc=doc, action="withdraw", actor=actor, now=now, reason=(reason or "").strip() or None)
    uow.commit()


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
