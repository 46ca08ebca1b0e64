"""Receipts ("xác nhận đã nhận"): each distribution message carries a code; the recipient confirms
with it (`kehoach receipt confirm CODE`); those who have not, some working days after their copy
was sent, are reminded, at most once a day. Real services, SQLite and an aiosmtpd server."""
from __future__ import annotations

from datetime import timedelta

import pytest

from domain.adapters.mail import MailSink
from domain.messages import DomainError
from domain.model.mail import RECEIPT_ALPHABET, read_receipt_code, receipt_code, show_receipt_code
from domain.services import delivery
from tests.mail_servers import ID_DOMAIN, distributed_plan, parse, rows
from tests.test_delivery_outbox import Clock, deliver

DAYS = 3


@pytest.fixture
def sent_plan(uow_factory, now, tmp_path):
    """The example plan distributed and delivered on Monday 23/11/2026: (plan id, {body id: code}, sink folder)."""
    plan_id, _ = distributed_plan(uow_factory, now)
    with MailSink(tmp_path / "mail") as sink:
        deliver(uow_factory, [r["id"] for r in rows(uow_factory, plan_id)], sink.port, Clock(now))
    with uow_factory() as uow:
        codes = {r.recipient_id: r.code for r in uow.receipts.for_plan(plan_id)}
    return plan_id, codes, tmp_path / "mail"


def confirm(uow_factory, code, at, actor=None):
    with uow_factory() as uow:
        return delivery.confirm_receipt(uow=uow, code=code, now=at, actor=actor)


def remind(uow_factory, at, plan_id=None) -> int:
    with uow_factory() as uow:
        return delivery.remind_unconfirmed(uow=uow, now=at, id_domain=ID_DOMAIN, reminder_days=DAYS, plan_id=plan_id)


def reminded(uow_factory, plan_id) -> list[tuple[str, str]]:
    return sorted((r["recipient_id"], r["period_key"]) for r in rows(uow_factory, plan_id, "receipt_reminder"))


# --- the code ---------------------------------------------------------------------------------------

def test_a_receipt_code_is_ten_unambiguous_symbols_read_back_however_it_is_typed():
    code = receipt_code(bytes(range(7, 15)))
    assert len(code) == 10 and set(code) <= set(RECEIPT_ALPHABET) and not set(code) & set("ILOU")
    shown = show_receipt_code(code)
    assert shown == f"{code[:5]}-{code[5:]}"
    assert read_receipt_code(shown.lower()) == read_receipt_code(f" {code[:3]} {code[3:]} ") == code
    assert read_receipt_code("K7M2Q-9XH4T".replace("0", "O")) == "K7M2Q9XH4T"
    assert read_receipt_code("0O1IL-23456") == "00111" + "23456"
    assert read_receipt_code("K7M2Q-9XH4") is None and read_receipt_code("K7M2Q-9XH4U") is None
    with pytest.raises(ValueError):
        receipt_code(b"short")


def test_each_distribution_message_asks_for_a_receipt_with_its_own_code_in_text_and_html(uow_factory, sent_plan):
    plan_id, codes, mail_dir = sent_plan
    assert len(codes) == 10 and len(set(codes.values())) == 10
    emails = {r["email"]: r["recipient_id"] for r in rows(uow_factory, plan_id)}
    for path in sorted(mail_dir.glob("*.eml")):
        message = parse(path.read_bytes())
        shown = show_receipt_code(codes[emails[message["To"].addresses[0].addr_spec]])
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert f"(ghi rõ mã xác nhận {shown})" in text and f"kehoach receipt confirm {shown}" in text
        assert f"<code>kehoach receipt confirm {shown}</code>" in html
        other_codes = set(codes.values()) - {codes[emails[message["To"].addresses[0].addr_spec]]}
        assert not any(show_receipt_code(c) in text for c in other_codes)


# --- confirming -------------------------------------------------------------------------------------

def test_confirming_with_the_code_records_who_and_when_with_an_audit_event(uow_factory, sent_plan, now, cli):
    plan_id, codes, _ = sent_plan
    typed = show_receipt_code(codes["MTTQ-HB"]).lower().replace("-", " ")
    at = now + timedelta(days=1, hours=1)
    code, out = cli("receipt", "confirm", typed)
    assert code == 0, out
    assert "Đã ghi nhận: Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình đã nhận văn bản số 01/KH-UBND lúc" in out
    with uow_factory() as uow:
        receipt = uow.receipts.with_code(codes["MTTQ-HB"])
        assert receipt.confirmed_by == "MTTQ-HB" and receipt.confirmed_at is not None
        (event,) = [e for e in uow.audit.events(plan_id) if e.action == "receipt_confirm"]
    assert event.actor == "MTTQ-HB" and event.data["recipient"] == "MTTQ-HB" and event.data["via"] == "code"
    assert event.data["reference"] == "01/KH-UBND"

    data = confirm(uow_factory, codes["CA-HB"], at, actor="hoa.vt")  # the clerk records a reply by e-mail
    assert data["confirmed_by"] == "hoa.vt"


def test_a_code_confirmed_already_says_when_and_by_whom_and_changes_nothing(uow_factory, sent_plan, now, cli):
    plan_id, codes, _ = sent_plan
    confirm(uow_factory, codes["MTTQ-HB"], now + timedelta(hours=2), actor="minh.mttq")
    code, out = cli("receipt", "confirm", show_receipt_code(codes["MTTQ-HB"]))
    assert code == 1
    assert ("Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình đã xác nhận đã nhận văn bản số 01/KH-UBND "
            "lúc 11:30 ngày 23/11/2026 (người ghi nhận: minh.mttq); không cần xác nhận lại.") in out
    with uow_factory() as uow:
        assert uow.receipts.with_code(codes["MTTQ-HB"]).confirmed_by == "minh.mttq"
        assert len([e for e in uow.audit.events(plan_id) if e.action == "receipt_confirm"]) == 1


def test_a_wrong_code_or_one_that_is_not_a_code_is_refused_in_vietnamese(uow_factory, sent_plan, cli):
    plan_id, codes, _ = sent_plan
    unused = next(receipt_code(bytes([n]) * 8) for n in range(256) if receipt_code(bytes([n]) * 8) not in codes.values())
    code, out = cli("receipt", "confirm", show_receipt_code(unused))
    assert code == 1 and f"Không có văn bản nào chờ xác nhận với mã {show_receipt_code(unused)}" in out
    code, out = cli("receipt", "confirm", "12345")
    assert code == 1 and "«12345» không phải là mã xác nhận: mã gồm 10 chữ và số" in out
    with uow_factory() as uow:
        assert all(r.confirmed_at is None for r in uow.receipts.for_plan(plan_id))


def test_only_someone_of_the_recipient_or_the_issuer_may_record_a_receipt_for_it(uow_factory, sent_plan, now):
    _, codes, _ = sent_plan
    with pytest.raises(DomainError) as info:
        confirm(uow_factory, codes["MTTQ-HB"], now, actor="thu.pn")  # of the Hội Phụ nữ, not of the Mặt trận
    assert info.value.code == "receipt_not_entitled" and "thu.pn" in str(info.value)
    with pytest.raises(DomainError) as info:
        confirm(uow_factory, codes["MTTQ-HB"], now, actor="ke.la")
    assert info.value.code == "unknown_user"
    assert confirm(uow_factory, codes["MTTQ-HB"], now, actor="minh.mttq")["confirmed_by"] == "minh.mttq"


def test_receipt_list_shows_who_confirmed_and_who_not(uow_factory, sent_plan, now, cli):
    plan_id, codes, _ = sent_plan
    confirm(uow_factory, codes["MTTQ-HB"], now + timedelta(hours=1))
    code, out = cli("receipt", "list", "--plan", str(plan_id))
    assert code == 0
    assert "│ Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình │ 01/KH-UBND │ đã gửi │ 09:30 23/11/2026 │ 10:30 23/11/2026 │ MTTQ-HB │ 0 │" in out
    assert out.count("chưa xác nhận") == 9 and "1/10 nơi nhận đã xác nhận đã nhận." in out


# --- reminders --------------------------------------------------------------------------------------

def test_the_unconfirmed_are_reminded_after_n_working_days_at_most_once_a_day_and_every_n_days_after(
        uow_factory, sent_plan, now):
    plan_id, codes, _ = sent_plan  # sent Monday 23/11/2026
    confirm(uow_factory, codes["MTTQ-HB"], now + timedelta(days=1))
    wednesday, thursday = now + timedelta(days=2), now + timedelta(days=3)

    assert remind(uow_factory, wednesday) == 0  # two working days: not yet
    assert remind(uow_factory, thursday) == 9  # three: every one but the Mặt trận
    assert remind(uow_factory, thursday.replace(hour=16)) == 0  # once a day
    assert remind(uow_factory, thursday + timedelta(days=1)) == 0  # Friday: the last reminder is one day old
    assert remind(uow_factory, thursday + timedelta(days=2)) == 0  # Saturday: no mail on a day off
    confirm(uow_factory, codes["CA-HB"], thursday + timedelta(days=3))
    assert remind(uow_factory, thursday + timedelta(days=5)) == 8  # Tuesday 1/12: three working days later

    days = {"2026-11-26": 9, "2026-12-01": 8}
    sent = reminded(uow_factory, plan_id)
    assert {day: sum(1 for _, d in sent if d == day) for day in days} == days
    assert all(body != "MTTQ-HB" for body, _ in sent)
    assert ("CA-HB", "2026-12-01") not in sent
    with uow_factory() as uow:
        events = [e for e in uow.audit.events(plan_id) if e.action == "receipt_remind"]
    assert [len(e.data["recipients"]) for e in events] == [9, 8] and events[0].data["day"] == "2026-11-26"


def test_a_recipient_whose_copy_was_never_delivered_is_not_asked_to_confirm_it(uow_factory, now):
    plan_id, _ = distributed_plan(uow_factory, now)  # queued, never sent
    assert remind(uow_factory, now + timedelta(days=10)) == 0
    assert reminded(uow_factory, plan_id) == []


def test_the_reminder_carries_the_document_again_and_the_same_code(uow_factory, sent_plan, now, tmp_path):
    plan_id, codes, _ = sent_plan
    thursday = now + timedelta(days=3)
    remind(uow_factory, thursday, plan_id=plan_id)
    ids = [r["id"] for r in rows(uow_factory, plan_id, "receipt_reminder")]
    with MailSink(tmp_path / "reminders") as sink:
        result = deliver(uow_factory, ids, sink.port, Clock(thursday))
    assert result.sent == 10
    by_email = {r["email"]: r for r in rows(uow_factory, plan_id, "receipt_reminder")}
    with uow_factory() as uow:
        document = uow.documents.get(rows(uow_factory, plan_id)[0]["document_id"])
        file_name, content = document.file_name, document.content
    for path in sorted((tmp_path / "reminders").glob("*.eml")):
        message = parse(path.read_bytes())
        row = by_email[message["To"].addresses[0].addr_spec]
        assert message["Subject"] == "Đề nghị xác nhận đã nhận Kế hoạch số 01/KH-UBND"
        assert message["Message-ID"] == row["message_id"]
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "Ngày 23/11/2026, Ủy ban nhân dân phường Hòa Bình đã gửi tới Quý cơ quan, đơn vị" in text
        assert f"kehoach receipt confirm {show_receipt_code(codes[row['recipient_id']])}" in text
        (attachment,) = message.iter_attachments()
        assert (attachment.get_filename(), attachment.get_content()) == (file_name, content)
