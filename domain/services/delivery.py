"""Distribution ("phát hành") and the outbox: queue messages with the change that causes them,
then deliver pending rows over one connection, marking each sent or failed.

Delivery is at least once, with an idempotent Message-ID: see `deliver`.
"""
from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable, Protocol

from domain.model.corrections import MARK_NOTICE_KINDS, type_name
from domain.model.documents import office_title
from domain.messages import MESSAGES, DomainError, message
from domain.model.mail import (FAILED, PENDING, SENDABLE, SENDING, SENT, Attachment, Lease, OutgoingMail,
                               PermanentMailError, TransientMailError, message_id, read_receipt_code, receipt_code,
                               show_receipt_code)
from domain.model.notices import NOTICE_KINDS
from domain.model.org import User
from domain.model.plan import PlanContent
from domain.model.calendar import VIETNAM, WorkCalendar
from domain.model.reporting import format_figure
from domain.model.workflow import DOC_STATUS_NAMES, DocStatus
from domain.services.plans import recipients_with_mail
from domain.services.workflow import apply, get_plan, record, require_user


class Sender(Protocol):
    def send(self, *, mail_from: str, to: str, message: bytes,
             meanwhile: Callable[[], None] | None = None) -> None:
        """Send one message or raise Transient/PermanentMailError; call `meanwhile` (at most twice,
        perhaps never) while the server reads it."""


def queue(uow, *, plan, recipient, kind: str, now: datetime, id_domain: str, period_key: str = "",
          document_id: int | None = None) -> bool:
    """One outbox row per (plan, document, recipient, kind, period); False when it was already queued.

    `recipient` is a body or, for the approval notices, a `User`: anything with an id and an e-mail.
    """
    return queue_row(uow, plan=plan, recipient=recipient, kind=kind, now=now, id_domain=id_domain,
                     period_key=period_key, document_id=document_id) is not None


def queue_row(uow, *, plan, recipient, kind: str, now: datetime, id_domain: str, period_key: str = "",
              document_id: int | None = None):
    """`queue`, returning the new outbox row (None when it was already queued)."""
    return uow.outbox.add_once(
        plan_id=plan.id, document_id=document_id, recipient_id=recipient.id, email=recipient.email, kind=kind,
        recipient_type="user" if isinstance(recipient, User) else "body", period_key=period_key, created_at=now,
        message_id=message_id(plan_id=plan.id, document_id=document_id, recipient=recipient.id, kind=kind,
                              period_key=period_key, domain=id_domain))


def distribute_plan(*, uow, plan_id: int, actor: str, now: datetime, id_domain: str) -> int:
    """Queue the issued plan for every recipient body with an address, each message asking for a receipt
    ("xác nhận đã nhận"); returns how many were queued."""
    plan = get_plan(uow, plan_id)
    content = PlanContent.from_dict(plan.content)
    targets = recipients_with_mail(uow, content)
    new_rows = [row for _, body in targets
                if (row := queue_row(uow, plan=plan, recipient=body, kind="distribution", now=now,
                                     id_domain=id_domain, document_id=plan.document_id)) is not None]
    queued = len(new_rows)
    apply(uow=uow, plan=plan, action="distribute", actor=actor, now=now,
          data={"queued": queued, "recipients": [b.id for _, b in targets],
                "without_address": [r.line() for r in content.recipients
                                    if not (r.body and uow.bodies.get(r.body).email)]})
    for row in new_rows:  # authorised: the plan is issued, so each row names its document
        ask_receipt(uow, row=row, now=now)
    uow.commit()
    return queued


def pending(*, uow, plan_id: int | None = None) -> list[int]:
    """The rows still to send: pending ones, and those a crash left "sending"."""
    return uow.outbox.pending_ids(plan_id)


def compose(*, uow, outbox_id: int, now: datetime | None = None) -> OutgoingMail | None:
    """The message an outbox row stands for, as data; None once it is sent or failed.

    Its Date is the row's first attempt (`now` before any), so every attempt renders the same bytes.
    """
    row = uow.outbox.get(outbox_id)
    if row is None or row.status not in SENDABLE:
        return None
    return _compose_row(uow, row, now)


def _compose_row(uow, row, now: datetime | None) -> OutgoingMail:
    first = row.first_attempt_at
    date = first.astimezone(now.tzinfo) if (first is not None and now is not None) else (first or now)
    return replace(_message(uow, row, date.tzinfo if date is not None else timezone.utc), date=date)


Parts = tuple[dict[str, Any], tuple[Attachment, ...]]  # (context beyond base_context, attachments)


def _message(uow, row, zone) -> OutgoingMail:
    if row.kind in NOTICE_KINDS:  # the workflow's own notices (approvals, issue, overdue): see notices.py
        from domain.services.notices import compose_notice  # notices queues through this module

        return compose_notice(uow=uow, row=row)
    plan = uow.plans.get(row.plan_id)
    content = _plan_content(uow, plan)
    recipient = uow.bodies.get(row.recipient_id)
    document = uow.documents.get(plan.document_id)
    context = base_context(uow, plan, content, document, recipient.name)
    composer = COMPOSERS.get(row.kind)
    if composer is None:
        raise ValueError(f"no composer for mail kind {row.kind!r}; known: {sorted(COMPOSERS)}")
    extra, attachments = composer(uow, row, plan, content, zone)
    context.update(extra)
    return OutgoingMail(kind=row.kind, to_email=row.email, to_name=recipient.name,
                        message_id=row.message_id, context=context, attachments=attachments)


REVIEW_KINDS = ("review", "close")  # documents.kind of a sơ kết / tổng kết report


def subject_context(plan, content: PlanContent, review=None) -> dict[str, Any]:
    """What a message is about, for the templates: the plan, or its sơ kết / tổng kết report (`review`):
    its label and title, the command and id that act on it."""
    if review is None:
        return {"review": False, "doc_label": "Kế hoạch", "doc_title": content.title, "cmd": "plan",
                "subject_id": plan.id, "subject_ref": f"kế hoạch #{plan.id}"}
    return {"review": True, "doc_label": "Báo cáo", "doc_title": review.snapshot["title"], "cmd": "review",
            "subject_id": review.id, "subject_ref": f"báo cáo #{review.id} của kế hoạch #{plan.id}"}


def document_subject(uow, plan, content: PlanContent, document) -> dict[str, Any]:
    """`subject_context` of an issued document: its plan, or the report it is."""
    if document.kind not in REVIEW_KINDS:
        return subject_context(plan, content)
    review = next((r for r in uow.reviews.for_plan(plan.id) if r.document_id == document.id), None)
    return subject_context(plan, content, review) if review is not None else subject_context(plan, content)


def _distribution(uow, row, plan, content: PlanContent, zone=None) -> Parts:
    """The issued document, attached (a correction or a report issued under the plan is the row's own
    document), and the code the recipient confirms receipt with."""
    document = uow.documents.get(row.document_id or plan.document_id)
    replaced = uow.documents.get(document.corrects_id) if document.correction == "replace" else None
    context = {"plan_reference": document.reference, "issued_on": f"{document.issued_on:%d/%m/%Y}",
               "replaces": _cited(replaced) if replaced is not None else None,
               **document_subject(uow, plan, content, document), **_receipt_context(uow, row, plan, content)}
    return context, (Attachment(document.file_name, document.content),)


def _cited(doc) -> str:
    """ "Kế hoạch số 01/KH-UBND ngày 23/11/2026": a document as a letter cites it."""
    return f"{type_name(doc.doc_type)} số {doc.reference} ngày {doc.issued_on:%d/%m/%Y}"


def _mark_notice(uow, row, plan, content: PlanContent, zone=None) -> Parts:
    """A correction (the letter attached), a replacement (the new plan attached) or a withdrawal (its reason,
    nothing attached) of a document the recipient received: the row names the letter or the new plan, or,
    for a withdrawal, the withdrawn document itself."""
    document = uow.documents.get(row.document_id)
    original = document if row.kind == "withdrawal" else uow.documents.get(document.corrects_id)
    context: dict[str, Any] = {"original": _cited(original), "original_reference": original.reference,
                               "original_subject": original.subject}
    if row.kind == "withdrawal":
        mark = next(m for m in reversed(uow.documents.marks([original.id]).get(original.id, []))
                    if m.status == DocStatus.WITHDRAWN)
        context.update(reason=mark.reason or "", withdrawn_on=f"{mark.at.astimezone(zone):%d/%m/%Y}")
        return context, ()
    signer = uow.users.get(document.signer_id)
    context.update(new=_cited(document), new_reference=document.reference, new_subject=document.subject,
                   new_issued_on=f"{document.issued_on:%d/%m/%Y}",
                   new_signer=signer.full_name if signer else document.signer_id,
                   corrections=list((document.facts or {}).get("corrections", ())))
    return context, (Attachment(document.file_name, document.content),)


def _report_request(uow, row, plan, content: PlanContent, zone=None) -> Parts:
    """The period, the unit's tasks and targets, and its own copy of the công văn with its form."""
    context = period_context(uow, plan, content, row.recipient_id, row.period_key)
    letter = unit_letter(uow, row)
    if letter is None:
        return context, ()
    sent, copy = letter
    context.update(letter_reference=sent.reference, letter_issued_on=f"{sent.issued_on:%d/%m/%Y}",
                   letter_file=copy.file_name)
    return context, (Attachment(copy.file_name, copy.content),)


def _reminder(uow, row, plan, content: PlanContent, zone=None) -> Parts:
    """The period the unit has not reported on, with its tasks and targets, and its own copy of the
    request for reports again (the form to fill in, as first sent), when it was sent one."""
    context = period_context(uow, plan, content, row.recipient_id, row.period_key)
    form = unit_form(uow, plan.id, row.recipient_id, row.period_key)
    if form is None:
        return context, ()
    sent, copy = form
    context.update(letter_reference=sent.reference, letter_issued_on=f"{sent.issued_on:%d/%m/%Y}",
                   letter_file=copy.file_name)
    return context, (Attachment(copy.file_name, copy.content),)


def unit_form(uow, plan_id: int, unit: str, period_key: str):
    """(the request for reports of the period, the unit's own copy of it with its form) as first sent to
    the unit; None if it was sent none. `period_key` may carry the day ("2026-Q4@2026-12-18")."""
    document_id = uow.outbox.request_document(plan_id=plan_id, recipient_id=unit, period_key=period_key.split("@")[0])
    copy = uow.document_copies.get(document_id, unit) if document_id is not None else None
    return None if copy is None else (uow.documents.get(document_id), copy)


# kind -> what a message of that kind adds to base_context, given (uow, row, plan, content, the time
# zone of the message's Date); the workflow's notices compose in notices.py
COMPOSERS: dict[str, Callable[..., Parts]] = {
    "distribution": _distribution,
    "report_request": _report_request,
    "reminder": _reminder,
    "correction": _mark_notice,
    "replacement": _mark_notice,
    "withdrawal": _mark_notice,
}  # + "receipt_reminder", with the receipts below


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
        "command_hint": f"kehoach report submit {plan.id} --unit {unit} --period {period.key} --file <tệp>",
    }


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    postponed: int = 0


@dataclass(frozen=True)
class _Fate:
    """How a row's attempt ended, to be recorded in the transaction that claims the next row."""

    row: Any  # the outbox row, as claimed in this unit of work
    error: str | None = None  # None: the server answered 250
    transient: bool = False  # True: back to pending, to be tried again


@dataclass
class _Prepared:
    """A row's message composed ahead, from the row as it stood, and rendered while the server read
    the previous message. Its claim checks that the row still says the same (else it is composed
    again): `key` holds what the message was composed from, its Date included."""

    outbox_id: int
    key: tuple
    mail: OutgoingMail
    message: bytes | None = None
    error: Exception | None = None

    def render(self, render: Callable[[OutgoingMail], bytes]) -> None:
        """Render once; an error is kept for the row's turn (a ValueError fails the row, as before)."""
        if self.message is None and self.error is None:
            try:
                self.message = render(self.mail)
            except Exception as exc:  # noqa: BLE001 - raised again at the row's turn
                self.error = exc


def _key(row, date: datetime | None) -> tuple:
    """What an outbox row's message is composed from: its own fields and the Date of its attempts."""
    return (row.kind, row.plan_id, row.document_id, row.recipient_id, getattr(row, "recipient_type", "body"),
            row.email, row.message_id, row.period_key, date)


def deliver(*, uow_factory: Callable[[], Any], ids: list[int], sender: Sender,
            render: Callable[[OutgoingMail], bytes], mail_from: str, now: Callable[[], datetime], lease: Lease,
            on_progress: Callable[[int], None] = lambda n: None) -> DeliveryResult:
    """Send each row over `sender` and record its fate row by row.

    At least once, never lost, with an idempotent Message-ID. Each row is marked "sending" (the
    attempt counted and committed) before its SMTP transaction, and "sent" once the server has
    answered 250. SMTP cannot make the 250 and our commit one step: a crash between the two leaves
    the row "sending", and the next delivery sends it again with the same Message-ID, the same Date
    and so the same bytes; mail clients and servers that see a Message-ID twice show one message.
    Rows already sent are skipped, so a retried batch never re-sends them. Each claim is signed with
    `lease.holder`: a row another delivery is sending at the same time is skipped too (see `Lease`).

    Between two SMTP transactions, one database transaction: it records the fate of the row just
    sent (sent with its audit event, failed, or back to pending) and claims the next, so a row is
    marked sent before the next message goes out (a crash costs at most one message sent twice).
    It also composes the row after next from the row as it stands; that message is rendered while
    the server reads the one before it (`meanwhile`), and its claim checks that the row has not
    changed since (else it is composed again). One unit of work serves the batch, and what its rows
    share (the plan, its parsed content, the document and its bytes, the bodies, receipt codes) is
    read once.

    A permanent refusal (5xx to the recipient or the content) marks the row failed with the server's
    reply, for staff to see (`kehoach mail list --failed`) and retry. A transient failure puts the row
    back to pending; when it concerns that message only (4xx to its recipient) the batch goes on,
    when it concerns the connection (time-out, lost, login) the batch stops. Either way
    TransientMailError is raised at the end, for the caller to retry later with back-off.
    """
    result = DeliveryResult()
    postponed: TransientMailError | None = None
    with uow_factory() as uow:
        batch = BatchReader(uow)
        batch.prefetch(ids)
        fate: _Fate | None = None  # the last row's, not yet committed
        ahead: _Prepared | None = None  # the next row's message, composed ahead
        try:
            for position, outbox_id in enumerate(ids):
                previous, fate = fate, None
                following = ids[position + 1] if position + 1 < len(ids) else None
                row, current, ahead = _step(uow, batch, previous, outbox_id, ahead, following, now, lease)
                if previous is not None:
                    on_progress(1)
                if current is None:
                    result.skipped += 1
                    on_progress(1)
                    continue
                current.render(render)
                if current.error is not None:
                    if not isinstance(current.error, ValueError):
                        raise current.error
                    # the row's data cannot make a valid message (an address, a name)
                    fate = _Fate(row, f"{type(current.error).__name__}: {current.error}")
                    result.failed += 1
                    continue
                following_mail = ahead
                try:
                    sender.send(mail_from=mail_from, to=current.mail.to_email, message=current.message,
                                meanwhile=(lambda: following_mail.render(render)) if following_mail else None)
                except PermanentMailError as exc:
                    fate = _Fate(row, str(exc))
                    result.failed += 1
                except TransientMailError as exc:
                    fate = _Fate(row, str(exc), transient=True)
                    if not exc.per_message:
                        raise
                    postponed = exc
                    result.postponed += 1
                else:
                    fate = _Fate(row)
                    result.sent += 1
        finally:
            if fate is not None:  # the last row's fate, or the one a failed connection stopped at
                _settle(uow, fate, now())
                uow.commit()
                on_progress(1)
    if postponed is not None:
        raise postponed
    return result


def _step(uow, batch, fate: _Fate | None, outbox_id: int, prepared: _Prepared | None, following: int | None,
          now: Callable[[], datetime], lease: Lease):
    """One transaction: record the previous row's fate, claim this row and compose the following one
    from how it stands; (this row, its message or None if it is not to be sent, the following's)."""
    try:
        if fate is not None:
            _settle(uow, fate, now())
        row, current = _claim_prepared(uow, batch, outbox_id, prepared, now(), lease)
        ahead = _prepare(batch, batch.row(following), now()) if following is not None else None
        uow.commit()
        return row, current, ahead
    except BaseException:
        if fate is None:
            raise
        uow.rollback()  # the claim failed: keep the previous row's fate at least
        _settle(uow, fate, now())
        uow.commit()
        raise


def _claim_prepared(uow, batch, outbox_id: int, prepared: _Prepared | None, now: datetime, lease: Lease):
    """`_claim`, taking the Date of the message prepared for the row, and that message if the row
    still says what it was composed from."""
    if prepared is not None and prepared.outbox_id != outbox_id:
        prepared = None
    row, mail = _claim(uow, batch, outbox_id, prepared.mail.date if prepared is not None else now, lease,
                       at=now, compose=False)
    if row is None or not mail:
        return row, None
    if prepared is None or prepared.key != _key(row, row.first_attempt_at):
        mail = _compose_row(batch, row, now)
        prepared = _Prepared(outbox_id, _key(row, mail.date), mail)
    return row, prepared


def _prepare(batch, row, now: datetime) -> _Prepared | None:
    """A row's message composed ahead of its claim, from the row as it stands (None if it is not to be sent)."""
    if row is None or row.status not in SENDABLE:
        return None
    mail = _compose_row(batch, row, now)
    return _Prepared(row.id, _key(row, row.first_attempt_at or mail.date), mail)


def _settle(uow, fate: _Fate, now: datetime) -> None:
    if fate.transient:
        _note_attempt(uow, fate.row.id, fate.error)
    else:
        _mark(uow, fate.row, now, fate.error)


class BatchReader:
    """The unit of work as the composers of one batch see it: what does not change while a batch is
    sent (plans and their parsed content, documents with their bytes, bodies, users, reporting
    periods, recipients' copies, receipt codes) is read once and kept; the rest is read through.
    Only for the length of one batch: a plan issued or an organisation reloaded later is read anew
    by the next."""

    KEPT = {"plans": ("get",), "documents": ("get",), "bodies": ("get",), "users": ("get",),
            "periods": ("get",), "document_copies": ("get",), "receipts": ("for_document",)}

    def __init__(self, uow) -> None:
        self._uow = uow
        self._contents: dict[int, PlanContent] = {}
        self._rows: dict[int, Any] = {}
        for name, methods in self.KEPT.items():
            setattr(self, name, _Kept(getattr(uow, name), methods))

    def __getattr__(self, name: str):
        return getattr(self._uow, name)

    def prefetch(self, ids: list[int]) -> None:
        """Read the batch's rows, their recipient bodies and receipt codes with a few queries."""
        self._rows = self._uow.outbox.many(ids)
        rows = self._rows.values()
        for body in self._uow.bodies.many({r.recipient_id for r in rows if r.recipient_type == "body"}):
            self.bodies.remember("get", (body.id,), body)
        pairs = {(r.document_id, r.recipient_id) for r in rows if r.document_id is not None}
        for pair, receipt in self._uow.receipts.for_documents(pairs).items():
            self.receipts.remember("for_document", pair, receipt)
        self._uow.commit()  # end the reading transaction (SQLite's BEGIN IMMEDIATE holds the write lock)

    def row(self, outbox_id: int):
        """An outbox row as read by `prefetch` (or now, if it was not)."""
        row = self._rows.get(outbox_id)
        return row if row is not None else self._uow.outbox.get(outbox_id)

    def content(self, plan) -> PlanContent:
        """The plan's parsed content, parsed once per batch."""
        if plan.id not in self._contents:
            self._contents[plan.id] = PlanContent.from_dict(plan.content)
        return self._contents[plan.id]


class _Kept:
    """A repository whose chosen reading methods answer a repeated question from memory."""

    def __init__(self, repository, methods: tuple[str, ...]) -> None:
        self._repository = repository
        self._answers: dict[str, dict[tuple, Any]] = {}
        for name in methods:
            setattr(self, name, self._remembering(name, getattr(repository, name)))

    def _remembering(self, name: str, read: Callable[..., Any]) -> Callable[..., Any]:
        answers = self._answers.setdefault(name, {})

        def remembered(*args):
            if args not in answers:
                answers[args] = read(*args)
            return answers[args]

        return remembered

    def remember(self, name: str, args: tuple, answer: Any) -> None:
        """Answer `name(*args)` with `answer` from now on (read with others in one query)."""
        self._answers[name][args] = answer

    def __getattr__(self, name: str):
        return getattr(self._repository, name)


def _plan_content(uow, plan) -> PlanContent:
    reader = getattr(uow, "content", None)
    return reader(plan) if callable(reader) else PlanContent.from_dict(plan.content)


def claim(*, uow, outbox_id: int, now: datetime, lease: Lease) -> OutgoingMail | None:
    """Mark a row "sending" and count the attempt, committed before its SMTP transaction; the message
    it stands for, or None if it is no longer to be sent (already sent or failed) or another holder
    of a lease is sending it."""
    _, mail = _claim(uow, uow, outbox_id, now, lease)
    uow.commit()
    return mail


def _claim(uow, reader, outbox_id: int, now: datetime, lease: Lease, *, at: datetime | None = None,
           compose: bool = True):
    """(the row, its message) once marked "sending" with the attempt counted and signed by the lease's
    holder; the message None if the row is not to be sent (by us), True instead of a message when not
    `compose`. `now` is the Date of a first attempt, `at` the time of the claim (`now` if None)."""
    at = now if at is None else at
    row = uow.outbox.claim(outbox_id, pending=PENDING, status=SENDING, first_attempt_at=now, holder=lease.holder,
                           at=at, expired_before=lease.expired_before(at), gone=lease.gone)
    if row is None:  # no such row, or it is no longer to be sent
        return None, None
    return row, (_compose_row(reader, row, now) if compose else True)


def mark(*, uow, outbox_id: int, now: datetime, error: str | None = None) -> None:
    """Record a row as sent (or as refused for good, with the server's words) and its audit event."""
    _mark(uow, uow.outbox.get(outbox_id), now, error)
    uow.commit()


def _mark(uow, row, now: datetime, error: str | None) -> None:
    uow.outbox.settle(row.id, status=FAILED if error else SENT, error=error, sent_at=None if error else now)
    record(uow=uow, actor="system", action="mail_failed" if error else "mail_sent", now=now, plan_id=row.plan_id,
           data={"outbox_id": row.id, "kind": row.kind, "recipient": row.recipient_id, "email": row.email,
                 "period": row.period_key, "message_id": row.message_id, **({"error": error} if error else {})})


def note_attempt(*, uow, outbox_id: int, error: str) -> None:
    """A transient failure: the row goes back to pending, with the reason, to be tried again."""
    _note_attempt(uow, outbox_id, error)
    uow.commit()


def _note_attempt(uow, outbox_id: int, error: str) -> None:
    uow.outbox.postpone(outbox_id, status=PENDING, error=error)


# --- what staff see and do -------------------------------------------------------------------------

def list_outbox(*, uow, plan_id: int | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """The outbox rows (of a plan, of a status) as plain data, oldest first."""
    rows = []
    for row in uow.outbox.listing(plan_id=plan_id, status=status):
        rows.append({"id": row.id, "plan_id": row.plan_id, "recipient_id": row.recipient_id,
                     "recipient_name": _recipient_name(uow, row), "email": row.email, "kind": row.kind,
                     "period_key": row.period_key, "status": row.status, "attempts": row.attempts,
                     "last_error": row.last_error, "sent_at": row.sent_at, "message_id": row.message_id})
    return rows


def _recipient_name(uow, row) -> str:
    if getattr(row, "recipient_type", "body") == "user":
        user = uow.users.get(row.recipient_id)
        return user.full_name if user else row.recipient_id
    body = uow.bodies.get(row.recipient_id)
    return body.name if body else row.recipient_id


def retry_failed(*, uow, outbox_id: int, actor: str, now: datetime) -> dict[str, Any]:
    """Put a failed row back to pending (the next delivery sends it), with an audit event.

    If the recipient's address was corrected since (the organisation reloaded), the new one is used.
    """
    require_user(uow, actor)
    row = uow.outbox.get(outbox_id)
    if row is None:
        raise DomainError("mail_unknown", id=outbox_id)
    if row.status != FAILED:
        raise DomainError("mail_not_failed", id=outbox_id, status=status_name(row.status))
    _refuse_withdrawn(uow, row)
    data: dict[str, Any] = {"outbox_id": row.id, "kind": row.kind, "recipient": row.recipient_id,
                            "period": row.period_key, "message_id": row.message_id, "error": row.last_error}
    current = _current_email(uow, row)
    if current and current != row.email:
        data.update(old_email=row.email, email=current)
        row.email = current
    else:
        data["email"] = row.email
    row.status = PENDING
    row.last_error = None
    record(uow=uow, actor=actor, action="mail_retry", now=now, plan_id=row.plan_id, data=data)
    uow.commit()
    return data


def _refuse_withdrawn(uow, row) -> None:
    """A message carrying a document withdrawn or replaced since is not sent again (its recipients were told)."""
    if row.document_id is None or row.kind in MARK_NOTICE_KINDS:
        return
    marks = uow.documents.marks([row.document_id]).get(row.document_id, [])
    final = next((m for m in marks if m.status in (DocStatus.WITHDRAWN, DocStatus.REPLACED)), None)
    if final is not None:
        raise DomainError("mail_document_withdrawn", id=row.id, reference=uow.documents.get(row.document_id).reference,
                          status=DOC_STATUS_NAMES[DocStatus(final.status)])


def _current_email(uow, row) -> str | None:
    if getattr(row, "recipient_type", "body") == "user":
        user = uow.users.get(row.recipient_id)
        return user.email if user else None
    body = uow.bodies.get(row.recipient_id)
    return body.email if body else None


def kind_name(kind: str) -> str:
    """A mail kind in Vietnamese (its code when it has no name)."""
    return message(f"mail_kind_{kind}") if f"mail_kind_{kind}" in MESSAGES else kind


def status_name(status: str) -> str:
    """An outbox status in Vietnamese."""
    return message(f"mail_status_{status}") if status in (PENDING, SENDING, SENT, FAILED) else status


# --- receipts ("xác nhận đã nhận") ------------------------------------------------------------------

RECEIPT_REMINDER = "receipt_reminder"


def ask_receipt(uow, *, row, now: datetime):
    """The receipt a distribution message asks for, with a fresh unguessable code (50 random bits)."""
    while True:
        code = receipt_code(secrets.token_bytes(8))
        if not uow.receipts.code_taken(code):
            break
    return uow.receipts.add(outbox_id=row.id, plan_id=row.plan_id, document_id=row.document_id,
                            recipient_id=row.recipient_id, code=code, created_at=now)


def confirm_receipt(*, uow, code: str, now: datetime, actor: str | None = None) -> dict[str, Any]:
    """Record that a recipient has the document ("đã nhận"), with its audit event, in one transaction.

    The code alone identifies the recipient (it was sent to that recipient only); `actor` is the user
    recording it for them (e.g. the clerk who read the reply), who must belong to the recipient body
    or to the issuer.
    """
    stored = read_receipt_code(code)
    if stored is None:
        raise DomainError("receipt_code_invalid", value=code.strip())
    receipt = uow.receipts.with_code(stored)
    if receipt is None:
        raise DomainError("receipt_code_unknown", value=show_receipt_code(stored))
    plan = uow.plans.get(receipt.plan_id)
    recipient = uow.bodies.get(receipt.recipient_id)
    document = uow.documents.get(receipt.document_id)
    if receipt.confirmed_at is not None:
        at = receipt.confirmed_at.astimezone(now.tzinfo)
        raise DomainError("receipt_already_confirmed", recipient=recipient.name, reference=document.reference,
                          when=f"{at:%H:%M} ngày {at:%d/%m/%Y}", by=receipt.confirmed_by)
    if actor is not None:
        require_user(uow, actor)
        if not (uow.users.roles(actor, receipt.recipient_id) or uow.users.roles(actor, plan.issuer_id)):
            raise DomainError("receipt_not_entitled", user=actor, recipient=recipient.name,
                              issuer=uow.bodies.get(plan.issuer_id).name)
    receipt.confirmed_at = now
    receipt.confirmed_by = actor or receipt.recipient_id
    record(uow=uow, actor=receipt.confirmed_by, action="receipt_confirm", now=now, plan_id=receipt.plan_id,
           data={"recipient": receipt.recipient_id, "reference": document.reference, "outbox_id": receipt.outbox_id,
                 "via": "code" if actor is None else "staff"})
    uow.commit()
    return {"recipient": recipient.name, "reference": document.reference, "confirmed_at": now,
            "confirmed_by": receipt.confirmed_by}


def receipts_of_plan(*, uow, plan_id: int) -> list[dict[str, Any]]:
    """Who was asked to confirm receipt of the plan's documents, who has and who has not."""
    get_plan(uow, plan_id)
    reminders = Counter((r.document_id, r.recipient_id) for r in uow.outbox.listing(plan_id=plan_id)
                        if r.kind == RECEIPT_REMINDER)
    out = []
    for receipt in uow.receipts.for_plan(plan_id):
        mail = uow.outbox.get(receipt.outbox_id)
        out.append({"recipient_id": receipt.recipient_id, "recipient_name": uow.bodies.get(receipt.recipient_id).name,
                    "reference": uow.documents.get(receipt.document_id).reference, "mail_status": mail.status,
                    "sent_at": mail.sent_at, "confirmed_at": receipt.confirmed_at,
                    "confirmed_by": receipt.confirmed_by,
                    "reminders": reminders[(receipt.document_id, receipt.recipient_id)]})
    return out


def remind_unconfirmed(*, uow, now: datetime, id_domain: str, reminder_days: int, plan_id: int | None = None,
                       actor: str = "system", calendar: WorkCalendar = VIETNAM) -> int:
    """Queue a reminder ("receipt_reminder", keyed by the day: at most one a day) to each recipient that
    has not confirmed receipt `reminder_days` working days after its copy was sent, and again every
    `reminder_days` working days after the last reminder; nothing on a day off, nothing for a document
    withdrawn or replaced since. Returns how many."""
    today = now.date()
    if not calendar.is_working_day(today):
        return 0
    queued: dict[int, list[str]] = {}
    unconfirmed = uow.receipts.unconfirmed(plan_id)
    marks = uow.documents.marks({r.document_id for r in unconfirmed})
    for receipt in unconfirmed:
        mail = uow.outbox.get(receipt.outbox_id)
        if mail.status != SENT or mail.sent_at is None:
            continue  # not delivered (yet): nothing to confirm
        if any(m.status in (DocStatus.WITHDRAWN, DocStatus.REPLACED) for m in marks.get(receipt.document_id, ())):
            continue  # withdrawn or replaced: its recipients were told, nobody is asked to confirm it any more
        last = uow.outbox.latest(document_id=receipt.document_id, recipient_id=receipt.recipient_id,
                                 kind=RECEIPT_REMINDER)
        since = (last.created_at if last is not None else mail.sent_at).astimezone(now.tzinfo).date()
        if calendar.add_working_days(since, reminder_days) > today:
            continue
        plan = uow.plans.get(receipt.plan_id)
        recipient = uow.bodies.get(receipt.recipient_id)
        if recipient is None or not recipient.email:
            continue
        if queue(uow, plan=plan, recipient=recipient, kind=RECEIPT_REMINDER, now=now, id_domain=id_domain,
                 period_key=today.isoformat(), document_id=receipt.document_id):
            queued.setdefault(plan.id, []).append(recipient.id)
    for reminded_plan, recipients in queued.items():
        record(uow=uow, actor=actor, action="receipt_remind", now=now, plan_id=reminded_plan,
               data={"recipients": recipients, "day": today.isoformat(), "after_working_days": reminder_days})
    uow.commit()
    return sum(len(r) for r in queued.values())


def _receipt_context(uow, row, plan, content: PlanContent) -> dict[str, Any]:
    """The code the recipient confirms with (None for a message queued before receipts existed)."""
    receipt = uow.receipts.for_document(row.document_id, row.recipient_id) if row.document_id else None
    return {"receipt_code": show_receipt_code(receipt.code) if receipt else None}


def _receipt_reminder(uow, row, plan, content: PlanContent, zone=None) -> Parts:
    """The document again, the day it was first sent and the code to confirm with."""
    context, attachments = _distribution(uow, row, plan, content)
    receipt = uow.receipts.for_document(row.document_id, row.recipient_id)
    first = uow.outbox.get(receipt.outbox_id)
    sent = first.sent_at or first.created_at
    context["sent_on"] = f"{sent.astimezone(zone):%d/%m/%Y}"
    return context, attachments


COMPOSERS[RECEIPT_REMINDER] = _receipt_reminder
