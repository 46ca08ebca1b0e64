"""The audit trail as a hash chain: each event's hash covers its fields and its predecessor's hash.

Anyone can recompute it: hash = sha256(canonical JSON of the event's fields, prev_hash included),
canonical = keys sorted, UTF-8, no spaces (`json.dumps(..., sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

GENESIS = "0" * 64


@dataclass(frozen=True)
class Event:
    """`Event`: one step on record ("nhật ký"): who did what, when, to which plan."""

    id: int
    at: str  # ISO 8601 with offset
    actor: str
    action: str
    plan_id: int | None
    from_state: str | None
    to_state: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at, "actor": self.actor, "action": self.action,
            "plan_id": self.plan_id, "from_state": self.from_state, "to_state": self.to_state,
            "data": self.data, "prev_hash": self.prev_hash,
        }


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def first_broken(events: Iterable[Event]) -> tuple[Event, str] | None:
    """The first event whose link does not hold, with the reason in Vietnamese; None if all hold."""
    prev = GENESIS
    for e in events:
        if e.prev_hash != prev:
            return e, "không nối với sự kiện liền trước (thiếu hoặc bị xóa một sự kiện)"
        if event_hash(e.fields()) != e.hash:
            return e, "nội dung không khớp với mã băm đã ghi (bị sửa sau khi ghi)"
        prev = e.hash
    return None
