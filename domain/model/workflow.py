"""The plan's state machine as data: (state, action) -> (next state, who may, guard).

Deny by default: a pair missing from `TRANSITIONS` is refused, and so is an actor who holds
none of the roles for the body the rule names. `authorize` is the only judge; the service
function `domain.services.workflow.apply` is the only way a plan changes state.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Callable

from domain.messages import DomainError
from domain.model.org import ROLES

SYSTEM = "system"  # the actor of scheduled and automatic steps ("hệ thống")


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    ISSUED = "issued"
    DISTRIBUTED = "distributed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    REPLACED = "replaced"


STATE_NAMES = {
    State.DRAFT: "dự thảo",
    State.SUBMITTED: "đã trình, chờ duyệt",
    State.RETURNED: "bị trả lại",
    State.APPROVED: "đã duyệt, chờ ký",
    State.REJECTED: "không duyệt",
    State.ISSUED: "đã ban hành",
    State.DISTRIBUTED: "đã phát hành",
    State.CLOSED: "đã tổng kết",
    State.WITHDRAWN: "đã thu hồi",
    State.REPLACED: "đã bị thay thế",
}

ACTION_NAMES = {
    "load_organisation": "nạp tổ chức",
    "create": "tạo dự thảo",
    "link": "liên kết với kế hoạch cấp trên",
    "register": "vào sổ văn bản đi",
    "register_copies": "lưu bản gửi từng đơn vị (kèm biểu mẫu)",
    "mail_sent": "đã gửi thư",
    "mail_failed": "gửi thư thất bại",
    "mail_retry": "đưa thư lại vào hàng chờ gửi",
    "receipt_confirm": "xác nhận đã nhận",
    "receipt_remind": "nhắc xác nhận đã nhận",
    "edit": "sửa dự thảo",
    "submit": "trình duyệt",
    "resubmit": "trình lại",
    "approve": "duyệt",
    "return": "trả lại",
    "reject": "không duyệt",
    "issue": "ký ban hành",
    "distribute": "phát hành",
    "open_period": "mở kỳ báo cáo",
    "submit_report": "gửi báo cáo",
    "record_report": "ghi nhận báo cáo thay đơn vị",
    "remind": "nhắc báo cáo",
    "follow_up": "đôn đốc báo cáo quá hạn",
    "review": "soạn báo cáo sơ kết, tổng kết",
    "close": "tổng kết, kết thúc kế hoạch",
    "correct": "đính chính",
    "replace": "thay thế",
    "withdraw": "thu hồi",
}


@dataclass(frozen=True)
class Context:
    """What a guard may look at: the actor, the plan's signer, the unit acting, the reason."""

    actor: str
    signer: str | None = None
    reason: str | None = None
    unit_has_task: bool = True


Guard = Callable[[Context], "str | None"]  # returns a refusal code (with the params in Context) or None


def reason_given(ctx: Context) -> str | None:
    return None if (ctx.reason or "").strip() else "reason_required"


def designated_signer(ctx: Context) -> str | None:
    return None if ctx.actor == ctx.signer else "not_designated_signer"


def unit_has_task(ctx: Context) -> str | None:
    return None if ctx.unit_has_task else "unit_not_in_plan"


@dataclass(frozen=True)
class Rule:
    """`roles` are held for the issuing body ("issuer"), for the acting unit ("unit"), or for the issuing
    body or any advisory body of the plan's tasks ("office": cơ quan ban hành, cơ quan tham mưu)."""

    target: State
    roles: frozenset[str]
    scope: str = "issuer"
    guard: Guard | None = None


def _r(target: State, *roles: str, scope: str = "issuer", guard: Guard | None = None) -> Rule:
    unknown = set(roles) - set(ROLES) - {SYSTEM}
    assert not unknown, unknown
    return Rule(target, frozenset(roles), scope, guard)


S = State
TRANSITIONS: dict[tuple[State, str], Rule] = {
    (S.DRAFT, "edit"): _r(S.DRAFT, "drafter"),
    (S.RETURNED, "edit"): _r(S.RETURNED, "drafter"),
    (S.DRAFT, "submit"): _r(S.SUBMITTED, "drafter"),
    (S.RETURNED, "resubmit"): _r(S.SUBMITTED, "drafter"),
    (S.SUBMITTED, "approve"): _r(S.APPROVED, "approver"),
    (S.SUBMITTED, "return"): _r(S.RETURNED, "approver", guard=reason_given),
    (S.SUBMITTED, "reject"): _r(S.REJECTED, "approver", guard=reason_given),
    (S.APPROVED, "return"): _r(S.RETURNED, "signer", guard=reason_given),
    (S.APPROVED, "issue"): _r(S.ISSUED, "signer", guard=designated_signer),
    (S.ISSUED, "distribute"): _r(S.DISTRIBUTED, "clerk", SYSTEM),
    (S.DISTRIBUTED, "distribute"): _r(S.DISTRIBUTED, "clerk", SYSTEM),
    (S.DISTRIBUTED, "open_period"): _r(S.DISTRIBUTED, "clerk", "drafter", SYSTEM),
    (S.DISTRIBUTED, "submit_report"): _r(S.DISTRIBUTED, "reporter", scope="unit", guard=unit_has_task),
    # a form that came by e-mail or on paper, recorded for the unit by the office that follows the plan up
    (S.DISTRIBUTED, "record_report"): _r(S.DISTRIBUTED, "clerk", "drafter", scope="office", guard=unit_has_task),
    (S.DISTRIBUTED, "remind"): _r(S.DISTRIBUTED, "clerk", "drafter", SYSTEM),
    (S.DISTRIBUTED, "follow_up"): _r(S.DISTRIBUTED, "clerk", "drafter", SYSTEM),
    (S.DISTRIBUTED, "review"): _r(S.DISTRIBUTED, "drafter", "clerk", SYSTEM),
    # the plan ends when its signer issues the tổng kết report (domain.services.reviews.issue_review)
    (S.DISTRIBUTED, "close"): _r(S.CLOSED, "signer", guard=designated_signer),
    # the issued KẾ HOẠCH withdrawn ("thu hồi") or replaced by a new plan: reports on it stop
    (S.ISSUED, "withdraw"): _r(S.WITHDRAWN, "signer", "clerk", guard=reason_given),
    (S.DISTRIBUTED, "withdraw"): _r(S.WITHDRAWN, "signer", "clerk", guard=reason_given),
    (S.CLOSED, "withdraw"): _r(S.WITHDRAWN, "signer", "clerk", guard=reason_given),
    (S.ISSUED, "replace"): _r(S.REPLACED, "signer"),
    (S.DISTRIBUTED, "replace"): _r(S.REPLACED, "signer"),
}

# A sơ kết / tổng kết report ("báo cáo sơ kết, tổng kết") lives as a plan does, from draft to
# distribution: the same rules of the same table, restricted to the actions of a document ("edit" of a
# report is drafting it again from the latest figures; "withdraw" follows the withdrawal of its issued BC
# document, domain.services.corrections.mark_document). Anything else is denied, as in the plan's table.
REVIEW_ACTIONS = ("edit", "submit", "resubmit", "approve", "return", "reject", "issue", "distribute", "withdraw")
REVIEW_TRANSITIONS: dict[tuple[State, str], Rule] = {
    key: rule for key, rule in TRANSITIONS.items() if key[1] in REVIEW_ACTIONS}


def allowed_actions(state: State, table: dict[tuple[State, str], Rule] = TRANSITIONS) -> list[str]:
    return [a for (s, a) in table if s == state]


def authorize(*, state: State, action: str, roles_held: set[str], ctx: Context,
              plan_id: int, body_name: str, unit: str | None = None, plan_signer_name: str = "",
              table: dict[tuple[State, str], Rule] = TRANSITIONS, what: str | None = None) -> State:
    """The next state if `ctx.actor` holding `roles_held` may do `action` now; else DomainError.

    `table` is the plan's (TRANSITIONS) or a report's (REVIEW_TRANSITIONS); `what` names the subject in
    refusals ("kế hoạch #3", "báo cáo sơ kết #2").
    """
    what = what or f"kế hoạch #{plan_id}"
    rule = table.get((state, action))
    if rule is None:
        raise DomainError(
            "action_not_allowed", action=ACTION_NAMES.get(action, action), plan=plan_id, what=what,
            state=STATE_NAMES[state],
            allowed=", ".join(ACTION_NAMES[a] for a in allowed_actions(state, table)) or "không có",
        )
    if ctx.actor == SYSTEM:
        held = {SYSTEM}
    else:
        held = set(roles_held)
    if not (held & rule.roles):
        raise DomainError(
            "role_required", user=ctx.actor, action=ACTION_NAMES.get(action, action), body=body_name,
            roles=" hoặc ".join(f"«{ROLES.get(r, 'hệ thống')}»" for r in sorted(rule.roles)),
        )
    if rule.guard is not None:
        code = rule.guard(ctx)
        if code:
            raise DomainError(code, action=ACTION_NAMES.get(action, action), plan=plan_id, what=what,
                              What=what[:1].upper() + what[1:],
                              user=ctx.actor, signer=plan_signer_name or ctx.signer, unit=unit or "")
    return rule.target


class DocStatus(StrEnum):
    """An issued document's standing in the register ("tình trạng"): it is never edited, only marked."""

    ISSUED = "issued"
    CORRECTED = "corrected"
    REPLACED = "replaced"
    WITHDRAWN = "withdrawn"


DOC_STATUS_NAMES = {
    DocStatus.ISSUED: "đã ban hành",
    DocStatus.CORRECTED: "đã đính chính",
    DocStatus.REPLACED: "đã bị thay thế",
    DocStatus.WITHDRAWN: "đã thu hồi",
}

D = DocStatus
_ISSUER_STAFF = frozenset({"signer", "clerk"})


def _d(target: DocStatus, roles: frozenset[str], guard: Guard | None = None) -> Rule:
    return Rule(target, roles, "issuer", guard)  # type: ignore[arg-type]  # a Rule over document statuses


# (document status, action) -> rule; roles are held for the body that issued the document.
DOC_TRANSITIONS: dict[tuple[DocStatus, str], Rule] = {
    (D.ISSUED, "correct"): _d(D.CORRECTED, _ISSUER_STAFF),
    (D.CORRECTED, "correct"): _d(D.CORRECTED, _ISSUER_STAFF),
    (D.ISSUED, "replace"): _d(D.REPLACED, frozenset({"signer"})),
    (D.CORRECTED, "replace"): _d(D.REPLACED, frozenset({"signer"})),
    (D.ISSUED, "withdraw"): _d(D.WITHDRAWN, _ISSUER_STAFF, guard=reason_given),
    (D.CORRECTED, "withdraw"): _d(D.WITHDRAWN, _ISSUER_STAFF, guard=reason_given),
}


def authorize_document(*, status: DocStatus, action: str, roles_held: set[str], ctx: Context,
                       reference: str, body_name: str) -> DocStatus:
    """The document's next status if `ctx.actor` holding `roles_held` may do `action` to it; else DomainError."""
    rule = DOC_TRANSITIONS.get((status, action))
    if rule is None:
        raise DomainError("document_action_not_allowed", action=ACTION_NAMES.get(action, action),
                          reference=reference, status=DOC_STATUS_NAMES[status])
    if not (set(roles_held) & rule.roles):
        raise DomainError(
            "role_required", user=ctx.actor, action=f"{ACTION_NAMES.get(action, action)} văn bản {reference}",
            body=body_name, roles=" hoặc ".join(f"«{ROLES[r]}»" for r in sorted(rule.roles)))
    if rule.guard is not None:
        code = rule.guard(ctx)
        if code:
            raise DomainError(code, action=ACTION_NAMES.get(action, action))
    return rule.target  # type: ignore[return-value]
