"""E-mail adapter: rendering is pure and Vietnamese-safe; sending uses one SMTP connection and
maps refusals to transient/permanent errors; the local sink keeps the bytes it received."""
from __future__ import annotations

import email
import email.policy
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from jinja2 import UndefinedError

from domain.adapters.mail import (KINDS, TEMPLATE_DIR, Attachment, MailSink, OutgoingMail,
                                  PermanentMailError, SmtpSender, TransientMailError, render_mail)

DATE = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=7)))
SENDER = {"sender_email": "vanphong@hoabinh.gov.vn", "sender_name": "Văn phòng HĐND-UBND phường Hòa Bình"}
FILENAME = "Kế hoạch 05-KH-UBND ngày 23-11-2026 - Công tác dân vận.docx"
DOCX = b"PK\x03\x04" + bytes(range(256)) * 8

BASE_CONTEXT = {
    "recipient_name": "Ủy ban MTTQ Việt Nam phường Hòa Bình",
    "issuer_name": "Ủy ban nhân dân phường Hòa Bình",
    "plan_reference": "05/KH-UBND",
    "plan_title": "Công tác dân vận năm 2027",
    "issued_on": "23/11/2026",
    "signer": "Phó Chủ tịch Nguyễn Thị Tâm",
    "sender_office": "Văn phòng HĐND-UBND phường Hòa Bình",
    # what the message is about (delivery.subject_context): the plan
    "review": False, "doc_label": "Kế hoạch", "doc_title": "Công tác dân vận năm 2027", "cmd": "plan",
    "subject_id": 1, "subject_ref": "kế hoạch #1",
}
PERIOD_CONTEXT = {
    "period_label": "Quý IV/2026",
    "period_start": "15/09/2026",
    "period_end": "14/12/2026",
    "deadline": "18/12/2026",
    "targets": [
        {"id": "CT1", "text": "Tỷ lệ hộ đạt danh hiệu Gia đình văn hóa", "value": "95", "unit": "%"},
        {"id": "CT2", "text": "Xây dựng mô hình «Dân vận khéo»", "value": None, "unit": None},
    ],
    "tasks": [
        {"ref": "2.1", "text": "Tuyên truyền, vận động nhân dân thực hiện quy ước khu dân cư", "timeframe": "Cả năm"},
        {"ref": "2.3", "text": "Sơ kết mô hình dân vận khéo", "timeframe": None},
    ],
    "command_hint": "kehoach report submit 1 --unit mttq --period 2026-Q4 --file <tệp>",
}


RECEIPT_CONTEXT = {"receipt_code": "K7M2Q-9XH4T"}
ORIGINAL_CONTEXT = {"original": "Kế hoạch số 05/KH-UBND ngày 23/11/2026", "original_reference": "05/KH-UBND",
                    "original_subject": "Công tác dân vận năm 2027"}
NEW_CONTEXT = {"new": "Công văn số 07/UBND ngày 30/11/2026", "new_reference": "07/UBND",
               "new_subject": "V/v đính chính Kế hoạch số 05/KH-UBND ngày 23/11/2026", "new_issued_on": "30/11/2026",
               "new_signer": "Nguyễn Thị Tâm",
               "corrections": [{"at": "Mục II, chỉ tiêu (4)", "was": "giảm 0,5%/năm", "now": "giảm 1%/năm"}]}
MARK_CONTEXTS = {
    "correction": {**BASE_CONTEXT, **ORIGINAL_CONTEXT, **NEW_CONTEXT},
    "replacement": {**BASE_CONTEXT, **ORIGINAL_CONTEXT, **NEW_CONTEXT, "new": "Kế hoạch số 07/KH-UBND ngày 30/11/2026",
                    "new_reference": "07/KH-UBND", "new_subject": "Công tác dân vận năm 2027 (thay thế)"},
    "withdrawal": {**BASE_CONTEXT, **ORIGINAL_CONTEXT, "reason": "Ban hành chưa đúng thẩm quyền",
                   "withdrawn_on": "30/11/2026"},
}


def make_mail(kind: str = "distribution", number: int = 1, **changes) -> OutgoingMail:
    context = {
        "distribution": {**BASE_CONTEXT, **RECEIPT_CONTEXT},
        "receipt_reminder": {**BASE_CONTEXT, **RECEIPT_CONTEXT, "sent_on": "24/11/2026"},
        **MARK_CONTEXTS,
    }.get(kind, {**BASE_CONTEXT, **PERIOD_CONTEXT})
    attachments = ((Attachment(FILENAME, DOCX),) if kind in ("distribution", "receipt_reminder", "correction",
                                                             "replacement") else ())
    mail = OutgoingMail(kind=kind, to_email="mttq@hoabinh.gov.vn", to_name=BASE_CONTEXT["recipient_name"],
                        message_id=f"<kehoach.1.{kind}.{number:04d}@hoabinh.gov.vn>",
                        context=context, attachments=attachments)
    return replace(mail, **changes)


def render(mail: OutgoingMail) -> bytes:
    return render_mail(mail, date=DATE, **SENDER)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def bodies(message: email.message.EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


# --- rendering -------------------------------------------------------------------------------

def test_rendered_message_has_vietnamese_headers_attachment_name_and_one_recipient_exactly():
    message = parse(render(make_mail()))

    assert message["Subject"] == "Phát hành Kế hoạch số 05/KH-UBND: Công tác dân vận năm 2027"
    assert message["Date"] == "Mon, 23 Nov 2026 09:30:00 +0700"
    assert message["Date"].datetime == DATE
    assert message["Message-ID"] == "<kehoach.1.distribution.0001@hoabinh.gov.vn>"
    assert message["MIME-Version"] == "1.0"
    sender, = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (SENDER["sender_name"], SENDER["sender_email"])
    recipient, = message["To"].addresses
    assert (recipient.display_name, recipient.addr_spec) == (BASE_CONTEXT["recipient_name"], "mttq@hoabinh.gov.vn")
    assert message.get_all("To") == [message["To"]]
    assert message["Cc"] is None and message["Bcc"] is None

    attachment, = message.iter_attachments()
    assert attachment.get_filename() == FILENAME
    assert attachment.get_content_type() == Attachment(FILENAME, b"").mimetype
    assert attachment.get_content() == DOCX


def test_rendered_message_is_mixed_with_an_alternative_of_utf8_text_and_html():
    raw = render(make_mail())
    message = parse(raw)

    assert message.get_content_type() == "multipart/mixed"
    first, second = message.get_payload()
    assert first.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in first.get_payload()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in first.get_payload())
    assert "filename*=utf-8''K%E1%BA%BF%20ho%E1%BA%A1ch" in raw.decode("ascii")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")


def test_rendering_twice_gives_identical_bytes_and_another_message_id_other_boundaries():
    first, again = render(make_mail()), render(make_mail())
    other = render(make_mail(number=2))

    assert first == again
    assert parse(first).get_boundary() != parse(other).get_boundary()


def test_messages_of_a_batch_are_byte_for_byte_what_emails_and_the_stdlib_write_on_their_own(monkeypatch):
    """What is kept between messages (the attachment's part, `_SharedPartGenerator`; the headers folded,
    `_FOLDED`; the headers `emails` encoded, `_Message`) and the text parts `_Message` builds with one
    setting of their charset must change no byte of any message."""
    import emails
    import domain.adapters.mail as adapter
    from email.generator import BytesGenerator

    names = ["Ủy ban MTTQ Việt Nam phường Hòa Bình", "Chi bộ Tổ dân phố số 12", "Hội Cựu chiến binh phường"]
    mails = [make_mail(number=n, to_name=name, to_email=f"u{n}@hoabinh.gov.vn")
             for n, name in enumerate(names, start=1)] + [make_mail("reminder")]
    kept = [render(m) for m in mails] + [render(mails[0])]
    assert adapter._WRITTEN and adapter._FOLDED and adapter._HEADERS, "nothing was kept"
    monkeypatch.setattr(adapter, "_SharedPartGenerator", BytesGenerator)
    monkeypatch.setattr(adapter, "_Message", emails.Message)
    assert [render(m) for m in mails] + [render(mails[0])] == kept


def test_html_body_escapes_markup_in_the_recipient_name():
    name = "Tổ dân phố <b>số 3</b> & Chi hội"
    mail = make_mail(to_name=name, context={**BASE_CONTEXT, **RECEIPT_CONTEXT, "recipient_name": name})
    message = parse(render(mail))
    text, html = bodies(message)

    assert "Tổ dân phố &lt;b&gt;số 3&lt;/b&gt; &amp; Chi hội" in html
    assert "<b>" not in html
    assert name in text
    assert message["To"].addresses[0].display_name == name


@pytest.mark.parametrize("kind, subject", [
    ("distribution", "Phát hành Kế hoạch số 05/KH-UBND: Công tác dân vận năm 2027"),
    ("report_request", "Đề nghị báo cáo Quý IV/2026 thực hiện Kế hoạch số 05/KH-UBND"),
    ("reminder", "Nhắc báo cáo Quý IV/2026 thực hiện Kế hoạch số 05/KH-UBND"),
    ("receipt_reminder", "Đề nghị xác nhận đã nhận Kế hoạch số 05/KH-UBND"),
])
def test_every_kind_renders_its_subject_text_and_html(kind, subject):
    message = parse(render(make_mail(kind)))
    text, html = bodies(message)

    assert message["Subject"] == subject
    for body in (text, html):
        assert "Ủy ban MTTQ Việt Nam phường Hòa Bình" in body
        assert "05/KH-UBND" in body and "Công tác dân vận năm 2027" in body
        assert unicodedata.is_normalized("NFC", body)
    assert html.lstrip().startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    if kind in ("report_request", "reminder"):
        for body in (text, html):
            assert "18/12/2026" in body and "15/09/2026" in body and "14/12/2026" in body
            assert "Tuyên truyền, vận động nhân dân thực hiện quy ước khu dân cư" in body
            assert "Tỷ lệ hộ đạt danh hiệu Gia đình văn hóa" in body
        assert "95%" in text
        assert html.count("<table") == 2 and ">2.1</td>" in html
        assert "--file &lt;tệp&gt;" in html and "--file <tệp>" in text
    if kind == "reminder":
        assert "chưa nhận được báo cáo Quý IV/2026" in text
    if kind in ("distribution", "receipt_reminder"):
        assert "gửi kèm" in text and "Xác nhận đã nhận: đề nghị Quý cơ quan, đơn vị trả lời thư này" in text
        assert "(ghi rõ mã xác nhận K7M2Q-9XH4T)" in text and "kehoach receipt confirm K7M2Q-9XH4T" in text
        assert "<code>kehoach receipt confirm K7M2Q-9XH4T</code>" in html
    if kind == "receipt_reminder":
        assert "Ngày 24/11/2026, Văn phòng HĐND-UBND phường Hòa Bình đã gửi" in text
        assert "chưa nhận được xác nhận đã nhận văn bản" in text and "gửi kèm lại" in text


def test_a_distribution_queued_before_receipts_existed_asks_for_a_reply_instead_of_a_code():
    text, html = bodies(parse(render(make_mail(context={**BASE_CONTEXT, "receipt_code": None}))))
    assert "trả lời thư này để xác nhận đã nhận văn bản" in text and "receipt confirm" not in text
    assert "receipt confirm" not in html


def test_a_missing_template_variable_fails_instead_of_rendering_blank():
    context = {k: v for k, v in PERIOD_CONTEXT.items() if k != "deadline"}
    with pytest.raises(UndefinedError, match="deadline"):
        render(make_mail("report_request", context={**BASE_CONTEXT, **context}))


def test_decomposed_vietnamese_in_the_context_comes_out_nfc():
    title = unicodedata.normalize("NFD", "Công tác dân vận năm 2027")
    message = parse(render(make_mail(context={**BASE_CONTEXT, **RECEIPT_CONTEXT, "plan_title": title,
                                                            "doc_title": title})))

    assert message["Subject"] == "Phát hành Kế hoạch số 05/KH-UBND: Công tác dân vận năm 2027"
    assert "“Công tác dân vận năm 2027”" in bodies(message)[0]


def test_template_files_exist_for_every_kind_and_are_nfc():
    for kind in KINDS:
        for suffix in (".subject.txt", ".txt", ".html"):
            assert (TEMPLATE_DIR / f"{kind}{suffix}").is_file()
    for path in TEMPLATE_DIR.iterdir():
        assert unicodedata.is_normalized("NFC", path.read_text(encoding="utf-8")), path.name


@pytest.mark.parametrize("change, problem", [
    ({"to_email": "a@x.vn, b@y.vn"}, "single e-mail address"),
    ({"to_email": "Tên <a@x.vn>"}, "single e-mail address"),
    ({"message_id": "kehoach-1"}, "Message-ID"),
    ({"kind": "newsletter"}, "unknown mail kind"),
    ({"to_name": "Tổ dân phố\r\nBcc: x@y.vn"}, "newlines"),
])
def test_malformed_mail_is_refused_before_rendering(change, problem):
    for _ in range(2):  # and again: a refusal is never remembered as a good header
        with pytest.raises(ValueError, match=problem):
            render(make_mail(**change))


def test_a_date_without_time_zone_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        render_mail(make_mail(), date=DATE.replace(tzinfo=None), **SENDER)


# --- sending and the sink --------------------------------------------------------------------

def test_sender_sends_one_message_of_each_kind_over_one_connection_and_sink_writes_them_in_order(tmp_path):
    sent = [render(make_mail(kind, number=n)) for n, kind in enumerate(KINDS, start=1)]

    with MailSink(tmp_path / "outbox") as sink:
        with SmtpSender(host=sink.host, port=sink.port, timeout=5) as sender:
            for raw in sent:
                sender.send(mail_from=SENDER["sender_email"], to="mttq@hoabinh.gov.vn", message=raw)
        count, connections = sink.count, sink.connections

    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == [f"{n:04d}.eml" for n in range(1, len(KINDS) + 1)]
    assert count == len(KINDS)
    assert connections == 1
    for raw, path in zip(sent, files):
        received = path.read_bytes()
        assert received == raw  # the DATA payload, dot-unstuffed: nothing added or lost
        assert parse(received)["Message-ID"] == parse(raw)["Message-ID"]
        assert bodies(parse(received)) == bodies(parse(raw))


def test_lines_that_begin_with_a_dot_reach_the_server_unchanged(tmp_path):
    """Dot-stuffing (RFC 5321 4.5.2): a line "." would end the message early, and a server removes
    the first dot of a line that has two; the sender doubles each leading dot, and only those."""
    raws = [b".Subject: only the first line begins with a dot\r\n\r\nbody\r\n",
            b"Subject: a line that is a dot\r\n\r\n.\r\n..two\r\nend\r\n",
            b"Subject: dots inside\r\n\r\nno.leading dot\r\n.one\r\n",
            b"Subject: none\r\n\r\nplain\r\n"]
    with MailSink(tmp_path) as sink, SmtpSender(host=sink.host, port=sink.port, timeout=5) as sender:
        for raw in raws:
            sender.send(mail_from=SENDER["sender_email"], to="mttq@hoabinh.gov.vn", message=raw)

    assert [path.read_bytes() for path in sorted(tmp_path.glob("*.eml"))] == raws


def test_sink_numbers_new_messages_after_the_files_already_there(tmp_path):
    (tmp_path / "0007.eml").write_bytes(b"old")
    with MailSink(tmp_path) as sink, SmtpSender(host=sink.host, port=sink.port, timeout=5) as sender:
        sender.send(mail_from=SENDER["sender_email"], to="a@x.vn", message=render(make_mail()))

    assert (tmp_path / "0007.eml").read_bytes() == b"old"
    assert (tmp_path / "0008.eml").read_bytes() == render(make_mail())
    assert not list(tmp_path.glob(".*.tmp"))


class RefusingHandler:
    """550 for refused@..., 451 for busy@..., 421 (closing) for closing@...; MAIL from blocked@... gets 550;
    accepts the rest. Offers PIPELINING (RFC 2920) if asked to."""

    def __init__(self, pipelining: bool = False):
        self.pipelining = pipelining
        self.accepted: list[str] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses[:1] + ["250-PIPELINING"] + responses[1:] if self.pipelining else responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.startswith("blocked@"):
            return "550 5.7.1 <blocked@x.vn>: Sender address rejected: Access denied"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 <refused@x.vn>: Recipient address rejected: User unknown"
        if address.startswith("busy@"):
            return "451 4.3.2 Please try again later"
        if address.startswith("closing@"):
            return "421 4.3.2 Service shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.accepted.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture(params=[False, True], ids=["one command at a time", "pipelined"])
def refusing_server(request):
    handler = RefusingHandler(pipelining=request.param)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="test", ready_timeout=5)
    controller.start()
    yield handler, port
    controller.stop()


def test_550_raises_permanent_and_451_raises_transient_and_the_connection_stays_usable(refusing_server):
    handler, port = refusing_server
    raw = render(make_mail())

    with SmtpSender(host="127.0.0.1", port=port, timeout=5) as sender:
        with pytest.raises(PermanentMailError, match=r"SMTP 550 5\.1\.1 .*User unknown") as refused:
            sender.send(mail_from=SENDER["sender_email"], to="refused@x.vn", message=raw)
        with pytest.raises(TransientMailError, match=r"SMTP 451 4\.3\.2 Please try again later") as deferred:
            sender.send(mail_from=SENDER["sender_email"], to="busy@x.vn", message=raw)
        sender.send(mail_from=SENDER["sender_email"], to="ok@x.vn", message=raw)
        sender.send(mail_from=SENDER["sender_email"], to="ok2@x.vn", message=raw)

    assert refused.value.per_message and deferred.value.per_message
    assert handler.accepted == ["ok@x.vn", "ok2@x.vn"]


def test_a_refused_sender_or_a_closing_server_stops_the_batch_and_nothing_is_accepted(refusing_server):
    handler, port = refusing_server
    raw = render(make_mail())

    with SmtpSender(host="127.0.0.1", port=port, timeout=5) as sender:
        with pytest.raises(TransientMailError, match=r"SMTP 550 5\.7\.1 .*Access denied") as refused:
            sender.send(mail_from="blocked@x.vn", to="ok@x.vn", message=raw)
    with SmtpSender(host="127.0.0.1", port=port, timeout=5) as sender:
        with pytest.raises(TransientMailError, match=r"SMTP 421 4\.3\.2 Service shutting down") as closing:
            sender.send(mail_from=SENDER["sender_email"], to="closing@x.vn", message=raw)

    assert not refused.value.per_message and not closing.value.per_message  # the connection's, not a message's
    assert handler.accepted == []


class EnvelopeServer:
    """A bare SMTP server on a socket, to see how a client sends the envelope. With `pipelining` it
    offers PIPELINING and answers nothing until MAIL, RCPT and DATA have all come, as a server may
    (RFC 2920); without, it notes which commands had come together when it read MAIL."""

    def __init__(self, pipelining: bool):
        import socket
        import threading

        self.pipelining = pipelining
        self.first_reads: list[bytes] = []  # what had arrived when MAIL was read, for each message
        self.messages: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _ = self._listener.accept()
        connection.settimeout(10)
        buffer = b""

        def line() -> bytes:
            nonlocal buffer
            while b"\r\n" not in buffer:
                buffer += connection.recv(65536)
            head, buffer = buffer.split(b"\r\n", 1)
            return head

        with connection:
            connection.sendall(b"220 envelope-test ESMTP\r\n")
            line()  # EHLO
            connection.sendall(b"250-envelope-test\r\n" + (b"250-PIPELINING\r\n" if self.pipelining else b"")
                               + b"250 SIZE 10000000\r\n")
            while True:
                command = line()
                if command.upper().startswith(b"QUIT"):
                    connection.sendall(b"221 Bye\r\n")
                    return
                self.first_reads.append(command + b"\r\n" + buffer)
                if self.pipelining:
                    while buffer.upper().count(b"\r\n") < 2 or not buffer.upper().endswith(b"DATA\r\n"):
                        buffer += connection.recv(65536)  # RCPT and DATA must come before any reply
                    line(), line()
                    connection.sendall(b"250 OK\r\n250 OK\r\n354 Go ahead\r\n")
                else:
                    connection.sendall(b"250 OK\r\n")
                    line()
                    connection.sendall(b"250 OK\r\n")
                    line()
                    connection.sendall(b"354 Go ahead\r\n")
                while not buffer.endswith(b"\r\n.\r\n"):
                    buffer += connection.recv(65536)
                self.messages.append(buffer[:-5] + b"\r\n")
                buffer = b""
                connection.sendall(b"250 Queued\r\n")


@pytest.mark.parametrize("pipelining", [True, False], ids=["offered", "not offered"])
def test_the_envelope_goes_in_one_write_only_to_a_server_that_offers_pipelining(pipelining):
    server = EnvelopeServer(pipelining)
    raw = render(make_mail())
    with SmtpSender(host="127.0.0.1", port=server.port, timeout=5) as sender:
        for to in ("a@x.vn", "b@x.vn"):
            sender.send(mail_from=SENDER["sender_email"], to=to, message=raw)

    assert server.messages == [raw, raw]
    for first, to in zip(server.first_reads, ("a@x.vn", "b@x.vn")):
        together = first.upper()
        assert together.startswith(f"MAIL FROM:<{SENDER['sender_email']}>".upper().encode())
        if pipelining:
            assert together.endswith(f"RCPT TO:<{to}>\r\nDATA\r\n".upper().encode())
        else:
            assert b"RCPT" not in together  # RFC 2920: a server that does not offer it gets one command at a time


def test_sender_reconnects_once_when_the_server_dropped_the_connection(tmp_path):
    first = MailSink(tmp_path / "first")
    host, port = first.start()
    try:
        with SmtpSender(host=host, port=port, timeout=5) as sender:
            sender.send(mail_from=SENDER["sender_email"], to="a@x.vn", message=render(make_mail(number=1)))
            first.stop()
            with MailSink(tmp_path / "second", port=port) as second:
                sender.send(mail_from=SENDER["sender_email"], to="a@x.vn", message=render(make_mail(number=2)))
                assert second.count == 1
    finally:
        first.stop()
    assert [p.name for p in (tmp_path / "second").iterdir()] == ["0001.eml"]


def test_no_server_listening_is_a_transient_error():
    with pytest.raises(TransientMailError, match="ConnectionRefusedError"):
        with SmtpSender(host="127.0.0.1", port=free_port(), timeout=2):
            pass


def test_send_outside_a_with_block_is_a_programming_error():
    with pytest.raises(RuntimeError, match="inside `with"):
        SmtpSender(host="127.0.0.1", port=25).send(mail_from="a@x.vn", to="b@x.vn", message=b"")


def free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
