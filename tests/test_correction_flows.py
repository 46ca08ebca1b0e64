"""Slow: corrections, replacements and withdrawals through the real commands, which record the decision and
then run the deliver-mail (or issue-plan) flow under Prefect's test harness against a local SMTP server."""
from __future__ import annotations

import copy
import email
import email.policy
from datetime import timedelta

import pytest

import flows.cli  # noqa: F401 - its quiet Prefect defaults (no telemetry) are set before prefect is imported
from domain.adapters.mail import MailSink
from domain.services import plans
from domain.settings import get_settings
from flows import runtime

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def harness():
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120), \
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


class Inbox:
    """The messages the local server received since the last look."""

    def __init__(self, folder) -> None:
        self.folder, self.seen = folder, 0

    def take(self) -> list[email.message.EmailMessage]:
        files = sorted(self.folder.glob("*.eml"))
        new = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files[self.seen:]]
        self.seen = len(files)
        return new


@pytest.fixture
def inbox(harness, cli, monkeypatch, now, tmp_path):
    """The shared `cli` with a mail server and the clock a day after the plans were drafted."""
    with MailSink(tmp_path / "mail") as sink:
        monkeypatch.setenv("KEHOACH_SMTP_HOST", sink.host)
        monkeypatch.setenv("KEHOACH_SMTP_PORT", str(sink.port))
        monkeypatch.setattr(runtime, "now", lambda: now + timedelta(days=1))
        get_settings.cache_clear()
        yield Inbox(tmp_path / "mail")
    get_settings.cache_clear()


def approved(uow_factory, data, now) -> int:
    with uow_factory() as uow:
        plan_id = plans.create_plan(uow=uow, data=data, source="plan.yaml", actor="lan.vp", now=now)
    for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
        with uow_factory() as uow:
            plans.decide(uow=uow, plan_id=plan_id, action=action, actor=actor, now=now)
    return plan_id


def recipients_of(messages, kind_subject: str) -> list[str]:
    return sorted(m["To"].addresses[0].addr_spec for m in messages if m["Subject"].startswith(kind_subject))


def attachment(message) -> tuple[str, bytes]:
    (part,) = message.iter_attachments()
    return part.get_filename(), part.get_content()


def stored(uow_factory, reference):
    with uow_factory() as uow:
        doc = plans.find_document(uow, reference)
        return doc.file_name, doc.content


def test_correcting_replacing_and_withdrawing_from_the_command_line_mail_every_body_that_received_the_plan(
        org, plan_data, now, cli, inbox, docs_dir):
    approved(org, plan_data, now)
    code, out = cli("plan", "issue", "1", "--as", "tam.pct")
    assert code == 0, out
    distributed = recipients_of(inbox.take(), "Phát hành Kế hoạch số 01/KH-UBND")
    assert len(distributed) == 10

    code, out = cli("document", "correct", "01/KH-UBND", "--as", "hoa.vt", "--at", "Mục II, chỉ tiêu (4)",
                    "--was", "giảm 0,5%/năm", "--now", "giảm 1%/năm")
    assert code == 0, out
    assert "Đã đính chính 01/KH-UBND bằng Công văn số 02/UBND" in out and "Đã gửi 10 thư" in out
    letters = inbox.take()
    assert recipients_of(letters, "Đính chính Kế hoạch số 01/KH-UBND") == distributed
    assert {attachment(m) for m in letters} == {stored(org, "02/UBND")}
    code, out = cli("mail", "send")
    assert code == 0 and inbox.take() == []  # nothing twice

    # replaced from `document correct --replace-with`: the new plan goes to a smaller list
    data = copy.deepcopy(plan_data)
    data["title"] += " (thay thế)"
    data["recipients"] = [r for r in data["recipients"] if r.get("body") not in ("CA-HB", "HCCB-HB")]
    second = approved(org, data, now)
    code, out = cli("document", "correct", "01/KH-UBND", "--replace-with", str(second), "--as", "tam.pct")
    assert code == 0, out
    assert "03/KH-UBND" in out
    messages = inbox.take()
    to_bodies = [m for m in messages if m["To"].addresses[0].addr_spec in distributed]
    assert sorted(m["To"].addresses[0].addr_spec for m in to_bodies) == distributed  # each once
    assert {attachment(m) for m in to_bodies} == {stored(org, "03/KH-UBND")}
    assert recipients_of(to_bodies, "Kế hoạch số 03/KH-UBND thay thế Kế hoạch số 01/KH-UBND") == [
        "congan@hoabinh.example.vn", "cuuchienbinh@hoabinh.example.vn"]
    written = docs_dir / stored(org, "03/KH-UBND")[0]
    code, out = cli("verify", str(written))
    assert code == 0 and "đúng là văn bản 03/KH-UBND" in out
    code, out = cli("register", "--year", "2026")
    assert code == 0 and "đã bị thay thế" in out

    # replaced from `plan issue --replaces`
    third = approved(org, plan_data, now)
    code, out = cli("plan", "issue", str(third), "--as", "tam.pct", "--replaces", "03/KH-UBND")
    assert code == 0, out
    messages = inbox.take()
    new_file = stored(org, "04/KH-UBND")
    assert {attachment(m) for m in messages if m["To"].addresses[0].addr_spec in distributed} == {new_file}
    assert recipients_of(messages, "Phát hành Kế hoạch số 04/KH-UBND") == distributed
    assert recipients_of(messages, "Kế hoạch số 04/KH-UBND thay thế") == []  # all of 03's bodies are on 04's list
    code, out = cli("plan", "issue", str(third), "--as", "tam.pct", "--replaces", "03/KH-UBND")
    assert code == 1 and inbox.take() == []

    code, out = cli("document", "withdraw", "04/KH-UBND", "--as", "tam.pct", "--reason", "Ban hành chưa đúng thẩm quyền")
    assert code == 0, out
    withdrawn = inbox.take()
    assert recipients_of(withdrawn, "Thu hồi Kế hoạch số 04/KH-UBND") == distributed
    assert all(not list(m.iter_attachments()) for m in withdrawn)
    code, out = cli("mail", "send")
    assert code == 0 and inbox.take() == []


def test_replacing_with_a_plan_not_yet_approved_or_an_unknown_number_is_refused_and_draws_no_number(
        org, plan_data, now, cli, inbox):
    approved(org, plan_data, now)
    assert cli("plan", "issue", "1", "--as", "tam.pct")[0] == 0
    inbox.take()
    with org() as uow:
        draft = plans.create_plan(uow=uow, data=plan_data, source="plan.yaml", actor="lan.vp", now=now)
    code, out = cli("document", "correct", "01/KH-UBND", "--replace-with", str(draft), "--as", "tam.pct")
    assert code == 1 and "Lỗi:" in out
    second = approved(org, plan_data, now)
    code, out = cli("plan", "issue", str(second), "--as", "tam.pct", "--replaces", "09/KH-UBND")
    assert code == 1 and "09/KH-UBND" in out
    code, out = cli("document", "correct", "01/KH-UBND", "--replace-with", str(second), "--as", "hoa.vt")
    assert code == 1 and "hoa.vt" in out
    with org() as uow:
        assert [d.reference for d in uow.documents.all()] == ["01/KH-UBND"]
        assert uow.plans.get(second).state == "approved"
    assert inbox.take() == []


def test_documents_write_puts_back_a_missing_archive_file_and_refuses_to_overwrite_an_altered_one(
        org, plan_data, now, cli, inbox, docs_dir):
    import hashlib

    approved(org, plan_data, now)
    code, out = cli("plan", "issue", "1", "--as", "tam.pct")
    assert code == 0, out
    name, original = stored(org, "01/KH-UBND")
    (docs_dir / name).unlink()

    code, out = cli("documents", "write")
    assert code == 0, out
    assert "đã ghi 1 tệp từ cơ sở dữ liệu, 0 tệp đã có sẵn đúng nội dung" in out and f"đã ghi: {name}" in out
    assert (docs_dir / name).read_bytes() == original
    code, out = cli("documents", "write", "--plan", "1")
    assert code == 0 and "đã ghi 0 tệp từ cơ sở dữ liệu, 1 tệp đã có sẵn đúng nội dung" in out

    (docs_dir / name).write_bytes(original + b"sua")
    code, out = cli("documents", "write", "--plan", "1")
    assert code == 1
    assert "KHÔNG ghi đè 1 tệp" in out and f"«{name}» (SHA-256 của bản đã ban hành: " \
        f"{hashlib.sha256(original).hexdigest()})" in out
    assert (docs_dir / name).read_bytes() == original + b"sua"
    code, out = cli("documents", "write", "--plan", "99")
    assert code == 1 and "Không có kế hoạch «99»" in out
