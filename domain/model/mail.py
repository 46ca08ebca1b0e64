"""An e-mail as data, before any wire format: what `render_mail` turns into bytes."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Attachment:
    filename: str  # Vietnamese, kept intact on the wire (RFC 2231)
    content: bytes
    mimetype: str = DOCX_MIME


@dataclass(frozen=True)
class OutgoingMail:
    """kind: "distribution" | "report_request" | "reminder" (one template set each)."""

    kind: str
    to_email: str
    to_name: str
    message_id: str
    context: dict = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


def message_id(*, plan_id: int, recipient: str, kind: str, period_key: str, domain: str) -> str:
    """A Message-ID fixed by the outbox key, so a resend after a crash is the same message."""
    key = f"{plan_id}|{recipient}|{kind}|{period_key}".encode("utf-8")
    return f"<kehoach.{plan_id}.{kind}.{hashlib.sha256(key).hexdigest()[:24]}@{domain}>"


class TransientMailError(Exception):
    """The server may accept later (4xx, connection lost, time-out): retry."""


class PermanentMailError(Exception):
    """The server refused for good (5xx, unknown recipient): mark failed, show staff."""
