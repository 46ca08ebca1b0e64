"""Slow: the deliver-mail flow under Prefect (its test harness) against an SMTP server that first
defers every recipient (451), then stops answering past the client's time-out, then accepts: the
chunk's task retries with back-off and, in the end, every message is delivered exactly once and
none failed. And through `kehoach mail send`: a 550 for one address fails that row only, with the
server's reply, which `kehoach mail list --failed` shows."""
from __future__ import annotations

from collections import Counter

import pytest
from typer.testing import CliRunner

from domain.settings import get_settings
from tests.mail_servers import ScriptedHandler, distributed_plan, rows, smtp_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def harness():
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120), \
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@pytest.fixture
def settings(monkeypatch, db_url, tmp_path):
    """Point kehoach at the test database; `settings(port)` at an SMTP server (small time-out and back-off,
    one connection at a time: the server's script numbers its connections in the order they come)."""
    def point(port: int) -> None:
        for key, value in {"DATABASE_URL": db_url, "DOCUMENTS_DIR": str(tmp_path / "documents"),
                           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_TIMEOUT": "0.5",
                           "MAIL_RETRY_DELAYS": "[0.2, 0.2, 0.2]", "COMMAND_MAIL_RETRY_DELAYS": "[0.2]",
                           "OUTBOX_BATCH_SIZE": "6",
                           "SMTP_CONNECTIONS": "1"}.items():
            monkeypatch.setenv(f"KEHOACH_{key}", value)
        get_settings.cache_clear()

    yield point
    get_settings.cache_clear()


def test_deferred_then_timed_out_then_accepted_every_message_arrives_once_and_none_failed(harness, settings,
                                                                                         uow_factory, now):
    from flows import lifecycle
    from flows.outbox import chunks

    plan_id, _ = distributed_plan(uow_factory, now)
    # connection 1 defers every recipient; 2 and 3 (emails reconnects once by itself) stop answering;
    # from the 4th on, the server accepts
    handler = ScriptedHandler(lambda n, address: ("451 4.3.2 Please try again later" if n == 1
                                                  else "stall" if n in (2, 3) else None), stall_seconds=1.5)
    with smtp_server(handler) as port:
        settings(port)
        totals = lifecycle.deliver_mail(plan_id)

    outbox = rows(uow_factory, plan_id, kind=None)  # the distribution and the decisions' notices
    assert totals["failed"] == 0 and totals["sent"] + totals["skipped"] >= len(outbox)
    assert Counter(r["status"] for r in outbox) == {"sent": len(outbox)}
    assert Counter(handler.message_ids()) == Counter({r["message_id"]: 1 for r in outbox})
    assert handler.connections >= 4
    first = len(chunks(outbox, 6)[0])  # the rows of the first chunk (at most 6)
    assert len(outbox) > first
    assert outbox[0]["attempts"] == 3  # deferred, timed out, accepted
    assert all(r["attempts"] == 2 for r in outbox[1:first])  # deferred, accepted (the stall came before them)
    assert all(r["attempts"] == 1 for r in outbox[first:])


def test_mail_send_fails_only_the_refused_address_and_mail_list_shows_the_servers_reply(harness, settings,
                                                                                       uow_factory, now):
    from flows.cli import app

    plan_id, _ = distributed_plan(uow_factory, now)
    refused = "550 5.1.1 <congan@hoabinh.example.vn>: Recipient address rejected: User unknown"
    handler = ScriptedHandler(lambda n, address: refused if address == "congan@hoabinh.example.vn" else None)
    runner = CliRunner()
    with smtp_server(handler) as port:
        settings(port)
        result = runner.invoke(app, ["mail", "send"], env={"COLUMNS": "300"})
    out = " ".join(result.output.split())
    outbox = rows(uow_factory, plan_id, kind=None)
    assert result.exit_code == 0, out
    assert f"Đã gửi {len(outbox) - 1} thư; 1 thư không gửi được." in out and "kehoach mail list --failed" in out
    assert Counter(r["status"] for r in outbox) == {"sent": len(outbox) - 1, "failed": 1}

    result = runner.invoke(app, ["mail", "list", "--failed"], env={"COLUMNS": "300"})
    out = " ".join(result.output.split())
    assert "Công an phường Hòa Bình <congan@hoabinh.example.vn>" in out
    assert "SMTP 550 5.1.1 <congan@hoabinh.example.vn>: Recipient address rejected: User unknown" in out
    assert out.count("không gửi được") == 1


def test_a_command_a_person_waits_for_retries_a_deferring_server_once_and_leaves_the_mail_queued(
        harness, settings, uow_factory, now):
    from domain.model.mail import TransientMailError
    from flows import lifecycle
    from flows.cli import app

    plan_id, _ = distributed_plan(uow_factory, now)
    handler = ScriptedHandler(lambda n, address: "451 4.3.2 Please try again later")
    with smtp_server(handler) as port:
        settings(port)
        result = CliRunner().invoke(app, ["mail", "send"], env={"COLUMNS": "300"})
        waited = rows(uow_factory, plan_id, kind=None)
        with pytest.raises(TransientMailError):
            lifecycle.deliver_mail(plan_id)  # unattended, as a deployment runs it

    out = " ".join(result.output.split())
    assert result.exit_code == 3, out
    assert "kehoach mail send" in out
    assert {(r["status"], r["attempts"]) for r in waited} == {("pending", 2)}  # tried, retried once
    assert {(r["status"], r["attempts"]) for r in rows(uow_factory, plan_id, kind=None)} == {("pending", 6)}
