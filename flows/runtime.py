"""Wiring: the adapters chosen by Settings, handed to the services. Built on call, never at import."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

from domain.adapters import files, processes
from domain.adapters.db import SqlUnitOfWork, migrate
from domain.model.mail import Lease
from domain.settings import Settings, get_settings

_progress: list[Callable[[str, int, int], None]] = []
_listeners: list[Callable[[str, int, int], None]] = []  # always on, beside the front end's (Prefect artifacts)


def settings() -> Settings:
    return get_settings()


_migrated: set[str] = set()


def uow() -> SqlUnitOfWork:
    """A unit of work on the configured database, its schema brought up to date once per process
    (a worker or `kehoach serve` may be the first to touch a new database)."""
    url = settings().database_url
    if url not in _migrated:
        ensure_schema()
    return SqlUnitOfWork(url)


def ensure_schema() -> None:
    url = settings().database_url
    migrate(url)
    _migrated.add(url)


def now() -> datetime:
    """The current time in Asia/Ho_Chi_Minh (or the configured zone)."""
    return datetime.now(ZoneInfo(settings().timezone))


_calendars: dict[str, object] = {}


def calendar():
    """The working calendar: the shipped holidays, extended by KEHOACH_HOLIDAYS_FILE (read once per process)."""
    from domain.adapters.holidays import load_calendar

    path = settings().holidays_file
    key = str(path or "")
    if key not in _calendars:
        _calendars[key] = load_calendar(path)
    return _calendars[key]


def documents_dir() -> Path:
    return Path(settings().documents_dir)


def render_docx(document) -> bytes:
    from domain.adapters.docx_render import render_docx as render

    return render(document)


def render_mail(mail) -> bytes:
    from domain.adapters.mail import render_mail as render

    s = settings()
    return render(mail, sender_email=s.mail_from, sender_name=s.mail_from_name, date=mail.date or now())


_person_waiting = [False]  # set while a command a person waits for runs (kehoach ..., not serve)


@contextmanager
def person_waiting(waiting: bool = True) -> Iterator[None]:
    """While a person waits at the command line, a mail server out of reach is retried briefly
    (`command_mail_retry_delays`): the decision is already recorded and its mail stays queued for
    the daily sweep or `kehoach mail send`; unattended runs (serve, deployments) retry for longer."""
    before, _person_waiting[0] = _person_waiting[0], waiting
    try:
        yield
    finally:
        _person_waiting[0] = before


def mail_retry_delays() -> list[float]:
    """Seconds before each retry of a chunk of mail after a transient failure (see `person_waiting`)."""
    s = settings()
    return s.command_mail_retry_delays if _person_waiting[0] else s.mail_retry_delays


def lease() -> Lease:
    """This process's claim on the outbox rows it sends (see `Lease`)."""
    return Lease(holder=processes.this_process(), seconds=settings().outbox_lease_seconds, gone=processes.gone)


def smtp():
    from domain.adapters.mail import SmtpSender

    s = settings()
    return SmtpSender(host=s.smtp_host, port=s.smtp_port, user=s.smtp_user, password=s.smtp_password,
                      starttls=s.smtp_starttls, ssl=s.smtp_ssl, timeout=s.smtp_timeout, ca_file=s.smtp_ca_file)


def write_documents(items: list[tuple[str, bytes]]) -> list[Path]:
    return files.write_files(documents_dir(), items)


def read_document(name: str) -> bytes | None:
    return files.reader(documents_dir())(name)


def on_progress(callback: Callable[[str, int, int], None] | None) -> None:
    """Let a front end (the demo, the CLI) watch long steps: callback(step, done, total)."""
    _progress.clear()
    if callback:
        _progress.append(callback)


def listen_progress(callback: Callable[[str, int, int], None]) -> None:
    """Let the orchestration mirror every long step too (e.g. as a progress artifact in Prefect's UI)."""
    if callback not in _listeners:
        _listeners.append(callback)


def progress(step: str, done: int, total: int) -> None:
    for callback in _progress + _listeners:
        callback(step, done, total)
