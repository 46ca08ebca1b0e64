"""Plans linked to the higher bodies' plans they implement ("thực hiện Kế hoạch số … của cấp trên").

A plan's source names the plans it implements (`implements:`): by reference as the higher plan was
issued ("Số 41/KH-UBND ngày 20/01/2026", optionally "… của Ủy ban nhân dân quận Kiến An") or by id
("#3"). `link_plan` resolves each to a plan in the database and records the links; the higher
body's review then pulls in what the lower plans' own reviews say (`lower_summaries`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.messages import DomainError, message
from domain.model.links import matches, read_citation
from domain.model.plan import PlanContent
from domain.model.review import met_count
from domain.model.workflow import State
from domain.services.workflow import get_plan, record

ISSUED_STATES = (State.ISSUED, State.DISTRIBUTED)


def resolve_citations(uow, plan_id: int | None, implements: tuple[str, ...]) -> tuple[list[tuple[int, str]], list[str]]:
    """(the links: (higher plan id, as cited), notes on the citations of a plan not in the database).

    A citation by id must name a plan (else refused); one by reference that matches no issued plan is
    kept as the text cites it (a higher body may not use kehoach), with a note saying so; one that
    matches several is refused, naming them.
    """
    links: list[tuple[int, str]] = []
    notes: list[str] = []
    issued = None
    for cited in implements:
        citation = read_citation(cited)
        if citation is None:
            continue  # a document of another kind (Chỉ thị, Nghị quyết, Đề án …): a citation only
        if citation.plan_id is not None:
            higher = uow.plans.get(citation.plan_id)
            if higher is None:
                raise DomainError("implements_unknown_id", cited=cited, plan=citation.plan_id)
            found = [higher]
        else:
            if issued is None:
                issued = _issued_plans(uow)
            found = [plan for plan, doc, body in issued if matches(citation, doc.reference, doc.issued_on, body.name)]
            if len(found) > 1:
                raise DomainError("implements_ambiguous", cited=cited, plans=", ".join(
                    f"#{plan.id} ({body.name})" for plan, doc, body in issued if plan in found))
            if not found:
                notes.append(message("implements_not_found", cited=cited))
                continue
        if found[0].id == plan_id:
            raise DomainError("implements_itself", cited=cited)
        links.append((found[0].id, cited))
    return list(dict.fromkeys(links)), notes


def _issued_plans(uow) -> list[tuple[Any, Any, Any]]:
    out = []
    for plan in uow.plans.all():
        if plan.document_id is not None:
            out.append((plan, uow.documents.get(plan.document_id), uow.bodies.get(plan.issuer_id)))
    return out


def link_plan(*, uow, plan_id: int) -> list[str]:
    """Record the links of the plan's `implements:` (replacing earlier ones); returns the notes on
    citations not found. In the caller's transaction."""
    plan = uow.plans.get(plan_id)
    content = PlanContent.from_dict(plan.content)
    links, notes = resolve_citations(uow, plan_id, content.implements)
    uow.plan_links.replace(plan_id, links)
    return notes


def link_waiting(*, uow, plan_id: int, actor: str, now: datetime) -> list[int]:
    """Links resolved late: the plan has just been issued, and every plan whose `implements:` cites it by
    number, symbol (date, issuer) but found nothing when it was written is linked to it now, each link
    with an audit event on the lower plan's trail ("link"). Returns the lower plans linked. In the
    caller's transaction (the issue's), so the higher review pulls them in from then on.

    A citation already resolved (to this plan or another) is left as it is.
    """
    plan = get_plan(uow, plan_id)
    doc = uow.documents.get(plan.document_id)
    issuer = uow.bodies.get(plan.issuer_id)
    linked = []
    for lower in uow.plans.all():
        if lower.id == plan_id:
            continue
        cited = PlanContent.from_dict(lower.content).implements
        if not cited:
            continue
        existing = uow.plan_links.higher(lower.id)
        if any(link.higher_plan_id == plan_id for link in existing):
            continue  # already linked to it (cited by id as well)
        resolved = {link.cited_as for link in existing}
        for text in cited:
            if text in resolved:
                continue
            citation = read_citation(text)
            if citation is None or citation.number is None:
                continue
            if matches(citation, doc.reference, doc.issued_on, issuer.name):
                uow.plan_links.add(lower.id, plan_id, text)
                record(uow=uow, actor=actor, action="link", now=now, plan_id=lower.id,
                       data={"implements_plans": [plan_id], "cited_as": text, "reference": doc.reference,
                             "issuer": issuer.name})
                linked.append(lower.id)
                break
    return linked


def plan_links(*, uow, plan_id: int) -> dict[str, Any]:
    """What the plan implements (plans linked, citations of plans not in the database, other documents
    cited) and which plans implement it ("kehoach plan links")."""
    plan = get_plan(uow, plan_id)
    content = PlanContent.from_dict(plan.content)
    higher = higher_plans(uow=uow, plan_id=plan_id)
    resolved = {h["cited_as"] for h in higher}
    pending, other = [], []
    for text in content.implements:
        if text in resolved:
            continue
        citation = read_citation(text)
        (other if citation is None else pending).append(text)
    lower = []
    for link in uow.plan_links.lower(plan_id):
        row = uow.plans.get(link.plan_id)
        doc = uow.documents.get(row.document_id) if row.document_id else None
        lower.append({"plan_id": row.id, "title": row.title, "state": row.state, "cited_as": link.cited_as,
                      "reference": doc.reference if doc else "",
                      "issued_on": doc.issued_on.isoformat() if doc else None,
                      "issuer": uow.bodies.get(row.issuer_id).name})
    return {"plan_id": plan.id, "title": plan.title, "implements": higher, "pending": pending, "other": other,
            "implemented_by": lower}


def higher_plans(*, uow, plan_id: int) -> list[dict[str, Any]]:
    """The plans `plan_id` implements, as linked."""
    out = []
    for link in uow.plan_links.higher(plan_id):
        higher = uow.plans.get(link.higher_plan_id)
        doc = uow.documents.get(higher.document_id) if higher.document_id else None
        out.append({"plan_id": higher.id, "cited_as": link.cited_as, "title": higher.title,
                    "reference": doc.reference if doc else "", "issuer": uow.bodies.get(higher.issuer_id).name})
    return out


def lower_summaries(*, uow, plan_id: int) -> list[dict[str, Any]]:
    """For each plan implementing `plan_id`: its latest issued review, else its latest draft that was
    neither rejected nor withdrawn, summarised (targets met, not met, without figures; the ones not met by
    name); a lower plan without a review yet is listed as such."""
    out = []
    for link in uow.plan_links.lower(plan_id):
        lower = uow.plans.get(link.plan_id)
        content = PlanContent.from_dict(lower.content)
        plan_doc = uow.documents.get(lower.document_id) if lower.document_id else None
        entry: dict[str, Any] = {
            "plan_id": lower.id, "issuer": uow.bodies.get(lower.issuer_id).name, "plan_title": content.title,
            "plan_reference": plan_doc.reference if plan_doc else "",
            "plan_issued_on": plan_doc.issued_on.isoformat() if plan_doc else None,
            "review_id": None, "review_reference": "", "review_issued_on": None, "review_state": "",
            "review_title": "", "period_label": "", "met": 0, "not_met": 0, "no_result": 0, "not_met_targets": [],
            "targets": len(content.targets),
        }
        reviews = [r for r in uow.reviews.for_plan(lower.id) if r.state not in (State.REJECTED, State.WITHDRAWN)]
        issued = [r for r in reviews if r.state in ISSUED_STATES]
        chosen = (issued or reviews or [None])[-1]
        if chosen is not None:
            snap = chosen.snapshot
            doc = uow.documents.get(chosen.document_id) if chosen.document_id else None
            met, not_met, no_result = met_count(snap)
            entry.update(
                review_id=chosen.id, review_reference=doc.reference if doc else "",
                review_issued_on=doc.issued_on.isoformat() if doc else None, review_state=chosen.state,
                review_title=snap["title"], period_label=snap["period_label"], met=met, not_met=not_met,
                no_result=no_result,
                not_met_targets=[content.target(r["target"]).text for r in snap["rollups"] if r["met"] is False])
        out.append(entry)
    return out


