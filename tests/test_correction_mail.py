"""Corrections, replacements and withdrawals reach every body that received the document: the messages are
queued with the mark, in its transaction, and a real SMTP server (MailSink) receives them."""
from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path

import pytest

from domain.adapters.mail import MailSink
from domain.messages import DomainError
from domain.model.corrections import parse_corrections
from domain.services import corrections, delivery, plans, register
from tests.mail_servers import ID_DOMAIN, distributed_plan, fake_render, parse, rows
from tests.test_delivery_outbox import Clock, deliver

ITEMS = [{"at": "Mục II, chỉ tiêu (4)", "was": "giảm 0,5%/năm", "now": "giảm 1%/năm"}]


@pytest.fixture
def received(uow_factory, now, tmp_path):
    """The example plan distributed to its ten bodies with an address and delivered: (plan id, {email: body})."""
    plan_id, _ = distributed_plan(uow_factory, now)
    send_pending(uow_factory, tmp_path / "distribution", now)  # the plan, and the notices of the decisions
    return plan_id, {r["email"]: r["recipient_id"] for r in rows(uow_factory, plan_id)}


def send_pending(uow_factory, folder: Path, at) -> list:
    """Deliver whatever the outbox holds to a fresh sink; the messages it received, in order."""
    with uow_factory() as uow:
        ids = delivery.pending(uow=uow)
    with MailSink(folder) as sink:
        deliver(uow_factory, ids, sink.port, Clock(at))
    return [parse(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def document(uow_factory, doc_id):
    with uow_factory() as uow:
        doc = uow.documents.get(doc_id)
        return doc.reference, doc.file_name, doc.content


def test_each_body_that_received_the_plan_gets_the_correction_letter_once(uow_factory, received, now, tmp_path):
    plan_id, recipients = received
    later = now + timedelta(days=2)
    with uow_factory() as uow:
        letter_id = corrections.correct_document(uow=uow, reference="01/KH-UBND", actor="hoa.vt", now=later,
                                                 corrections=parse_corrections(ITEMS), render=fake_render,
                                                 id_domain=ID_DOMAIN)
    reference, file_name, content = document(uow_factory, letter_id)
    queued = rows(uow_factory, plan_id, "correction")
    assert sorted(r["recipient_id"] for r in queued) == sorted(recipients.values())
    assert {r["document_id"] for r in queued} == {letter_id} and {r["status"] for r in queued} == {"pending"}

    messages = send_pending(uow_factory, tmp_path / "letters", later)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == sorted(recipients)
    for message in messages:
        assert message["Subject"] == f"Đính chính Kế hoạch số 01/KH-UBND ngày 23/11/2026 (Công văn số {reference} " \
                                     f"ngày 25/11/2026)"
        (attachment,) = message.iter_attachments()
        assert attachment.get_filename() == file_name and attachment.get_content() == content
        text = text_of(message)
        assert f"ban hành Công văn số {reference} V/v đính chính Kế hoạch số 01/KH-UBND ngày 23/11/2026" in text
        assert "1. Tại Mục II, chỉ tiêu (4), đã viết: “giảm 0,5%/năm”; nay sửa lại là: “giảm 1%/năm”." in text
        assert "do đồng chí Nguyễn Thị Tâm ký" in text and "“<strong>giảm 1%/năm</strong>”" in html_of(message)
    assert send_pending(uow_factory, tmp_path / "again", later + timedelta(hours=1)) == []
    with uow_factory() as uow:
        assert corrections.queue_mark_notices(uow, doc=uow.documents.get(1), action="correct",
                                              by=uow.documents.get(letter_id), now=later, id_domain=ID_DOMAIN) == []
        (event,) = [e for e in uow.audit.events(plan_id) if e.action == "correct"]
    assert sorted(event.data["notified"]) == sorted(recipients.values())


def test_each_body_that_received_the_plan_is_told_of_its_withdrawal_with_the_reason(uow_factory, received, now,
                                                                                     tmp_path):
    plan_id, recipients = received
    later = now + timedelta(days=1)
    with uow_factory() as uow:
        assert corrections.withdraw_document(uow=uow, reference="01/KH-UBND", reason="Ban hành chưa đúng thẩm quyền",
                                             actor="tam.pct", now=later, id_domain=ID_DOMAIN) == plan_id
    messages = send_pending(uow_factory, tmp_path / "withdrawn", later)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == sorted(recipients)
    for message in messages:
        assert message["Subject"] == "Thu hồi Kế hoạch số 01/KH-UBND ngày 23/11/2026"
        assert list(message.iter_attachments()) == []
        text = text_of(message)
        assert "Ngày 24/11/2026, Ủy ban nhân dân phường Hòa Bình đã thu hồi Kế hoạch số 01/KH-UBND" in text
        assert "Lý do thu hồi: Ban hành chưa đúng thẩm quyền" in text
        assert "Lý do thu hồi: Ban hành chưa đúng thẩm quyền" in html_of(message)
    assert send_pending(uow_factory, tmp_path / "again", later) == []
    assert len(rows(uow_factory, plan_id, "withdrawal")) == len(recipients)
    _, _, content = document(uow_factory, 1)
    with uow_factory() as uow:  # the file was sent once to each (and to the clerk); the notices carried no file
        found = register.verify_file(uow=uow, data=content, name="x.docx", render=fake_render)
        assert found.ok and sorted(s["email"] for s in found.document["sent"]) == sorted(
            [*recipients, "vanthu@hoabinh.example.vn"])
        assert found.document["status_name"] == "đã thu hồi"
    with uow_factory() as uow:  # nobody is asked any more to confirm receipt of a withdrawn plan
        assert delivery.remind_unconfirmed(uow=uow, now=now + timedelta(days=14), id_domain=ID_DOMAIN,
                                           reminder_days=3) == 0


def test_a_replacement_plan_reaches_every_body_that_had_the_old_one_once_with_the_new_file(uow_factory, received,
                                                                                           now, tmp_path):
    """The new plan's own recipients get it by its distribution (which says what it replaces); the bodies
    only the old plan went to get the replacement notice with the new plan attached."""
    plan_id, recipients = received
    data = copy.deepcopy(plans_data(uow_factory, plan_id))
    dropped = {"CA-HB", "HCCB-HB"}
    data["recipients"] = [r for r in data["recipients"] if r.get("body") not in dropped]
    data["title"] += " (thay thế)"
    with uow_factory() as uow:
        new_plan = plans.create_plan(uow=uow, data=data, source="plan.yaml", actor="lan.vp", now=now)
    for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
        with uow_factory() as uow:
            plans.decide(uow=uow, plan_id=new_plan, action=action, actor=actor, now=now)
    with uow_factory() as uow:
        doc_id = plans.issue_plan(uow=uow, plan_id=new_plan, actor="tam.pct", now=now, render=fake_render,
                                  id_domain=ID_DOMAIN, replaces="01/KH-UBND")
    assert sorted(r["recipient_id"] for r in rows(uow_factory, new_plan, "replacement")) == sorted(dropped)
    with uow_factory() as uow:
        delivery.distribute_plan(uow=uow, plan_id=new_plan, actor="system", now=now, id_domain=ID_DOMAIN)
    reference, file_name, content = document(uow_factory, doc_id)

    messages = [m for m in send_pending(uow_factory, tmp_path / "new", now) if m["To"].addresses[0].addr_spec
                in recipients]
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == sorted(recipients)  # each once
    for message in messages:
        (attachment,) = message.iter_attachments()
        assert attachment.get_filename() == file_name and attachment.get_content() == content
        body = recipients[message["To"].addresses[0].addr_spec]
        text = text_of(message)
        if body in dropped:
            assert message["Subject"] == f"Kế hoạch số {reference} thay thế Kế hoạch số 01/KH-UBND ngày 23/11/2026"
            assert "Kế hoạch số 01/KH-UBND ngày 23/11/2026 không còn hiệu lực" in text
        else:
            assert message["Subject"].startswith(f"Phát hành Kế hoạch số {reference}")
            assert "Kế hoạch này thay thế Kế hoạch số 01/KH-UBND ngày 23/11/2026; kể từ ngày" in text
    assert send_pending(uow_factory, tmp_path / "again", now) == []


def test_a_refused_withdrawal_queues_nothing_and_a_document_never_mailed_is_withdrawn_without_a_message(
        uow_factory, now):
    plan_id, _ = distributed_plan(uow_factory, now)
    with uow_factory() as uow, pytest.raises(DomainError) as refused:
        corrections.withdraw_document(uow=uow, reference="01/KH-UBND", reason="Sai thẩm quyền", actor="minh.mttq",
                                      now=now, id_domain=ID_DOMAIN)
    assert refused.value.code == "role_required"
    assert rows(uow_factory, plan_id, "withdrawal") == []
    with uow_factory() as uow:
        other = plans.create_plan(uow=uow, data=plans_data(uow_factory, plan_id), source="plan.yaml", actor="lan.vp",
                                  now=now)
    for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
        with uow_factory() as uow:
            plans.decide(uow=uow, plan_id=other, action=action, actor=actor, now=now)
    with uow_factory() as uow:
        plans.issue_plan(uow=uow, plan_id=other, actor="tam.pct", now=now, render=fake_render, id_domain=ID_DOMAIN)
    with uow_factory() as uow:  # issued, not yet distributed: nobody received it
        corrections.withdraw_document(uow=uow, reference="02/KH-UBND", reason="Trùng nội dung", actor="tam.pct",
                                      now=now, id_domain=ID_DOMAIN)
    assert rows(uow_factory, other, "withdrawal") == []
    with uow_factory() as uow:
        (event,) = [e for e in uow.audit.events(other) if e.action == "withdraw" and "notified" in e.data]
    assert event.data["notified"] == []


def plans_data(uow_factory, plan_id):
    with uow_factory() as uow:
        return plans.get_plan_source(uow=uow, plan_id=plan_id)


def test_the_messages_and_the_mark_land_together_or_not_at_all(uow_factory, received, now, monkeypatch):
    """A failure while the messages are queued leaves no letter, no number, no mark and no message."""
    plan_id, _ = received
    calls = []

    def queue_then_fail(uow, **fields):
        calls.append(fields["recipient"].id)
        if len(calls) == 3:
            raise OSError("disk full")
        return delivery.queue(uow, **fields)

    monkeypatch.setattr(corrections, "queue", queue_then_fail)
    with uow_factory() as uow, pytest.raises(OSError):
        corrections.correct_document(uow=uow, reference="01/KH-UBND", actor="hoa.vt", now=now,
                                     corrections=parse_corrections(ITEMS), render=fake_render, id_domain=ID_DOMAIN)
    assert len(calls) == 3 and rows(uow_factory, plan_id, "correction") == []
    with uow_factory() as uow:
        assert [d.reference for d in uow.documents.all()] == ["01/KH-UBND"]
        assert uow.documents.marks() == {}
        assert not [e for e in uow.audit.events() if e.action in ("correct", "register") and e.data.get("corrects")]
    monkeypatch.undo()
    with uow_factory() as uow:  # the same correction afterwards takes the number the failed one never kept
        letter = uow.documents.get(corrections.correct_document(
            uow=uow, reference="01/KH-UBND", actor="hoa.vt", now=now, corrections=parse_corrections(ITEMS),
            render=fake_render, id_domain=ID_DOMAIN))
        assert letter.reference == "02/UBND"
    assert len(rows(uow_factory, plan_id, "correction")) == 10


def test_a_plan_withdrawn_before_all_its_copies_went_sends_no_more_and_tells_only_those_it_reached(
        uow_factory, now, tmp_path):
    plan_id, _ = distributed_plan(uow_factory, now)
    distribution = rows(uow_factory, plan_id)
    with MailSink(tmp_path / "first") as sink:  # the server took four before it went away
        deliver(uow_factory, [r["id"] for r in distribution[:4]], sink.port, Clock(now))
    reached = sorted(r["email"] for r in distribution[:4])
    with uow_factory() as uow:
        corrections.withdraw_document(uow=uow, reference="01/KH-UBND", reason="Ban hành chưa đúng thẩm quyền",
                                      actor="tam.pct", now=now, id_domain=ID_DOMAIN)
    unsent = {r["id"]: r for r in rows(uow_factory, plan_id)}
    for row in distribution[4:]:
        assert unsent[row["id"]]["status"] == "failed"
        assert unsent[row["id"]]["last_error"] == "Không gửi: văn bản 01/KH-UBND đã thu hồi trước khi thư được gửi."
    messages = [m for m in send_pending(uow_factory, tmp_path / "after", now)
                if m["Subject"].startswith(("Thu hồi", "Phát hành"))]
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == reached
    assert {m["Subject"] for m in messages} == {"Thu hồi Kế hoạch số 01/KH-UBND ngày 23/11/2026"}
    with uow_factory() as uow:
        with pytest.raises(DomainError) as refused:
            delivery.retry_failed(uow=uow, outbox_id=distribution[5]["id"], actor="hoa.vt", now=now)
        assert refused.value.code == "mail_document_withdrawn" and "đã thu hồi" in str(refused.value)
        (event,) = [e for e in uow.audit.events(plan_id) if e.action == "withdraw" and "unsent" in e.data]
    with uow_factory() as uow:  # the clerks' notice of the issue, still waiting, carried the plan too
        carried = {r.id for r in uow.outbox.for_document(1) if r.status == "failed"}
    assert set(event.data["unsent"]) == carried >= {r["id"] for r in distribution[4:]}
