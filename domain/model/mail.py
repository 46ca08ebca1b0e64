"""An e-mail as data, before any wire format: what `render_mail` turns into bytes; the outbox's
states; the receipt code a distributed document asks its recipient to confirm with."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# An outbox row's life: pending -> sending (attempt recorded, committed before the SMTP transaction)
# -> sent (after the server's 250) | failed (refused for good) | pending again (transient failure).
# A row left "sending" by a crash is sent again, with the same Message-ID.
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
SENDABLE = (PENDING, SENDING)
STATUSES = (PENDING, SENDING, SENT, FAILED)


@dataclass(frozen=True)
class Lease:
    """Who may send a row that says "sending" ("đang gửi"): two deliveries at once never both send it.

    A claim writes the claiming process (`holder`) and the time on the row. A row another holder
    left "sending" is taken over only if that holder is known to be gone (`gone`: its process has
    ended, as after a crash) or its claim is older than `seconds` (a holder on another machine,
    whose process cannot be looked at; no message takes that long). The holder's own rows, and
    rows claimed before claims were signed, are taken as before.
    """

    holder: str
    seconds: float = 600.0
    gone: Callable[[str], bool] = lambda holder: False

    def expired_before(self, now: datetime) -> datetime:
        """Claims made before this moment have run out."""
        return now - timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Attachment:
    filename: str  # Vietnamese, kept intact on the wire (RFC 2231)
    content: bytes
    mimetype: str = DOCX_MIME


@dataclass(frozen=True)
class OutgoingMail:
    """One message of one kind (one template set in templates/mail/ per kind).

    `date` is the Date header: the time of the row's first attempt, so that a resend after a crash
    is the same message byte for byte; None lets the renderer use the current time.
    """

    kind: str
    to_email: str
    to_name: str
    message_id: str
    context: dict = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    date: datetime | None = None


def message_id(*, plan_id: int, recipient: str, kind: str, period_key: str, domain: str,
               document_id: int | None = None) -> str:
    """A Message-ID fixed by the outbox key (plan, document, recipient, kind, period), so a resend
    after a crash is the same message. Short enough to stay on one header line (no folding)."""
    document = "" if document_id is None else str(document_id)
    key = f"{plan_id}|{document}|{recipient}|{kind}|{period_key}".encode("utf-8")
    return f"<kehoach.{plan_id}.{hashlib.sha256(key).hexdigest()[:24]}@{domain}>"


class MailError(Exception):
    """A message not sent. `per_message` is True when the server's reply concerns this message
    (its recipient or its content: RCPT, DATA) and False when it concerns the connection itself
    (connect, time-out, greeting, STARTTLS, login, sender), which every following message would meet."""

    per_message = True

    def __init__(self, message: str, *, per_message: bool | None = None) -> None:
        super().__init__(message)
        if per_message is not None:
            self.per_message = per_message


class TransientMailError(MailError):
    """The server may accept later (4xx, connection lost, time-out, a login or TLS problem that a
    corrected configuration fixes): the row stays pending and is retried."""

    per_message = False


class PermanentMailError(MailError):
    """The server refused this message for good (5xx to its recipient or content): mark it failed,
    with the server's reply, for staff to see and retry."""


# --- receipts ("xác nhận đã nhận") -----------------------------------------------------------
# Crockford's base 32: no I, L, O, U, so a code read aloud or retyped is not misread.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 10  # 50 bits


def receipt_code(random_bytes: bytes) -> str:
    """A receipt code from at least 7 random bytes: 10 symbols, stored without the hyphen."""
    if len(random_bytes) * 8 < RECEIPT_LENGTH * 5:
        raise ValueError("a receipt code needs at least 50 random bits")
    number = int.from_bytes(random_bytes, "big")
    return "".join(RECEIPT_ALPHABET[(number >> (5 * i)) & 31] for i in range(RECEIPT_LENGTH))


def show_receipt_code(code: str) -> str:
    """How a code is printed in a message: two groups of five, "K7M2Q-9XH4T"."""
    return f"{code[:5]}-{code[5:]}"


def read_receipt_code(text: str) -> str | None:
    """The stored form of a code as a person typed it (any case, hyphens and spaces, O for 0,
    I or L for 1); None if it cannot be a code."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != RECEIPT_LENGTH or any(ch not in RECEIPT_ALPHABET for ch in cleaned):
        return None
    return cleaned
