"""The one way a plan changes state, and the one way anything goes on record.

`apply` authorises an action against the transition table, moves the plan and appends the
audit event, in the caller's unit of work; the caller commits both together or neither.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.messages import DomainError
from domain.model.audit import Event
from domain.model.plan import PlanContent
from domain.model.workflow import REVIEW_TRANSITIONS, SYSTEM, TRANSITIONS, Context, State, authorize


def record(*, uow, actor: str, action: str, now: datetime, plan_id: int | None = None,
           from_state: str | None = None, to_state: str | None = None,
           data: dict[str, Any] | None = None) -> Event:
    """Append one event to the hash-chained audit trail."""
    return uow.audit.append({
        "id": uow.audit.next_id(),
        "at": now.isoformat(timespec="seconds"),
        "actor": actor,
        "action": action,
        "plan_id": plan_id,
        "from_state": from_state,
        "to_state": to_state,
        "data": data or {},
        "prev_hash": uow.audit.head(),
    })


def require_user(uow, user_id: str) -> None:
    if user_id != SYSTEM and uow.users.get(user_id) is None:
        raise DomainError("unknown_user", user=user_id)


def get_plan(uow, plan_id: int):
    plan = uow.plans.get(plan_id)
    if plan is None:
        raise DomainError("unknown_plan", plan=plan_id)
    return plan


def check(*, uow, plan, action: str, actor: str, review=None) -> None:
    """Refuse now, as `apply` would, an action that work done before recording it would be wasted on."""
    _judge(uow, plan, action, actor, None, None, review)


def _judge(uow, plan, action: str, actor: str, reason: str | None, unit: str | None, review):
    """(the state now, the next state) if the action is authorised; else DomainError."""
    require_user(uow, actor)
    content = PlanContent.from_dict(plan.content)
    issuer = uow.bodies.get(plan.issuer_id)
    scope_body = unit if unit is not None else plan.issuer_id
    acting_body = uow.bodies.get(scope_body) if unit is not None else issuer
    if unit is not None and acting_body is None:
        raise DomainError("unknown_body", body=unit)
    signer = content.signer.user if content.signer else None
    state = State((plan if review is None else review).state)
    table = TRANSITIONS if review is None else REVIEW_TRANSITIONS
    roles_held, body_name = uow.users.roles(actor, scope_body), acting_body.name
    rule = table.get((state, action))
    if rule is not None and rule.scope == "office":
        offices = [b for b in (uow.bodies.get(i) for i in content.office_bodies()) if b is not None]
        roles_held = set().union(*(uow.users.roles(actor, b.id) for b in offices))
        body_name = " hoặc ".join(b.name for b in offices)
    next_state = authorize(
        state=state, action=action, roles_held=roles_held,
        ctx=Context(actor=actor, signer=signer, reason=reason,
                    unit_has_task=unit is None or unit in content.executing_units()),
        plan_id=plan.id, body_name=body_name, unit=unit,
        plan_signer_name=content.signer.name if content.signer else "",
        table=table,
        what=None if review is None else f"{REVIEW_NAMES[review.kind]} #{review.id}",
    )
    return state, next_state


def report_action(*, uow, plan, unit: str, actor: str) -> str:
    """How `actor` may put the unit's report on record: "submit_report" as the unit's own reporter, else
    "record_report" on its behalf as a clerk or drafter of the issuing or an advisory body (a form that came
    by e-mail or on paper); else DomainError naming both ways."""
    refusals = []
    for action in ("submit_report", "record_report"):
        try:
            _judge(uow, plan, action, actor, None, unit, None)
            return action
        except DomainError as refused:
            if refused.code != "role_required":
                raise
            refusals.append(refused)
    content = PlanContent.from_dict(plan.content)
    offices = [b.name for b in (uow.bodies.get(i) for i in content.office_bodies()) if b is not None]
    raise DomainError("report_not_entitled", user=actor, unit=uow.bodies.get(unit).name, plan=plan.id,
                      offices=" hoặc ".join(offices))


REVIEW_NAMES = {"review": "báo cáo sơ kết", "close": "báo cáo tổng kết"}


def apply(*, uow, plan, action: str, actor: str, now: datetime, reason: str | None = None,
          unit: str | None = None, data: dict[str, Any] | None = None, review=None) -> Event:
    """Authorise `action` by `actor` on `plan`, change its state and record the event.

    With `review` (a sơ kết / tổng kết report of the plan), the action is the report's: judged by the
    report's rules (REVIEW_TRANSITIONS, the plan's signer signs), the report changes state and the
    event, on the plan's trail, names it (`data["review"]`).
    """
    state, next_state = _judge(uow, plan, action, actor, reason, unit, review)
    subject = plan if review is None else review
    subject.state = next_state.value
    subject.updated_at = now
    payload = dict(data or {})
    if review is not None:
        payload["review"] = review.id
    if reason:
        payload["reason"] = reason
    if unit:
        payload["unit"] = unit
    return record(uow=uow, actor=actor, action=action, now=now, plan_id=plan.id,
                  from_state=state.value, to_state=next_state.value, data=payload)
