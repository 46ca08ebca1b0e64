"""Slow: the demo's flows run for real under Prefect; the .docx and .eml they produce are checked."""
import email
import hashlib
from email import policy

import pytest
from rich.console import Console

from domain.settings import get_settings
from tests.format_check import format_faults

pytestmark = pytest.mark.slow
DEMO_ENV = ("DATABASE_URL", "DOCUMENTS_DIR", "SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_SSL", "SMTP_USER",
            "SMTP_PASSWORD")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from prefect.testing.utilities import prefect_test_harness

    from flows.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    mp = pytest.MonkeyPatch()
    for key in DEMO_ENV:  # the demo sets these; restore them afterwards
        mp.setenv(f"KEHOACH_{key}", "")
    try:
        with prefect_test_harness(server_startup_timeout=120):
            summary = run_demo(out, Console(file=open(out / "console.txt", "w"), width=120))
    finally:
        mp.undo()
        get_settings.cache_clear()
    return out, summary


def test_the_demo_issues_the_plan_with_the_first_number_of_the_year_and_a_review_report(demo):
    out, summary = demo
    assert summary["number"].startswith("01/KH-UBND")
    refs = [ref for ref, _, _ in summary["documents"]]
    assert refs[1] == "02/UBND"  # the công văn asking for the reports
    assert refs[2].endswith("/BC-UBND")
    assert summary["reports"] == 3
    assert (out / "kehoach.db").is_file()


def test_every_document_the_demo_produced_passes_the_official_format_check(demo):
    out, _ = demo
    files = sorted((out / "documents").glob("*.docx"))
    assert len(files) == len(summary_files(demo)) == 3 + 6  # plan, request, review; six units' copies
    for path in files:
        assert format_faults(path, "state") == {}, path.name


def test_the_local_mail_server_received_one_message_per_outbox_row_each_well_formed(demo):
    out, summary = demo
    emls = sorted((out / "mail").glob("*.eml"))
    sent = summary["sent"]
    assert len(emls) == sent["distribution"] + sent["report_request"] + sent["reminder"] + sent["notices"] == 38
    ids = set()
    for path in emls:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        ids.add(msg["Message-ID"])
        assert msg["Date"] and msg["To"] and not msg["Cc"]
    assert len(ids) == len(emls)  # no message twice


def test_the_distributed_plan_arrives_as_a_vietnamese_named_docx_attachment(demo):
    out, summary = demo
    plan_file = summary["documents"][0][1]
    found = 0
    for path in sorted((out / "mail").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if msg["Subject"].startswith("Phát hành Kế hoạch số 01/KH-UBND"):
            (attachment,) = list(msg.iter_attachments())
            assert attachment.get_filename() == plan_file
            assert attachment.get_content() == (out / "documents" / plan_file).read_bytes()
            found += 1
    assert found == summary["sent"]["distribution"] - 10 == 10  # the other ten carry the sơ kết report


def test_the_review_is_approved_issued_and_mailed_to_the_plans_recipients(demo):
    out, summary = demo
    review_ref, review_file, _ = summary["documents"][2]
    assert summary["reviews"] == [(1, "Sơ kết", "đã phát hành", review_ref)]
    subjects = []
    for path in sorted((out / "mail").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        subjects.append(msg["Subject"])
        if msg["Subject"].startswith(f"Phát hành Báo cáo số {review_ref}"):
            (attachment,) = list(msg.iter_attachments())
            assert attachment.get_filename() == review_file
            assert attachment.get_content() == (out / "documents" / review_file).read_bytes()
    assert sum(s.startswith(f"Phát hành Báo cáo số {review_ref}: Sơ kết") for s in subjects) == 10
    assert any(s.startswith("Đề nghị duyệt dự thảo Báo cáo “Sơ kết") for s in subjects)
    assert any(s.startswith(f"Đã ký ban hành Báo cáo số {review_ref}") for s in subjects)


def test_the_audit_trail_of_the_demo_verifies_and_names_every_issued_file(demo):
    _, summary = demo
    assert summary["audit"].startswith("Chuỗi nhật ký toàn vẹn")
    assert f"{len(summary_files(demo))} tệp đã ban hành khớp SHA-256" in summary["audit"]


def test_each_unit_receives_the_request_with_its_own_copy_of_the_letter_and_form(demo):
    out, summary = demo
    copies = {name: digest for _, name, digest in summary["copies"]}
    received = 0
    for path in sorted((out / "mail").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if msg["Subject"].startswith("Đề nghị báo cáo"):
            (attachment,) = list(msg.iter_attachments())
            name = attachment.get_filename()
            assert hashlib.sha256(attachment.get_content()).hexdigest() == copies.pop(name)
            assert (out / "documents" / name).read_bytes() == attachment.get_content()
            received += 1
    assert received == summary["sent"]["report_request"] == 6 and copies == {}


def summary_files(demo) -> list[str]:
    _, summary = demo
    return [name for _, name, _ in summary["documents"]] + [name for _, name, _ in summary["copies"]]


def test_the_demo_review_reports_what_units_wrote_and_the_clerk_recorded_the_paper_report(demo):
    import json
    import sqlite3
    from contextlib import closing

    from docx import Document

    out, _ = demo
    (path,) = (out / "documents").glob("Báo cáo 03-BC-UBND*.docx")
    document = Document(str(path))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ" in text and "Phụ lục II" in text
    assert "Bộ phận Văn hóa - Xã hội phường (nhiệm vụ 3.2): Thiếu máy tính cho lớp học" in text
    with closing(sqlite3.connect(out / "kehoach.db")) as db:
        rows = db.execute("SELECT actor, data FROM audit_event WHERE action = 'record_report'").fetchall()
    assert [(actor, json.loads(data)["on_behalf_of"]) for actor, data in rows] == [("hoa.vt", "VHXH-HB")]
