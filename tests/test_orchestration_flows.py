"""Slow: the orchestration runs for real under Prefect's test harness (a real API server in a
subprocess) against a local SMTP server; a season of one plan, from the first decision to the
overdue lists, is played on a fake clock and the messages the server received are checked."""
from __future__ import annotations

import email
import email.policy
import importlib.metadata
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.adapters.mail import MailSink
from domain.settings import get_settings
from flows import runtime
from tests.conftest import EXAMPLES, HCM

pytestmark = pytest.mark.slow
TITLE = "Thực hiện công tác dân vận chính quyền và phong trào thi đua “Dân vận khéo” năm 2026"


class Clock:
    """runtime.now() of the flows under test."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 23, 9, 30, tzinfo=HCM)

    def set(self, month: int, day: int, hour: int = 7, year: int = 2026) -> None:
        self.at = datetime(year, month, day, hour, 30, tzinfo=HCM)

    def __call__(self) -> datetime:
        return self.at


class Inbox:
    """What the local SMTP server received, step by step."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen = 0
        self.steps: dict[str, list[email.message.EmailMessage]] = {}

    def take(self, step: str) -> list[email.message.EmailMessage]:
        files = sorted(self.folder.glob("*.eml"))
        new = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files[self.seen:]]
        self.seen = len(files)
        self.steps[step] = new
        return new

    def all(self) -> list[email.message.EmailMessage]:
        return [m for messages in self.steps.values() for m in messages]


@pytest.fixture(scope="module")
def harness():
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120), \
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@pytest.fixture(scope="module")
def world(harness, tmp_path_factory):
    """A database, an archive folder, a mail server and a clock for the flows (undone afterwards)."""
    worlds = []

    def make(name: str):
        out = tmp_path_factory.mktemp(name)
        sink = MailSink(out / "mail")
        sink.start()
        mp = pytest.MonkeyPatch()
        mp.setenv("KEHOACH_DATABASE_URL", f"sqlite:///{out / 'kehoach.db'}")
        mp.setenv("KEHOACH_DOCUMENTS_DIR", str(out / "documents"))
        mp.setenv("KEHOACH_SMTP_HOST", sink.host)
        mp.setenv("KEHOACH_SMTP_PORT", str(sink.port))
        clock = Clock()
        mp.setattr(runtime, "now", clock)
        get_settings.cache_clear()
        runtime.ensure_schema()
        worlds.append((sink, mp))
        return clock, Inbox(out / "mail"), out

    yield make
    for sink, mp in worlds:
        sink.stop()
        mp.undo()
    get_settings.cache_clear()


def cli(*args: str) -> tuple[int, str]:
    from flows.cli import app

    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split())


def load_example_organisation() -> None:
    from domain.adapters.yaml_source import load_yaml
    from domain.services.org import load_organisation

    with runtime.uow() as uow:
        load_organisation(uow=uow, data=load_yaml(EXAMPLES / "org.yaml"), source="org.yaml", actor="system",
                          now=runtime.now())


def issued_plan() -> int:
    """The example plan created, submitted, approved and issued through the commands."""
    plan = create_plan()
    for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
        cli("plan", action, str(plan), "--as", actor)
    cli("plan", "issue", str(plan), "--as", "tam.pct")
    return plan


def create_plan(actor: str = "lan.vp") -> int:
    from domain.adapters.yaml_source import load_yaml
    from domain.services import plans

    with runtime.uow() as uow:
        return plans.create_plan(uow=uow, data=load_yaml(EXAMPLES / "plan.yaml"), source="plan.yaml", actor=actor,
                                 now=runtime.now())


def report(plan_id: int, unit: str, user: str, figures: dict) -> None:
    from domain.services import reporting

    with runtime.uow() as uow:
        reporting.submit_report(uow=uow, plan_id=plan_id, unit=unit, figures=figures, actor=user, now=runtime.now(),
                                period_key="2026-Q4")


def subjects(messages) -> list[str]:
    return [m["Subject"] for m in messages]


def addressed(messages) -> list[str]:
    return sorted(m["To"].addresses[0].addr_spec for m in messages)


# --- a season of one plan ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def season(world):
    from flows import lifecycle

    clock, inbox, _ = world("season")
    load_example_organisation()
    plan = create_plan()
    results = {"submit": cli("plan", "submit", str(plan), "--as", "lan.vp")}
    inbox.take("submit")
    results["approve"] = cli("plan", "approve", str(plan), "--as", "hung.cvp")
    inbox.take("approve")
    results["issue"] = cli("plan", "issue", str(plan), "--as", "tam.pct")
    inbox.take("issue")
    results["open"] = lifecycle.open_due_periods_flow()
    inbox.take("open")
    results["open again"] = lifecycle.open_due_periods_flow()
    inbox.take("open again")
    report(plan, "MTTQ-HB", "minh.mttq", {"CT1": 1, "CT2": 100, "CT3": 90})
    report(plan, "HLHPN-HB", "thu.pn", {"CT1": 1})
    clock.set(12, 14)
    results["sweep 14/12"] = lifecycle.daily_sweep_flow()
    inbox.take("sweep 14/12")
    clock.set(12, 15)
    results["serve once 15/12"] = cli("serve", "--once")
    inbox.take("serve once 15/12")
    clock.set(12, 15, hour=16)
    results["serve once 15/12 again"] = cli("serve", "--once")
    inbox.take("serve once 15/12 again")
    clock.set(12, 18)
    results["sweep 18/12"] = lifecycle.daily_sweep_flow()
    inbox.take("sweep 18/12")
    return plan, results, inbox


def test_a_decision_command_records_it_and_its_flow_mails_the_next_person(season):
    _, results, inbox = season
    assert results["submit"][0] == 0 and "trạng thái mới «đã trình, chờ duyệt»" in results["submit"][1]
    assert "Đã gửi 1 thư báo." in results["submit"][1]
    (request,) = inbox.steps["submit"]
    assert request["To"].addresses[0].addr_spec == "hung.cvp@hoabinh.example.vn"
    assert request["Subject"] == f"Đề nghị duyệt dự thảo Kế hoạch “{TITLE}”"
    (approved,) = inbox.steps["approve"]
    assert approved["To"].addresses[0].display_name == "Nguyễn Thị Tâm"
    assert "kehoach plan issue 1 --as tam.pct" in approved.get_body(("plain",)).get_content()


def test_issuing_mails_the_plan_to_every_recipient_and_the_clerk_once(season):
    _, results, inbox = season
    assert results["issue"][0] == 0 and "01/KH-UBND" in results["issue"][1]
    messages = inbox.steps["issue"]
    kinds = sorted(m["Subject"].split(" Kế hoạch")[0] for m in messages)
    assert kinds == ["Phát hành"] * 10 + ["Đã ký ban hành"]
    (clerk,) = [m for m in messages if m["Subject"].startswith("Đã ký ban hành")]
    assert clerk["To"].addresses[0].display_name == "Lê Thị Hoa"
    assert len(list(clerk.iter_attachments())) == 1


def test_open_due_periods_opens_the_current_quarter_once_and_sends_each_unit_its_request(season):
    _, results, inbox = season
    assert results["open"]["period"] == "2026-Q4" and results["open"]["plans"] == 1
    assert subjects(inbox.steps["open"]) == ["Đề nghị báo cáo Quý IV/2026 thực hiện Kế hoạch số 01/KH-UBND"] * 6
    assert results["open again"]["plans"] == 0 and inbox.steps["open again"] == []


def test_before_the_reminder_window_the_sweep_only_asks_the_recipients_to_confirm_receipt(season):
    _, results, inbox = season
    swept = results["sweep 14/12"]
    assert (swept["reminders"], swept["overdue"], swept["receipt_reminders"]) == (0, 0, 10)
    assert set(subjects(inbox.steps["sweep 14/12"])) == {"Đề nghị xác nhận đã nhận Kế hoạch số 01/KH-UBND"}


def test_serve_once_opens_the_next_quarter_and_reminds_the_units_late_for_this_one(season):
    _, results, inbox = season
    code, out = results["serve once 15/12"]
    assert code == 0 and "Mở kỳ báo cáo 2027-Q1: 1 kế hoạch" in out and "nhắc 4 đơn vị" in out
    messages = inbox.steps["serve once 15/12"]
    assert sorted(set(subjects(messages))) == [
        "Nhắc báo cáo Quý IV/2026 thực hiện Kế hoạch số 01/KH-UBND",
        "Đề nghị báo cáo Quý I/2027 thực hiện Kế hoạch số 01/KH-UBND",
    ]
    reminded = [m for m in messages if m["Subject"].startswith("Nhắc")]
    assert addressed(reminded) == sorted(["vhxh@hoabinh.example.vn", "congan@hoabinh.example.vn",
                                          "doanthanhnien@hoabinh.example.vn", "cuuchienbinh@hoabinh.example.vn"])


def test_running_the_sweeps_twice_the_same_day_sends_nothing_twice(season):
    _, results, inbox = season
    assert results["serve once 15/12 again"][0] == 0
    assert inbox.steps["serve once 15/12 again"] == []
    ids = [m["Message-ID"] for m in inbox.all()]
    assert len(ids) == len(set(ids))


def test_after_the_deadline_the_advisory_body_and_each_late_unit_receive_one_overdue_list(season):
    _, results, inbox = season
    messages = [m for m in inbox.steps["sweep 18/12"] if m["Subject"].startswith("Quá hạn")]
    assert results["sweep 18/12"]["overdue"] == 5 == len(messages)
    assert set(subjects(messages)) == {"Quá hạn báo cáo Quý IV/2026 thực hiện Kế hoạch số 01/KH-UBND"}
    assert len(inbox.steps["sweep 18/12"]) == 5 + 10  # and the receipt reminders, three working days on
    (office,) = [m for m in messages if m["To"].addresses[0].addr_spec == "vanphong@hoabinh.example.vn"]
    text = office.get_body(("plain",)).get_content()
    assert "Các cơ quan, đơn vị chưa gửi báo cáo (4):" in text and "quá hạn 1 ngày làm việc" in text


def test_the_mail_steps_left_a_finished_progress_artifact_on_their_runs(season):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["kehoach-mail"])))
    assert artifacts and max(float(a.data) for a in artifacts) == 100.0
    assert all(a.description == "Gửi thư" for a in artifacts)


def test_prefects_real_api_server_answers_its_own_client_with_the_pinned_fastapi(harness):
    from prefect.client.orchestration import get_client

    version = tuple(int(x) for x in importlib.metadata.version("fastapi").split(".")[:2])
    assert version < (0, 151)  # README, "Prefect": from 0.151 the server refuses the client's `null`s
    with get_client(sync_client=True) as client:  # the harness runs the real server in a subprocess
        assert client.api_healthcheck() is None
        assert isinstance(client.read_artifacts(), list)  # sends "limit": null, "sort": null


# --- a failed run shows its error and a retry finishes without repeating what succeeded ---------------

def retry(flow, state):
    """What `prefect flow-run retry ID --entrypoint …` does for a run without a deployment."""
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Scheduled

    with get_client(sync_client=True) as client:
        run_id = state.state_details.flow_run_id
        client.set_flow_run_state(run_id, Scheduled(), force=True)
        flow_run = client.read_flow_run(run_id)
    return run_flow(flow, flow_run=flow_run, parameters=flow_run.parameters, return_type="state")


def run_state(state):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).state


def test_a_failed_issue_run_is_retried_without_drawing_a_second_number_or_mailing_twice(world, monkeypatch):
    from domain.services import delivery, plans
    from flows import lifecycle

    _, inbox, _ = world("issue-retry")
    load_example_organisation()
    plan = create_plan()
    for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
        with runtime.uow() as uow:
            plans.decide(uow=uow, plan_id=plan, action=action, actor=actor, now=runtime.now())
    lifecycle.notify_approvals_flow(plan)
    inbox.take("decisions")
    real = delivery.distribute_plan

    def broken(**kwargs):
        raise RuntimeError("mất kết nối cơ sở dữ liệu")

    monkeypatch.setattr(delivery, "distribute_plan", broken)
    failed = lifecycle.issue_plan_flow(plan, "tam.pct", return_state=True)
    assert failed.is_failed() and "mất kết nối cơ sở dữ liệu" in run_state(failed).message
    assert inbox.take("failed") == []
    monkeypatch.setattr(delivery, "distribute_plan", real)

    retried = retry(lifecycle.issue_plan_flow, failed)
    assert retried.is_completed()
    with runtime.uow() as uow:
        references = [d.reference for d in uow.documents.for_plan(plan)]
        registers = [e for e in uow.audit.events(plan) if e.action == "register"]
    assert references == ["01/KH-UBND"] and len(registers) == 1
    messages = inbox.take("retried")
    assert len(messages) == 10 + 1  # the plan to its ten recipients, and the clerk's notice
    refused = lifecycle.issue_plan_flow(plan, "tam.pct", return_state=True)  # a new run is a new signing
    assert refused.is_failed() and "đã ban hành với số 01/KH-UBND" in run_state(refused).message


def test_a_sweep_that_fails_on_one_plan_names_it_and_its_retry_mails_each_message_once(world, monkeypatch):
    from domain.services import reporting
    from flows import lifecycle

    clock, inbox, _ = world("sweep-retry")
    load_example_organisation()
    plan_ids = [issued_plan(), issued_plan()]
    lifecycle.open_due_periods_flow()
    inbox.take("set-up")
    clock.set(12, 18)
    real = reporting.follow_up_overdue

    def fails_for_the_second_plan(**kwargs):
        if kwargs["plan_id"] == plan_ids[1]:
            raise RuntimeError("sự cố khi đọc kế hoạch")
        return real(**kwargs)

    monkeypatch.setattr(reporting, "follow_up_overdue", fails_for_the_second_plan)
    failed = lifecycle.daily_sweep_flow(return_state=True)
    message = run_state(failed).message
    assert failed.is_failed()
    assert f"1 kế hoạch chưa xử lý xong (#{plan_ids[1]}: sự cố khi đọc kế hoạch)" in message
    assert inbox.take("failed") == []  # the mail waits in the outbox for the retry
    monkeypatch.setattr(reporting, "follow_up_overdue", real)

    assert retry(lifecycle.daily_sweep_flow, failed).is_completed()
    messages = inbox.take("retried")
    overdue = [m for m in messages if m["Subject"].startswith("Quá hạn")]
    assert len(overdue) == 2 * (1 + 6)  # per plan: the office's list and the six late units
    assert len(messages) == len(overdue) + 2 * 10  # and each plan's ten recipients asked to confirm receipt
    assert len({m["Message-ID"] for m in messages}) == len(messages)
    assert lifecycle.daily_sweep_flow()["sent"] == 0 and inbox.take("again") == []


def test_opening_a_period_runs_a_task_per_chunk_of_units_retries_a_failed_chunk_and_a_rerun_completes_a_cut_short_one(
        world, monkeypatch):
    from domain.services import reporting
    from flows import lifecycle

    _, inbox, _ = world("open-chunks")
    load_example_organisation()
    plan_ids = [issued_plan(), issued_plan()]
    inbox.take("set-up")
    monkeypatch.setattr(lifecycle, "UNITS_PER_TASK", 2)  # six units: three chunks
    chunks, real_copies, real_render = [], reporting.issue_request_copies, runtime.render_docx
    failures = {"CA-HB": 1}

    def recorded(**kwargs):
        chunks.append(list(kwargs["units"]))
        return real_copies(**kwargs)

    def fails_for_ca(doc) -> bytes:
        if doc.file_stem.endswith(" - CA-HB") and failures["CA-HB"] > 0:
            failures["CA-HB"] -= 1
            raise OSError("ổ đĩa lưu trữ tạm thời không ghi được")
        return real_render(doc)

    monkeypatch.setattr(reporting, "issue_request_copies", recorded)
    monkeypatch.setattr(runtime, "render_docx", fails_for_ca)

    def state_of(plan):
        with runtime.uow() as uow:
            letters = [d.reference for d in uow.documents.for_plan(plan) if d.kind == "report_request"]
            copies = sorted(c.recipient_id for c in uow.document_copies.for_plan(plan))
            return letters, copies

    # a chunk failing once is retried by Prefect; the opening completes in the same run
    assert lifecycle.open_reporting_period_flow(plan_ids[0], "2026-Q4")["sent"] == 6
    assert [len(c) for c in chunks] == [2, 2, 2, 2] and chunks[1] == chunks[2]  # the second chunk, twice
    letters, copies = state_of(plan_ids[0])
    assert len(letters) == 1 and len(copies) == 6
    first = inbox.take("opened with a retried chunk")
    assert len(first) == 6 and len({m["To"].addresses[0].addr_spec for m in first}) == 6

    # a run cut short in its second chunk (no retry left): the re-run completes it with the same letter
    chunks.clear()
    failures["CA-HB"] = 1
    monkeypatch.setattr(lifecycle, "issue_copies", lifecycle.issue_copies.with_options(retries=0))
    failed = lifecycle.open_reporting_period_flow(plan_ids[1], "2026-Q4", return_state=True)
    assert failed.is_failed() and "ổ đĩa lưu trữ tạm thời không ghi được" in run_state(failed).message
    letters, copies = state_of(plan_ids[1])
    assert len(letters) == 1 and len(copies) == 2 and inbox.take("cut short") == []
    assert lifecycle.open_reporting_period_flow(plan_ids[1], "2026-Q4")["sent"] == 6
    assert state_of(plan_ids[1]) == (letters, sorted(copies + ["CA-HB", "HLHPN-HB", "DTN-HB", "HCCB-HB"]))
    assert chunks == [chunks[0], ["CA-HB", "HLHPN-HB"], ["CA-HB", "HLHPN-HB"], ["DTN-HB", "HCCB-HB"]]
    again = inbox.take("re-run")
    assert len(again) == 6 and len({m["To"].addresses[0].addr_spec for m in again}) == 6
