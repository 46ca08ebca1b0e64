"""The tables (SQLModel). Changed only through Alembic migrations in migrations/."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class BodyRow(SQLModel, table=True):
    __tablename__ = "body"
    id: str = Field(primary_key=True)
    name: str
    regime: str = "state"
    abbr: Optional[str] = None
    parent: Optional[str] = Field(default=None, foreign_key="body.id")
    email: Optional[str] = None
    place: Optional[str] = None
    superior: Optional[str] = None
    term: Optional[str] = None
    head: Optional[str] = None  # the user account of its head (thủ trưởng), told when the body is late


class UserRow(SQLModel, table=True):
    __tablename__ = "user_account"
    id: str = Field(primary_key=True)
    full_name: str
    email: Optional[str] = None


class GrantRow(SQLModel, table=True):
    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "body_id", "role"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="user_account.id", index=True)
    body_id: str = Field(foreign_key="body.id")
    role: str


class PlanRow(SQLModel, table=True):
    __tablename__ = "plan"
    id: Optional[int] = Field(default=None, primary_key=True)
    issuer_id: str = Field(foreign_key="body.id", index=True)
    state: str = "draft"
    title: str
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    version: int = 1
    created_by: str
    created_at: datetime
    updated_at: datetime
    document_id: Optional[int] = None


class RegisterCounterRow(SQLModel, table=True):
    """Last number drawn from a body's outgoing register series ("sổ văn bản đi")."""

    __tablename__ = "register_counter"
    body_id: str = Field(primary_key=True, foreign_key="body.id")
    series: str = Field(primary_key=True)
    last_number: int = 0


class DocumentRow(SQLModel, table=True):
    """An issued document: numbered, dated, hashed; never updated."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("body_id", "series", "number"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    kind: str  # plan | review | close | report_request
    doc_type: str
    body_id: str = Field(foreign_key="body.id")
    series: str
    number: int
    symbol: str
    reference: str
    issued_on: date
    subject: str
    signer_id: str
    file_name: str
    sha256: str = Field(index=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime
    # a correction ("đính chính") or replacement ("thay thế") refers to the document it corrects
    corrects_id: Optional[int] = Field(default=None, index=True)
    correction: Optional[str] = None  # correct | replace
    # what the document was built from besides its plan (to render it again): see register.py
    facts: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))


class DocumentMarkRow(SQLModel, table=True):
    """A later change of an issued document's standing: corrected, replaced or withdrawn ("thu hồi").
    Appended with its audit event; the document itself never changes."""

    __tablename__ = "document_mark"
    id: Optional[int] = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    status: str  # corrected | replaced | withdrawn
    by_document_id: Optional[int] = Field(default=None, foreign_key="document.id")
    reason: Optional[str] = None
    actor: str
    at: datetime
    event_id: int


class DocumentCopyRow(SQLModel, table=True):
    """One recipient's copy of an issued document: the same number, with that recipient's own
    annexes (e.g. a unit's report form under the request for reports); hashed, never updated."""

    __tablename__ = "document_copy"
    __table_args__ = (UniqueConstraint("document_id", "recipient_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    recipient_id: str = Field(foreign_key="body.id")
    file_name: str
    sha256: str = Field(index=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime


class PeriodRow(SQLModel, table=True):
    __tablename__ = "reporting_period"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    key: str
    label: str
    start: date
    end: date
    deadline: date
    status: str = "open"
    opened_at: datetime


class ReportRow(SQLModel, table=True):
    """A unit's report for a period; a correction is a new version, nothing is overwritten."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("period_id", "unit_id", "version"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    period_id: int = Field(foreign_key="reporting_period.id", index=True)
    unit_id: str = Field(foreign_key="body.id")
    version: int = 1
    figures: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    note: Optional[str] = None
    submitted_by: str
    submitted_at: datetime
    # What the unit wrote beside its figures ({"targets": {id: note}, "tasks": {ref: {result, issues}},
    # "other": [...]}) and the file it came from ({"file": name, "sha256": ...}); migration 0008.
    texts: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))
    source: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))


class ReviewRow(SQLModel, table=True):
    """A sơ kết / tổng kết report of a plan ("báo cáo sơ kết, tổng kết"): drafted from the roll-up, with a
    life of its own (approval, issue, distribution) like a plan's. `snapshot` is the roll-up as drafted
    (redrafting replaces it and counts a version): the figures approved are the figures issued."""

    __tablename__ = "review"
    id: Optional[int] = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    period_key: str
    kind: str  # review (sơ kết) | close (tổng kết)
    state: str = "draft"
    version: int = 1
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    document_id: Optional[int] = Field(default=None, foreign_key="document.id")
    created_by: str
    created_at: datetime
    updated_at: datetime


class PlanLinkRow(SQLModel, table=True):
    """A plan implementing a higher body's plan ("thực hiện Kế hoạch số … của cấp trên"), as its source
    cites it (`cited_as`), resolved to that plan."""

    __tablename__ = "plan_link"
    plan_id: int = Field(foreign_key="plan.id", primary_key=True)
    higher_plan_id: int = Field(foreign_key="plan.id", primary_key=True, index=True)
    cited_as: str


class OutboxRow(SQLModel, table=True):
    """A message to send, written with the change of state that causes it.

    Keyed by (plan, document, recipient, kind, period). The key has no NULL-free form when a message
    concerns no document (a draft's notices): PostgreSQL is told NULLs are not distinct; SQLite
    relies on `Outbox.add_once` checking first inside its BEGIN IMMEDIATE transaction.
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("plan_id", "document_id", "recipient_id", "kind", "period_key",
                                       name="uq_outbox_key", postgresql_nulls_not_distinct=True),)
    id: Optional[int] = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    document_id: Optional[int] = Field(default=None, foreign_key="document.id")
    recipient_id: str  # a body's id, or a user's when recipient_type is "user"
    recipient_type: str = "body"  # body | user (approval notices go to people)
    email: str
    kind: str  # distribution | report_request | reminder | approval_request | approved | returned | ...
    period_key: str = ""
    status: str = Field(default="pending", index=True)  # pending | sending | sent | failed
    attempts: int = 0
    last_error: Optional[str] = None
    message_id: str
    created_at: datetime
    first_attempt_at: Optional[datetime] = None  # the Date header of every attempt
    sent_at: Optional[datetime] = None
    claimed_by: Optional[str] = None  # the process sending it while "sending" (host:pid:start), see Lease
    claimed_at: Optional[datetime] = None


class ReceiptRow(SQLModel, table=True):
    """A distributed document's request for a receipt ("xác nhận đã nhận"): one per distribution
    message, with the code the recipient confirms with, and who confirmed it when."""

    __tablename__ = "receipt"
    id: Optional[int] = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", unique=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    document_id: int = Field(foreign_key="document.id")
    recipient_id: str = Field(foreign_key="body.id")
    code: str = Field(unique=True)
    created_at: datetime
    confirmed_at: Optional[datetime] = None
    confirmed_by: Optional[str] = None


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: Optional[int] = Field(default=None, primary_key=True)
    at: str
    actor: str
    action: str
    plan_id: Optional[int] = Field(default=None, index=True)
    from_state: Optional[str] = None
    to_state: Optional[str] = None
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str
    hash: str = Field(unique=True)


# Indexes of migration 0005 (declared here so that the metadata matches the schema):
# the lookups delivery makes per message (a recipient's receipt) and per receipt (its last reminder).
Index("ix_receipt_document_recipient", ReceiptRow.__table__.c.document_id,
      ReceiptRow.__table__.c.recipient_id)
Index("ix_outbox_document_recipient_kind", OutboxRow.__table__.c.document_id,
      OutboxRow.__table__.c.recipient_id, OutboxRow.__table__.c.kind)
# a unit's request for reports of a period, found again for its reminders (migration 0008)
Index("ix_outbox_plan_recipient_kind_period", OutboxRow.__table__.c.plan_id, OutboxRow.__table__.c.recipient_id,
      OutboxRow.__table__.c.kind, OutboxRow.__table__.c.period_key)
