"""Reading and checking the audit trail ("nhật ký"): the hash chain and every issued file."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from domain.messages import message
from domain.model.audit import Event, canonical, first_broken, sha256
from domain.services.plans import changed_fields


def trail(*, uow, plan_id: int) -> list[Event]:
    """Every event of one plan, in order."""
    return uow.audit.events(plan_id)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str


def verify(*, uow, read_file: Callable[[str], bytes | None]) -> Verdict:
    """Recompute the chain and the SHA-256 of every issued document, stored and on disk."""
    events = uow.audit.events()
    broken = first_broken(events)
    if broken:
        event, why = broken
        return Verdict(False, message("audit_broken_event", id=event.id, action=event.action, why=why))
    registers = [e for e in events if e.action == "register"]
    registered = {e.data["document_id"]: e.data["sha256"] for e in registers}
    documents = uow.documents.all()
    for doc in documents:
        why = _document_fault(doc, registered.get(doc.id), read_file(doc.file_name))
        if why:
            return Verdict(False, message("audit_broken_file", file=doc.file_name, number=doc.reference, why=why))
    # each recipient's copy of a document (a unit's copy of the request for reports, with its form)
    copies_registered = {(e.data["document_id"], c["recipient"]): c["sha256"]
                         for e in registers for c in e.data.get("copies", ())}
    copies = uow.document_copies.all()
    for copy in copies:
        why = _document_fault(copy, copies_registered.get((copy.document_id, copy.recipient_id)),
                              read_file(copy.file_name))
        if why:
            number = uow.documents.get(copy.document_id).reference
            return Verdict(False, message("audit_broken_file", file=copy.file_name, number=number, why=why))
    why = _changed_records(uow, events)
    if why:
        return Verdict(False, why)
    return Verdict(True, message("audit_ok", events=len(events), files=len(documents) + len(copies)))


def _changed_records(uow, events: list[Event]) -> str | None:
    """What the issued documents were built from, checked against the trail: each issued plan's content
    against the hash its last create/edit event recorded, each document's row against its register event,
    each register counter against the numbers drawn, each mark on a document against its event."""
    content_hash: dict[int, str] = {}
    for e in events:
        if e.action in ("create", "edit") and e.plan_id is not None and e.data.get("content_sha256"):
            content_hash[e.plan_id] = e.data["content_sha256"]
    for plan in uow.plans.all():
        if plan.document_id is not None and plan.id in content_hash \
                and sha256(canonical(plan.content)) != content_hash[plan.id]:
            return message("audit_plan_changed", plan=plan.id, reference=uow.documents.get(plan.document_id).reference)
    registered = {e.data["document_id"]: e for e in events if e.action == "register" and "document_id" in e.data}
    for doc in uow.documents.all():
        event = registered.get(doc.id)
        changed = changed_fields(doc, event.data) if event is not None else []
        if changed:
            return message("audit_document_changed", reference=event.data.get("reference", doc.reference),
                           fields=field_names(changed), event=event.id)
    drawn: dict[tuple[str, str], int] = {}
    for doc in uow.documents.all():
        key = (doc.body_id, doc.series)
        drawn[key] = max(drawn.get(key, 0), doc.number)
    for (body, series), highest in drawn.items():
        last = uow.register.last_number(body, series)
        if last < highest:
            return message("audit_counter_rewound", body=body, series=series, last=last, highest=highest)
    by_id = {e.id: e for e in events}
    for doc_id, marks in uow.documents.marks().items():
        for m in marks:
            e = by_id.get(m.event_id)
            if e is None or e.data.get("document_id") != doc_id or e.to_state != m.status \
                    or e.data.get("reason") != m.reason or e.data.get("by_document_id") != m.by_document_id:
                return message("audit_mark_unrecorded", reference=uow.documents.get(doc_id).reference,
                               status=m.status)
    return None


def field_names(fields: list[str]) -> str:
    """ "trích yếu, người ký": the fields of a document row, in Vietnamese."""
    return ", ".join(message(f"document_field_{f}") for f in fields)


def _document_fault(doc, on_record: str | None, on_disk: bytes | None) -> str | None:
    if on_record is None:
        return "không có sự kiện ban hành nào ghi văn bản này trong nhật ký"
    if doc.sha256 != on_record:
        return "mã SHA-256 trong sổ khác mã đã ghi trong nhật ký"
    if sha256(doc.content) != on_record:
        return "bản lưu trong cơ sở dữ liệu không khớp SHA-256 đã ghi"
    if on_disk is None:
        return "không tìm thấy tệp trong thư mục văn bản"
    if sha256(on_disk) != on_record:
        return "tệp trên đĩa không khớp SHA-256 đã ghi"
    return None


def export_lines(*, uow) -> list[bytes]:
    """The whole trail as JSON Lines: each event's fields (its predecessor's hash included) and its hash,
    written canonically (keys sorted, UTF-8, no spaces), so that removing `"hash":"…",` from a line leaves
    exactly the bytes its hash was computed from (docs/audit-chain.md)."""
    return [canonical({**e.fields(), "hash": e.hash}) + b"\n" for e in uow.audit.events()]
