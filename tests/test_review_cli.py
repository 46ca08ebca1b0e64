"""The review commands that run no Prefect flow: decisions on a report, its list and its draft file,
refusals in Vietnamese; `plan update` saying what its `implements:` linked."""
from __future__ import annotations

import io

import pytest
from docx import Document

from tests.test_review_lifecycle import draft
from tests.test_services import distributed_plan, open_q4, submit


@pytest.fixture
def cli(cli, monkeypatch):
    """The shared `cli`, without the notification flow after a decision (see test_orchestration_flows.py)."""
    monkeypatch.setattr("flows.cli._notify", lambda plan: None)
    return cli


@pytest.fixture
def drafted(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    submit(org, plan_id, "VHXH-HB", {"CT4": "1,5", "CT5": 56, "CT6": 72}, "ha.vhxh", now)
    return draft(org, plan_id, now)


def test_a_report_is_submitted_and_approved_by_command_and_listed_with_its_state(cli, drafted):
    code, out = cli("review", "submit", str(drafted), "--as", "lan.vp")
    assert code == 0, out
    assert f"Báo cáo #{drafted}: trình duyệt — trạng thái mới «đã trình, chờ duyệt»" in out
    code, out = cli("review", "approve", str(drafted), "--as", "hung.cvp")
    assert code == 0 and "«đã duyệt, chờ ký»" in out
    code, out = cli("review", "list", "1")
    assert code == 0 and "Sơ kết" in out and "Quý IV/2026" in out and "đã duyệt, chờ ký" in out


def test_a_decision_not_allowed_is_refused_in_vietnamese_naming_the_report(cli, drafted):
    code, out = cli("review", "approve", str(drafted), "--as", "hung.cvp")
    assert code == 1
    assert f"Không thể «duyệt» báo cáo sơ kết #{drafted} khi đang ở trạng thái «dự thảo»" in out
    code, out = cli("review", "return", str(drafted), "--as", "hung.cvp")
    assert code == 1 and "Không thể «trả lại»" in out
    code, out = cli("review", "submit", "99", "--as", "lan.vp")
    assert code == 1 and "Không có báo cáo sơ kết, tổng kết «99»" in out


def test_review_show_prints_each_targets_result_and_writes_the_unnumbered_draft(cli, drafted, tmp_path):
    path = tmp_path / "du-thao.docx"
    code, out = cli("review", "show", str(drafted), "--docx", str(path))
    assert code == 0, out
    assert "giảm 0,6% (còn 1,5%)" in out and "Đạt" in out and "«dự thảo»" in out
    text = "\n".join(p.text for p in Document(io.BytesIO(path.read_bytes())).paragraphs)
    assert "BÁO CÁO" in text and "Sơ kết Quý IV/2026" in text


def test_redraft_counts_a_version_and_audit_show_names_the_report(cli, org, drafted, now):
    code, out = cli("review", "redraft", str(drafted), "--as", "lan.vp")
    assert code == 0 and "phiên bản 2" in out, out
    code, out = cli("audit", "show", "1")
    assert code == 0 and "soạn báo cáo sơ kết, tổng kết" in out and f"review={drafted}" in out


def test_plan_update_says_a_cited_plan_is_not_in_the_database(cli, org, plan_data, now, tmp_path):
    import json

    from domain.adapters.yaml_source import dump_yaml
    from tests.test_services import create

    create(org, plan_data, now)
    data = json.loads(json.dumps(plan_data))
    data["implements"] = ["Số 41/KH-UBND ngày 20/01/2026"]
    path = tmp_path / "kh.yaml"
    dump_yaml(path, data)
    code, out = cli("plan", "update", "1", str(path), "--as", "lan.vp")
    assert code == 0, out
    assert "Lưu ý:" in out and "Số 41/KH-UBND ngày 20/01/2026" in out and "chưa liên kết" in out
