"""Two deliveries at once never both send a row: a row "sending" is signed by the process sending it
(the lease), and another delivery takes it over only once that process has ended or its claim has
run out."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from domain.adapters import processes
from domain.adapters.mail import MailSink
from domain.model.mail import Lease
from domain.services import delivery
from tests.mail_servers import distributed_plan, parse, rows
from tests.test_delivery_outbox import Clock, deliver

ROOT = Path(__file__).resolve().parents[1]


def claimed_elsewhere(uow_factory, outbox_id, now, holder: str) -> None:
    """Another delivery claims the row, as its deliver() does before sending it."""
    with uow_factory() as uow:
        assert delivery.claim(uow=uow, outbox_id=outbox_id, now=now, lease=Lease(holder=holder)) is not None


def test_a_row_another_living_delivery_is_sending_is_left_to_it(uow_factory, now, tmp_path):
    plan_id, _ = distributed_plan(uow_factory, now)
    first, *others = [r["id"] for r in rows(uow_factory, plan_id)]
    claimed_elsewhere(uow_factory, first, now, "elsewhere:1:1")

    with MailSink(tmp_path / "mail") as sink:
        result = deliver(uow_factory, [first, *others], sink.port, Clock(now + timedelta(seconds=5)),
                         lease=Lease(holder="here:2:2", gone=lambda holder: False))

    assert (result.sent, result.skipped) == (len(others), 1)
    assert sink.count == len(others)
    (held,) = [r for r in rows(uow_factory, plan_id) if r["id"] == first]
    assert (held["status"], held["attempts"]) == ("sending", 1)


def test_a_row_left_sending_by_a_process_that_has_ended_is_sent_at_once(uow_factory, now, tmp_path):
    plan_id, _ = distributed_plan(uow_factory, now)
    first = rows(uow_factory, plan_id)[0]["id"]
    claimed_elsewhere(uow_factory, first, now, "crashed:1:1")

    with MailSink(tmp_path / "mail") as sink:
        result = deliver(uow_factory, [first], sink.port, Clock(now + timedelta(seconds=5)),
                         lease=Lease(holder="here:2:2", gone=lambda holder: holder == "crashed:1:1"))

    assert (result.sent, sink.count) == (1, 1)
    assert rows(uow_factory, plan_id)[0]["attempts"] == 2


def test_a_row_left_sending_longer_than_the_lease_is_sent_again_though_its_holder_cannot_be_seen(
        uow_factory, now, tmp_path):
    plan_id, _ = distributed_plan(uow_factory, now)
    first = rows(uow_factory, plan_id)[0]["id"]
    claimed_elsewhere(uow_factory, first, now, "other-machine:1:1")
    lease = Lease(holder="here:2:2", seconds=600)

    with MailSink(tmp_path / "mail") as sink:
        early = deliver(uow_factory, [first], sink.port, Clock(now + timedelta(seconds=590)), lease=lease)
        late = deliver(uow_factory, [first], sink.port, Clock(now + timedelta(seconds=601)), lease=lease)

    assert (early.skipped, late.sent, sink.count) == (1, 1, 1)


def test_a_process_is_gone_once_it_has_ended_and_not_before():
    me = processes.this_process()
    assert me.startswith(f"{os.uname().nodename}:{os.getpid()}:")
    assert not processes.gone(me)
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        start = processes._start_time(child.pid)
        holder = f"{os.uname().nodename}:{child.pid}:{start}"
        assert not processes.gone(holder)
        assert processes.gone(f"{os.uname().nodename}:{child.pid}:{start}0")  # another process under that pid
    finally:
        child.communicate()
    assert processes.gone(holder)
    assert not processes.gone(f"another-host:{child.pid}:{start}")  # cannot be seen from here: the lease decides


@pytest.mark.slow
def test_two_deliveries_started_at_once_send_each_of_300_recipients_one_message(
        uow_factory, db_url, now, tmp_path):
    plan_id, _ = distributed_plan(uow_factory, now, extra_recipients=290)
    expected = {r["email"] for r in rows(uow_factory, plan_id)}

    with MailSink(tmp_path / "mail") as sink:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEHOACH_")}
        env.update(KEHOACH_DATABASE_URL=db_url, KEHOACH_SMTP_HOST=sink.host, KEHOACH_SMTP_PORT=str(sink.port),
                   KEHOACH_OUTBOX_BATCH_SIZE="20", PYTHONPATH=str(ROOT))
        both = [subprocess.Popen([sys.executable, "-m", "flows.outbox"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
        outputs = [process.communicate(timeout=180)[0].decode() for process in both]
        assert [process.returncode for process in both] == [0, 0], outputs

    received = Counter()
    for path in (tmp_path / "mail").glob("*.eml"):
        (to,) = parse(path.read_bytes())["To"].addresses
        received[to.addr_spec] += 1
    assert {address: received[address] for address in expected} == {address: 1 for address in expected}, outputs
    assert {r["status"] for r in rows(uow_factory, plan_id)} == {"sent"}
