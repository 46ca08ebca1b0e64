"""Slow: the delivery process is killed (SIGKILL) at random points of a 500-recipient distribution,
several times, and restarted until nothing is pending. It runs in a subprocess (`python -m
flows.outbox`: the body of deliver-mail's tasks, without Prefect's start-up) against a real SMTP
server in this process, over CONNECTIONS connections at once as deliver-mail sends. Every recipient
must get its message, under exactly one Message-ID, and the raw duplicates (a kill between the
server's 250 and our mark) are at most one per connection per kill."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from domain.adapters.mail import MailSink
from tests.mail_servers import distributed_plan, parse, rows

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
RECIPIENTS = 500
KILLS = 4
CONNECTIONS = 2  # chunks sent at once, each over its own connection (KEHOACH_SMTP_CONNECTIONS)


def deliverer(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flows.outbox"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def test_killing_the_delivery_at_random_points_still_gives_each_of_500_recipients_exactly_one_message(
        uow_factory, db_url, now, tmp_path):
    plan_id, _ = distributed_plan(uow_factory, now, extra_recipients=RECIPIENTS - 10)
    expected = {r["email"]: r["message_id"] for r in rows(uow_factory, plan_id)}
    assert len(expected) == len(set(expected.values())) == RECIPIENTS
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    log = tmp_path / "deliverer.log"

    with MailSink(tmp_path / "mail") as sink:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEHOACH_")}
        env.update(KEHOACH_DATABASE_URL=db_url, KEHOACH_SMTP_HOST=sink.host, KEHOACH_SMTP_PORT=str(sink.port),
                   KEHOACH_OUTBOX_BATCH_SIZE="50",
                   KEHOACH_SMTP_CONNECTIONS=str(CONNECTIONS), PYTHONPATH=str(ROOT))
        kills = []
        for _ in range(KILLS):
            process = deliverer(env, log)
            target = sink.count + rng.randint(1, 100)  # die once the server has this many more messages
            deadline = time.monotonic() + 60
            while sink.count < target and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.0005)
            time.sleep(rng.uniform(0, 0.004))  # somewhere in the next message's cycle
            assert process.poll() is None, f"the deliverer ended before it was killed (seed {seed}): {log.read_text()}"
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills.append(sink.count)
        for _ in range(3):  # restart until nothing is pending
            process = deliverer(env, log)
            assert process.wait(timeout=120) == 0, log.read_text()
            if all(r["status"] == "sent" for r in rows(uow_factory, plan_id)):
                break

    received = defaultdict(list)  # address -> Message-IDs received for it
    for path in sorted((tmp_path / "mail").glob("*.eml")):
        message = parse(path.read_bytes())
        mid = str(message["Message-ID"]).strip()
        if mid in expected.values():  # the decisions' notices to people share the outbox; not counted here
            (to,) = message["To"].addresses
            received[to.addr_spec].append(mid)
    context = f"(seed {seed}, killed at {kills} messages)"
    assert set(received) == set(expected), context
    assert all(set(mids) == {expected[address]} for address, mids in received.items()), context
    duplicates = sum(len(mids) - 1 for mids in received.values())
    assert duplicates <= KILLS * CONNECTIONS, context
    outbox = rows(uow_factory, plan_id)
    assert Counter(r["status"] for r in outbox) == {"sent": RECIPIENTS}, context
    # every kill stopped a delivery with messages left: the restarts resumed, they did not start over
    assert kills == sorted(kills) and kills[-1] < RECIPIENTS, context
    assert sum(r["attempts"] for r in outbox) - RECIPIENTS <= KILLS * CONNECTIONS, context
