"""E-mail (thư điện tử): render an `OutgoingMail` to RFC 5322 bytes, send it over SMTP, and
capture mail locally for the demo.

- `render_mail` is pure: Jinja2 templates in templates/mail/ + the `emails` library, with a fixed
  Date, the caller's Message-ID and MIME boundaries derived from it, so the same mail is the same
  bytes every time.
- `SmtpSender` is the only code that opens SMTP connections: one `emails` SMTPBackend per batch,
  every response checked, the envelope pipelined where the server offers it, closed with QUIT.
- `MailSink` is a local aiosmtpd server (offering PIPELINING) that writes every message it receives
  to NNNN.eml.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import smtplib
import socket
import ssl
import threading
import unicodedata
import weakref
from datetime import datetime
from email.generator import BytesGenerator
from email.mime.base import MIMEBase
from email.utils import format_datetime, parseaddr
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable

import emails
from emails.backend.smtp import SMTPBackend
from emails.store import BaseFile
from emails.backend.smtp.client import SMTPClientWithResponse, SMTPClientWithResponse_SSL
from emails.backend.smtp.exceptions import SMTPConnectNetworkError
from emails.utils import SafeMIMEText, sanitize_email
from aiosmtpd.controller import Controller
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

# The data classes and errors live in the pure model (domain.services catches these very classes);
# they are re-exported here so callers of the adapter need one import.
from domain.model.mail import Attachment, OutgoingMail, PermanentMailError, TransientMailError
from domain.model.corrections import MARK_NOTICE_KINDS  # correction, replacement, withdrawal
from domain.model.notices import NOTICE_KINDS  # the workflow's notices: approvals, issue, overdue

__all__ = ["Attachment", "OutgoingMail", "render_mail", "render_parts", "SmtpSender", "TransientMailError",
           "PermanentMailError", "MailSink", "KINDS", "TEMPLATE_DIR"]

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "mail"
KINDS = ("distribution", "report_request", "reminder", "receipt_reminder", *MARK_NOTICE_KINDS)
MAX_FILENAME_BYTES = 255  # a file system's limit; also keeps the unfolded filename*= line < 998


# --- rendering -------------------------------------------------------------------------------

def render_mail(mail: OutgoingMail, *, sender_email: str, sender_name: str, date: datetime) -> bytes:
    """The message as RFC 5322 bytes (CRLF): same inputs, same bytes."""
    _check_mail(mail, sender_email)
    subject, text, html = render_parts(mail)
    message = _Message(
        subject=subject, text=_crlf(text), html=_crlf(html), charset="utf-8",
        mail_from=(_nfc(sender_name), sender_email),
        mail_to=(_nfc(mail.to_name), mail.to_email),
        message_id=mail.message_id,
        date=_date_header(date),
    )
    for attachment in mail.attachments:
        message.attachments.add(_attachment_file(_nfc(attachment.filename), attachment.mimetype, attachment.content))
    message.after_build = partial(_finish_tree, boundary_seed=mail.message_id)
    return _flatten(message.build_message())


def render_parts(mail: OutgoingMail) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of `mail` from templates/mail/<kind>.*, NFC-normalised."""
    env = _environment()
    context = {"recipient_name": mail.to_name, **mail.context}
    subject = " ".join(env.get_template(f"{mail.kind}.subject.txt").render(context).split())
    context["subject"] = subject
    text = env.get_template(f"{mail.kind}.txt").render(context)
    html = env.get_template(f"{mail.kind}.html").render(context)
    return _nfc(subject), _nfc(text), _nfc(html)


class _Message(emails.Message):
    """`emails`' Message (what `emails.html` makes), with two savings that change no byte:

    - the headers `emails` encodes (Subject, the addresses it parses) are kept as it wrote them: the
      Subject and the sender's From are the same in every message of a batch, and parsing an address
      with a Vietnamese name costs a tenth of building a message;
    - a text part's charset is set once (`emails` sets it a second time, which changes nothing but
      costs a parse of the part's Content-Type)."""

    def set_header(self, msg, key, value, encode=True):
        if value is None or not (encode or key.lower() in self.ADDRESS_HEADERS):
            return super().set_header(msg, key, value, encode)
        memo = (key, value, encode, self.headers_encoding, self.charset)
        written = _HEADERS.get(memo)
        if written is None:
            scratch: dict[str, str] = {}
            super().set_header(scratch, key, value, encode)
            if len(_HEADERS) >= 256:
                _HEADERS.clear()
            written = _HEADERS[memo] = scratch[key]
        msg[key] = written

    def _build_text_part(self):
        return SafeMIMEText(self.text_body, "plain", charset=self.charset) if self.text_body else None

    def _build_html_part(self):
        return SafeMIMEText(self.html_body, "html", charset=self.charset) if self.html_body else None


_HEADERS: dict[tuple, str] = {}  # (header, value, encode, encodings) -> what `emails` set


@lru_cache(maxsize=4)
def _attachment_file(filename: str, mimetype: str, content: bytes) -> BaseFile:
    """An `emails` attachment, kept for the next messages that carry the same file: `emails` keeps
    the MIME part it builds (base64 included) on the file object, so a document sent to many
    recipients is encoded once. The part is the same for every message (only the tree around it,
    built per message, differs)."""
    return BaseFile(data=content, filename=filename, mime_type=mimetype, content_disposition="attachment")


def _flatten(root) -> bytes:
    """The MIME tree as bytes with CRLF line ends: what `emails`' `as_bytes` does (without a DKIM
    signer), through `_SharedPartGenerator`."""
    out = io.BytesIO()
    _SharedPartGenerator(out, mangle_from_=False).flatten(root, unixfrom=False, linesep="\r\n")
    return out.getvalue()


class _SharedPartGenerator(BytesGenerator):
    """The stdlib's BytesGenerator, writing a part it has written before from memory.

    A document distributed to 500 recipients is one MIME part (kept on the `emails` file object,
    `_attachment_file`) in 500 messages; writing its ~55 KB of base64 line by line was a third of the
    time it took to render a message. The bytes are kept per part object, with the part's headers,
    its payload and the line end they were written with, and are written again only if one of these
    changed; they are exactly what the stdlib writes (tests/test_mail.py compares). Headers are
    folded once too (`_FOLDED`): a batch's Subject and From are the same in each of its messages.
    """

    def flatten(self, msg, unixfrom=False, linesep=None):
        if not isinstance(msg, MIMEBase) or msg.is_multipart() or msg.get_content_maintype() == "text":
            return super().flatten(msg, unixfrom=unixfrom, linesep=linesep)
        key = (linesep, tuple(msg.items()), id(msg.get_payload()))
        kept = _WRITTEN.get(msg)
        if kept is None or kept[0] != key:
            out = io.BytesIO()
            BytesGenerator(out, mangle_from_=False, policy=self.policy).flatten(msg, unixfrom=unixfrom,
                                                                                linesep=linesep)
            kept = _WRITTEN[msg] = (key, out.getvalue())
        self._fp.write(kept[1])

    def _write_headers(self, msg):
        style = repr(self.policy)  # the policy in full: its class and what differs from its defaults
        for name, value in msg.raw_items():
            if isinstance(value, str):
                key = (style, name, value)
                folded = _FOLDED.get(key)
                if folded is None:
                    if len(_FOLDED) >= 1024:
                        _FOLDED.clear()
                    folded = _FOLDED[key] = self.policy.fold_binary(name, value)
            else:
                folded = self.policy.fold_binary(name, value)
            self._fp.write(folded)
        self.write(self._NL)  # the blank line after the headers, as the stdlib writes it


_FOLDED: dict[tuple[str, str, str], bytes] = {}  # (policy, name, value) -> the header as the policy folds it

_WRITTEN: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # part -> (key, its bytes)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        auto_reload=False,  # templates/mail/ is read once per process, not stat()ed for every message
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


@lru_cache(maxsize=64)  # the sender's, checked for every message
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
    """One SMTP connection for a batch of sends, through one reused `emails` SMTPBackend:
    `with SmtpSender(...) as s: s.send(...)`; QUIT on leaving.

    `emails` reports a refusal in the response it returns rather than raising (its fail_silently
    default); every response is checked here. Raises:
    - PermanentMailError: 5xx to this message's recipient or content (RCPT, DATA; 552 at MAIL).
    - TransientMailError with per_message=True: 4xx to this message (e.g. greylisting); the
      connection stays usable.
    - TransientMailError with per_message=False: the connection failed (refused, time-out, lost
      twice: `emails` reconnects once), or the server refused the session itself (greeting,
      STARTTLS, login, the sender, 421): no message of the batch can go until that is fixed.
    TLS (STARTTLS on 587, or SSL on 465) checks the server's certificate against the system's CAs,
    or against `ca_file`.
    """

    def __init__(self, *, host: str, port: int, user: str | None = None, password: str | None = None,
                 starttls: bool = False, ssl: bool = False, timeout: float = 30.0,
                 ca_file: str | os.PathLike | None = None, local_hostname: str | None = None):
        if starttls and ssl:
            raise ValueError("use either starttls (port 587) or ssl (port 465), not both")
        self.host, self.port = host, port
        self._user, self._password = user, password
        self._starttls, self._ssl, self._timeout = starttls, ssl, timeout
        self._ca_file, self._local_hostname = ca_file, local_hostname
        self._backend: _Backend | None = None
        self._active = False

    def __enter__(self) -> "SmtpSender":
        options = dict(host=self.host, port=self.port, ssl=self._ssl, tls=self._starttls, user=self._user,
                       password=self._password, timeout=self._timeout, fail_silently=True)
        if self._local_hostname:
            options["local_hostname"] = self._local_hostname
        context = _tls_context(self._ca_file) if (self._ssl or self._starttls) else None
        self._backend = _Backend(tls_context=context, **options)
        try:  # connect now: a wrong host, certificate or password shows before any row is claimed
            self._backend.get_client()
        except (smtplib.SMTPException, OSError) as error:
            self._backend.discard()
            self._backend = None
            raise _session_error(self._where("connect"), error) from error
        except UnicodeEncodeError as error:  # smtplib sends the user name and password as ASCII only
            self._backend.discard()
            self._backend = None
            raise TransientMailError(f"{self._where('login')}: the SMTP user name and password must be ASCII "
                                     f"(KEHOACH_SMTP_USER, KEHOACH_SMTP_PASSWORD)", per_message=False) from error
        self._active = True
        return self

    def __exit__(self, *exc) -> None:
        self._active = False
        backend, self._backend = self._backend, None
        if backend is not None:
            try:
                backend.close()  # QUIT; fail_silently: a server already gone is no error here
            finally:
                backend.discard()

    def send(self, *, mail_from: str, to: str, message: bytes, meanwhile: Callable[[], None] | None = None) -> None:
        """Send rendered bytes to one recipient, or raise Transient/PermanentMailError.

        `meanwhile`, if given, is called once the message has been handed to the server and before
        its reply is read (e.g. to render the next message while the server reads this one); it
        must not raise. It may not be called at all (a refusal before DATA), or twice (`emails`
        reconnects once and sends again when the server hangs up).
        """
        if not self._active or self._backend is None:
            raise RuntimeError("SmtpSender.send() must be called inside `with SmtpSender(...)`")
        where = self._where(f"sending to <{to}>")
        self._backend.meanwhile = meanwhile
        try:
            response = self._backend.sendmail(from_addr=mail_from, to_addrs=[to], msg=_Rendered(message))
        except (smtplib.SMTPException, OSError) as error:  # lost again after `emails`' one reconnection
            self._backend.discard()
            raise _session_error(where, error) from error
        finally:
            self._backend.meanwhile = None
        error = _refusal(where, response)
        if error is not None:
            if not error.per_message:
                self._backend.discard()
            raise error

    def _where(self, action: str) -> str:
        return f"SMTP {self.host}:{self.port}, {action}"


class _Rendered:
    """What SMTPBackend.sendmail expects of a message (`as_bytes()`); ours is rendered already."""

    def __init__(self, data: bytes):
        self._data = data

    def as_bytes(self) -> bytes:
        return self._data


class _Transaction:
    """How `emails`' SMTP client sends one message, in fewer round trips than smtplib.

    - The envelope is pipelined when the server offers PIPELINING (RFC 2920, as Postfix, Exim and
      Exchange do): MAIL, RCPT and DATA go in one write and their replies are read in turn, two
      round trips a message instead of four (on a mail server 30 ms away, 60 ms instead of 120). The
      replies are recorded as `emails` records them, so a refusal reads the same either way; a
      server without PIPELINING gets the commands one by one (`emails`' own sendmail).
    - DATA calls the backend's `meanwhile` between handing the message to the socket and reading the
      server's reply (the reply that says whether it took the message).
    """

    def sendmail(self, from_addr, to_addrs, msg, mail_options=None, rcpt_options=None):
        if not (self.does_esmtp and self.has_extn("pipelining")) or not to_addrs:
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        to_addrs = [sanitize_email(a) for a in ([to_addrs] if isinstance(to_addrs, str) else to_addrs)]
        options = (["size=%d" % len(msg)] if self.has_extn("size") else []) + list(mail_options or [])
        response = self.make_response()
        response.from_addr, response.esmtp_opts = sanitize_email(from_addr), options[:]
        response.to_addrs, response.rcpt_options, response.refused_recipients = to_addrs, list(rcpt_options or []), {}

        def tail(values):
            return (" " + " ".join(values)) if values else ""

        commands = [f"mail FROM:{smtplib.quoteaddr(response.from_addr)}{tail(options)}"]
        commands += [f"rcpt TO:{smtplib.quoteaddr(a)}{tail(response.rcpt_options)}" for a in to_addrs]
        self.send("".join(f"{command}\r\n" for command in commands + ["data"]))
        code, reply = self.getreply()
        response.set_status("mail", code, reply)
        if code == 421:
            return _closing(response, code, reply)
        refused = code != 250
        for address in to_addrs:
            code, reply = self.getreply()
            if not refused:
                response.set_status("rcpt", code, reply, recipient=address)
                if code not in (250, 251):
                    response.refused_recipients[address] = (code, reply)
            if code == 421:
                return _closing(response, code, reply)
        code, reply = self.getreply()  # DATA's
        if refused or len(response.refused_recipients) == len(to_addrs):
            if code == 354:  # accepted with no recipient: end the (empty) message, which the server refuses
                self.send(".\r\n")
                self.getreply()
            self._rset()
            response.set_exception(smtplib.SMTPSenderRefused(response.status_code, response.status_text,
                                                             response.from_addr) if refused
                                   else smtplib.SMTPRecipientsRefused(response.refused_recipients))
            return response
        if code != 354:
            response.set_status("data", code, reply)
            if code != 421:
                self._rset()
            response.set_exception(smtplib.SMTPDataError(code, reply))
            return response
        code, reply = self._message(msg)
        response.set_status("data", code, reply)
        if code != 250:
            if code != 421:
                self._rset()
            response.set_exception(smtplib.SMTPDataError(code, reply))
            return response
        response._finished = True
        return response

    def data(self, msg):
        """smtplib's DATA, calling the backend's `meanwhile` (`emails`' sendmail, without PIPELINING)."""
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        return self._message(msg)

    def _message(self, msg):
        """After the server's 354: the message, dot-stuffed and ended, then the server's reply."""
        if isinstance(msg, str):  # as smtplib does; ours are bytes already
            msg = re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", msg).encode("ascii")
        # dot-stuffing (RFC 5321 4.5.2), as smtplib does; looked for first, as a line starting with a dot is
        # rare (none in base64) and finding one costs a quarter of rewriting the message
        data = _LEADING_DOT.sub(b"..", msg) if msg.startswith(b".") or b"\n." in msg else msg
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        self.send(data + b".\r\n")
        meanwhile = getattr(self.parent, "meanwhile", None)
        if meanwhile is not None:
            meanwhile()
        return self.getreply()


def _closing(response, code: int, reply: bytes):
    """The response of a pipelined transaction the server ended with 421 (closing the connection):
    nothing more is read from it."""
    response.set_exception(smtplib.SMTPResponseException(code, reply))
    return response


_LEADING_DOT = re.compile(rb"(?m)^\.")


class _Client(_Transaction, SMTPClientWithResponse):
    """`emails`' SMTP client, with STARTTLS checking the certificate (smtplib's default context does not)."""

    def __init__(self, parent, **kwargs):
        self._tls_context = parent.tls_context
        super().__init__(parent, **kwargs)

    def starttls(self, *args, **kwargs):
        kwargs.setdefault("context", self._tls_context)
        return super().starttls(*args, **kwargs)


class _SslClient(_Transaction, SMTPClientWithResponse_SSL):
    """`emails`' SMTP-over-SSL client, connecting once, with a context that checks the certificate."""

    def __init__(self, parent, **kwargs):
        self.context = parent.tls_context  # what SMTP_SSL wraps the socket with
        SMTPClientWithResponse.__init__(self, parent, **kwargs)  # emails' own __init__ connects twice


class _Backend(SMTPBackend):
    connection_cls = _Client
    connection_ssl_cls = _SslClient

    def __init__(self, *, tls_context: ssl.SSLContext | None, **kwargs):
        self.tls_context = tls_context
        self.meanwhile: Callable[[], None] | None = None  # see SmtpSender.send
        super().__init__(**kwargs)

    def discard(self) -> None:
        """Drop the connection without a word to the server (after a time-out or a loss)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _tls_context(ca_file) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def _refusal(where: str, response) -> Exception | None:
    """The error an `emails` SMTPResponse stands for; None if the server took the message (250)."""
    if response is not None and response.success:
        return None
    if response is None:
        return TransientMailError(f"{where}: no response", per_message=False)
    stage, code, text = response.last_command, response.status_code, response.status_text
    if stage is None or code is None:  # (re)connecting failed inside emails: the error is kept in the response
        error = response.error
        return _session_error(where, error) if error is not None else TransientMailError(
            f"{where}: no reply from the server", per_message=False)
    reply = _reply(where, code, text)
    if code == 421:  # the server is closing the connection
        return TransientMailError(reply, per_message=False)
    if stage in ("rcpt", "data") or (stage == "mail" and code == 552):  # about this message (552: its size)
        return (PermanentMailError if 500 <= code < 600 else TransientMailError)(reply, per_message=True)
    return TransientMailError(reply, per_message=False)  # the sender refused: a configuration matter


def _session_error(where: str, error: BaseException) -> TransientMailError:
    """A failure of the connection or the session (not of one message): retry once it is fixed."""
    if isinstance(error, smtplib.SMTPResponseException):
        return TransientMailError(_reply(where, error.smtp_code, error.smtp_error), per_message=False)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TransientMailError(f"{where}: connection closed by the server ({error})", per_message=False)
    if isinstance(error, SMTPConnectNetworkError):
        return TransientMailError(f"{where}: network error: {error.strerror}", per_message=False)
    return TransientMailError(f"{where}: {type(error).__name__}: {error}", per_message=False)


def _reply(where: str, code: int, text: bytes | str | None) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{where}: SMTP {code} {' '.join((text or '').split())}"


# --- the demo's local SMTP server ------------------------------------------------------------

class MailSink:
    """aiosmtpd on 127.0.0.1 writing every message, as received, to directory/NNNN.eml.

    Numbering starts after the highest NNNN.eml already in the directory (1 in an empty one),
    so a restarted sink never overwrites earlier captures.
    """

    SERVER_NAME = "kehoach-mailsink"  # greeting name; spares aiosmtpd a socket.getfqdn() lookup
    READY_TIMEOUT = 10.0
    controller_class = Controller  # aiosmtpd's; a subclass may serve another SMTP protocol class

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
        controller = self.controller_class(_SinkHandler(self), hostname=self.host, port=self.port,
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
            self._next_number += 1
        _write_atomically(path, content)
        with self._lock:
            self._count += 1
            self._peers.add(peer)
        return path


class _SinkHandler:
    def __init__(self, sink: MailSink):
        self._sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self._sink._note_peer(session.peer)
        return _offer_pipelining(responses)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.get_running_loop().run_in_executor(None, self._sink._store, envelope.original_content,
                                                         session.peer)
        return "250 Message accepted for delivery"


def _offer_pipelining(responses: list[str]) -> list[str]:
    """EHLO's reply lines with PIPELINING (RFC 2920) among the extensions. aiosmtpd reads each command
    from its stream in turn and answers in order, which is all PIPELINING asks of a server; it just
    does not say so."""
    if any(line[4:].upper().startswith("PIPELINING") for line in responses):
        return responses
    return responses[:1] + ["250-PIPELINING"] + responses[1:]


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
