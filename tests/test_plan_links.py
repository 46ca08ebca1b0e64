"""Plans at two levels: the ward's plan implements the district's, names it in `implements:`, is linked
to it, and the district's review pulls in what the ward's own review says."""
from __future__ import annotations

import copy
import io
from datetime import date, timedelta

import pytest
from docx import Document

from domain.adapters.docx_render import render_docx
from domain.messages import DomainError
from domain.model.links import matches, read_citation
from domain.model.plan import PlanContent
from domain.model.review import document_of
from domain.services import links, plans, reviews
from tests.format_check import format_faults
from tests.test_review_lifecycle import approved, decide, draft, sign
from tests.test_services import (add_users, create, decide as decide_plan, distributed_plan, fake_render, open_q4,
                                 refused, submit)
from tests.test_services import ID_DOMAIN, delivery

DISTRICT = "Ủy ban nhân dân quận Kiến An"


# --- reading a citation ------------------------------------------------------------------------------

@pytest.mark.parametrize("cited, plan_id, number, symbol, issued_on, body", [
    ("#3", 3, None, "", None, None),
    (7, 7, None, "", None, None),
    ("Số 41/KH-UBND ngày 20/01/2026", None, 41, "KH-UBND", date(2026, 1, 20), None),
    ("41/KH-UBND", None, 41, "KH-UBND", None, None),
    ("Số: 01/KH-UBND ngày 23/11/2026 của Ủy ban nhân dân quận Kiến An", None, 1, "KH-UBND", date(2026, 11, 23),
     DISTRICT),
    ("Số 48-KH/ĐU ngày 05/3/2026", None, 48, "KH/ĐU", date(2026, 3, 5), None),
])
def test_a_higher_plan_is_cited_by_id_or_by_number_symbol_date_and_issuer(cited, plan_id, number, symbol,
                                                                          issued_on, body):
    c = read_citation(cited)
    assert (c.plan_id, c.number, c.symbol, c.issued_on, c.body) == (plan_id, number, symbol, issued_on, body)


@pytest.mark.parametrize("cited", ["13-ĐA/TU", "Chỉ thị số 33/CT-TTg", "33/CT-TTg ngày 26/11/2021", "Nghị quyết"])
def test_documents_that_are_not_plans_are_only_citations(cited):
    assert read_citation(cited) is None


def test_an_impossible_date_in_a_citation_is_refused():
    with pytest.raises(DomainError) as err:
        read_citation("Số 41/KH-UBND ngày 31/02/2026")
    assert err.value.code == "implements_bad_date" and "ngày/tháng/năm" in str(err.value)


def test_a_citation_matches_the_plan_by_number_without_leading_zero_date_and_issuer():
    c = read_citation("Số 1/KH-UBND ngày 23/11/2026 của ủy ban nhân dân quận kiến an")
    assert matches(c, "01/KH-UBND", date(2026, 11, 23), DISTRICT)
    assert not matches(c, "01/KH-UBND", date(2026, 11, 24), DISTRICT)
    assert not matches(c, "01/KH-UBND", date(2026, 11, 23), "Ủy ban nhân dân phường Hòa Bình")
    assert not matches(c, "02/KH-UBND", date(2026, 11, 23), DISTRICT)
    assert not matches(read_citation("01-KH/ĐU"), "01/KH-UBND", date(2026, 11, 23), DISTRICT)


# --- two levels --------------------------------------------------------------------------------------

def district_users(org, now) -> None:
    add_users(org, now,
              {"id": "an.q", "name": "Lê Văn An", "roles": {"UBND-QUAN": ["drafter"]}},
              {"id": "binh.q", "name": "Trần Văn Bình", "roles": {"UBND-QUAN": ["approver"]}},
              {"id": "cuong.q", "name": "Đỗ Mạnh Cường", "roles": {"UBND-QUAN": ["signer"]}},
              {"id": "ky.hb", "name": "Vũ Văn Kỳ", "roles": {"UBND-HB": ["reporter"]}})


def district_plan_data() -> dict:
    """The district's plan: each ward's People's Committee builds models and cuts its poverty rate."""
    return {
        "issuer": "UBND-QUAN", "title": "Triển khai công tác dân vận chính quyền năm 2026",
        "sections": [{"title": "Chỉ tiêu", "targets": ["Q1", "Q2"]}, {"title": "Nhiệm vụ", "tasks": ["1"]}],
        "targets": [
            {"id": "Q1", "text": "Mỗi phường có ít nhất 02 mô hình “Dân vận khéo”.", "value": 2, "unit": "mô hình",
             "rollup": "share_met"},
            {"id": "Q2", "text": "Tỷ lệ hộ nghèo toàn quận giảm 0,4%.", "value": "0,4", "unit": "%",
             "direction": "reduce_by", "baseline": "1,8", "rollup": "average"},
        ],
        "tasks": [{"ref": "1", "text": "Triển khai phong trào thi đua “Dân vận khéo” ở các phường.",
                   "executing": ["UBND-HB"], "targets": ["Q1", "Q2"]}],
        "recipients": [{"body": "UBND-HB"}, "Lưu: VT"],
        "signer": {"user": "cuong.q", "capacity": ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"], "title": "PHÓ CHỦ TỊCH"},
    }


def district_plan(org, now) -> int:
    district_users(org, now)
    plan_id = create(org, district_plan_data(), now, actor="an.q")
    decide_plan(org, plan_id, "submit", "an.q", now)
    decide_plan(org, plan_id, "approve", "binh.q", now)
    with org() as uow:
        plans.issue_plan(uow=uow, plan_id=plan_id, actor="cuong.q", now=now, render=fake_render)
    with org() as uow:
        delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN)
    return plan_id


def ward_data(plan_data, *cited) -> dict:
    data = copy.deepcopy(plan_data)
    data["implements"] = list(cited)
    return data


@pytest.fixture
def two_levels(org, plan_data, now):
    """The district's plan issued (01/KH-UBND of the district), the ward's plan implementing it, distributed,
    with Q4 reported by three units; returns (district plan, ward plan)."""
    district = district_plan(org, now)
    later = now + timedelta(days=1)  # the ward's plan is issued the next day: its own 01/KH-UBND
    cited = f"Số 01/KH-UBND ngày {now:%d/%m/%Y} của {DISTRICT}"
    ward = distributed_plan(org, ward_data(plan_data, cited), later)
    open_q4(org, ward, later)
    submit(org, ward, "MTTQ-HB", {"CT1": 1, "CT2": 100, "CT3": 100}, "minh.mttq", later)
    submit(org, ward, "VHXH-HB", {"CT4": "1,5", "CT5": 50, "CT6": 72}, "ha.vhxh", later)
    return district, ward


def test_the_ward_plan_citing_the_district_plan_is_linked_to_it_and_the_audit_says_so(org, two_levels):
    district, ward = two_levels
    with org() as uow:
        higher = links.higher_plans(uow=uow, plan_id=ward)
        created = next(e for e in uow.audit.events(ward) if e.action == "create")
        notes = plans.citation_notes(uow=uow, plan_id=ward)
    assert [(h["plan_id"], h["reference"], h["issuer"]) for h in higher] == [(district, "01/KH-UBND", DISTRICT)]
    assert created.data["implements_plans"] == [district] and notes == []


def test_a_plan_cited_by_id_is_linked_and_an_unknown_id_is_refused_saving_nothing(org, plan_data, now):
    district = district_plan(org, now)
    ward = create(org, ward_data(plan_data, f"#{district}", "13-ĐA/TU"), now)
    with org() as uow:
        assert [h["plan_id"] for h in links.higher_plans(uow=uow, plan_id=ward)] == [district]
        before = len(uow.plans.all())
    error = refused("implements_unknown_id", create, org, ward_data(plan_data, "#99"), now)
    assert "kế hoạch #99" in str(error)
    with org() as uow:
        assert len(uow.plans.all()) == before


def test_a_cited_plan_not_in_the_database_is_kept_as_text_with_a_note(org, plan_data, now):
    ward = create(org, ward_data(plan_data, "Số 41/KH-UBND ngày 20/01/2026"), now)
    with org() as uow:
        assert links.higher_plans(uow=uow, plan_id=ward) == []
        (note,) = plans.citation_notes(uow=uow, plan_id=ward)
    assert "Số 41/KH-UBND ngày 20/01/2026" in note and "chưa liên kết" in note


def test_a_citation_two_bodies_plans_match_is_refused_until_it_names_the_issuer(org, plan_data, now):
    district = district_plan(org, now)
    ward_first = distributed_plan(org, ward_data(plan_data), now)  # also 01/KH-UBND, the same day
    error = refused("implements_ambiguous", create, org, ward_data(plan_data, f"Số 01/KH-UBND ngày {now:%d/%m/%Y}"),
                    now)
    assert f"#{district} ({DISTRICT})" in str(error) and f"#{ward_first}" in str(error)
    ward = create(org, ward_data(plan_data, f"Số 01/KH-UBND ngày {now:%d/%m/%Y} của {DISTRICT}"), now)
    with org() as uow:
        assert [h["plan_id"] for h in links.higher_plans(uow=uow, plan_id=ward)] == [district]


def test_updating_the_draft_relinks_it(org, plan_data, now):
    district = district_plan(org, now)
    ward = create(org, ward_data(plan_data), now)
    with org() as uow:
        plans.update_plan(uow=uow, plan_id=ward, data=ward_data(plan_data, f"#{district}"), source="kh.yaml",
                          actor="lan.vp", now=now)
    with org() as uow:
        assert [h["plan_id"] for h in links.higher_plans(uow=uow, plan_id=ward)] == [district]


def district_review(org, district, now) -> dict:
    """The district opens Q4, the ward's People's Committee reports, the district drafts its review."""
    open_q4(org, district, now)
    submit(org, district, "UBND-HB", {"Q1": 2, "Q2": "1,3"}, "ky.hb", now)
    review_id = draft(org, district, now, actor="an.q")
    with org() as uow:
        return {"id": review_id, "snapshot": uow.reviews.get(review_id).snapshot,
                "document": reviews.draft_document(uow=uow, review_id=review_id)}


def test_the_district_review_pulls_in_the_ward_review_as_issued(org, two_levels, now):
    district, ward = two_levels
    later = now + timedelta(days=1)
    ward_review = approved(org, ward, later)
    sign(org, ward_review, later)
    review = district_review(org, district, later)
    (lower,) = review["snapshot"]["lower"]
    assert (lower["plan_id"], lower["review_id"], lower["review_state"]) == (ward, ward_review, "issued")
    assert lower["review_reference"].endswith("/BC-UBND") and lower["period_label"] == "Quý IV/2026"
    # the ward: CT1 reported by 1 of 4 units (met: the others decide), CT5 50 < 55 not met; CT2, CT3,
    # CT4 (2,1 → 1,5), CT6 met
    assert (lower["met"], lower["not_met"], lower["no_result"], lower["targets"]) == (4, 1, 1, 6)
    blocks = review["document"].blocks
    texts = [b.text for b in blocks]
    part = texts.index("II. KẾT QUẢ THỰC HIỆN CỦA CÁC KẾ HOẠCH CẤP DƯỚI")
    assert texts[part + 3:].index("III. ĐÁNH GIÁ CHUNG") >= 0 and "IV. NHIỆM VỤ TRỌNG TÂM THỜI GIAN TỚI" in texts
    table = blocks[part + 2].rows
    assert table[1] == ("1", "Ủy ban nhân dân phường Hòa Bình", f"Số 01/KH-UBND ngày {later:%d/%m/%Y}",
                        f"Số {lower['review_reference']} ngày {later:%d/%m/%Y} (Quý IV/2026)", "4/6", "1", "1")
    unmet = next(t for t in texts if t.startswith("Ủy ban nhân dân phường Hòa Bình — các chỉ tiêu chưa đạt"))
    assert "Tỷ lệ lao động qua đào tạo đạt 55%" in unmet and "“Dân vận khéo”" not in unmet


def test_a_ward_review_still_in_draft_is_pulled_in_as_a_draft_and_a_rejected_one_not_at_all(
        org, two_levels, now):
    district, ward = two_levels
    later = now + timedelta(days=1)
    ward_review = draft(org, ward, later)
    (lower,) = district_review(org, district, later)["snapshot"]["lower"]
    assert (lower["review_id"], lower["review_reference"], lower["review_state"]) == (ward_review, "", "draft")
    decide(org, ward_review, "submit", "lan.vp", later)
    decide(org, ward_review, "reject", "hung.cvp", later, reason="Chưa đủ số liệu.")
    with org() as uow:
        (lower,) = links.lower_summaries(uow=uow, plan_id=district)
        assert lower["review_id"] is None
        doc = reviews.draft_document(uow=uow, review_id=uow.reviews.for_plan(district)[0].id)
    # the district's draft keeps what it was drafted from until drafted again
    table = next(b.rows for b in doc.blocks if b.kind == "table" and b.rows[0][1] == "Cơ quan")
    assert "dự thảo, chưa ban hành (Quý IV/2026)" in table[1][3]


def test_a_review_of_a_plan_nothing_implements_has_no_such_part(org, two_levels, now):
    _, ward = two_levels
    review_id = draft(org, ward, now + timedelta(days=1))
    with org() as uow:
        texts = [b.text for b in reviews.draft_document(uow=uow, review_id=review_id).blocks]
    assert not any("CẤP DƯỚI" in t for t in texts) and "II. ĐÁNH GIÁ CHUNG" in texts


def test_the_district_review_with_the_lower_plans_part_passes_the_official_format_check(org, two_levels, now,
                                                                                       tmp_path):
    district, ward = two_levels
    later = now + timedelta(days=1)
    sign(org, approved(org, ward, later), later)
    review = district_review(org, district, later)
    with org() as uow:  # as the signer will issue it: numbered and dated
        document = document_of(review["snapshot"], content=PlanContent.from_dict(uow.plans.get(district).content),
                               issuer=uow.bodies.get("UBND-QUAN"), names={b.id: b.name for b in uow.bodies.all()},
                               number=5, issued_on=later.date())
    path = tmp_path / "district-review.docx"
    path.write_bytes(render_docx(document))
    assert format_faults(path, "state") == {}
    text = "\n".join(c.text for t in Document(io.BytesIO(path.read_bytes())).tables for r in t.rows for c in r.cells)
    assert "Ủy ban nhân dân phường Hòa Bình" in text and "4/6" in text


# --- links resolved late: the lower plan written before the higher one is in the database -------------

def cited_district(now) -> str:
    return f"Số 01/KH-UBND ngày {now:%d/%m/%Y} của {DISTRICT}"


def test_a_ward_draft_citing_a_district_plan_not_yet_issued_is_linked_when_the_district_issues_it(
        org, plan_data, now):
    ward = create(org, ward_data(plan_data, cited_district(now), "13-ĐA/TU"), now)
    with org() as uow:
        assert links.higher_plans(uow=uow, plan_id=ward) == []
    district = district_plan(org, now)
    with org() as uow:
        higher = links.higher_plans(uow=uow, plan_id=ward)
        (event,) = [e for e in uow.audit.events(ward) if e.action == "link"]
        notes = plans.citation_notes(uow=uow, plan_id=ward)
        (lower,) = links.lower_summaries(uow=uow, plan_id=district)
        register = next(e for e in uow.audit.events(district) if e.action == "register")
    assert [(h["plan_id"], h["cited_as"]) for h in higher] == [(district, cited_district(now))]
    assert event.actor == "cuong.q" and event.data["implements_plans"] == [district]
    assert event.data["reference"] == "01/KH-UBND" and event.id > register.id  # with the issue, after its number
    assert notes == [] and lower["plan_id"] == ward and lower["review_id"] is None


def test_an_issued_ward_plan_is_linked_late_and_the_district_review_pulls_in_its_review(org, plan_data, now):
    later = now + timedelta(days=1)
    ward = distributed_plan(org, ward_data(plan_data, f"Số 01/KH-UBND ngày {later:%d/%m/%Y} của {DISTRICT}"), now)
    open_q4(org, ward, now)
    submit(org, ward, "MTTQ-HB", {"CT1": 1, "CT2": 100, "CT3": 100}, "minh.mttq", now)
    submit(org, ward, "VHXH-HB", {"CT4": "1,5", "CT5": 50, "CT6": 72}, "ha.vhxh", now)
    ward_review = approved(org, ward, now)
    sign(org, ward_review, now)
    district = district_plan(org, later)
    (lower,) = district_review(org, district, later)["snapshot"]["lower"]
    assert (lower["plan_id"], lower["review_id"], lower["review_state"]) == (ward, ward_review, "issued")
    assert (lower["met"], lower["not_met"]) == (4, 1)


def test_a_plan_issued_with_another_reference_date_or_issuer_links_nothing(org, plan_data, now):
    later = now + timedelta(days=1)
    ward = create(org, ward_data(plan_data, f"Số 01/KH-UBND ngày {later:%d/%m/%Y} của {DISTRICT}"), now)
    district_plan(org, now)  # the district's 01/KH-UBND is of today, the ward cites tomorrow's
    other = distributed_plan(org, ward_data(plan_data), later)  # 01/KH-UBND of tomorrow, but the ward's body
    with org() as uow:
        assert links.higher_plans(uow=uow, plan_id=ward) == []
        assert not [e for e in uow.audit.events(ward) if e.action == "link"]
        assert links.lower_summaries(uow=uow, plan_id=other) == []
        (note,) = plans.citation_notes(uow=uow, plan_id=ward)
    assert "sẽ tự liên kết khi kế hoạch đó được ký ban hành" in note


def test_a_citation_linked_once_is_not_linked_again_by_a_later_plan(org, plan_data, now):
    ward = create(org, ward_data(plan_data, "Số 01/KH-UBND"), now)  # no date, no issuer
    district = district_plan(org, now)
    later = now + timedelta(days=400)  # next year's 01/KH-UBND of the district
    second = create(org, district_plan_data(), later, actor="an.q")
    decide_plan(org, second, "submit", "an.q", later)
    decide_plan(org, second, "approve", "binh.q", later)
    with org() as uow:
        plans.issue_plan(uow=uow, plan_id=second, actor="cuong.q", now=later, render=fake_render)
    with org() as uow:
        assert [h["plan_id"] for h in links.higher_plans(uow=uow, plan_id=ward)] == [district]
        assert len([e for e in uow.audit.events(ward) if e.action == "link"]) == 1


def test_plan_links_shows_what_a_plan_implements_what_waits_and_what_implements_it(cli, org, plan_data, now):
    ward = create(org, ward_data(plan_data, cited_district(now), "Số 41/KH-UBND ngày 20/01/2026",
                                 "Chỉ thị số 33/CT-TTg"), now)
    district = district_plan(org, now)
    code, out = cli("plan", "links", str(ward))
    assert code == 0, out
    assert f"Thực hiện: - kế hoạch #{district} 01/KH-UBND của {DISTRICT}" in out
    assert "«Số 41/KH-UBND ngày 20/01/2026»: chưa có trong hệ thống; sẽ tự liên kết" in out
    assert "«Chỉ thị số 33/CT-TTg» (văn bản trích dẫn, không phải kế hoạch)" in out
    assert "Được thực hiện bởi: (không có)" in out
    code, out = cli("plan", "links", str(district))
    assert code == 0 and "Thực hiện: (không có)" in out
    assert f"Được thực hiện bởi: - kế hoạch #{ward} của Ủy ban nhân dân phường Hòa Bình" in out
    assert "(dự thảo)" in out
    code, out = cli("plan", "links", str(district), "--json")
    assert code == 0 and f'"plan_id": {ward}' in out
    code, out = cli("plan", "links", "99")
    assert code != 0 and "Không có kế hoạch «99»" in out


def test_a_plan_citing_a_draft_by_id_and_by_reference_is_linked_once_when_the_draft_is_issued(org, plan_data, now):
    district_users(org, now)
    district = create(org, district_plan_data(), now, actor="an.q")
    ward = create(org, ward_data(plan_data, f"#{district}", cited_district(now)), now)
    decide_plan(org, district, "submit", "an.q", now)
    decide_plan(org, district, "approve", "binh.q", now)
    with org() as uow:
        plans.issue_plan(uow=uow, plan_id=district, actor="cuong.q", now=now, render=fake_render)
    with org() as uow:
        assert [h["plan_id"] for h in links.higher_plans(uow=uow, plan_id=ward)] == [district]
        assert not [e for e in uow.audit.events(ward) if e.action == "link"]


def test_audit_show_of_the_lower_plan_names_the_late_link(cli, org, plan_data, now):
    ward = create(org, ward_data(plan_data, cited_district(now)), now)
    district = district_plan(org, now)
    code, out = cli("audit", "show", str(ward))
    assert code == 0 and "liên kết với kế hoạch cấp trên" in out
    assert f"implements_plans=[{district}]" in out and "reference=01/KH-UBND" in out
