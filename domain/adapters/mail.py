"""E-mail (thư điện tử): render an `OutgoingMail` to RFC 5322 bytes, send it over SMTP, and
capture mail locally for the demo.

- `render_mail` is pure: Jinja2 templates in templates/mail/ + the `emails` library, with a fixed
  Date, the caller's Message-ID and MIME boundaries derived from it, so the same mail is the same
  bytes every time.
- `SmtpSender` is the only code that opens SMTP connections: one per batch, closed with QUIT.
- `MailSink` is a local aiosmtpd server that writes every message it receives to NNNN.eml.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import smtplib
import socket
import ssl
import threading
import unicodedata
from datetime import datetime
from email.utils import format_datetime, parseaddr
from functools import lru_cache, partial
from pathlib import Path
from typing import Iterator

import emails
from aiosmtpd.controller import Controller
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

# The data classes and errors live in the pure model (domain.services catches these very classes);
# they are re-exported here so callers of the adapter need one import.
from domain.model.mail import Attachment, OutgoingMail, PermanentMailError, TransientMailError
from domain.model.notices import NOTICE_KINDS  # the workflow's notices: approvals, issue, overdue

__all__ = ["Attachment", "OutgoingMail", "render_mail", "render_parts", "SmtpSender", "TransientMailError",
           "PermanentMailError", "MailSink", "KINDS", "TEMPLATE_DIR"]

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "mail"
KINDS = ("distribution", "report_request", "reminder")
MAX_FILENAME_BYTES = 255  # a file system's limit; also keeps the unfolded filename*= line < 998


# --- rendering -------------------------------------------------------------------------------

def render_mail(mail: OutgoingMail, *, sender_email: str, sender_name: str, date: datetime) -> bytes:
    """The message as RFC 5322 bytes (CRLF): same inputs, same bytes."""
    _check_mail(mail, sender_email)
    subject, text, html = render_parts(mail)
    message = emails.html(
        subject=subject, text=_crlf(text), html=_crlf(html), charset="utf-8",
        mail_from=(_nfc(sender_name), sender_email),
        mail_to=(_nfc(mail.to_name), mail.to_email),
        message_id=mail.message_id,
        date=_date_header(date),
    )
    for attachment in mail.attachments:
        message.attach(data=attachment.content, filename=_nfc(attachment.filename),
                       mime_type=attachment.mimetype)
    message.after_build = partial(_finish_tree, boundary_seed=mail.message_id)
    return message.as_bytes()


def render_parts(mail: OutgoingMail) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of `mail` from templates/mail/<kind>.*, NFC-normalised."""
    env = _environment()
    context = {"recipient_name": mail.to_name, **mail.context}
    subject = " ".join(env.get_template(f"{mail.kind}.subject.txt").render(context).split())
    context["subject"] = subject
    text = env.get_template(f"{mail.kind}.txt").render(context)
    html = env.get_template(f"{mail.kind}.html").render(context)
    return _nfc(subject), _nfc(text), _nfc(html)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _finish_tree(_message, root, *, boundary_seed: str) -> None:
    """`emails` hook: give the tree the shape and boundaries we promise.

    `emails` always nests text+HTML in a multipart/related (for inline images, which we never
    send) and lets the stdlib draw random boundaries. We lift the multipart/alternative straight
    under multipart/mixed, name the boundaries after the Message-ID ("=_" cannot occur in base64
    bodies), and keep MIME-Version on the top level only.
    """
    related = root.get_payload(0)
    if related.get_content_type() != "multipart/related" or len(related.get_payload()) != 1:
        raise RuntimeError("unexpected MIME tree from emails: expected one multipart/related part")
    alternative = related.get_payload(0)
    root.get_payload()[0] = alternative
    for part in root.walk():
        if part is not root:
            del part["MIME-Version"]
    digest = hashlib.sha256(boundary_seed.encode("utf-8")).hexdigest()[:32]
    root.set_boundary(f"=_mixed_{digest}")
    alternative.set_boundary(f"=_alt_{digest}")


def _check_mail(mail: OutgoingMail, sender_email: str) -> None:
    if mail.kind not in KINDS + NOTICE_KINDS:
        raise ValueError(f"unknown mail kind {mail.kind!r}; expected one of {KINDS + NOTICE_KINDS}")
    for address in (sender_email, mail.to_email):
        _check_address(address)
    mid = mail.message_id
    if not (mid.startswith("<") and mid.endswith(">") and "@" in mid and len(mid.split()) == 1):
        raise ValueError(f"Message-ID must look like <id@domain>, got {mid!r}")
    for attachment in mail.attachments:
        if len(_nfc(attachment.filename).encode("utf-8")) > MAX_FILENAME_BYTES:
            raise ValueError(f"attachment name longer than {MAX_FILENAME_BYTES} bytes: {attachment.filename!r}")


def _check_address(address: str) -> None:
    """One bare address, nothing a header parser could read as a second recipient."""
    if parseaddr(address) != ("", address) or address.count("@") != 1 or any(c in address for c in ",;<>\r\n "):
        raise ValueError(f"not a single e-mail address: {address!r}")


def _date_header(date: datetime) -> str:
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("the Date of a message must be timezone-aware")
    return format_datetime(date)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _crlf(text: str) -> str:
    """Canonical line ends for text/* parts (RFC 2046 §4.1.1)."""
    return "\r\n".join(text.splitlines()) + "\r\n"


# --- sending ---------------------------------------------------------------------------------

class SmtpSender:
    """One SMTP connection for a batch of sends: `with SmtpSender(...) as s: s.send(...)`.

    Raises TransientMailError (4xx, connection errors, time-outs: retry later) or
    PermanentMailError (5xx, refused recipient). A dropped connection is reopened once.
    """

    def __init__(self, *, host: str, port: int, user: str | None = None, password: str | None = None,
                 starttls: bool = False, ssl: bool = False, timeout: float = 30.0):
        if starttls and ssl:
            raise ValueError("use either starttls (port 587) or ssl (port 465), not both")
        self.host, self.port = host, port
        self._user, self._password = user, password
        self._starttls, self._ssl, self._timeout = starttls, ssl, timeout
        self._connection: smtplib.SMTP | None = None
        self._active = False

    def __enter__(self) -> "SmtpSender":
        with self._translate_errors("connect"):
            self._open()
        self._active = True
        return self

    def __exit__(self, *exc) -> None:
        self._active = False
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            connection.close()

    def send(self, *, mail_from: str, to: str, message: bytes) -> None:
        """Send rendered bytes to one recipient, or raise Transient/PermanentMailError."""
        if not self._active:
            raise RuntimeError("SmtpSender.send() must be called inside `with SmtpSender(...)`")
        with self._translate_errors(f"sending to <{to}>"):
            try:
                self._sendmail(mail_from, to, message)
            except smtplib.SMTPServerDisconnected:
                self._discard()
                self._sendmail(mail_from, to, message)  # reconnect once

    def _sendmail(self, mail_from: str, to: str, message: bytes) -> None:
        connection = self._connection or self._open()
        refused = connection.sendmail(mail_from, [to], message)
        if refused:  # only possible with several recipients; kept for safety
            raise smtplib.SMTPRecipientsRefused(refused)

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context() if (self._ssl or self._starttls) else None
        if self._ssl:
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self._timeout, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        try:
            if self._starttls:
                connection.starttls(context=context)
            if self._user:
                connection.login(self._user, self._password or "")
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    @contextlib.contextmanager
    def _translate_errors(self, action: str) -> Iterator[None]:
        where = f"SMTP {self.host}:{self.port}, {action}"
        try:
            yield
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise _reply_error(where, code, text) from error
        except smtplib.SMTPResponseException as error:
            raise _reply_error(where, error.smtp_code, error.smtp_error) from error
        except smtplib.SMTPServerDisconnected as error:
            self._discard()
            raise TransientMailError(f"{where}: connection closed by the server ({error})") from error
        except smtplib.SMTPException as error:
            raise PermanentMailError(f"{where}: {error}") from error
        except OSError as error:  # refused, reset, time-out, TLS failure
            self._discard()
            raise TransientMailError(f"{where}: {type(error).__name__}: {error}") from error


def _reply_error(where: str, code: int, text: bytes | str) -> Exception:
    """5xx is final; anything else (4xx, odd codes) may succeed later."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    message = f"{where}: SMTP {code} {' '.join(text.split())}"
    return PermanentMailError(message) if 500 <= code < 600 else TransientMailError(message)


# --- the demo's local SMTP server ------------------------------------------------------------

class MailSink:
    """aiosmtpd on 127.0.0.1 writing every message, as received, to directory/NNNN.eml.

    Numbering starts after the highest NNNN.eml already in the directory (1 in an empty one),
    so a restarted sink never overwrites earlier captures.
    """

    SERVER_NAME = "kehoach-mailsink"  # greeting name; spares aiosmtpd a socket.getfqdn() lookup
    READY_TIMEOUT = 10.0

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 0):
        self.directory = Path(directory)
        self.host = host
        self.port = port
        self._requested_port = port
        self._controller: Controller | None = None
        self._lock = threading.Lock()
        self._count = 0
        self._next_number = 1
        self._peers: set[tuple] = set()

    def start(self) -> tuple[str, int]:
        if self._controller is not None:
            raise RuntimeError("MailSink already started")
        self.directory.mkdir(parents=True, exist_ok=True)
        self._next_number = _highest_eml_number(self.directory) + 1
        self.port = self._requested_port or _free_port(self.host)
        controller = Controller(_SinkHandler(self), hostname=self.host, port=self.port,
                                server_hostname=self.SERVER_NAME, ready_timeout=self.READY_TIMEOUT)
        controller.start()
        self._controller = controller
        return self.host, self.port

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> "MailSink":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def count(self) -> int:
        """Messages received so far by this sink."""
        with self._lock:
            return self._count

    @property
    def connections(self) -> int:
        """Distinct client connections that greeted (EHLO) or delivered a message."""
        with self._lock:
            return len(self._peers)

    def _note_peer(self, peer) -> None:
        with self._lock:
            self._peers.add(peer)

    def _store(self, content: bytes, peer) -> Path:
        with self._lock:
            path = self.directory / f"{self._next_number:04d}.eml"
            _write_atomically(path, content)
            self._next_number += 1
            self._count += 1
            self._peers.add(peer)
            return path


class _SinkHandler:
    def __init__(self, sink: MailSink):
        self._sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self._sink._note_peer(session.peer)
        return responses

    async def handle_DATA(self, server, session, envelope):
        self._sink._store(envelope.original_content, session.peer)
        return "250 Message accepted for delivery"


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _highest_eml_number(directory: Path) -> int:
    return max((int(p.stem) for p in directory.glob("*.eml") if p.stem.isdigit()), default=0)


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
