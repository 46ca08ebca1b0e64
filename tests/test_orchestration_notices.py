"""Approval notices: each decision queues, in its own transaction, a notice to whoever acts next.
Rules only, below Prefect: a migrated SQLite file, the example organisation, a fixed clock."""
from __future__ import annotations

import email
import email.policy
import unicodedata
from datetime import timedelta
from types import SimpleNamespace

import pytest

from domain.adapters.db import SqlUnitOfWork
from domain.adapters.mail import render_mail
from domain.model.notices import DECISION_NOTICES, NOTICE_KINDS, decision_key, event_id_of, told
from domain.services import delivery, plans
from tests.test_services import (ID_DOMAIN, add_users, create, decide, fake_render, issue, outbox, refused,
                                 state_of)

SENDER = {"sender_email": "vanthu@hoabinh.example.vn", "sender_name": "Văn thư kehoach"}
RETURN_REASON = "Bổ sung chỉ tiêu <b>chuyển đổi số</b> & ghi rõ thời hạn"


def notices(uow_factory, plan_id, kind=None) -> list:
    return [r for r in outbox(uow_factory, plan_id, kind) if r.kind in NOTICE_KINDS]


def composed(uow_factory, row):
    with uow_factory() as uow:
        return delivery.compose(uow=uow, outbox_id=row.id)


def rendered(uow_factory, row, now) -> email.message.EmailMessage:
    raw = render_mail(composed(uow_factory, row), date=now, **SENDER)
    return email.message_from_bytes(raw, policy=email.policy.default)


def bodies(message) -> tuple[str, str]:
    return (message.get_body(preferencelist=("plain",)).get_content(),
            message.get_body(preferencelist=("html",)).get_content())


# --- who is told -----------------------------------------------------------------------------

def test_submitting_a_plan_queues_an_approval_request_to_each_approver_of_the_issuer(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    (row,) = notices(org, plan_id)
    assert (row.kind, row.recipient_id, row.recipient_type, row.email, row.status) == (
        "approval_request", "hung.cvp", "user", "hung.cvp@hoabinh.example.vn", "pending")
    with org() as uow:
        submit_event = [e for e in uow.audit.events(plan_id) if e.action == "submit"][0]
    assert row.period_key == decision_key(submit_event.id)


def test_an_approval_notifies_the_designated_signer(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    decide(org, plan_id, "approve", "hung.cvp", now)
    assert [(r.kind, r.recipient_id) for r in notices(org, plan_id, "approved")] == [("approved", "tam.pct")]


def test_a_return_notifies_the_drafter_with_the_reason(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    decide(org, plan_id, "return", "hung.cvp", now, reason=RETURN_REASON)
    (row,) = notices(org, plan_id, "returned")
    assert row.recipient_id == "lan.vp"
    text, html = bodies(rendered(org, row, now))
    assert RETURN_REASON in text
    assert "Bổ sung chỉ tiêu &lt;b&gt;chuyển đổi số&lt;/b&gt; &amp; ghi rõ thời hạn" in html and "<b>" not in html
    assert "Phạm Văn Hùng" in text and "kehoach plan resubmit 1 --as lan.vp" in text


def test_a_rejection_notifies_the_drafter_and_says_the_draft_cannot_be_resubmitted(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    decide(org, plan_id, "reject", "hung.cvp", now, reason="Trùng nội dung Kế hoạch số 12/KH-UBND")
    (row,) = notices(org, plan_id, "rejected")
    message = rendered(org, row, now)
    text, _ = bodies(message)
    assert row.recipient_id == "lan.vp"
    assert message["Subject"] == f"Dự thảo Kế hoạch “{plan_data['title']}” không được duyệt"
    assert "Trùng nội dung Kế hoạch số 12/KH-UBND" in text and "không trình lại được" in text


def test_a_second_submission_after_a_return_notifies_the_approvers_again(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    decide(org, plan_id, "return", "hung.cvp", now, reason="Bổ sung chỉ tiêu")
    decide(org, plan_id, "resubmit", "lan.vp", now + timedelta(days=1))
    rows = notices(org, plan_id, "approval_request")
    assert [r.recipient_id for r in rows] == ["hung.cvp", "hung.cvp"]
    assert len({r.period_key for r in rows}) == len({r.message_id for r in rows}) == 2
    text, _ = bodies(rendered(org, rows[1], now))
    assert "trình lại dự thảo" in text


def test_issuing_notifies_the_clerks_with_the_plan_attached_and_the_recipients_to_send_by_other_means(
        org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    decide(org, plan_id, "approve", "hung.cvp", now)
    doc_id = issue(org, plan_id, now)
    (row,) = notices(org, plan_id, "issued")
    assert (row.recipient_id, row.document_id) == ("hoa.vt", doc_id)
    mail = composed(org, row)
    with org() as uow:
        document = uow.documents.get(doc_id)
        assert [(a.filename, a.content) for a in mail.attachments] == [(document.file_name, document.content)]
    message = rendered(org, row, now)
    text, _ = bodies(message)
    assert message["Subject"].startswith("Đã ký ban hành Kế hoạch số 01/KH-UBND")
    assert "- Chủ tịch, các Phó Chủ tịch UBND phường" in text and "- Lưu: VT, VP" in text
    assert "Nguyễn Thị Tâm" in text


def test_every_notice_is_vietnamese_nfc_with_the_command_to_act_on_it(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    for action, actor, reason in (("submit", "lan.vp", None), ("approve", "hung.cvp", None),
                                  ("return", "tam.pct", "Sửa mục 3.1")):
        decide(org, plan_id, action, actor, now, reason=reason)
    expected = {"approval_request": "kehoach plan approve 1 --as hung.cvp",
                "approved": "kehoach plan issue 1 --as tam.pct",
                "returned": "kehoach plan update 1"}
    rows = notices(org, plan_id)
    assert sorted(r.kind for r in rows) == sorted(expected)
    for row in rows:
        message = rendered(org, row, now)
        text, html = bodies(message)
        assert expected[row.kind] in text
        assert message["To"].addresses[0].addr_spec == row.email
        for part in (message["Subject"], text, html):
            assert unicodedata.is_normalized("NFC", part)
        assert "Kính gửi: đồng chí" in text and "Lúc 09:30 ngày 23/11/2026" in text


# --- nothing without the decision, and nothing twice ---------------------------------------------

def test_a_refused_decision_queues_no_notice(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    refused("role_required", decide, org, plan_id, "submit", "hung.cvp", now)
    assert notices(org, plan_id) == []


class FailingCommit(SqlUnitOfWork):
    def commit(self) -> None:
        raise RuntimeError("the disk is full")


def test_a_failing_commit_leaves_neither_the_decision_nor_its_notice(org, plan_data, now, db_url):
    plan_id = create(org, plan_data, now)
    with pytest.raises(RuntimeError), FailingCommit(db_url) as uow:
        plans.decide(uow=uow, plan_id=plan_id, action="submit", actor="lan.vp", now=now)
    assert state_of(org, plan_id) == "draft"
    assert notices(org, plan_id) == []
    with org() as uow:
        assert [e.action for e in uow.audit.events(plan_id)] == ["create"]


def test_an_approver_without_an_address_is_not_notified_and_the_decision_still_stands(org, plan_data, now):
    add_users(org, now, {"id": "an.pcvp", "name": "Lý Văn An", "roles": {"UBND-HB": ["approver"]}})
    plan_id = create(org, plan_data, now)
    assert decide(org, plan_id, "submit", "lan.vp", now) == "submitted"
    assert [r.recipient_id for r in notices(org, plan_id)] == ["hung.cvp"]


def test_nobody_is_told_of_their_own_decision_and_each_person_once():
    person = lambda uid, mail="x@y.vn": SimpleNamespace(id=uid, email=mail)  # noqa: E731
    people = [person("thanh.du"), person("hung.cvp"), person("hung.cvp"), person("no.mail", None), None]
    assert [p.id for p in told(people, "thanh.du")] == ["hung.cvp"]


def test_every_decision_has_a_notice_and_every_notice_kind_has_its_templates():
    from domain.adapters.mail import TEMPLATE_DIR

    assert set(DECISION_NOTICES) == set(plans.DECISIONS) | {"issue"}
    for kind in NOTICE_KINDS:
        for suffix in (".subject.txt", ".txt", ".html"):
            path = TEMPLATE_DIR / f"{kind}{suffix}"
            assert unicodedata.is_normalized("NFC", path.read_text(encoding="utf-8")), path.name
        assert '{% extends "_layout.html" %}' in (TEMPLATE_DIR / f"{kind}.html").read_text(encoding="utf-8")
    assert event_id_of(decision_key(42)) == 42 and event_id_of("2026-Q4") is None


def test_a_sent_notice_is_not_composed_again(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    (row,) = notices(org, plan_id)
    with org() as uow:
        uow.outbox.get(row.id).status = "sent"
        uow.commit()
    assert composed(org, row) is None


def test_issuing_with_the_real_flow_arguments_keeps_the_number_and_notice_together(org, plan_data, now):
    plan_id = create(org, plan_data, now)
    decide(org, plan_id, "submit", "lan.vp", now)
    decide(org, plan_id, "approve", "hung.cvp", now)
    with org() as uow:
        plans.issue_plan(uow=uow, plan_id=plan_id, actor="tam.pct", now=now, render=fake_render, id_domain=ID_DOMAIN)
    (row,) = notices(org, plan_id, "issued")
    assert row.message_id.endswith(f"@{ID_DOMAIN}>")
    refused("already_issued", issue, org, plan_id, now)
    assert len(notices(org, plan_id, "issued")) == 1
