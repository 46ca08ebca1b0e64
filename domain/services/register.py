"""The outgoing register ("sổ đăng ký văn bản đi"), rendering an issued document again, and checking a file.

`register` answers "which number did that plan get, who signed it, who received it": one entry per
issued document of a body, in the order of its series, with its standing (issued, corrected, replaced,
withdrawn). `official_document` lays any issued document out again from the data it was issued
from, so `verify_file` can say not only which document a file is but that the data still produce
exactly its bytes.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from domain.messages import DomainError, message
from domain.model import numbering
from domain.model.audit import sha256
from domain.model.corrections import MARK_NOTICES, Correction, type_name
from domain.model.documents import OfficialDocument, plan_document
from domain.model.forms import request_letter, unit_copy
from domain.model.importer import NumberClaim, read_number_claim
from domain.model.plan import PlanContent
from domain.model.workflow import DOC_STATUS_NAMES, DocStatus
from domain.services.plans import Renderer, changed_fields, replaced_line
from domain.services.workflow import get_plan

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Entry:
    """One line of the register ("sổ đăng ký văn bản đi"), as plain data."""

    document_id: int
    plan_id: int
    body_id: str
    series: str
    number: int
    reference: str  # số, ký hiệu: "05/KH-UBND"
    issued_on: date
    kind: str  # plan | report_request | review | close | correction
    doc_type: str  # "Kế hoạch", "Công văn", "Báo cáo"
    subject: str  # trích yếu
    signer: str  # họ tên người ký
    signer_capacity: str  # "TM. ỦY BAN NHÂN DÂN, KT. CHỦ TỊCH, PHÓ CHỦ TỊCH"
    recipients: tuple[str, ...]  # nơi nhận, as printed (without "Lưu")
    archive: str  # đơn vị, người nhận bản lưu: "VT, VP"
    copies: int  # số lượng bản
    sent_on: date | None  # ngày chuyển: first message sent
    receipts: str  # ký nhận: "3/10 nơi nhận đã xác nhận"
    status: str  # issued | corrected | replaced | withdrawn
    status_name: str
    notes: str  # ghi chú: what corrects / corrected / replaced / withdrew it
    file_name: str
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["issued_on"] = self.issued_on.isoformat()
        d["sent_on"] = self.sent_on.isoformat() if self.sent_on else None
        d["recipients"] = list(self.recipients)
        return d


@dataclass(frozen=True)
class Register:
    body_id: str
    body_name: str
    regime: str
    book: str  # "2026" (state: a year) or "2025-2030" (Party: a term)
    book_label: str  # "Năm 2026", "Nhiệm kỳ 2025-2030"
    entries: tuple[Entry, ...] = field(default_factory=tuple)


def fold(text: str) -> str:
    """Lower case without diacritics ("Đính chính" -> "dinh chinh"): words match however they are typed."""
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def book_of(series: str, regime: str) -> str:
    """The register book a series belongs to: the year (state) or the term (Party: "2025-2030/KH")."""
    return series.split("/", 1)[0] if regime == "party" else series


def book_label(book: str, regime: str) -> str:
    return f"Nhiệm kỳ {book}" if regime == "party" and not book.isdigit() else f"Năm {book}"


def register_books(*, uow, body_id: str | None = None) -> list[tuple[str, str]]:
    """(body, book) pairs that have documents: every book of one body, or of every issuing body."""
    bodies = [body_id] if body_id else uow.documents.issuing_bodies()
    out = []
    for b in bodies:
        body = _body(uow, b)
        books = sorted({book_of(d.series, body.regime) for d in uow.documents.of_body(b)})
        out += [(b, book) for book in books]
    return out


def register_all(*, uow, body_id: str, year: int | None = None, term: str | None = None,
                 tz: tzinfo = HCM) -> list[Register]:
    """Every register book of a body (one per year or term that has documents), or the one named."""
    books = [b for _, b in register_books(uow=uow, body_id=body_id)]
    if year is not None or term is not None:
        books = [term or str(year)]
    return [register(uow=uow, body_id=body_id, year=int(b) if b.isdigit() else None,
                     term=None if b.isdigit() else b, tz=tz) for b in books]


def choose_body(*, uow, body_id: str | None) -> str:
    """The body named, else the only body with issued documents; a clear refusal otherwise."""
    if body_id:
        _body(uow, body_id)
        return body_id
    bodies = uow.documents.issuing_bodies()
    if len(bodies) == 1:
        return bodies[0]
    raise DomainError("register_needs_body", bodies=", ".join(bodies) or "chưa có")


def register(*, uow, body_id: str, year: int | None = None, term: str | None = None, doc_type: str | None = None,
             date_from: date | None = None, date_to: date | None = None, words: str | None = None,
             number: int | None = None, today: date | None = None, tz: tzinfo = HCM) -> Register:
    """The register of `body_id` for a year (state) or a term (Party), filtered; the current one by default."""
    body = _body(uow, body_id)
    if body.regime == "party":
        book = term or body.term or str(year or (today or date.today()).year)
    else:
        if term:
            raise DomainError("register_term_for_state", body=body.name)
        book = str(year or (today or date.today()).year)
    wanted_type = _type_filter(doc_type) if doc_type else None
    needle = fold(words).split() if words else []
    docs = [d for d in uow.documents.of_body(body_id) if book_of(d.series, body.regime) == book]
    docs = [d for d in docs
            if (wanted_type is None or d.doc_type.upper() == wanted_type)
            and (date_from is None or d.issued_on >= date_from) and (date_to is None or d.issued_on <= date_to)
            and (number is None or d.number == number)
            and all(w in fold(d.subject) for w in needle)]
    marks = uow.documents.marks([d.id for d in docs]) if docs else {}
    entries = tuple(_entry(uow, d, marks.get(d.id, []), tz) for d in docs)
    return Register(body_id=body.id, body_name=body.name, regime=body.regime, book=book,
                    book_label=book_label(book, body.regime), entries=entries)


def _type_filter(doc_type: str) -> str:
    """ "kế hoạch", "KH", "cong van" -> the stored type ("KẾ HOẠCH", "CÔNG VĂN")."""
    wanted = fold(doc_type.strip())
    for name, code in numbering.TYPE_CODES.items():
        if wanted in (fold(name), fold(code)):
            return name
    raise DomainError("register_unknown_type", value=doc_type,
                      types=", ".join(f"{type_name(n)} ({c})" for n, c in numbering.TYPE_CODES.items()))


def _body(uow, body_id: str):
    body = uow.bodies.get(body_id)
    if body is None:
        raise DomainError("unknown_body", body=body_id)
    return body


def _entry(uow, doc, marks: list, tz: tzinfo) -> Entry:
    try:
        official = official_document(uow, doc)
    except DomainError:  # issued before its facts were kept: what its plan says of signer and recipients
        content = PlanContent.from_dict(get_plan(uow, doc.plan_id).content)
        signer = content.signer
        official = OfficialDocument(regime="", issuer_name="", number_line="", date_line="", doc_type="", title="",
                                    recipients=tuple(r.line() for r in content.recipients),
                                    signer_capacity=signer.capacity if signer else (),
                                    signer_title=signer.title if signer else "",
                                    signer_name=signer.name if signer else "")
    lines = tuple(official.addressees) + tuple(r for r in official.recipients if r != "Như trên")
    archive = next((r.split(":", 1)[1].strip() for r in lines if r.startswith("Lưu")), "")
    recipients = tuple(r for r in lines if not r.startswith("Lưu"))
    keepers = [k for k in (a.strip() for a in archive.split(",")) if k]
    copies = len(recipients) + max(len(keepers), 1)
    sent = [m.sent_at for m in uow.outbox.for_document(doc.id) if m.sent_at is not None]
    receipts = uow.receipts.of_document(doc.id)
    status = DocStatus(marks[-1].status) if marks else DocStatus.ISSUED
    signer = uow.users.get(doc.signer_id)
    capacity = ", ".join((*official.signer_capacity, official.signer_title) if official.signer_title
                         else official.signer_capacity)
    return Entry(
        document_id=doc.id, plan_id=doc.plan_id, body_id=doc.body_id, series=doc.series, number=doc.number,
        reference=doc.reference, issued_on=doc.issued_on, kind=doc.kind, doc_type=type_name(doc.doc_type),
        subject=doc.subject, signer=official.signer_name or (signer.full_name if signer else doc.signer_id),
        signer_capacity=capacity, recipients=recipients, archive=archive, copies=copies,
        sent_on=min(sent).astimezone(tz).date() if sent else None,
        receipts=message("register_receipts", confirmed=sum(1 for r in receipts if r.confirmed_at), total=len(receipts))
        if receipts else "",
        status=status.value, status_name=DOC_STATUS_NAMES[status], notes=_notes(uow, doc, marks, tz),
        file_name=doc.file_name, sha256=doc.sha256)


def _notes(uow, doc, marks: list, tz: tzinfo) -> str:
    """Ghi chú: what this document corrects or replaces, and what later happened to it."""
    notes = []
    if doc.corrects_id:
        old = uow.documents.get(doc.corrects_id)
        key = "register_note_replaces" if doc.correction == "replace" else "register_note_corrects"
        notes.append(message(key, type=type_name(old.doc_type), reference=old.reference,
                             date=f"{old.issued_on:%d/%m/%Y}"))
    for m in marks:
        by = uow.documents.get(m.by_document_id) if m.by_document_id else None
        if m.status == DocStatus.WITHDRAWN:
            notes.append(message("register_note_withdrawn", date=f"{m.at.astimezone(tz):%d/%m/%Y}",
                                 reason=m.reason or ""))
        elif by is not None:
            key = "register_note_replaced_by" if m.status == DocStatus.REPLACED else "register_note_corrected_by"
            notes.append(message(key, type=type_name(by.doc_type), reference=by.reference,
                                 date=f"{by.issued_on:%d/%m/%Y}"))
    return "; ".join(notes)


# --- the document again, from the data it was issued from -------------------------------------------

def official_document(uow, doc) -> OfficialDocument:
    """The issued document `doc` laid out again from its plan, its number and date and its facts."""
    from domain.services.reporting import request_facts, review_builder  # reporting -> plans

    plan = get_plan(uow, doc.plan_id)
    content = PlanContent.from_dict(plan.content)
    issuer = uow.bodies.get(doc.body_id)
    names = {b.id: b.name for b in uow.bodies.all()}
    common = dict(content=content, issuer=issuer, names=names, number=doc.number, issued_on=doc.issued_on)
    facts = doc.facts or {}
    if doc.kind == "plan":
        old = uow.documents.get(doc.corrects_id) if doc.corrects_id else None
        return plan_document(**common, replaces=replaced_line(uow, old))
    if doc.kind == "report_request":
        return request_letter(**common, **request_facts(uow, plan, _period(uow, doc, facts)))
    if doc.kind in ("review", "close") and facts.get("review"):  # a report drafted and approved as a review
        from domain.model.review import document_of

        return document_of(uow.reviews.get(facts["review"]).snapshot, **common)
    if doc.kind in ("review", "close"):
        reports = {r.unit_id: r for r in uow.reports.many(facts.get("reports", ()))}
        if not reports:
            raise DomainError("cannot_rebuild", reference=doc.reference)
        _, build = review_builder(uow, plan, content, _period(uow, doc, facts), reports, doc.kind)
        return build(**common)
    if doc.kind == "correction":
        from domain.services.corrections import correction_builder, signer_from_facts  # corrections -> plans

        old = uow.documents.get(doc.corrects_id)
        items = tuple(Correction(**c) for c in facts.get("corrections", ()))
        if facts.get("signer"):  # who signed the letter (before, always the plan's signer)
            content = replace(content, signer=signer_from_facts(facts["signer"]))
            common["content"] = content
        return correction_builder(uow, old, content, items)(**common)
    raise DomainError("cannot_rebuild", reference=doc.reference)


def _period(uow, doc, facts: dict[str, Any]):
    key = facts.get("period") or next((e.data.get("period") for e in uow.audit.events(doc.plan_id)
                                       if e.action == "register" and e.data.get("document_id") == doc.id), None)
    period = uow.periods.get(doc.plan_id, key) if key else None
    if period is None:
        raise DomainError("cannot_rebuild", reference=doc.reference)
    return period


def official_copy(uow, copy) -> OfficialDocument:
    """A recipient's copy (the request for reports with that unit's form) laid out again."""
    letter = uow.documents.get(copy.document_id)
    plan = get_plan(uow, letter.plan_id)
    content = PlanContent.from_dict(plan.content)
    issuer = uow.bodies.get(letter.body_id)
    names = {b.id: b.name for b in uow.bodies.all()}
    return unit_copy(official_document(uow, letter), content=content, unit=copy.recipient_id, names=names,
                     issuer_name=issuer.name, issued_on=letter.issued_on,
                     period=_period(uow, letter, letter.facts or {}), plan_id=plan.id,
                     plan_reference=uow.documents.get(plan.document_id).reference)


WITHDRAWAL = MARK_NOTICES["withdraw"]


# --- is this file one we issued? --------------------------------------------------------------------

@dataclass(frozen=True)
class FileCheck:
    """What `verify_file` found. `verdict`: issued | unknown | altered | stored_altered | rerender_differs."""

    verdict: str
    digest: str
    message: str
    document: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == "issued"


def verify_file(*, uow, data: bytes, name: str, render: Renderer, tz: tzinfo = HCM,
                read_text: Callable[[bytes], list] | None = None) -> FileCheck:
    """Which issued document (or recipient's copy) `data` is, by SHA-256: when, by whom, to whom, its standing;
    and whether its stored bytes and a fresh rendering from its data still match it.

    A file known neither by its SHA-256 nor by its name is read with `read_text` (the .docx reader): if its
    header prints the number and date of an issued document, it is that document altered."""
    digest = sha256(data)
    docs = uow.documents.with_sha256(digest)
    copies = [] if docs else uow.document_copies.with_sha256(digest)
    if not docs and not copies:
        named = uow.documents.named(name) + [uow.documents.get(c.document_id) for c in uow.document_copies.named(name)]
        if named:
            d = named[0]
            return FileCheck("altered", digest, message("verify_altered", file=name, reference=d.reference,
                                                         date=f"{d.issued_on:%d/%m/%Y}"))
        claim = read_number_claim(read_text(data)) if read_text is not None else None
        if claim is not None:
            return _claimed(uow, claim, name, digest, tz)
        return FileCheck("unknown", digest, message("verify_unknown", file=name, digest=digest))
    if docs:
        doc, copy = docs[0], None
        stored, expected = doc.content, doc.sha256
    else:
        copy = copies[0]
        doc = uow.documents.get(copy.document_id)
        stored, expected = copy.content, copy.sha256
    facts = _facts(uow, doc, copy, tz)
    recorded = _registered_sha(uow, doc, copy)
    if sha256(stored) != expected or recorded != expected:
        return FileCheck("stored_altered", digest, message("verify_stored_altered", reference=doc.reference), facts)
    event = _register_event(uow, doc)
    changed = changed_fields(doc, event.data) if event is not None else []
    if changed:
        from domain.services.audit import field_names  # audit -> plans

        return FileCheck("stored_altered", digest, message("verify_record_changed", fields=field_names(changed),
                                                            reference=event.data.get("reference", doc.reference)),
                         facts)
    try:
        again = render(official_copy(uow, copy) if copy is not None else official_document(uow, doc))
    except DomainError as exc:
        return FileCheck("rerender_differs", digest, str(exc), facts)
    if sha256(again) != digest:
        return FileCheck("rerender_differs", digest, message("verify_rerender_differs", reference=doc.reference),
                         facts)
    return FileCheck("issued", digest, message("verify_issued", reference=doc.reference), facts)


def _claimed(uow, claim: NumberClaim, name: str, digest: str, tz: tzinfo) -> FileCheck:
    """A file whose header prints an issued document's number (and date) but whose bytes are not that
    document's: which document it claims to be, and that it was altered; or that no document bears that number."""
    printed = claim.number_line + (f", ngày {claim.issued_on:%d/%m/%Y}" if claim.issued_on else "")
    found = uow.documents.with_reference(claim.reference)
    same_day = [d for d in found if claim.issued_on is None or d.issued_on == claim.issued_on]
    if not found:
        return FileCheck("unknown", digest, message("verify_claims_unknown", file=name, printed=printed,
                                                     reference=claim.reference, digest=digest))
    doc = (same_day or found)[-1]
    body = uow.bodies.get(doc.body_id)
    facts = _facts(uow, doc, None, tz)
    if not same_day:
        return FileCheck("altered", digest, message(
            "verify_claims_other_date", file=name, printed=printed, reference=doc.reference,
            date=f"{doc.issued_on:%d/%m/%Y}", body=body.name if body else doc.body_id, expected=doc.sha256), facts)
    return FileCheck("altered", digest, message(
        "verify_claims_altered", file=name, printed=printed, reference=doc.reference, date=f"{doc.issued_on:%d/%m/%Y}",
        body=body.name if body else doc.body_id, file_name=doc.file_name, expected=doc.sha256), facts)


def _register_event(uow, doc):
    """The audit event that registered `doc` (None for a document the trail does not know)."""
    return next((e for e in uow.audit.events(doc.plan_id)
                 if e.action == "register" and e.data.get("document_id") == doc.id), None)


def _registered_sha(uow, doc, copy) -> str | None:
    for e in uow.audit.events(doc.plan_id):
        if e.action == "register" and e.data.get("document_id") == doc.id:
            if copy is None:
                return e.data.get("sha256")
            return next((c["sha256"] for c in e.data.get("copies", ()) if c["recipient"] == copy.recipient_id), None)
    return None


def _facts(uow, doc, copy, tz: tzinfo) -> dict[str, Any]:
    marks = uow.documents.marks([doc.id]).get(doc.id, [])
    entry = _entry(uow, doc, marks, tz)
    registered = next((e for e in uow.audit.events(doc.plan_id)
                       if e.action == "register" and e.data.get("document_id") == doc.id), None)
    sent = [{"recipient": (uow.bodies.get(m.recipient_id).name if m.recipient_type == "body"
                           and uow.bodies.get(m.recipient_id) else m.recipient_id),
             "email": m.email, "sent_at": m.sent_at.astimezone(tz).isoformat(timespec="minutes")}
            for m in uow.outbox.for_document(doc.id) if m.sent_at is not None and m.kind != WITHDRAWAL
            and (copy is None or m.recipient_id == copy.recipient_id)]  # a withdrawal notice carries no file
    confirmed = [{"recipient": uow.bodies.get(r.recipient_id).name,
                  "confirmed_at": r.confirmed_at.astimezone(tz).isoformat(timespec="minutes")}
                 for r in uow.receipts.of_document(doc.id) if r.confirmed_at is not None]
    return {**entry.to_dict(), "copy_for": uow.bodies.get(copy.recipient_id).name if copy is not None else None,
            "registered_at": registered.at if registered else None,
            "registered_by": registered.actor if registered else None,
            "sent": sent, "confirmed": confirmed,
            "later": [{"status": m.status, "status_name": DOC_STATUS_NAMES[DocStatus(m.status)],
                       "at": m.at.astimezone(tz).isoformat(timespec="minutes"), "reason": m.reason,
                       "by": uow.documents.get(m.by_document_id).reference if m.by_document_id else None}
                      for m in marks]}
