"""Engine, schema migration and the SQL unit of work.

SQLite runs in WAL mode and every transaction starts with BEGIN IMMEDIATE, so two writers
never interleave a read-then-write (register numbers, the audit chain's head). Threads of one
process queue for that write lock on a Python lock first (`_WriterConnection`).
"""
from __future__ import annotations

import sqlite3
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlalchemy import and_, bindparam, event, func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine, select

from domain.adapters import orm
from domain.model.audit import GENESIS, Event, event_hash
from domain.model.org import Body, User

ROOT = Path(__file__).resolve().parents[2]


@lru_cache
def engine_for(url: str) -> Engine:
    """One engine per database URL, built on first use."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS,
                                                  "factory": _WriterConnection})
        _sqlite_pragmas(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


SQLITE_BUSY_SECONDS = 30  # how long a writer waits for another before "database is locked"


class _Writer:
    """The write lock of one database inside this process, and the thread holding it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def acquire(self) -> bool:
        me = threading.get_ident()
        if self._owner == me or not self._lock.acquire(timeout=SQLITE_BUSY_SECONDS):
            return False
        self._owner = me
        return True

    def release(self) -> None:
        self._owner = None
        self._lock.release()


class _WriterConnection(sqlite3.Connection):
    """A SQLite connection that, inside this process, queues for the write lock on a Python lock.

    Every transaction takes SQLite's write lock (BEGIN IMMEDIATE). A writer that finds it taken
    polls: SQLite's busy handler sleeps 1, 2, 5, 10… ms between tries, so with two threads sending
    mail, one in three transactions slept a few milliseconds for a lock freed long before. Threads of
    one process therefore wait on `writer` (woken the moment it is released, at commit, rollback or
    close), and SQLite's busy handler is left to arbitrate between processes. Should the lock stay
    taken longer than SQLITE_BUSY_SECONDS, the transaction goes to SQLite anyway, which decides (and
    says "database is locked" if it is); so does a thread that already writes through another
    connection (it would wait for itself).
    """

    writer: _Writer | None = None  # the engine's, set on connect
    _holds_writer = False

    def take_writer(self) -> None:
        if self.writer is not None and not self._holds_writer:
            self._holds_writer = self.writer.acquire()

    def release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            self.writer.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_writer()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_writer()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_writer()


def _sqlite_pragmas(engine: Engine) -> None:
    writer = _Writer()  # one writer at a time per database, as SQLite allows

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let BEGIN below be the only transaction start
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cur.close()
        if isinstance(dbapi_conn, _WriterConnection):
            dbapi_conn.writer = writer

    @event.listens_for(engine, "begin")
    def _begin(conn):
        dbapi_conn = conn.connection.dbapi_connection
        if isinstance(dbapi_conn, _WriterConnection):
            dbapi_conn.take_writer()
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")  # straight to sqlite3: no statement to compile or log
        except BaseException:
            if isinstance(dbapi_conn, _WriterConnection):
                dbapi_conn.release_writer()
            raise


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema (Alembic `upgrade head`)."""
    from alembic import command
    from alembic.config import Config

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["engine"] = engine_for(url)
    command.upgrade(cfg, "head")


class SqlUnitOfWork:
    """One transaction: `with uow: ...; uow.commit()`; leaving without commit rolls back."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> "SqlUnitOfWork":
        self.session = Session(engine_for(self.url), expire_on_commit=False)
        self.bodies = Bodies(self.session)
        self.users = Users(self.session)
        self.plans = Plans(self.session)
        self.register = Register(self.session)
        self.documents = Documents(self.session)
        self.document_copies = DocumentCopies(self.session)
        self.periods = Periods(self.session)
        self.reports = Reports(self.session)
        self.reviews = Reviews(self.session)
        self.plan_links = PlanLinks(self.session)
        self.outbox = Outbox(self.session)
        self.receipts = Receipts(self.session)
        self.audit = Audit(self.session)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()


class _Repo:
    def __init__(self, session: Session) -> None:
        self.session = session


class Bodies(_Repo):
    def get(self, body_id: str) -> Body | None:
        row = self.session.get(orm.BodyRow, body_id)
        return _body(row) if row else None

    def all(self) -> list[Body]:
        return [_body(r) for r in self.session.exec(select(orm.BodyRow).order_by(orm.BodyRow.id))]

    def many(self, body_ids: Iterable[str]) -> list[Body]:
        """The bodies of these ids that exist, read with one query."""
        wanted = list(body_ids)
        if not wanted:
            return []
        return [_body(r) for r in self.session.exec(select(orm.BodyRow).where(orm.BodyRow.id.in_(wanted)))]

    def upsert(self, body: Body) -> None:
        row = self.session.get(orm.BodyRow, body.id) or orm.BodyRow(id=body.id, name=body.name)
        for k, v in body.__dict__.items():
            setattr(row, k, v)
        self.session.add(row)


def _body(row: orm.BodyRow) -> Body:
    return Body(**row.model_dump())


class Users(_Repo):
    def get(self, user_id: str) -> User | None:
        row = self.session.get(orm.UserRow, user_id)
        return User(**row.model_dump()) if row else None

    def upsert(self, user: User) -> None:
        row = self.session.get(orm.UserRow, user.id) or orm.UserRow(id=user.id, full_name=user.full_name)
        row.full_name, row.email = user.full_name, user.email
        self.session.add(row)

    def roles(self, user_id: str, body_id: str) -> set[str]:
        q = select(orm.GrantRow.role).where(orm.GrantRow.user_id == user_id, orm.GrantRow.body_id == body_id)
        return set(self.session.exec(q))

    def replace_grants(self, user_id: str, grants: Iterable[tuple[str, str]]) -> None:
        for row in self.session.exec(select(orm.GrantRow).where(orm.GrantRow.user_id == user_id)):
            self.session.delete(row)
        self.session.flush()
        for body_id, role in grants:
            self.session.add(orm.GrantRow(user_id=user_id, body_id=body_id, role=role))

    def with_role(self, body_id: str, role: str) -> list[User]:
        q = (select(orm.UserRow).join(orm.GrantRow, orm.GrantRow.user_id == orm.UserRow.id)
             .where(orm.GrantRow.body_id == body_id, orm.GrantRow.role == role))
        return [User(**r.model_dump()) for r in self.session.exec(q)]


class Plans(_Repo):
    def add(self, row: orm.PlanRow) -> orm.PlanRow:
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, plan_id: int) -> orm.PlanRow | None:
        return self.session.get(orm.PlanRow, plan_id)

    def all(self) -> list[orm.PlanRow]:
        return list(self.session.exec(select(orm.PlanRow).order_by(orm.PlanRow.id)))

    @staticmethod
    def new(**fields: Any) -> orm.PlanRow:
        return orm.PlanRow(**fields)


class Register(_Repo):
    def next_number(self, body_id: str, series: str) -> int:
        """Draw the next number of a series; the caller's transaction holds the write lock."""
        row = self.session.get(orm.RegisterCounterRow, (body_id, series))
        if row is None:
            row = orm.RegisterCounterRow(body_id=body_id, series=series, last_number=0)
        row.last_number += 1
        self.session.add(row)
        self.session.flush()
        return row.last_number

    def last_number(self, body_id: str, series: str) -> int:
        row = self.session.get(orm.RegisterCounterRow, (body_id, series))
        return row.last_number if row else 0


class Documents(_Repo):
    def add(self, **fields: Any) -> orm.DocumentRow:
        row = orm.DocumentRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, doc_id: int) -> orm.DocumentRow | None:
        return self.session.get(orm.DocumentRow, doc_id)

    def for_plan(self, plan_id: int) -> list[orm.DocumentRow]:
        q = select(orm.DocumentRow).where(orm.DocumentRow.plan_id == plan_id).order_by(orm.DocumentRow.id)
        return list(self.session.exec(q))

    def all(self) -> list[orm.DocumentRow]:
        return list(self.session.exec(select(orm.DocumentRow).order_by(orm.DocumentRow.id)))

    def with_sha256(self, digest: str) -> list[orm.DocumentRow]:
        q = select(orm.DocumentRow).where(orm.DocumentRow.sha256 == digest).order_by(orm.DocumentRow.id)
        return list(self.session.exec(q))

    def with_reference(self, reference: str) -> list[orm.DocumentRow]:
        q = select(orm.DocumentRow).where(orm.DocumentRow.reference == reference).order_by(orm.DocumentRow.id)
        return list(self.session.exec(q))

    def named(self, file_name: str) -> list[orm.DocumentRow]:
        q = select(orm.DocumentRow).where(orm.DocumentRow.file_name == file_name).order_by(orm.DocumentRow.id)
        return list(self.session.exec(q))

    def of_body(self, body_id: str) -> list[orm.DocumentRow]:
        """A body's register in order: by series, then number."""
        q = (select(orm.DocumentRow).where(orm.DocumentRow.body_id == body_id)
             .order_by(orm.DocumentRow.series, orm.DocumentRow.number))
        return list(self.session.exec(q))

    def request_for(self, plan_id: int, period_key: str) -> orm.DocumentRow | None:
        """The request for reports (công văn) a plan issued for a period, if it did."""
        q = select(orm.DocumentRow.id, orm.DocumentRow.facts).where(
            orm.DocumentRow.plan_id == plan_id, orm.DocumentRow.kind == "report_request").order_by(orm.DocumentRow.id)
        found = next((doc_id for doc_id, facts in self.session.exec(q) if (facts or {}).get("period") == period_key),
                     None)
        return self.get(found) if found is not None else None

    def issuing_bodies(self) -> list[str]:
        return list(self.session.exec(select(orm.DocumentRow.body_id).distinct().order_by(orm.DocumentRow.body_id)))

    def corrections_of(self, doc_id: int) -> list[orm.DocumentRow]:
        """The documents issued to correct or replace `doc_id`, oldest first."""
        q = select(orm.DocumentRow).where(orm.DocumentRow.corrects_id == doc_id).order_by(orm.DocumentRow.id)
        return list(self.session.exec(q))

    def add_mark(self, **fields: Any) -> orm.DocumentMarkRow:
        row = orm.DocumentMarkRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def marks(self, doc_ids: Iterable[int] | None = None) -> dict[int, list[orm.DocumentMarkRow]]:
        """Each document's marks (corrected, replaced, withdrawn), oldest first, by document id."""
        q = select(orm.DocumentMarkRow).order_by(orm.DocumentMarkRow.id)
        if doc_ids is not None:
            q = q.where(orm.DocumentMarkRow.document_id.in_(list(doc_ids)))
        out: dict[int, list[orm.DocumentMarkRow]] = {}
        for row in self.session.exec(q):
            out.setdefault(row.document_id, []).append(row)
        return out


class DocumentCopies(_Repo):
    """Each recipient's copy of an issued document (the same number, its own annexes)."""

    def add(self, **fields: Any) -> orm.DocumentCopyRow:
        row = orm.DocumentCopyRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, document_id: int, recipient_id: str) -> orm.DocumentCopyRow | None:
        q = select(orm.DocumentCopyRow).where(orm.DocumentCopyRow.document_id == document_id,
                                              orm.DocumentCopyRow.recipient_id == recipient_id)
        return self.session.exec(q).first()

    def recipients(self, document_id: int) -> set[str]:
        """Who already has a copy of the document (without loading the files)."""
        q = select(orm.DocumentCopyRow.recipient_id).where(orm.DocumentCopyRow.document_id == document_id)
        return set(self.session.exec(q))

    def for_plan(self, plan_id: int) -> list[orm.DocumentCopyRow]:
        q = (select(orm.DocumentCopyRow).join(orm.DocumentRow, orm.DocumentRow.id == orm.DocumentCopyRow.document_id)
             .where(orm.DocumentRow.plan_id == plan_id).order_by(orm.DocumentCopyRow.id))
        return list(self.session.exec(q))

    def with_sha256(self, digest: str) -> list[orm.DocumentCopyRow]:
        q = select(orm.DocumentCopyRow).where(orm.DocumentCopyRow.sha256 == digest).order_by(orm.DocumentCopyRow.id)
        return list(self.session.exec(q))

    def all(self) -> list[orm.DocumentCopyRow]:
        return list(self.session.exec(select(orm.DocumentCopyRow).order_by(orm.DocumentCopyRow.id)))

    def of_document(self, document_id: int) -> list[orm.DocumentCopyRow]:
        q = select(orm.DocumentCopyRow).where(orm.DocumentCopyRow.document_id == document_id).order_by(
            orm.DocumentCopyRow.id)
        return list(self.session.exec(q))

    def named(self, file_name: str) -> list[orm.DocumentCopyRow]:
        q = select(orm.DocumentCopyRow).where(orm.DocumentCopyRow.file_name == file_name).order_by(
            orm.DocumentCopyRow.id)
        return list(self.session.exec(q))


class Periods(_Repo):
    def add(self, **fields: Any) -> orm.PeriodRow:
        row = orm.PeriodRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, plan_id: int, key: str) -> orm.PeriodRow | None:
        q = select(orm.PeriodRow).where(orm.PeriodRow.plan_id == plan_id, orm.PeriodRow.key == key)
        return self.session.exec(q).first()

    def latest_open(self, plan_id: int) -> orm.PeriodRow | None:
        q = (select(orm.PeriodRow).where(orm.PeriodRow.plan_id == plan_id, orm.PeriodRow.status == "open")
             .order_by(orm.PeriodRow.end.desc()))
        return self.session.exec(q).first()

    def for_plan(self, plan_id: int) -> list[orm.PeriodRow]:
        q = select(orm.PeriodRow).where(orm.PeriodRow.plan_id == plan_id).order_by(orm.PeriodRow.start)
        return list(self.session.exec(q))


class Reports(_Repo):
    def add(self, **fields: Any) -> orm.ReportRow:
        row = orm.ReportRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def many(self, report_ids: Iterable[int]) -> list[orm.ReportRow]:
        wanted = list(report_ids)
        if not wanted:
            return []
        return list(self.session.exec(select(orm.ReportRow).where(orm.ReportRow.id.in_(wanted))
                                      .order_by(orm.ReportRow.version, orm.ReportRow.id)))

    def latest(self, period_id: int) -> dict[str, orm.ReportRow]:
        """Each unit's latest version for the period."""
        rows = self.session.exec(
            select(orm.ReportRow).where(orm.ReportRow.period_id == period_id).order_by(orm.ReportRow.version))
        return {r.unit_id: r for r in rows}

    def latest_of(self, period_id: int, unit_id: str) -> orm.ReportRow | None:
        """A unit's latest version for the period (one indexed query, whatever the number of units)."""
        q = (select(orm.ReportRow).where(orm.ReportRow.period_id == period_id, orm.ReportRow.unit_id == unit_id)
             .order_by(orm.ReportRow.version.desc()))
        return self.session.exec(q).first()

    def for_period(self, period_id: int) -> list[orm.ReportRow]:
        """Every version of every unit's report for the period, by unit then version."""
        return list(self.session.exec(select(orm.ReportRow).where(orm.ReportRow.period_id == period_id)
                                      .order_by(orm.ReportRow.unit_id, orm.ReportRow.version)))

    def count(self, plan_id: int) -> int:
        q = select(func.count()).select_from(orm.ReportRow).where(orm.ReportRow.plan_id == plan_id)
        return self.session.exec(q).one()


class Reviews(_Repo):
    """The sơ kết / tổng kết reports of plans, each with its own state."""

    def add(self, **fields: Any) -> orm.ReviewRow:
        row = orm.ReviewRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, review_id: int) -> orm.ReviewRow | None:
        return self.session.get(orm.ReviewRow, review_id)

    def for_plan(self, plan_id: int) -> list[orm.ReviewRow]:
        q = select(orm.ReviewRow).where(orm.ReviewRow.plan_id == plan_id).order_by(orm.ReviewRow.id)
        return list(self.session.exec(q))

    def all(self) -> list[orm.ReviewRow]:
        return list(self.session.exec(select(orm.ReviewRow).order_by(orm.ReviewRow.id)))


class PlanLinks(_Repo):
    """Which plan implements which higher plan."""

    def replace(self, plan_id: int, links: Iterable[tuple[int, str]]) -> None:
        """The plan's links become `links` ((higher plan id, as cited), ...)."""
        for row in self.session.exec(select(orm.PlanLinkRow).where(orm.PlanLinkRow.plan_id == plan_id)):
            self.session.delete(row)
        self.session.flush()
        for higher, cited in links:
            self.session.add(orm.PlanLinkRow(plan_id=plan_id, higher_plan_id=higher, cited_as=cited))
        self.session.flush()

    def add(self, plan_id: int, higher_plan_id: int, cited_as: str) -> None:
        """One more link of the plan (a citation resolved after the plan was written)."""
        self.session.add(orm.PlanLinkRow(plan_id=plan_id, higher_plan_id=higher_plan_id, cited_as=cited_as))
        self.session.flush()

    def higher(self, plan_id: int) -> list[orm.PlanLinkRow]:
        q = select(orm.PlanLinkRow).where(orm.PlanLinkRow.plan_id == plan_id).order_by(orm.PlanLinkRow.higher_plan_id)
        return list(self.session.exec(q))

    def lower(self, higher_plan_id: int) -> list[orm.PlanLinkRow]:
        q = (select(orm.PlanLinkRow).where(orm.PlanLinkRow.higher_plan_id == higher_plan_id)
             .order_by(orm.PlanLinkRow.plan_id))
        return list(self.session.exec(q))


_OUTBOX = orm.OutboxRow.__table__
_AUDIT = orm.AuditRow.__table__

# Delivery's statements, built once: two of them run for every message sent, and SQLAlchemy's ORM
# (a flush, an identity map refresh) would cost more than the SQL itself.
_CLAIM = (_OUTBOX.update()
          .where(_OUTBOX.c.id == bindparam("row_id"),
                 or_(_OUTBOX.c.status == bindparam("pending"),
                     and_(_OUTBOX.c.status == bindparam("new_status"),
                          or_(_OUTBOX.c.claimed_by.is_(None), _OUTBOX.c.claimed_by == bindparam("holder"),
                              _OUTBOX.c.claimed_by == bindparam("gone_holder"),
                              _OUTBOX.c.claimed_at < bindparam("expired_before",
                                                               type_=_OUTBOX.c.claimed_at.type)))))
          .values(status=bindparam("new_status"), attempts=_OUTBOX.c.attempts + 1,
                  first_attempt_at=func.coalesce(_OUTBOX.c.first_attempt_at,
                                                 bindparam("date", type_=_OUTBOX.c.first_attempt_at.type)),
                  claimed_by=bindparam("holder"), claimed_at=bindparam("at", type_=_OUTBOX.c.claimed_at.type))
          .returning(*_OUTBOX.c))
_HOLDER = select(_OUTBOX.c.status, _OUTBOX.c.claimed_by).where(_OUTBOX.c.id == bindparam("row_id"))
_SETTLE = (_OUTBOX.update().where(_OUTBOX.c.id == bindparam("row_id"))
           .values(status=bindparam("new_status"), last_error=bindparam("error"),
                   sent_at=bindparam("at", type_=_OUTBOX.c.sent_at.type)))
_POSTPONE = (_OUTBOX.update().where(_OUTBOX.c.id == bindparam("row_id"))
             .values(status=bindparam("new_status"), last_error=bindparam("error")))
_AUDIT_TAIL = select(_AUDIT.c.id, _AUDIT.c.hash).order_by(_AUDIT.c.id.desc()).limit(1)
_AUDIT_INSERT = _AUDIT.insert()


class Outbox(_Repo):
    def add_once(self, **fields: Any) -> orm.OutboxRow | None:
        """Queue a message unless its (plan, document, recipient, kind, period) is already queued;
        the new row, or None. Checked here first because SQL's UNIQUE lets NULL documents repeat
        (SQLite's BEGIN IMMEDIATE makes the check and the insert one step)."""
        q = select(orm.OutboxRow.id).where(
            orm.OutboxRow.plan_id == fields["plan_id"], orm.OutboxRow.document_id == fields.get("document_id"),
            orm.OutboxRow.recipient_id == fields["recipient_id"], orm.OutboxRow.kind == fields["kind"],
            orm.OutboxRow.period_key == fields.get("period_key", ""))
        if self.session.exec(q).first() is not None:
            return None
        row = orm.OutboxRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def pending_ids(self, plan_id: int | None = None) -> list[int]:
        """Rows still to send: pending, and those a crash left "sending"."""
        q = (select(orm.OutboxRow.id).where(orm.OutboxRow.status.in_(("pending", "sending")))
             .order_by(orm.OutboxRow.id))
        if plan_id is not None:
            q = q.where(orm.OutboxRow.plan_id == plan_id)
        return list(self.session.exec(q))

    def listing(self, *, plan_id: int | None = None, status: str | None = None) -> list[orm.OutboxRow]:
        q = select(orm.OutboxRow).order_by(orm.OutboxRow.id)
        if plan_id is not None:
            q = q.where(orm.OutboxRow.plan_id == plan_id)
        if status is not None:
            q = q.where(orm.OutboxRow.status == status)
        return list(self.session.exec(q))

    def request_document(self, *, plan_id: int, recipient_id: str, period_key: str) -> int | None:
        """The document a unit's request for reports of a period was sent with (its copy carries the unit's form)."""
        q = (select(orm.OutboxRow.document_id).where(
            orm.OutboxRow.plan_id == plan_id, orm.OutboxRow.recipient_id == recipient_id,
            orm.OutboxRow.kind == "report_request", orm.OutboxRow.period_key == period_key)
            .order_by(orm.OutboxRow.id))
        return self.session.exec(q).first()

    def latest(self, *, document_id: int, recipient_id: str, kind: str) -> orm.OutboxRow | None:
        """The last row queued of a kind for a document and a recipient."""
        q = (select(orm.OutboxRow).where(orm.OutboxRow.document_id == document_id,
                                         orm.OutboxRow.recipient_id == recipient_id, orm.OutboxRow.kind == kind)
             .order_by(orm.OutboxRow.id.desc()))
        return self.session.exec(q).first()

    def get(self, row_id: int) -> orm.OutboxRow | None:
        return self.session.get(orm.OutboxRow, row_id)

    def claim(self, row_id: int, *, pending: str, status: str, first_attempt_at, holder: str, at,
              expired_before, gone: Callable[[str], bool]) -> Any | None:
        """In one statement: if the row is `pending`, or already `status` ("sending") but claimed by
        nobody, by `holder` itself or before `expired_before`, set it to `status`, count an attempt,
        set `first_attempt_at` unless it is set already, and sign it with `holder` and `at`. A row
        another holder is sending is taken over only if `gone(that holder)`. The row as it now is
        (read-only, with the columns as attributes), or None if there is no such row, it is no longer
        to be sent, or another holder is sending it."""
        self.session.flush()  # this transaction's changes to outbox rows first
        values = {"row_id": row_id, "pending": pending, "new_status": status, "date": first_attempt_at,
                  "holder": holder, "at": at, "expired_before": expired_before, "gone_holder": None}
        connection = self.session.connection()
        row = connection.execute(_CLAIM, values).first()
        if row is not None:
            return row
        held = connection.execute(_HOLDER, {"row_id": row_id}).first()
        if held is None or held.status != status or not gone(held.claimed_by):
            return None
        return connection.execute(_CLAIM, {**values, "gone_holder": held.claimed_by}).first()

    def settle(self, row_id: int, *, status: str, error: str | None, sent_at=None) -> None:
        """Set a row's status, last error and time sent."""
        self.session.connection().execute(_SETTLE, {"row_id": row_id, "new_status": status, "error": error,
                                                    "at": sent_at})

    def postpone(self, row_id: int, *, status: str, error: str) -> None:
        """Set a row's status and last error (its time sent unchanged)."""
        self.session.connection().execute(_POSTPONE, {"row_id": row_id, "new_status": status, "error": error})

    def many(self, row_ids: Iterable[int]) -> dict[int, orm.OutboxRow]:
        """Rows by id, read with one query."""
        wanted = list(row_ids)
        if not wanted:
            return {}
        return {r.id: r for r in self.session.exec(select(orm.OutboxRow).where(orm.OutboxRow.id.in_(wanted)))}

    def for_plan(self, plan_id: int) -> list[orm.OutboxRow]:
        q = select(orm.OutboxRow).where(orm.OutboxRow.plan_id == plan_id).order_by(orm.OutboxRow.id)
        return list(self.session.exec(q))

    def for_document(self, document_id: int) -> list[orm.OutboxRow]:
        q = select(orm.OutboxRow).where(orm.OutboxRow.document_id == document_id).order_by(orm.OutboxRow.id)
        return list(self.session.exec(q))


class Receipts(_Repo):
    """The receipts distributed documents ask for ("xác nhận đã nhận")."""

    def add(self, **fields: Any) -> orm.ReceiptRow:
        row = orm.ReceiptRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def code_taken(self, code: str) -> bool:
        return self.session.exec(select(orm.ReceiptRow.id).where(orm.ReceiptRow.code == code)).first() is not None

    def with_code(self, code: str) -> orm.ReceiptRow | None:
        return self.session.exec(select(orm.ReceiptRow).where(orm.ReceiptRow.code == code)).first()

    def for_document(self, document_id: int, recipient_id: str) -> orm.ReceiptRow | None:
        q = select(orm.ReceiptRow).where(orm.ReceiptRow.document_id == document_id,
                                         orm.ReceiptRow.recipient_id == recipient_id)
        return self.session.exec(q).first()

    def for_documents(self, pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], orm.ReceiptRow]:
        """`for_document` for many (document, recipient) pairs at once: the receipts found, by pair."""
        wanted = set(pairs)
        if not wanted:
            return {}
        q = (select(orm.ReceiptRow).where(orm.ReceiptRow.document_id.in_({d for d, _ in wanted}),
                                          orm.ReceiptRow.recipient_id.in_({r for _, r in wanted}))
             .order_by(orm.ReceiptRow.id))
        found: dict[tuple[int, str], orm.ReceiptRow] = {}
        for row in self.session.exec(q):
            if (row.document_id, row.recipient_id) in wanted:
                found.setdefault((row.document_id, row.recipient_id), row)
        return found

    def for_outbox(self, outbox_id: int) -> orm.ReceiptRow | None:
        return self.session.exec(select(orm.ReceiptRow).where(orm.ReceiptRow.outbox_id == outbox_id)).first()

    def for_plan(self, plan_id: int) -> list[orm.ReceiptRow]:
        q = select(orm.ReceiptRow).where(orm.ReceiptRow.plan_id == plan_id).order_by(orm.ReceiptRow.id)
        return list(self.session.exec(q))

    def of_document(self, document_id: int) -> list[orm.ReceiptRow]:
        q = select(orm.ReceiptRow).where(orm.ReceiptRow.document_id == document_id).order_by(orm.ReceiptRow.id)
        return list(self.session.exec(q))

    def unconfirmed(self, plan_id: int | None = None) -> list[orm.ReceiptRow]:
        q = select(orm.ReceiptRow).where(orm.ReceiptRow.confirmed_at.is_(None)).order_by(orm.ReceiptRow.id)
        if plan_id is not None:
            q = q.where(orm.ReceiptRow.plan_id == plan_id)
        return list(self.session.exec(q))


class Audit(_Repo):
    """The hash-chained trail. The chain's tail (last id, last hash) is read once per transaction,
    with one indexed query, and followed as events are appended: inside a transaction (BEGIN
    IMMEDIATE on SQLite) no other writer can append. Events are written with Core statements: they
    are never changed, so the ORM's bookkeeping would only cost time."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._tail: tuple[Any, int, str] | None = None  # (transaction, last id, last hash)

    def _last(self) -> tuple[int, str]:
        tail = self._tail
        if tail is None or tail[0] is None or tail[0] is not self.session.get_transaction():
            row = self.session.connection().execute(_AUDIT_TAIL).first()
            tail = self._tail = (self.session.get_transaction(), *(tuple(row) if row else (0, GENESIS)))
        return tail[1], tail[2]

    def head(self) -> str:
        """The hash of the newest event (the chain's head)."""
        return self._last()[1]

    def next_id(self) -> int:
        return self._last()[0] + 1

    def append(self, fields: dict[str, Any]) -> Event:
        """Store an event whose `fields` (id and prev_hash included) were built by the caller."""
        digest = event_hash(fields)
        self.session.connection().execute(_AUDIT_INSERT, {**fields, "hash": digest})
        if self._tail is not None and self._tail[0] is self.session.get_transaction() \
                and (fields["id"], fields["prev_hash"]) == (self._tail[1] + 1, self._tail[2]):
            self._tail = (self._tail[0], fields["id"], digest)
        else:
            self._tail = None
        return Event(**fields, hash=digest)

    def events(self, plan_id: int | None = None) -> list[Event]:
        q = select(orm.AuditRow).order_by(orm.AuditRow.id)
        if plan_id is not None:
            q = q.where(orm.AuditRow.plan_id == plan_id)
        return [Event(**r.model_dump()) for r in self.session.exec(q)]
