"""The notices ("thư báo") the workflow sends by itself, as data: who is told of what.

A decision on a plan tells the next person who must act: a submission its approvers, an approval
the designated signer, a return or a rejection the drafter (with the reason), an issue the clerks
(văn thư). After a reporting deadline, the plan's advisory bodies and each late unit get one
overdue list a day.
"""
from __future__ import annotations

from typing import Callable, Iterable

from domain.model.plan import PlanContent

# decision -> (mail kind, who is told)
DECISION_NOTICES: dict[str, tuple[str, str]] = {
    "submit": ("approval_request", "approvers"),
    "resubmit": ("approval_request", "approvers"),
    "approve": ("approved", "signer"),
    "return": ("returned", "drafter"),
    "reject": ("rejected", "drafter"),
    "issue": ("issued", "clerks"),
}
OVERDUE = "overdue"
NOTICE_KINDS: tuple[str, ...] = tuple(dict.fromkeys(k for k, _ in DECISION_NOTICES.values())) + (OVERDUE,)
EVENT_PREFIX = "event-"


def decision_key(event_id: int) -> str:
    """The outbox period key of a decision's notices: its audit event, so that every decision
    notifies once (a second submission after a return notifies the approvers again)."""
    return f"{EVENT_PREFIX}{event_id}"


def event_id_of(period_key: str) -> int | None:
    """The audit event a decision notice's period key names; None for any other key."""
    if not period_key.startswith(EVENT_PREFIX):
        return None
    return int(period_key.removeprefix(EVENT_PREFIX))


def told(people: Iterable, actor: str) -> list:
    """Each person once, with an e-mail address, and never the one who took the decision."""
    seen: dict[str, object] = {}
    for person in people:
        if person is not None and person.email and person.id != actor:
            seen.setdefault(person.id, person)
    return list(seen.values())


def advisory_bodies(content: PlanContent, has_mail: Callable[[str], bool]) -> list[str]:
    """The bodies that follow the plan up: the advisory bodies (cơ quan tham mưu) of its tasks that have
    an address, else the issuer itself."""
    advisory = [b for t in content.tasks for b in t.advisory if has_mail(b)]
    if not advisory and has_mail(content.issuer):
        advisory = [content.issuer]
    return list(dict.fromkeys(advisory))


def overdue_recipients(advisory: Iterable[str], late: Iterable[str], has_mail: Callable[[str], bool]) -> list[str]:
    """Who receives the overdue list: the advisory bodies, then each late unit with an address; each once."""
    return list(dict.fromkeys([*advisory, *(u for u in late if has_mail(u))]))
