"""The outbox delivered over real SMTP servers (aiosmtpd in this process) by the real services:
row-by-row marking, the "sending" mark before the SMTP transaction, resends that are the same
message, transient and permanent refusals, and what staff see and do about them (`kehoach mail`)."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy.exc import IntegrityError

from domain.adapters.mail import MailSink, SmtpSender, render_mail
from domain.messages import DomainError
from domain.model.mail import Lease, PermanentMailError, TransientMailError, message_id
from domain.model.org import Body
from domain.services import delivery
from domain.settings import get_settings
from tests.mail_servers import ID_DOMAIN, ScriptedHandler, distributed_plan, parse, rows, smtp_server

MAIL_FROM = "vanphong@hoabinh.example.vn"
REFUSED = "550 5.1.1 <mattran@hoabinh.example.vn>: Recipient address rejected: User unknown"


class Clock:
    """The time, a second later at every reading: a resend that took a new Date would show it."""

    def __init__(self, start):
        self.start, self.ticks = start, count()

    def __call__(self):
        return self.start + timedelta(seconds=next(self.ticks))


def render(mail) -> bytes:
    return render_mail(mail, sender_email=MAIL_FROM, sender_name="Văn phòng HĐND và UBND phường Hòa Bình",
                       date=mail.date)


LEASE = Lease(holder="tests")  # these tests' deliveries, one at a time, as one holder


def deliver(uow_factory, ids, port, clock, timeout=5.0, lease=LEASE):
    with SmtpSender(host="127.0.0.1", port=port, timeout=timeout) as sender:
        return delivery.deliver(uow_factory=uow_factory, ids=ids, sender=sender, render=render, mail_from=MAIL_FROM,
                                now=clock, lease=lease)


@pytest.fixture
def plan(uow_factory, now):
    """The example plan distributed to its ten recipient bodies with an address: (plan id, document id)."""
    return distributed_plan(uow_factory, now)


def distribution_ids(uow_factory, plan_id) -> list[int]:
    return [r["id"] for r in rows(uow_factory, plan_id)]


def by_email(uow_factory, plan_id) -> dict[str, dict]:
    return {r["email"]: r for r in rows(uow_factory, plan_id)}


# --- what arrives ------------------------------------------------------------------------------------

def test_each_recipient_gets_one_message_to_it_alone_with_date_row_message_id_and_vietnamese_file_name(
        uow_factory, plan, now, tmp_path):
    plan_id, document_id = plan
    with MailSink(tmp_path / "mail") as sink:
        result = deliver(uow_factory, distribution_ids(uow_factory, plan_id), sink.port, Clock(now))
    with uow_factory() as uow:
        document = uow.documents.get(document_id)
        file_name, content = document.file_name, document.content
    assert any(ch in file_name for ch in "ếạọ")  # a Vietnamese name, e.g. "Kế hoạch 01-KH-UBND ..."

    outbox = by_email(uow_factory, plan_id)
    emls = sorted((tmp_path / "mail").glob("*.eml"))
    assert result.sent == len(outbox) == len(emls) == 10
    for path in emls:
        raw = path.read_bytes()
        message = parse(raw)
        (to,) = message["To"].addresses
        row = outbox.pop(to.addr_spec)  # each address once, and only addresses of the outbox
        assert message.get_all("To") == [message["To"]] and message["Cc"] is None and message["Bcc"] is None
        assert b"\r\nCc:" not in raw and b"\r\nBcc:" not in raw
        assert message["Message-ID"] == row["message_id"] == message_id(
            plan_id=plan_id, document_id=document_id, recipient=row["recipient_id"], kind="distribution",
            period_key="", domain=ID_DOMAIN)
        assert message["Date"].datetime == row["first_attempt_at"]
        assert message["Date"].datetime.utcoffset() == timedelta(hours=7)
        (attachment,) = message.iter_attachments()
        assert attachment.get_filename() == file_name
        assert attachment.get_content() == content
        assert b"filename*=utf-8''K%E1%BA%BF%20ho%E1%BA%A1ch" in raw  # RFC 2231, not a mangled name
        assert (row["status"], row["attempts"]) == ("sent", 1)
    assert outbox == {}


def test_a_row_is_marked_sending_with_its_attempt_counted_before_the_server_accepts_it(uow_factory, db_url, plan,
                                                                                        now):
    plan_id, _ = plan
    database = db_url.removeprefix("sqlite:///")
    seen: list[tuple[str, int]] = []

    class Watching(ScriptedHandler):
        async def handle_DATA(self, server, session, envelope):
            with closing(sqlite3.connect(database)) as db:
                seen.append(db.execute("SELECT status, attempts FROM outbox WHERE email = ? AND kind = 'distribution'",
                                       (envelope.rcpt_tos[0],)).fetchone())
            return await super().handle_DATA(server, session, envelope)

    with smtp_server(Watching()) as port:
        deliver(uow_factory, distribution_ids(uow_factory, plan_id), port, Clock(now))

    assert seen == [("sending", 1)] * 10
    assert {(r["status"], r["attempts"]) for r in rows(uow_factory, plan_id)} == {("sent", 1)}


def test_a_row_left_sending_by_a_crash_after_the_servers_250_is_sent_again_as_the_very_same_bytes(
        uow_factory, plan, now):
    plan_id, _ = plan
    first_id = distribution_ids(uow_factory, plan_id)[0]
    handler = ScriptedHandler()
    with smtp_server(handler) as port:
        # the first attempt, as deliver() makes it, but the process dies before marking the row sent
        with uow_factory() as uow:
            mail = delivery.claim(uow=uow, outbox_id=first_id, now=now, lease=LEASE)
        with SmtpSender(host="127.0.0.1", port=port, timeout=5) as sender:
            sender.send(mail_from=MAIL_FROM, to=mail.to_email, message=render(mail))
        assert rows(uow_factory, plan_id)[0]["status"] == "sending"
        with uow_factory() as uow:
            assert first_id in delivery.pending(uow=uow, plan_id=plan_id)

        result = deliver(uow_factory, [first_id], port, Clock(now + timedelta(hours=2)))

    assert result.sent == 1
    (first, again) = [raw for _, raw in handler.accepted]
    assert first == again  # same Message-ID, same Date, same boundaries: one message to any mail client
    row = rows(uow_factory, plan_id)[0]
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert parse(again)["Message-ID"] == row["message_id"]


# --- transient failures ---------------------------------------------------------------------------

def test_a_deferred_recipient_holds_back_no_one_and_the_retry_sends_only_what_is_left(uow_factory, plan, now):
    plan_id, _ = plan
    deferred = "mattran@hoabinh.example.vn"
    handler = ScriptedHandler(lambda n, address: "451 4.7.1 Greylisted, please try again later"
                              if (n == 1 and address == deferred) else None)
    ids = distribution_ids(uow_factory, plan_id)
    with smtp_server(handler) as port:
        with pytest.raises(TransientMailError, match=r"SMTP 451 4\.7\.1 Greylisted") as info:
            deliver(uow_factory, ids, port, Clock(now))
        assert info.value.per_message
        outbox = by_email(uow_factory, plan_id)
        assert (outbox[deferred]["status"], outbox[deferred]["attempts"]) == ("pending", 1)
        assert "451 4.7.1" in outbox[deferred]["last_error"]
        assert sum(r["status"] == "sent" for r in outbox.values()) == 9

        result = deliver(uow_factory, ids, port, Clock(now + timedelta(seconds=30)))  # the task's retry

    assert (result.sent, result.skipped) == (1, 9)
    recipients = [rcpt for rcpts, _ in handler.accepted for rcpt in rcpts]
    assert sorted(recipients) == sorted(by_email(uow_factory, plan_id)) and len(set(recipients)) == 10
    assert {r["status"] for r in rows(uow_factory, plan_id)} == {"sent"}


def test_a_server_that_stops_answering_stops_the_batch_and_the_retry_delivers_each_message_once(
        uow_factory, plan, now):
    plan_id, _ = plan
    ids = distribution_ids(uow_factory, plan_id)
    third = rows(uow_factory, plan_id)[2]["email"]
    # connections 1 and 2 (emails reconnects once by itself) stall on the third recipient
    handler = ScriptedHandler(lambda n, address: "stall" if (n <= 2 and address == third) else None,
                              stall_seconds=1.5)
    with smtp_server(handler) as port:
        with pytest.raises(TransientMailError, match="connection closed|timed out") as info:
            deliver(uow_factory, ids, port, Clock(now), timeout=0.3)
        assert not info.value.per_message
        statuses = [(r["status"], r["attempts"]) for r in rows(uow_factory, plan_id)]
        assert statuses == [("sent", 1)] * 2 + [("pending", 1)] + [("pending", 0)] * 7

        deliver(uow_factory, ids, port, Clock(now + timedelta(seconds=10)), timeout=0.3)

    assert sorted(handler.message_ids()) == sorted(r["message_id"] for r in rows(uow_factory, plan_id))
    assert {r["status"] for r in rows(uow_factory, plan_id)} == {"sent"}


def test_no_server_listening_leaves_every_row_pending_without_an_attempt(uow_factory, db_url, plan, monkeypatch):
    from flows import outbox
    from tests.mail_servers import free_port

    plan_id, _ = plan
    monkeypatch.setenv("KEHOACH_DATABASE_URL", db_url)
    monkeypatch.setenv("KEHOACH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KEHOACH_SMTP_PORT", str(free_port()))
    get_settings.cache_clear()
    try:
        with pytest.raises(TransientMailError, match="ConnectionRefusedError"):
            outbox.send_rows(outbox.pending_ids(plan_id))
    finally:
        get_settings.cache_clear()
    assert {(r["status"], r["attempts"]) for r in rows(uow_factory, plan_id)} == {("pending", 0)}


def _point_outbox_at(monkeypatch, db_url, port: int, **more: str) -> None:
    for key, value in {"DATABASE_URL": db_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), **more}.items():
        monkeypatch.setenv(f"KEHOACH_{key}", value)
    get_settings.cache_clear()


def test_chunks_go_two_at_a_time_each_over_its_own_connection_and_every_message_arrives_once(
        uow_factory, db_url, plan, monkeypatch):
    from flows import outbox

    plan_id, _ = plan
    handler = ScriptedHandler()
    with smtp_server(handler) as port:
        _point_outbox_at(monkeypatch, db_url, port, OUTBOX_BATCH_SIZE="3", SMTP_CONNECTIONS="2")
        try:
            assert outbox.main() == 0
        finally:
            get_settings.cache_clear()
    sent = outbox_rows_of(uow_factory)
    assert len(rows(uow_factory, plan_id)) == 10 and len(sent) > 10  # the distribution and the decisions' notices
    assert {(r["status"], r["attempts"]) for r in sent} == {("sent", 1)}
    assert sorted(handler.message_ids()) == sorted(r["message_id"] for r in sent)
    chunks_of_three = -(-len(sent) // 3)
    assert handler.connections == chunks_of_three + chunks_of_three % 2  # one per chunk, an even number of them


@pytest.mark.parametrize("rows, size, connections, sizes", [
    (500, 250, 2, [250, 250]),
    (501, 250, 2, [126, 125, 125, 125]),  # not 250, 250 and a tail of 1 that one connection sends alone
    (260, 250, 2, [130, 130]),
    (7, 3, 2, [2, 2, 2, 1]),
    (3, 250, 2, [2, 1]),
    (1, 250, 2, [1]),
    (10, 4, 1, [4, 3, 3]),
    (0, 250, 2, []),
])
def test_rows_are_split_into_chunks_as_even_as_the_connections_can_share_none_larger_than_the_batch_size(
        rows, size, connections, sizes):
    from flows import outbox

    ids = list(range(100, 100 + rows))
    parts = outbox.chunks(ids, size, connections)
    assert [len(part) for part in parts] == sizes
    assert [i for part in parts for i in part] == ids  # every row once, in order


def test_a_slow_chunk_holds_up_one_connection_only_the_next_chunks_start_on_the_other(monkeypatch):
    """Chunk 0 is slow; chunks 1, 2 and 3 go one after another on the second connection meanwhile."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from flows import outbox

    monkeypatch.setenv("KEHOACH_OUTBOX_BATCH_SIZE", "1")
    monkeypatch.setenv("KEHOACH_SMTP_CONNECTIONS", "2")
    get_settings.cache_clear()
    last_started, started = threading.Event(), []

    def chunk(ids, delivery, number, total):
        started.append(number)
        if number == 3:
            last_started.set()
        if number == 0 and not last_started.wait(timeout=10):
            raise AssertionError("chunk 3 waited for the slow chunk 0 to end")
        return {"sent": len(ids)}

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            totals = outbox.send_chunks([11, 12, 13, 14], lambda *args: pool.submit(chunk, *args))
    finally:
        get_settings.cache_clear()
    assert totals["sent"] == 4 and sorted(started) == [0, 1, 2, 3]


def test_a_server_out_of_reach_stops_the_delivery_after_the_chunks_already_started(
        uow_factory, db_url, plan, monkeypatch):
    from flows import outbox

    plan_id, _ = plan
    handler = ScriptedHandler(lambda n, address: "421 4.3.0 Service shutting down")
    with smtp_server(handler) as port:
        _point_outbox_at(monkeypatch, db_url, port, OUTBOX_BATCH_SIZE="3", SMTP_CONNECTIONS="2")
        try:
            assert outbox.main() == 3
        finally:
            get_settings.cache_clear()
    attempted = [r for r in outbox_rows_of(uow_factory) if r["attempts"]]
    assert len(attempted) == 2  # the first row of each of the two chunks started; no chunk after them
    assert {r["status"] for r in outbox_rows_of(uow_factory)} == {"pending"}
    assert handler.message_ids() == []


def outbox_rows_of(uow_factory) -> list[dict]:
    """Every outbox row (the distribution and the decisions' notices), in order."""
    with uow_factory() as uow:
        return [{"status": r.status, "attempts": r.attempts, "message_id": r.message_id}
                for r in uow.outbox.listing()]


# --- permanent refusals and what staff do ------------------------------------------------------------

def test_a_refused_address_is_failed_with_the_servers_reply_and_listed_for_staff_the_others_sent(
        uow_factory, plan, now, cli):
    plan_id, _ = plan
    handler = ScriptedHandler(lambda n, address: REFUSED if address == "mattran@hoabinh.example.vn" else None)
    with smtp_server(handler) as port:
        result = deliver(uow_factory, distribution_ids(uow_factory, plan_id), port, Clock(now))

    assert (result.sent, result.failed) == (9, 1)
    refused = by_email(uow_factory, plan_id)["mattran@hoabinh.example.vn"]
    assert refused["status"] == "failed" and refused["attempts"] == 1
    assert "SMTP 550 5.1.1" in refused["last_error"] and "User unknown" in refused["last_error"]
    assert len(handler.accepted) == 9

    code, out = cli("mail", "list", "--failed")
    assert code == 0
    assert f"│ {refused['id']} │ {plan_id} │ Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình " in out
    assert "│ phát hành văn bản │" in out and "│ không gửi được │ 1 │" in out and "User unknown" in out
    assert "Hội Cựu chiến binh" not in out  # sent rows are not "failed"
    code, out = cli("mail", "list", "--plan", str(plan_id))
    assert out.count("│ đã gửi │") == 9 and "Hội Cựu chiến binh phường <cuuchienbinh@hoabinh.example.vn>" in out
    with uow_factory() as uow:
        failed = [e for e in uow.audit.events(plan_id) if e.action == "mail_failed"]
    assert [e.data["email"] for e in failed] == ["mattran@hoabinh.example.vn"] and "550" in failed[0].data["error"]


def test_retry_puts_a_failed_row_back_to_pending_with_the_corrected_address_and_an_audit_event(
        uow_factory, plan, now, cli):
    plan_id, _ = plan
    with smtp_server(ScriptedHandler(lambda n, a: REFUSED if a.startswith("mattran@") else None)) as port:
        deliver(uow_factory, distribution_ids(uow_factory, plan_id), port, Clock(now))
    row = by_email(uow_factory, plan_id)["mattran@hoabinh.example.vn"]
    with uow_factory() as uow:  # the organisation file is corrected and reloaded
        body = uow.bodies.get("MTTQ-HB")
        uow.bodies.upsert(Body(**{**body.__dict__, "email": "mttq.hoabinh@hoabinh.example.vn"}))
        uow.commit()

    code, out = cli("mail", "retry", str(row["id"]), "--as", "hoa.vt")
    assert code == 0, out
    assert f"Thư #{row['id']} tới mttq.hoabinh@hoabinh.example.vn đã được đưa lại vào hàng chờ gửi" in out
    again = next(r for r in rows(uow_factory, plan_id) if r["id"] == row["id"])
    assert (again["status"], again["email"], again["last_error"]) == ("pending", "mttq.hoabinh@hoabinh.example.vn",
                                                                       None)
    assert again["message_id"] == row["message_id"]
    with uow_factory() as uow:
        (event,) = [e for e in uow.audit.events(plan_id) if e.action == "mail_retry"]
    assert event.actor == "hoa.vt" and event.data["old_email"] == "mattran@hoabinh.example.vn"
    assert "550 5.1.1" in event.data["error"]

    with smtp_server(handler := ScriptedHandler()) as port:
        deliver(uow_factory, distribution_ids(uow_factory, plan_id), port, Clock(now + timedelta(days=1)))
    assert [rcpts for rcpts, _ in handler.accepted] == [["mttq.hoabinh@hoabinh.example.vn"]]

    code, out = cli("mail", "retry", str(row["id"]))
    assert code == 1 and "đang ở trạng thái «đã gửi»" in out
    code, out = cli("mail", "retry", "9999")
    assert code == 1 and "Không có thư #9999" in out


def test_a_row_whose_address_cannot_make_a_message_is_failed_and_the_batch_goes_on(uow_factory, plan, now):
    plan_id, _ = plan
    target = rows(uow_factory, plan_id)[0]
    with uow_factory() as uow:
        uow.outbox.get(target["id"]).email = "mattran@hoabinh.example.vn, ai.do@example.com"
        uow.commit()
    handler = ScriptedHandler()
    with smtp_server(handler) as port:
        result = deliver(uow_factory, distribution_ids(uow_factory, plan_id), port, Clock(now))
    assert (result.sent, result.failed) == (9, 1)
    row = rows(uow_factory, plan_id)[0]
    assert row["status"] == "failed" and "not a single e-mail address" in row["last_error"]
    assert all("ai.do@example.com" not in rcpts for rcpts, _ in handler.accepted)


def test_permanent_and_transient_errors_say_whether_they_concern_one_message_or_the_connection():
    assert PermanentMailError("x").per_message
    assert not TransientMailError("x").per_message
    assert TransientMailError("x", per_message=True).per_message


# --- the outbox key ----------------------------------------------------------------------------------

def test_the_outbox_key_has_the_document_so_a_correction_is_queued_but_the_same_document_only_once(
        uow_factory, plan, now):
    plan_id, document_id = plan
    with uow_factory() as uow:
        plan_row, body = uow.plans.get(plan_id), uow.bodies.get("MTTQ-HB")
        original = uow.documents.get(document_id)
        correction = uow.documents.add(**{**original.model_dump(exclude={"id"}), "number": original.number + 1,
                                          "reference": "02/KH-UBND"})
        args = dict(plan=plan_row, recipient=body, kind="distribution", now=now, id_domain=ID_DOMAIN)
        assert not delivery.queue(uow, **args, document_id=document_id)
        assert delivery.queue(uow, **args, document_id=correction.id)
        assert not delivery.queue(uow, **args, document_id=correction.id)
        uow.commit()
    mttq = [r for r in rows(uow_factory, plan_id) if r["recipient_id"] == "MTTQ-HB"]
    assert [r["document_id"] for r in mttq] == [document_id, correction.id]
    assert mttq[0]["message_id"] != mttq[1]["message_id"]


def test_the_database_itself_refuses_a_second_row_with_the_same_key(uow_factory, plan):
    from domain.adapters import orm

    plan_id, _ = plan
    existing = rows(uow_factory, plan_id)[0]
    with uow_factory() as uow:
        uow.session.add(orm.OutboxRow(**{**existing, "id": None, "message_id": "<other@x>", "status": "pending"}))
        with pytest.raises(IntegrityError, match="UNIQUE"):
            uow.session.flush()


def test_retrying_a_row_needs_a_known_user(uow_factory, plan):
    plan_id, _ = plan
    with uow_factory() as uow, pytest.raises(DomainError) as info:
        delivery.retry_failed(uow=uow, outbox_id=rows(uow_factory, plan_id)[0]["id"], actor="ke.la", now=None)
    assert info.value.code == "unknown_user"


def test_a_row_changed_after_its_message_was_composed_ahead_is_composed_again_and_sent_as_it_now_says(
        uow_factory, db_url, plan, now, tmp_path):
    """Delivery composes the next rows ahead of their turn; a row corrected meanwhile (here every
    address but the first, changed while the first message is on the wire) goes to its new address."""
    plan_id, _ = plan
    ids = distribution_ids(uow_factory, plan_id)
    old = {r["id"]: r["email"] for r in rows(uow_factory, plan_id)}
    new = {i: "moi." + e for i, e in old.items() if i != ids[0]}

    class CorrectingSender(SmtpSender):
        def send(self, *, mail_from, to, message, meanwhile=None):
            def correct_then(meanwhile=meanwhile):
                if new and to == old[ids[0]]:
                    with closing(sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=10)) as db, db:
                        db.executemany("UPDATE outbox SET email = ? WHERE id = ?", [(e, i) for i, e in new.items()])
                if meanwhile:
                    meanwhile()
            return super().send(mail_from=mail_from, to=to, message=message, meanwhile=correct_then)

    with MailSink(tmp_path / "mail") as sink, CorrectingSender(host="127.0.0.1", port=sink.port, timeout=5) as s:
        result = delivery.deliver(uow_factory=uow_factory, ids=ids, sender=s, render=render, mail_from=MAIL_FROM,
                                  now=Clock(now), lease=LEASE)
    received = sorted(parse(p.read_bytes())["To"].addresses[0].addr_spec for p in (tmp_path / "mail").glob("*.eml"))
    assert result.sent == len(ids)
    assert received == sorted([old[ids[0]], *new.values()])
