"""Plans from draft to issue: create, edit, the approval decisions, and the signing ("ký ban hành")."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from typing import Any, Callable

from domain.messages import DomainError, message
from domain.model import numbering
from domain.model.audit import canonical, sha256
from domain.model.documents import OfficialDocument, plan_document
from domain.model.importer import ImportedPlan, plan_source
from domain.model.plan import PlanContent, Recipient, parse_plan
from domain.model.workflow import STATE_NAMES, State
from domain.services.links import link_plan, link_waiting, resolve_citations
from domain.services.workflow import apply, get_plan, record, require_user

REGIME_NAMES = {"party": "văn bản của Đảng (HD 36-HD/VPTW)", "state": "văn bản hành chính (NĐ 30/2020/NĐ-CP)"}
Renderer = Callable[[OfficialDocument], bytes]
DECISIONS = ("submit", "approve", "return", "resubmit", "reject")
ID_DOMAIN = "kehoach.local"  # the Message-ID domain when the caller names none (Settings.message_id_domain)


def _resolve(uow, content: PlanContent) -> PlanContent:
    """Check every body and the signer exist; fill names the document prints."""
    for body_id in sorted(content.bodies_named()):
        # a name with spaces is a body written out in words (kept as written, e.g. by the
        # importer); a code must be a body of the organisation
        if uow.bodies.get(body_id) is None and not re.search(r"\s", body_id):
            raise DomainError("unknown_body", body=body_id)
    signer_user = uow.users.get(content.signer.user)
    if signer_user is None:
        raise DomainError("unknown_user", user=content.signer.user)
    issuer = uow.bodies.get(content.issuer)
    if "signer" not in uow.users.roles(signer_user.id, issuer.id):
        raise DomainError("signer_no_role", user=signer_user.id, body=issuer.name)
    recipients = tuple(
        replace(r, label=r.label or uow.bodies.get(r.body).name) if r.body else r for r in content.recipients)
    return replace(content, recipients=recipients, signer=replace(content.signer, name=signer_user.full_name))


def create_plan(*, uow, data: Any, source: str, actor: str, now: datetime) -> int:
    """A new draft plan ("dự thảo") from its structured source; the actor must draft for the issuer."""
    require_user(uow, actor)
    content = _resolve(uow, parse_plan(data, source=source))
    issuer = uow.bodies.get(content.issuer)
    if "drafter" not in uow.users.roles(actor, issuer.id):
        raise DomainError("role_required", user=actor, action="soạn thảo", body=issuer.name, roles="«soạn thảo»")
    plan = uow.plans.add(uow.plans.new(
        issuer_id=issuer.id, state=State.DRAFT.value, title=content.title, content=content.to_dict(),
        created_by=actor, created_at=now, updated_at=now))
    links = _link(uow, plan.id)
    record(uow=uow, actor=actor, action="create", now=now, plan_id=plan.id, to_state=plan.state,
           data={"source": source, "title": content.title, "content_sha256": _content_hash(content), **links})
    uow.commit()
    return plan.id


def import_plan(*, uow, imported: ImportedPlan, source: str, actor: str, now: datetime,
                issuer: str | None = None, signer: str | None = None) -> int:
    """A new draft plan from what the importer read out of a Word or text draft."""
    require_user(uow, actor)
    if not imported.sections:
        raise DomainError("import_no_sections", file=source)
    body = _import_issuer(uow, imported, actor, issuer)
    if imported.regime and imported.regime != body.regime:
        raise DomainError("import_regime_mismatch", body=body.name, found=REGIME_NAMES[imported.regime],
                          expected=REGIME_NAMES[body.regime])
    signer_id = _import_signer(uow, imported, body, signer)
    body_ids: dict[str, str] = {}
    for b in uow.bodies.all():
        for key in (b.id, b.name, b.abbr):
            if key:
                body_ids.setdefault(key.casefold(), b.id)
    data = plan_source(imported, issuer=body.id, signer=signer_id, body_ids=body_ids)
    return create_plan(uow=uow, data=data, source=source, actor=actor, now=now)


def _link(uow, plan_id: int) -> dict[str, Any]:
    """Link the plan to the higher plans its `implements:` names (domain/services/links.py); what the
    audit event keeps of it."""
    link_plan(uow=uow, plan_id=plan_id)
    linked = [link.higher_plan_id for link in uow.plan_links.higher(plan_id)]
    return {"implements_plans": linked} if linked else {}


def baseline_notes(*, uow, plan_id: int) -> list[str]:
    """What to tell the drafter of the plan's reductions without a figure at the start (to fill before issue)."""
    content = PlanContent.from_dict(get_plan(uow, plan_id).content)
    return [message("baseline_to_fill", target=t.id, text=t.text) for t in content.missing_baselines()]


def citation_notes(*, uow, plan_id: int) -> list[str]:
    """What to tell the drafter of the plan's `implements:`: each cited plan not found in the database."""
    plan = get_plan(uow, plan_id)
    return resolve_citations(uow, plan.id, PlanContent.from_dict(plan.content).implements)[1]


def get_plan_source(*, uow, plan_id: int) -> dict[str, Any]:
    """The stored plan as an editable structured source, in the shape `plan create` reads."""
    data = json.loads(json.dumps(PlanContent.from_dict(get_plan(uow, plan_id).content).to_dict()))
    for task in data["tasks"]:
        task["written"] = [{"label": label, "text": text} for label, text in task["written"]]
    if data.get("signer"):
        data["signer"].pop("name", None)
    pruned = _pruned(data)
    for target in pruned.get("targets", []):
        if target.get("direction") == "reduce_by":
            target.setdefault("baseline", None)  # shown, to be filled before the plan is issued
    return pruned


def _pruned(value: Any) -> Any:
    """Without empty values, so the file shows only what the plan says."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v not in (None, [], {}, "") or k == "sections"}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _import_issuer(uow, imported: ImportedPlan, actor: str, issuer: str | None):
    """The body named with --issuer, else the one the header names, else the actor's only one."""
    bodies = uow.bodies.all()
    if issuer:
        body = uow.bodies.get(issuer)
        if body is None:
            raise DomainError("unknown_body", body=issuer)
        return body
    header = (imported.issuer or "").casefold()
    named = [b for b in bodies if header and (header == b.name.casefold() or header.endswith(" " + b.name.casefold()))]
    drafting = [b for b in bodies if "drafter" in uow.users.roles(actor, b.id)]
    for candidates in (named, drafting if not header else []):
        if len(candidates) == 1:
            return candidates[0]
    raise DomainError("import_needs_issuer", found=f" («{imported.issuer}»)" if imported.issuer else "",
                      bodies=", ".join(b.id for b in drafting or bodies) or "chưa có")


def _import_signer(uow, imported: ImportedPlan, body, signer: str | None) -> str:
    """The user named with --signer, else the issuer's signer whose name the signing block prints."""
    signers = uow.users.with_role(body.id, "signer")
    if signer:
        return signer
    name = (imported.signer_name or "").casefold()
    matches = [u for u in signers if name and u.full_name.casefold() == name]
    if len(matches) == 1:
        return matches[0].id
    raise DomainError("import_needs_signer", found=f" («{imported.signer_name}»)" if imported.signer_name else "",
                      body=body.name, users=", ".join(u.id for u in signers) or "chưa có ai")


def update_plan(*, uow, plan_id: int, data: Any, source: str, actor: str, now: datetime) -> int:
    """Replace a draft's or returned plan's content with a new version; issued plans never change."""
    plan = get_plan(uow, plan_id)
    content = _resolve(uow, parse_plan(data, source=source))
    if content.issuer != plan.issuer_id:
        raise DomainError("issuer_mismatch", new=content.issuer, plan=plan_id, old=plan.issuer_id)
    if plan.state not in (State.DRAFT, State.RETURNED):
        raise DomainError("plan_frozen", plan=plan_id, state=_state_name(plan.state))
    plan.content, plan.title, plan.version = content.to_dict(), content.title, plan.version + 1
    apply(uow=uow, plan=plan, action="edit", actor=actor, now=now,
          data={"version": plan.version, "source": source, "content_sha256": _content_hash(content),
                **_link(uow, plan.id)})
    uow.commit()
    return plan.version


def decide(*, uow, plan_id: int, action: str, actor: str, now: datetime, reason: str | None = None,
           id_domain: str = ID_DOMAIN) -> str:
    """Record an approval decision (submit, approve, return, resubmit, reject); returns the new state.

    One transaction: the state change, its audit event and the notices to whoever acts next
    (domain/model/notices.py) land together, or none of them does.
    """
    from domain.services.notices import queue_decision_notices  # notices -> delivery -> plans

    if action not in DECISIONS:
        raise ValueError(action)
    plan = get_plan(uow, plan_id)
    event = apply(uow=uow, plan=plan, action=action, actor=actor, now=now, reason=reason,
                  data={"version": plan.version})
    queue_decision_notices(uow=uow, plan=plan, event=event, now=now, id_domain=id_domain)
    uow.commit()
    return plan.state


def issue_plan(*, uow, plan_id: int, actor: str, now: datetime, render: Renderer, id_domain: str = ID_DOMAIN,
               run: str | None = None, issued_on: date | None = None, replaces: str | None = None) -> int:
    """Sign: draw the next register number, date, render the .docx, record its SHA-256; returns the document id.

    One transaction: the number, the file's hash, the state change, the audit event and the notice to
    the clerks (văn thư) land together. `run` names the orchestration run doing it: the same run,
    retried after a later step failed, gets the document it issued instead of a refusal. `issued_on`
    dates a plan signed on an earlier day (it takes the next number of that day's year or term);
    `replaces` names an issued plan of the same body ("05/KH-UBND") this one replaces ("thay thế"),
    which is marked replaced in the same transaction.
    """
    from domain.services.notices import queue_decision_notices  # notices -> delivery -> plans

    plan = get_plan(uow, plan_id)
    done = registered_in_run(uow, plan.id, run)
    if done is not None:
        return done["document_id"]
    if plan.document_id is not None:
        doc = uow.documents.get(plan.document_id)
        raise DomainError("already_issued", plan=plan_id, number=doc.reference, date=f"{doc.issued_on:%d/%m/%Y}")
    content = PlanContent.from_dict(plan.content)
    if content.missing_baselines():
        raise DomainError("baseline_required", plan=plan.id, targets=", ".join(
            f"{t.id} («{t.text}»)" for t in content.missing_baselines()))
    issued_on = check_issue_date(issued_on, now=now, since=plan.created_at)
    old = find_document(uow, replaces, body_id=plan.issuer_id, kind="plan") if replaces else None
    event = apply(uow=uow, plan=plan, action="issue", actor=actor, now=now)  # authorises before a number is drawn
    doc = issue_document(uow=uow, plan_id=plan.id, kind="plan", content=content, actor=actor, now=now,
                         render=render, issued_on=issued_on, corrects=old, correction="replace" if old else None,
                         build=partial(plan_document, replaces=replaced_line(uow, old)) if old else plan_document)
    plan.document_id = doc.id
    record(uow=uow, actor=actor, action="register", now=now, plan_id=plan.id,
           data={**document_facts(doc), **run_mark(run)})
    if old is not None:
        from domain.services.corrections import mark_document  # corrections -> plans

        mark_document(uow=uow, doc=old, action="replace", actor=actor, now=now, by=doc, id_domain=id_domain)
    link_waiting(uow=uow, plan_id=plan.id, actor=actor, now=now)
    queue_decision_notices(uow=uow, plan=plan, event=event, now=now, id_domain=id_domain)
    uow.commit()
    return doc.id


def check_issue_date(issued_on: date | None, *, now: datetime, since: datetime) -> date:
    """The date an issued document carries: today, or an earlier day it was signed on (not before its draft)."""
    if issued_on is None:
        return now.date()
    if issued_on > now.date():
        raise DomainError("issue_date_future", date=f"{issued_on:%d/%m/%Y}", today=f"{now.date():%d/%m/%Y}")
    if issued_on < since.date():
        raise DomainError("issue_date_before_draft", date=f"{issued_on:%d/%m/%Y}", draft=f"{since.date():%d/%m/%Y}")
    return issued_on


def find_document(uow, reference: str, *, body_id: str | None = None, kind: str | None = None):
    """An issued document named by its number and symbol ("05/KH-UBND", "48-KH/ĐU"), with its date when
    numbers of several years share it ("05/KH-UBND ngày 23/11/2026"), or by "#id"."""
    ref = reference.strip().removeprefix("Số:").removeprefix("Số").strip()
    dated = re.fullmatch(r"(.+?),?\s+ngày\s+(\d{1,2})/(\d{1,2})/(\d{4})", ref)
    on = None
    if dated:
        ref = dated.group(1)
        try:
            on = date(int(dated.group(4)), int(dated.group(3)), int(dated.group(2)))
        except ValueError:
            raise DomainError("unknown_document", reference=reference) from None
    if ref.startswith("#") and ref[1:].isdigit():
        found = [d for d in [uow.documents.get(int(ref[1:]))] if d is not None]
    else:
        found = [d for d in uow.documents.with_reference(ref) if body_id is None or d.body_id == body_id]
    if on is not None:
        found = [d for d in found if d.issued_on == on]
    if kind is not None:
        found = [d for d in found if d.kind == kind]
    if len(found) == 1:
        return found[0]
    if not found:
        raise DomainError("unknown_document", reference=reference)
    raise DomainError("ambiguous_document", reference=reference,
                      found=", ".join(f"#{d.id} ({d.issued_on:%d/%m/%Y}, {d.body_id})" for d in found))


def replaced_line(uow, old) -> str | None:
    """ "Kế hoạch này thay thế Kế hoạch số 05/KH-UBND ngày 23/11/2026 của Ủy ban nhân dân phường Hòa Bình."."""
    if old is None:
        return None
    issuer = uow.bodies.get(old.body_id)
    return (f"Kế hoạch này thay thế Kế hoạch số {old.reference} ngày {old.issued_on:%d/%m/%Y} "
            f"của {issuer.name}.")


def issue_document(*, uow, plan_id: int, kind: str, content: PlanContent, actor: str, now: datetime,
                   render: Renderer, build: Callable[..., OfficialDocument] = plan_document,
                   doc_type: str | None = None, subject: str | None = None, signer: str | None = None,
                   issued_on: date | None = None, corrects=None, correction: str | None = None,
                   facts: dict[str, Any] | None = None):
    """Draw the next number of the issuer's register, date, render and store one document.

    `build(content=, issuer=, names=, number=, issued_on=)` lays the document out. The number comes
    from the series of the document's own date (a document dated in an earlier year takes the next
    number of that year). `corrects` is the document it corrects or replaces; `facts` what it was
    built from besides the plan (kept to render it again).
    """
    issuer = uow.bodies.get(content.issuer)
    doc_type = doc_type or content.doc_type
    issued_on = issued_on or now.date()
    code = numbering.type_code(doc_type)
    series = numbering.series_key(regime=issuer.regime, issued_on=issued_on, term=issuer.term, code=code)
    number = uow.register.next_number(issuer.id, series)
    sym = numbering.symbol(regime=issuer.regime, code=code, body_abbr=issuer.abbr or code)
    names = {b.id: b.name for b in uow.bodies.all()}
    official = build(content=content, issuer=issuer, names=names,
                     number=number, issued_on=issued_on)
    data = render(official)
    return uow.documents.add(
        plan_id=plan_id, kind=kind, doc_type=doc_type, body_id=issuer.id, series=series,
        number=number, symbol=sym, reference=numbering.reference(regime=issuer.regime, number=number, sym=sym),
        issued_on=issued_on, subject=subject or content.title, signer_id=signer or actor,
        file_name=official.file_stem + ".docx", sha256=sha256(data), content=data, created_at=now,
        corrects_id=corrects.id if corrects is not None else None, correction=correction, facts=facts)


def rerender_plan(*, uow, document_id: int, render: Renderer) -> bytes:
    """The issued KẾ HOẠCH rendered again from its stored content, number and date.

    Same data, same bytes: compare its SHA-256 with the one recorded at issue to show the
    file still says what was signed (a body renamed since then shows up as a difference).
    """
    doc = uow.documents.get(document_id)
    if doc is None or doc.kind != "plan":
        raise DomainError("not_a_plan_document", document=document_id)
    plan = get_plan(uow, doc.plan_id)
    content = PlanContent.from_dict(plan.content)
    names = {b.id: b.name for b in uow.bodies.all()}
    old = uow.documents.get(doc.corrects_id) if doc.corrects_id else None
    official = plan_document(content=content, issuer=uow.bodies.get(doc.body_id), names=names,
                             number=doc.number, issued_on=doc.issued_on, replaces=replaced_line(uow, old))
    return render(official)


def run_mark(run: str | None) -> dict[str, str]:
    """What a register event keeps of the orchestration run that drew the number (nothing without one)."""
    return {"run": run} if run else {}


def registered_in_run(uow, plan_id: int, run: str | None) -> dict[str, Any] | None:
    """The register event's data of the document `run` already issued for the plan, if it did: a
    retried run resumes after the step that succeeded instead of drawing a second number."""
    if not run:
        return None
    return next((e.data for e in uow.audit.events(plan_id) if e.action == "register" and e.data.get("run") == run),
                None)


def document_facts(doc) -> dict[str, Any]:
    """What the register and the audit trail keep of an issued document (its register event's data)."""
    data = {"document_id": doc.id, "number": doc.number, "reference": doc.reference, "series": doc.series,
            "issued_on": doc.issued_on.isoformat(), "file_name": doc.file_name, "sha256": doc.sha256,
            "signer": doc.signer_id, "body": doc.body_id, "doc_type": doc.doc_type, "subject": doc.subject}
    if doc.facts:
        data["facts_sha256"] = sha256(canonical(doc.facts))
    return data


RECORDED_FIELDS = ("number", "reference", "series", "issued_on", "file_name", "sha256", "signer", "body", "doc_type",
                   "subject", "facts_sha256")


def changed_fields(doc, recorded: dict[str, Any]) -> list[str]:
    """The fields of an issued document's row that no longer say what its register event recorded (of those
    the event has: older trails recorded fewer); empty when the row is as issued."""
    now = document_facts(doc)
    return [key for key in RECORDED_FIELDS if key in recorded and recorded[key] != now.get(key)]


def draft_document(*, uow, plan_id: int) -> OfficialDocument:
    """The plan as it would print now, unnumbered (for review before signing)."""
    plan = get_plan(uow, plan_id)
    content = PlanContent.from_dict(plan.content)
    issuer = uow.bodies.get(plan.issuer_id)
    names = {b.id: b.name for b in uow.bodies.all()}
    return plan_document(content=content, issuer=issuer, names=names, number=None,
                         issued_on=None)


def _content_hash(content: PlanContent) -> str:
    return sha256(canonical(content.to_dict()))


def _state_name(state: str) -> str:
    return STATE_NAMES[State(state)]


def recipients_with_mail(uow, content: PlanContent) -> list[tuple[Recipient, Any]]:
    """Recipients that are bodies with an e-mail address, each once."""
    seen: set[str] = set()
    out = []
    for r in content.recipients:
        body = uow.bodies.get(r.body) if r.body else None
        if body and body.email and body.id not in seen:
            seen.add(body.id)
            out.append((r, body))
    return out


def issued_files(*, uow, plan_id: int | None = None) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every issued document, of one plan or of all."""
    docs = uow.documents.for_plan(plan_id) if plan_id is not None else uow.documents.all()
    return [(d.file_name, d.content) for d in docs]
