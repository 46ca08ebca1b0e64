"""The command line on a real SQLite file: only the commands that run no Prefect flow
(decisions, plan list, audit show, audit verify). The data is set up through the services."""
from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from domain.adapters import files
from domain.services import plans


def fake_render(doc) -> bytes:
    return ("DOCX:" + doc.number_line + doc.title).encode()


@pytest.fixture
def cli(cli, monkeypatch):
    """The shared `cli` (tests/conftest.py), without the notification flow after a decision."""
    monkeypatch.setattr("flows.cli._notify", lambda plan: None)  # no flow here: see test_orchestration_flows.py
    return cli


@pytest.fixture
def submitted(org, plan_data, now):
    """Plan #1 of the example, created and submitted by lan.vp."""
    with org() as uow:
        plan_id = plans.create_plan(uow=uow, data=plan_data, source="plan.yaml", actor="lan.vp", now=now)
    with org() as uow:
        plans.decide(uow=uow, plan_id=plan_id, action="submit", actor="lan.vp", now=now)
    assert plan_id == 1
    return plan_id


@pytest.fixture
def issued(org, submitted, now, docs_dir):
    """Plan #1 approved, issued by tam.pct, its file written to the documents folder."""
    with org() as uow:
        plans.decide(uow=uow, plan_id=submitted, action="approve", actor="hung.cvp", now=now)
    with org() as uow:
        plans.issue_plan(uow=uow, plan_id=submitted, actor="tam.pct", now=now, render=fake_render)
    with org() as uow:
        files.write_files(docs_dir, plans.issued_files(uow=uow))
    return submitted


def state(org, plan_id: int) -> str:
    with org() as uow:
        return uow.plans.get(plan_id).state


def test_a_drafter_approving_is_refused_in_vietnamese_and_the_plan_stays_submitted(cli, org, submitted):
    code, out = cli("plan", "approve", "1", "--as", "lan.vp")
    assert code == 1
    assert "Lỗi:" in out and "lan.vp" in out and "không có vai trò" in out and "«duyệt»" in out
    assert state(org, submitted) == "submitted"


def test_returning_without_a_reason_is_refused_and_asks_for_one(cli, org, submitted):
    code, out = cli("plan", "return", "1", "--as", "hung.cvp")
    assert code == 1
    assert "lý do" in out and "--reason" in out
    assert state(org, submitted) == "submitted"


def test_returning_with_a_reason_records_it(cli, org, submitted):
    code, out = cli("plan", "return", "1", "--as", "hung.cvp", "--reason", "Bổ sung kinh phí")
    assert code == 0, out
    assert "bị trả lại" in out
    assert state(org, submitted) == "returned"
    code, out = cli("audit", "show", "1")
    assert code == 0 and "reason=Bổ sung kinh phí" in out


def test_a_decision_on_a_plan_that_does_not_exist_is_refused(cli, org):
    code, out = cli("plan", "submit", "99", "--as", "lan.vp")
    assert code == 1
    assert "Không có kế hoạch «99»" in out


def test_an_approval_moves_the_plan_and_the_list_shows_its_state(cli, org, submitted):
    code, out = cli("plan", "approve", "1", "--as", "hung.cvp")
    assert code == 0, out
    assert "trạng thái mới «đã duyệt, chờ ký»" in out
    assert state(org, submitted) == "approved"
    code, out = cli("plan", "list")
    assert code == 0
    assert "Thực hiện công tác dân vận" in out and "đã duyệt, chờ ký" in out


def test_the_list_shows_the_register_number_of_an_issued_plan(cli, issued):
    code, out = cli("plan", "list")
    assert code == 0
    assert "01/KH-UBND" in out and "đã ban hành" in out


def test_audit_show_lists_every_step_with_who_did_it(cli, org, issued):
    code, out = cli("audit", "show", "1")
    assert code == 0, out
    rows = ["lan.vp │ trình duyệt │ draft → submitted",
            "hung.cvp │ duyệt │ submitted → approved",
            "tam.pct │ ký ban hành │ approved → issued"]
    positions = [out.find(row) for row in rows]
    assert -1 not in positions, out
    assert positions == sorted(positions)
    assert out.find("lan.vp │ create") < positions[0]
    assert "reference=01/KH-UBND" in out
    assert "load_organisation" not in out  # only this plan's steps


def test_audit_show_names_every_step_in_vietnamese(cli, issued):
    code, out = cli("audit", "show", "1")
    assert code == 0
    assert "│ create │" not in out and "│ register │" not in out


def test_audit_show_of_an_unknown_plan_is_refused(cli, org):
    code, out = cli("audit", "show", "7")
    assert code == 1 and "Không có kế hoạch «7»" in out


def test_audit_verify_passes_on_a_good_trail(cli, issued):
    code, out = cli("audit", "verify")
    assert code == 0, out
    assert "Hợp lệ" in out and "1 tệp" in out


def test_audit_verify_fails_with_exit_2_after_an_event_is_altered(cli, issued, db_url):
    with closing(sqlite3.connect(db_url.removeprefix("sqlite:///"))) as conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET actor='x' WHERE id=3")
        conn.commit()
    code, out = cli("audit", "verify")
    assert code == 2
    assert "Hỏng" in out and "sự kiện #3" in out


def test_audit_verify_fails_with_exit_2_after_an_issued_file_is_altered(cli, issued, docs_dir):
    [path] = list(docs_dir.iterdir())
    path.write_bytes(path.read_bytes() + b" ")
    code, out = cli("audit", "verify")
    assert code == 2
    assert "Hỏng" in out and path.name in out


def test_audit_verify_fails_with_exit_2_when_an_issued_file_is_missing(cli, issued, docs_dir):
    [path] = list(docs_dir.iterdir())
    path.unlink()
    code, out = cli("audit", "verify")
    assert code == 2
    assert "không tìm thấy tệp" in out
