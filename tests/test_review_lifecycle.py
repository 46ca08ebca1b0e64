"""The sơ kết / tổng kết report as a document with its own life: drafted from the roll-up, then
submitted, approved or returned, signed with a number of the issuing body's register and distributed
to the plan's recipients, by the plan's rules, with its audit events and notices."""
from __future__ import annotations

from datetime import timedelta

import pytest

from domain.adapters.mail import render_parts
from domain.model.workflow import REVIEW_ACTIONS, REVIEW_TRANSITIONS, TRANSITIONS, State
from domain.services import delivery, reviews
from tests.test_services import (ID_DOMAIN, MAILED_RECIPIENTS, counter, distributed_plan, fake_render, open_q4,
                                 outbox, refused, submit)
from tests.test_services import snapshot as row

DRAFTER, APPROVER, SIGNER, CLERK = "lan.vp", "hung.cvp", "tam.pct", "hoa.vt"


@pytest.fixture
def reported(org, plan_data, now):
    """The example plan distributed, Q4 open, three units reported; returns the plan's id."""
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    submit(org, plan_id, "MTTQ-HB", {"CT1": 1, "CT2": 100, "CT3": 100}, "minh.mttq", now, note="Đã đối thoại.")
    submit(org, plan_id, "HLHPN-HB", {"CT1": 1, "CT2": 100, "CT3": "95,5"}, "thu.pn", now)
    submit(org, plan_id, "VHXH-HB", {"CT4": "1,5", "CT5": 56, "CT6": 72}, "ha.vhxh", now)
    return plan_id


def draft(org, plan_id, now, final=False, actor=DRAFTER) -> int:
    with org() as uow:
        return reviews.draft_review(uow=uow, plan_id=plan_id, actor=actor, now=now, final=final)


def decide(org, review_id, action, actor, now, reason=None) -> str:
    with org() as uow:
        return reviews.decide_review(uow=uow, review_id=review_id, action=action, actor=actor, now=now, reason=reason)


def sign(org, review_id, now, actor=SIGNER) -> int:
    with org() as uow:
        return reviews.issue_review(uow=uow, review_id=review_id, actor=actor, now=now, render=fake_render)


def approved(org, plan_id, now, final=False) -> int:
    review_id = draft(org, plan_id, now, final)
    decide(org, review_id, "submit", DRAFTER, now)
    decide(org, review_id, "approve", APPROVER, now)
    return review_id


def review_state(org, review_id) -> str:
    with org() as uow:
        return uow.reviews.get(review_id).state


def events(org, plan_id, review_id) -> list[tuple[str, str, str | None]]:
    with org() as uow:
        return [(e.action, e.actor, e.to_state) for e in uow.audit.events(plan_id) if e.data.get("review") == review_id]


# --- the table ---------------------------------------------------------------------------------------

def test_a_report_follows_the_plans_own_rules_for_the_actions_of_a_document_and_nothing_else():
    assert REVIEW_TRANSITIONS == {k: r for k, r in TRANSITIONS.items() if k[1] in REVIEW_ACTIONS}
    assert {a for _, a in REVIEW_TRANSITIONS} == set(REVIEW_ACTIONS)
    assert (State.DISTRIBUTED, "open_period") not in REVIEW_TRANSITIONS
    assert TRANSITIONS[(State.DISTRIBUTED, "close")].roles == {"signer"}


# --- drafting ----------------------------------------------------------------------------------------

def test_drafting_a_review_stores_the_roll_up_as_a_draft_and_draws_no_number(org, reported, now):
    before = counter(org, "UBND-HB", "2026")
    review_id = draft(org, reported, now)
    with org() as uow:
        review = row(uow.reviews.get(review_id))
        summary = reviews.review_summary(uow, uow.reviews.get(review_id))
        plan_state = uow.plans.get(reported).state
    assert (review.state, review.kind, review.period_key, review.version, review.document_id) == (
        "draft", "review", "2026-Q4", 1, None)
    assert review.snapshot["title"].startswith("Sơ kết Quý IV/2026 thực hiện Kế hoạch số 01/KH-UBND")
    ct4 = next(r for r in review.snapshot["rollups"] if r["target"] == "CT4")
    assert (ct4["level"], ct4["result"], ct4["met"]) == (1.5, 0.6, True)  # 2,1% → 1,5%: reduced by 0,6
    # CT1: 2 of 4 units reported, both met it: the other two decide ("Chưa đủ số liệu")
    assert (summary["met"], summary["not_met"], summary["no_result"]) == (5, 0, 1)
    assert counter(org, "UBND-HB", "2026") == before and plan_state == "distributed"
    assert events(org, reported, review_id) == [("review", DRAFTER, "distributed")]


def test_a_second_review_of_the_same_period_is_refused_naming_the_first_and_how_to_redraft_it(org, reported, now):
    first = draft(org, reported, now)
    error = refused("review_exists", draft, org, reported, now)
    assert f"báo cáo #{first}" in str(error) and f"kehoach review redraft {first}" in str(error)
    assert draft(org, reported, now, final=True) != first  # the tổng kết is another report


def test_drafting_without_reports_or_by_someone_without_the_role_saves_nothing(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    refused("no_reports", draft, org, plan_id, now)
    submit(org, plan_id, "MTTQ-HB", {"CT1": 1}, "minh.mttq", now)
    refused("role_required", draft, org, plan_id, now, actor="minh.mttq")
    with org() as uow:
        assert uow.reviews.for_plan(plan_id) == []


def test_a_returned_report_is_drafted_again_from_the_latest_figures_and_resubmitted(org, reported, now):
    review_id = draft(org, reported, now)
    decide(org, review_id, "submit", DRAFTER, now)
    refused("reason_required", decide, org, review_id, "return", APPROVER, now)
    assert decide(org, review_id, "return", APPROVER, now, reason="Bổ sung số liệu của Công an phường.") == "returned"
    submit(org, reported, "CA-HB", {}, "duc.ca", now + timedelta(hours=1), )
    submit(org, reported, "DTN-HB", {"CT1": 1, "CT4": "1,4"}, "nam.dtn", now + timedelta(hours=1))
    with org() as uow:
        assert reviews.redraft_review(uow=uow, review_id=review_id, actor=DRAFTER, now=now) == 2
    with org() as uow:
        snap = uow.reviews.get(review_id).snapshot
    assert "CA-HB" in snap["reported"] and "DTN-HB" in snap["reported"]
    ct4 = next(r for r in snap["rollups"] if r["target"] == "CT4")
    assert ct4["level"] == 1.4  # "latest": DTN-HB reported last
    assert decide(org, review_id, "resubmit", DRAFTER, now) == "submitted"
    with org() as uow:  # a report under approval is not drafted again
        refused("action_not_allowed", reviews.redraft_review, uow=uow, review_id=review_id, actor=DRAFTER, now=now)


def test_decisions_on_a_report_are_judged_by_the_plans_roles_and_say_which_report(org, reported, now):
    review_id = draft(org, reported, now)
    error = refused("action_not_allowed", decide, org, review_id, "approve", APPROVER, now)
    assert f"báo cáo sơ kết #{review_id}" in str(error) and "trình duyệt" in str(error)
    decide(org, review_id, "submit", DRAFTER, now)
    refused("role_required", decide, org, review_id, "approve", DRAFTER, now)
    decide(org, review_id, "approve", APPROVER, now)
    refused("role_required", sign, org, review_id, now, actor="hung.cvp")  # an approver does not sign
    assert counter(org, "UBND-HB", "2026") == 2  # the plan and the request for reports: no number drawn


def test_a_rejected_report_stays_rejected_and_a_new_one_may_be_drafted(org, reported, now):
    review_id = draft(org, reported, now)
    decide(org, review_id, "submit", DRAFTER, now)
    decide(org, review_id, "reject", APPROVER, now, reason="Số liệu chưa đầy đủ.")
    refused("action_not_allowed", decide, org, review_id, "resubmit", DRAFTER, now)
    assert draft(org, reported, now) != review_id


# --- issue and distribution --------------------------------------------------------------------------

def test_the_signer_issues_the_approved_report_with_the_next_bc_number_of_the_register(org, reported, now):
    review_id = approved(org, reported, now)
    before = counter(org, "UBND-HB", "2026")
    doc_id = sign(org, review_id, now)
    with org() as uow:
        doc, review = row(uow.documents.get(doc_id)), row(uow.reviews.get(review_id))
        plan_state = uow.plans.get(reported).state
    assert (doc.kind, doc.doc_type, doc.reference, doc.number) == ("review", "BÁO CÁO", f"{before + 1:02d}/BC-UBND",
                                                                  before + 1)
    assert (review.state, review.document_id, doc.signer_id) == ("issued", doc_id, SIGNER)
    assert doc.subject == review.snapshot["title"]
    assert plan_state == "distributed"  # a sơ kết does not end the plan
    assert [a for a, _, _ in events(org, reported, review_id)] == [
        "review", "submit", "approve", "issue", "register"]
    refused("review_already_issued", sign, org, review_id, now)


def test_the_review_takes_each_units_results_and_difficulties_from_its_latest_report_version(org, reported, now,
                                                                                            tmp_path):
    from domain.adapters.docx_render import render_docx
    from domain.services import reports
    from tests.format_check import format_faults
    from tests.test_report_documents import docx_text

    def send(tasks, figures):
        with org() as uow:
            reports.submit_report(uow=uow, plan_id=reported, unit="MTTQ-HB", figures=figures, actor="minh.mttq",
                                  now=now, tasks=tasks)

    send({"2.1": "Đã chuẩn bị hội nghị đối thoại."}, {"CT1": 1})  # a version 2, then a corrected version 3
    send({"2.1": {"result": "Tổ chức 01 hội nghị đối thoại; 12/12 kiến nghị được trả lời.",
                  "issues": "Đề nghị bố trí kinh phí cho hội nghị đối thoại."},
          "3.1": {"result": "Nhân rộng mô hình «Dân vận khéo» tại tổ dân phố số 5."}}, {"CT1": 1})
    review_id = approved(org, reported, now)
    with org() as uow:
        snap = uow.reviews.get(review_id).snapshot
        doc_id = reviews.issue_review(uow=uow, review_id=review_id, actor=SIGNER, now=now, render=render_docx)
        data = uow.documents.get(doc_id).content
    assert snap["task_texts"] == {"MTTQ-HB": {
        "2.1": {"result": "Tổ chức 01 hội nghị đối thoại; 12/12 kiến nghị được trả lời.",
                "issues": "Đề nghị bố trí kinh phí cho hội nghị đối thoại."},
        "3.1": {"result": "Nhân rộng mô hình «Dân vận khéo» tại tổ dân phố số 5."}}}
    (tmp_path / "so-ket.docx").write_bytes(data)
    assert format_faults(tmp_path / "so-ket.docx", "state") == {}
    text = docx_text(data)
    assert "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ" in text and "Đã chuẩn bị hội nghị đối thoại." not in text
    assert "Ủy ban Mặt trận Tổ quốc Việt Nam phường Hòa Bình (nhiệm vụ 2.1): Đề nghị bố trí kinh phí cho hội nghị " \
           "đối thoại." in text
    assert "Biểu tổng hợp kết quả thực hiện nhiệm vụ theo đơn vị" in text
    assert text.count("Nhân rộng mô hình «Dân vận khéo» tại tổ dân phố số 5.") == 2  # the part on tasks, the annex
    with org() as uow:  # laid out again from what was recorded, to the same bytes
        from domain.services import register
        assert register.verify_file(uow=uow, data=data, name="so-ket.docx", render=render_docx).verdict == "issued"


def test_the_issued_report_says_what_was_approved_even_if_a_unit_reports_afterwards(org, reported, now):
    review_id = approved(org, reported, now)
    submit(org, reported, "VHXH-HB", {"CT4": "2,5"}, "ha.vhxh", now + timedelta(hours=1))
    with org() as uow:
        as_approved = uow.reviews.get(review_id).snapshot
    sign(org, review_id, now + timedelta(hours=2))
    with org() as uow:
        table = next(b for b in reviews.draft_document(uow=uow, review_id=review_id).blocks if b.kind == "table")
        assert uow.reviews.get(review_id).snapshot == as_approved
    ct4 = next(row for row in table.rows if row[1].startswith("Tỷ lệ hộ nghèo"))
    assert (ct4[3], ct4[5]) == ("giảm 0,6% (còn 1,5%)", "Đạt (1/2 đơn vị báo cáo)")  # DTN-HB had not reported


def test_each_decision_notifies_the_next_person_about_the_report_with_its_commands(org, reported, now):
    review_id = draft(org, reported, now)
    decide(org, review_id, "submit", DRAFTER, now)
    request = outbox(org, reported, "approval_request")[-1]  # the plan's own came first
    with org() as uow:
        subject, text, _ = render_parts(delivery.compose(uow=uow, outbox_id=request.id, now=now))
    assert subject.startswith("Đề nghị duyệt dự thảo Báo cáo “Sơ kết Quý IV/2026")
    assert f"kehoach review approve {review_id} --as hung.cvp" in text
    assert f"báo cáo #{review_id} của kế hoạch #{reported}" in text
    decide(org, review_id, "return", APPROVER, now, reason="Bổ sung đánh giá.")
    (returned,) = outbox(org, reported, "returned")
    with org() as uow:
        _, text, html = render_parts(delivery.compose(uow=uow, outbox_id=returned.id, now=now))
    assert f"kehoach review redraft {review_id} --as lan.vp" in text and "Bổ sung đánh giá." in text
    assert "kehoach plan update" not in text and f"kehoach review redraft {review_id}" in html


def test_issuing_tells_the_clerks_with_the_report_attached_and_distribution_reaches_the_plans_recipients(
        org, reported, now):
    review_id = approved(org, reported, now)
    doc_id = sign(org, review_id, now)
    issued = [r for r in outbox(org, reported, "issued") if r.document_id == doc_id]
    assert [r.recipient_id for r in issued] == [CLERK]
    with org() as uow:
        mail = delivery.compose(uow=uow, outbox_id=issued[0].id, now=now)
        subject, _, _ = render_parts(mail)
        assert [a.filename for a in mail.attachments] == [uow.documents.get(doc_id).file_name]
    assert subject.startswith("Đã ký ban hành Báo cáo số ") and "/BC-UBND: Sơ kết Quý IV/2026" in subject
    with org() as uow:
        queued = reviews.distribute_review(uow=uow, review_id=review_id, actor=CLERK, now=now, id_domain=ID_DOMAIN)
    rows = [r for r in outbox(org, reported, "distribution") if r.document_id == doc_id]
    assert queued == len(rows) and {r.recipient_id for r in rows} == MAILED_RECIPIENTS
    assert review_state(org, review_id) == "distributed"
    with org() as uow:
        mail = delivery.compose(uow=uow, outbox_id=rows[0].id, now=now)
        subject, text, _ = render_parts(mail)
        receipts = [uow.receipts.for_outbox(r.id) for r in rows]
    assert subject.startswith("Phát hành Báo cáo số ") and "tập trung vào các chỉ tiêu chưa đạt" in text
    assert all(receipts) and mail.attachments[0].content != b""
    with org() as uow:  # distributing again sends nothing twice
        assert reviews.distribute_review(uow=uow, review_id=review_id, actor=CLERK, now=now,
                                         id_domain=ID_DOMAIN) == 0


def test_the_plans_own_distribution_mail_is_unchanged_by_reports(org, reported, now):
    (row, *_) = [r for r in outbox(org, reported, "distribution")]
    with org() as uow:
        subject, text, _ = render_parts(delivery.compose(uow=uow, outbox_id=row.id, now=now))
    assert subject.startswith("Phát hành Kế hoạch số 01/KH-UBND: Thực hiện công tác dân vận")
    assert "quán triệt và tổ chức triển khai thực hiện Kế hoạch" in text


def test_issuing_the_tong_ket_ends_the_plan_and_its_period(org, reported, now):
    review_id = approved(org, reported, now, final=True)
    refused("role_required", sign, org, review_id, now, actor="hung.cvp")
    with org() as uow:
        assert uow.plans.get(reported).state == "distributed"  # refused: the plan did not close either
    sign(org, review_id, now)
    with org() as uow:
        plan, period = row(uow.plans.get(reported)), row(uow.periods.get(reported, "2026-Q4"))
        close = [e for e in uow.audit.events(reported) if e.action == "close"]
        doc = row(uow.documents.get(uow.reviews.get(review_id).document_id))
    assert (plan.state, period.status, doc.kind) == ("closed", "closed", "close")
    assert [(e.actor, e.to_state, e.data["review"]) for e in close] == [(SIGNER, "closed", review_id)]
    assert doc.subject.startswith("Tổng kết Quý IV/2026")
    refused("action_not_allowed", draft, org, reported, now)  # a closed plan has no more reviews


# --- withdrawal ----------------------------------------------------------------------------------------

def withdraw(org, reference, now, actor=CLERK, reason="Số liệu tổng hợp sai."):
    from domain.services import corrections

    with org() as uow:
        return corrections.withdraw_document(uow=uow, reference=reference, reason=reason, actor=actor, now=now)


def test_withdrawing_the_issued_so_ket_report_withdraws_the_review_and_its_period_may_be_reviewed_again(
        org, reported, now):
    review_id = approved(org, reported, now)
    doc_id = sign(org, review_id, now)
    with org() as uow:
        reference = uow.documents.get(doc_id).reference
    refused("review_exists", draft, org, reported, now)  # one sơ kết of Q4 while it stands

    refused("reason_required", withdraw, org, reference, now, reason=" ")
    refused("role_required", withdraw, org, reference, now, actor=DRAFTER)
    assert review_state(org, review_id) == "issued"  # refused: neither the document nor the review moved

    withdraw(org, reference, now + timedelta(days=1))
    assert review_state(org, review_id) == "withdrawn"
    assert events(org, reported, review_id)[-1] == ("withdraw", CLERK, "withdrawn")
    with org() as uow:
        (event,) = [e for e in uow.audit.events(reported) if e.data.get("review") == review_id
                    and e.action == "withdraw"]
        (mark,) = [m.status for m in uow.documents.marks([doc_id])[doc_id]]
        listed = {r["id"]: r["state"] for r in reviews.list_reviews(uow=uow, plan_id=reported)}
        plan_state = uow.plans.get(reported).state
    assert (event.data["reference"], event.data["reason"], mark) == (reference, "Số liệu tổng hợp sai.", "withdrawn")
    assert listed == {review_id: "đã thu hồi"} and plan_state == "distributed"  # the plan goes on
    refused("action_not_allowed", decide, org, review_id, "submit", DRAFTER, now)  # nothing more on it

    again = draft(org, reported, now + timedelta(days=1))
    assert again != review_id and review_state(org, again) == "draft"


def test_a_report_is_withdrawn_only_once_issued_and_only_with_its_document():
    withdrawable = {s for (s, a) in REVIEW_TRANSITIONS if a == "withdraw"}
    assert {State.ISSUED, State.DISTRIBUTED} <= withdrawable
    assert not withdrawable & {State.DRAFT, State.SUBMITTED, State.RETURNED, State.APPROVED, State.REJECTED,
                               State.WITHDRAWN}
