"""How fast kehoach e-mails an issued plan, against prefect-email sending one message per task.

    .venv/bin/python benchmarks/mail_bench.py [--recipients 500] [--runs 3] [--attachment-kb 40] [--stock-sink]

One process and a throw-away folder and Prefect server (`prefect_test_harness`); three local SMTP
sinks, each a MailSink (aiosmtpd, every message written and fsync'd before its 250) in a process
of its own, so that no sink shares a sender's GIL. Per run:

1. A new SQLite database, filled through the real services: an organisation (examples/org.yaml
   plus N recipient bodies with Vietnamese names and e-mail addresses), a small plan to three of
   them and the example plan addressed to all N, submitted, approved and issued (the real .docx,
   padded to about 40 KB with an uncompressed part). The small plan is distributed and sent by a
   warm-up deliver-mail flow (not counted); then the plan is queued with `delivery.distribute_plan`.
2. kehoach: the real `deliver-mail` flow (flows.lifecycle.deliver_mail: the outbox rows in
   chunks, one task and one SMTP connection per chunk; each row claimed, composed from the
   database, rendered, sent and marked sent with its audit event) sends the N messages to the
   first sink.
3. prefect-email: the very messages kehoach just sent (subject, text and HTML rendered from
   kehoach's templates *before* the clock starts, so prefect-email's time is sending only; the
   same .docx written to a file under its Vietnamese name, as `email_send_message` takes paths)
   go out with `prefect_email.email_send_message`, one task per message awaited in turn inside an
   async flow as its documentation shows, through an `EmailServerCredentials` block pointing at
   the second sink (SMTPType.INSECURE, the sink's port). The task is async: called from a sync
   flow it returns a coroutine nobody awaits and sends nothing, so the flow is async. A warm-up
   flow of three messages runs before the first timed one (not counted).
4. The sink alone: kehoach's SMTP client (`SmtpSender`, the envelope pipelined) re-sends the bytes
   kehoach sent, pre-rendered, over one connection to the third sink, with no database and no
   rendering: about the most a sender can get out of these sinks (the ceiling).

The sinks offer PIPELINING (RFC 2920), as production mail servers do: kehoach's client sends MAIL,
RCPT and DATA in one write; prefect-email goes through smtplib, which sends one command at a time.

A run is timed from the flow's call until Prefect's server holds the records of every task run the
flow made (Completed): they travel as events after the flow has returned (for 500 tasks, seconds
later), the run is unfinished in the UI until then, and a process that exits earlier loses them.
That complete time gives the headline ratio; the time to the flow's return is shown too. The
median of the runs is reported. Heartbeats are off and Prefect logs at WARNING for both sides.
The sinks' counts are checked, and one message of each side is parsed with the stdlib `email`
package to show what survived.

The sinks read DATA in one piece (`whole_data_sink`): aiosmtpd's own DATA handler reads one line
per event-loop step and caps a sink at about 370 messages/s here, under ten times prefect-email's
complete rate, so the sink, not the senders, would be measured. `--stock-sink` runs aiosmtpd's own.
"""
from __future__ import annotations

import argparse
import asyncio
import email
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXAMPLES = ROOT / "examples"
ID_DOMAIN = "kehoach.local"
MAIL_FROM, MAIL_FROM_NAME = "vanthu@hoabinh.example.vn", "Văn thư UBND phường Hòa Bình"
DRAFTER, APPROVER, SIGNER = "lan.vp", "hung.cvp", "tam.pct"
WARM_UP = 3  # recipients of the warm-up plan; messages in prefect-email's warm-up flow


# --- the scene: database, organisation, issued plans -------------------------------------------

@dataclass
class Scene:
    workdir: Path
    db_url: str
    now: datetime  # the services' clock
    warm_plan_id: int  # a plan to the first WARM_UP recipients, sent by kehoach's warm-up flow
    plan_id: int  # the issued plan to the N recipients, queued just before the timed run
    recipients: list[tuple[str, str]]  # (e-mail, name) of the N bodies


@dataclass
class Batch:
    """One plan queued to its recipients: what each message says, and the attached file."""

    plan_id: int
    file_name: str  # the issued .docx's Vietnamese file name
    content: bytes
    messages: list[dict]  # to, to_name, subject, text, html
    pending: int  # outbox rows of the plan pending (the N messages, and whatever else was queued for it)


def recipient_bodies(n: int) -> list[dict]:
    """N bodies with Vietnamese names and an address each, as an org.yaml lists them."""
    return [{"id": f"TDP-{i:04d}", "name": f"Chi bộ Tổ dân phố số {i} phường Hòa Bình",
             "email": f"tdp{i:04d}@hoabinh.example.vn"} for i in range(1, n + 1)]


def padded(docx: bytes, size: int) -> bytes:
    """The .docx with an uncompressed, unreferenced part added so that it weighs about `size` bytes."""
    missing = size - len(docx) - 200  # about what the zip headers of the new part take
    if missing <= 0:
        return docx
    out = io.BytesIO(docx)
    with zipfile.ZipFile(out, "a") as package:
        filler = (bytes(range(65, 91)) * (missing // 26 + 1))[:missing]
        package.writestr(zipfile.ZipInfo("customXml/padding.xml", date_time=(2026, 1, 1, 0, 0, 0)),
                         b"<!--" + filler + b"-->", compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def build_scene(workdir: Path, n: int, *, attachment_kb: int = 40) -> Scene:
    """Migrate a new database, load the organisation, issue both plans and distribute the small one."""
    from domain.adapters.db import SqlUnitOfWork, migrate
    from domain.adapters.docx_render import render_docx
    from domain.adapters.yaml_source import load_yaml
    from domain.services import plans
    from domain.services.org import load_organisation

    workdir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{(workdir / 'kehoach.db').resolve()}"
    migrate(db_url)
    now = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))

    def uow():
        return SqlUnitOfWork(db_url)

    org = dict(load_yaml(EXAMPLES / "org.yaml"))
    bodies = recipient_bodies(n)
    org["bodies"] = list(org["bodies"]) + bodies
    with uow() as u:
        load_organisation(uow=u, data=org, source="mail_bench", actor="system", now=now)

    def render(doc) -> bytes:
        return padded(render_docx(doc), attachment_kb * 1024)

    def issued(addressed: list[dict]) -> int:
        data = dict(load_yaml(EXAMPLES / "plan.yaml"))
        data["recipients"] = [{"body": b["id"]} for b in addressed] + [{"label": "Lưu: VT, VP"}]
        with uow() as u:
            plan_id = plans.create_plan(uow=u, data=data, source="mail_bench", actor=DRAFTER, now=now)
        for action, actor in (("submit", DRAFTER), ("approve", APPROVER)):
            with uow() as u:
                plans.decide(uow=u, plan_id=plan_id, action=action, actor=actor, now=now)
        with uow() as u:
            plans.issue_plan(uow=u, plan_id=plan_id, actor=SIGNER, now=now, render=render)
        return plan_id

    scene = Scene(workdir=workdir, db_url=db_url, now=now, warm_plan_id=issued(bodies[:WARM_UP]),
                  plan_id=issued(bodies),
                  recipients=[(b["email"], b["name"]) for b in bodies])
    distribute(scene, scene.warm_plan_id)
    return scene


def distribute(scene: Scene, plan_id: int) -> int:
    from domain.adapters.db import SqlUnitOfWork
    from domain.services import delivery

    with SqlUnitOfWork(scene.db_url) as uow:
        return delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="system", now=scene.now,
                                        id_domain=ID_DOMAIN)


def queue_batch(scene: Scene) -> Batch:
    """Queue the plan to its N recipients and keep what each message says (for prefect-email)."""
    from domain.adapters.db import SqlUnitOfWork
    from domain.adapters.mail import render_parts
    from domain.services import delivery

    plan_id = scene.plan_id
    queued = distribute(scene, plan_id)
    if queued != len(scene.recipients):
        raise RuntimeError(f"distribute_plan queued {queued} messages for {len(scene.recipients)} recipients")
    messages = []
    with SqlUnitOfWork(scene.db_url) as uow:
        document = uow.documents.get(uow.plans.get(plan_id).document_id)
        file_name, content = document.file_name, document.content
        pending = delivery.pending(uow=uow, plan_id=plan_id)
        for outbox_id in pending:
            mail = delivery.compose(uow=uow, outbox_id=outbox_id)
            if mail is not None and mail.kind == "distribution":
                subject, text, html = render_parts(mail)
                messages.append({"to": mail.to_email, "to_name": mail.to_name, "subject": subject, "text": text,
                                 "html": html})
    return Batch(plan_id, file_name, content, messages, len(pending))


# --- the sides -----------------------------------------------------------------------------------

@dataclass
class Side:
    """One timed flow (or loop): how long, what it says it sent, what its sink received."""

    seconds: float  # from the flow's call to its return
    sent: int
    received: int
    expected: int
    files: list[Path] = field(default_factory=list)  # what the sink received, in order
    flow_run_id: object = None
    recorded_after: float = 0.0  # seconds Prefect's server took, after the flow returned, to record its task runs
    task_runs: int = 0

    @property
    def complete_seconds(self) -> float:
        """From the flow's call until Prefect's server holds the records of every task run it made."""
        return self.seconds + self.recorded_after

    @property
    def rate(self) -> float:
        """Messages a second, counting until the run's records are in: the headline."""
        return self.received / self.complete_seconds

    @property
    def rate_at_return(self) -> float:
        """Messages a second, counting until the flow returned (its records may still be on their way)."""
        return self.received / self.seconds


class SinkProcess:
    """A MailSink (aiosmtpd) in a process of its own: it shares neither the sender's GIL nor its core.

    `python benchmarks/mail_bench.py --serve-sink DIR [--stock-sink]` prints the port, serves until
    its stdin closes, and writes each message to DIR/NNNN.eml (fsync'd before the 250, as MailSink
    does); the count is that of the files. See `serve_sink` for what `stock` means.
    """

    host = "127.0.0.1"

    def __init__(self, directory: Path, *, stock: bool = False):
        self.directory = Path(directory)
        self.stock = stock
        self.port = 0
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> "SinkProcess":
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(Path(__file__).resolve()), "--serve-sink", str(self.directory)]
        self._process = subprocess.Popen(command + (["--stock-sink"] if self.stock else []), stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)
        line = self._process.stdout.readline()
        if not line.strip().isdigit():
            self._process.kill()
            self._process.wait()
            raise RuntimeError(f"the sink process did not start: {line!r}")
        self.port = int(line)
        return self

    def __exit__(self, *exc) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.stdin.close()  # the sink stops when its stdin closes
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    @property
    def count(self) -> int:
        """Messages received so far (each is renamed into place once written)."""
        return sum(1 for _ in self.directory.glob("*.eml"))


def whole_data_sink():
    """MailSink whose aiosmtpd server reads DATA in one piece.

    aiosmtpd's own DATA handler reads the message one line per event-loop step in Python: a
    40 KB attachment is some 800 lines, and that alone caps the sink at about 370 messages/s on
    these machines, below ten times prefect-email's rate; a sink that slow measures itself, not
    the senders. This one reads what the client sends until the terminating dot, then
    dot-unstuffs it (RFC 5321 4.5.2) as aiosmtpd does: the same bytes reach the same handler.
    """
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import MISSING, SMTP, syntax

    from domain.adapters.mail import MailSink

    class WholeDataSMTP(SMTP):
        @syntax("DATA")
        async def smtp_DATA(self, arg: str) -> None:
            if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
                return
            if not self.envelope.rcpt_tos:
                await self.push("503 Error: need RCPT command")
                return
            if arg:
                await self.push("501 Syntax: DATA")
                return
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            data = bytearray()
            while not (data.endswith(b"\r\n.\r\n") or data == b".\r\n"):
                chunk = await self._reader.read(1 << 16)
                if not chunk:
                    return  # the client went away
                data += chunk
            content = bytes(data[:-3]).replace(b"\r\n..", b"\r\n.")
            if content.startswith(b".."):
                content = content[1:]
            self.envelope.content = self.envelope.original_content = content
            status = await self._call_handler_hook("DATA")
            self._set_post_data_state()
            await self.push("250 OK" if status is MISSING else status)

    class WholeDataController(Controller):
        def factory(self):
            return WholeDataSMTP(self.handler, **self.SMTP_kwargs)

    class WholeDataSink(MailSink):
        controller_class = WholeDataController

    return WholeDataSink


def serve_sink(directory: Path, *, stock: bool = False) -> int:
    """The sink process's body: a MailSink until stdin closes; aiosmtpd's own DATA handler if `stock`,
    else one that reads DATA in one piece (`whole_data_sink`)."""
    from domain.adapters.mail import MailSink

    with (MailSink if stock else whole_data_sink())(directory) as sink:
        print(sink.port, flush=True)
        sys.stdin.read()
    return 0


def configure_kehoach(scene: Scene, sink) -> None:
    """Point kehoach's Settings at the scene's database and the sink (as the demo does)."""
    from domain.settings import get_settings

    os.environ.update({
        "KEHOACH_DATABASE_URL": scene.db_url,
        "KEHOACH_DOCUMENTS_DIR": str(scene.workdir / "documents"),
        "KEHOACH_SMTP_HOST": sink.host, "KEHOACH_SMTP_PORT": str(sink.port),
        "KEHOACH_SMTP_STARTTLS": "false", "KEHOACH_SMTP_SSL": "false", "KEHOACH_SMTP_USER": "",
        "KEHOACH_SMTP_PASSWORD": "", "KEHOACH_MAIL_FROM": MAIL_FROM, "KEHOACH_MAIL_FROM_NAME": MAIL_FROM_NAME,
        "KEHOACH_MESSAGE_ID_DOMAIN": ID_DOMAIN,
    })
    get_settings.cache_clear()


def received_since(sink, before: int) -> list[Path]:
    return sorted(sink.directory.glob("*.eml"))[before:]


def warm_up_kehoach() -> None:
    """Send everything pending: the small plan's distribution and any notices queued while building."""
    from flows.lifecycle import deliver_mail

    deliver_mail()


def run_kehoach(batch: Batch, sink) -> Side:
    """The real deliver-mail flow sending the plan's pending rows (kehoach's settings point at `sink`)."""
    from flows.lifecycle import deliver_mail

    before = sink.count
    start = time.perf_counter()
    state = deliver_mail(batch.plan_id, return_state=True)
    seconds = time.perf_counter() - start
    return Side(seconds, state.result()["sent"], sink.count - before, batch.pending, received_since(sink, before),
                state.state_details.flow_run_id)


def prefect_email_flow(messages: list[dict], credentials, attachment: Path):
    """A flow as a user of prefect-email writes it: one `email_send_message` task per message."""
    from prefect import flow
    from prefect_email import email_send_message

    @flow(name="prefect-email-one-task-per-message")
    async def send_plan() -> int:
        """Send the plan to every recipient, one task per message."""
        for m in messages:
            await email_send_message(
                email_server_credentials=credentials, subject=m["subject"], msg=m["html"], msg_plain=m["text"],
                email_from=f"{MAIL_FROM_NAME} <{MAIL_FROM}>", email_to=f"{m['to_name']} <{m['to']}>",
                attachments=[str(attachment)])
        return len(messages)

    return send_plan


def prefect_email_setup(batch: Batch, sink, folder: Path):
    """(credentials block for the sink, the attachment written under its Vietnamese name)."""
    from prefect_email import EmailServerCredentials, SMTPType

    credentials = EmailServerCredentials(smtp_server=sink.host, smtp_port=sink.port, smtp_type=SMTPType.INSECURE)
    attachment = folder / str(batch.plan_id) / batch.file_name
    attachment.parent.mkdir(parents=True, exist_ok=True)
    attachment.write_bytes(batch.content)
    return credentials, attachment


def warm_up_prefect_email(batch: Batch, sink, folder: Path) -> None:
    credentials, attachment = prefect_email_setup(batch, sink, folder)
    asyncio.run(prefect_email_flow(batch.messages[:WARM_UP], credentials, attachment)())


def run_prefect_email(batch: Batch, sink, folder: Path) -> Side:
    """prefect-email's task, one per message, awaited in turn in an async flow."""
    credentials, attachment = prefect_email_setup(batch, sink, folder)
    send_plan = prefect_email_flow(batch.messages, credentials, attachment)
    before = sink.count
    start = time.perf_counter()
    state = asyncio.run(send_plan(return_state=True))
    seconds = time.perf_counter() - start
    return Side(seconds, state.result(), sink.count - before, len(batch.messages), received_since(sink, before),
                state.state_details.flow_run_id)


def run_sink_alone(batch: Batch, kehoach_files: list[Path], sink) -> Side:
    """kehoach's SMTP client over one connection re-sending the bytes kehoach sent: the sink's ceiling."""
    from domain.adapters.mail import SmtpSender

    payloads = [(m["to"], path.read_bytes()) for m, path in zip(batch.messages, kehoach_files)]
    before = sink.count
    start = time.perf_counter()
    with SmtpSender(host=sink.host, port=sink.port) as sender:
        for to, data in payloads:
            sender.send(mail_from=MAIL_FROM, to=to, message=data)
    seconds = time.perf_counter() - start
    return Side(seconds, len(payloads), sink.count - before, len(payloads))


def wait_for_records(side: Side, *, expected: int, timeout: float = 600.0, stalled: float = 30.0) -> None:
    """Wait until Prefect's server holds the `expected` task runs of the side's flow as Completed.

    A flow's task runs reach the server as events, ingested after the flow has returned; a process
    that exits before that loses them (and the server logs CancelledError tracebacks as it stops).
    The run is complete only then: `side.recorded_after` is how long after the return the last one
    was seen. Should fewer come (the flow changed), the wait ends `stalled` seconds after the last
    one, and `side.task_runs` says how many there were.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (FlowRunFilter, FlowRunFilterId, TaskRunFilter, TaskRunFilterState,
                                                TaskRunFilterStateType)
    from prefect.client.schemas.objects import StateType

    body = {"flow_runs": FlowRunFilter(id=FlowRunFilterId(any_=[side.flow_run_id])).model_dump(mode="json",
                                                                                               exclude_unset=True),
            "task_runs": TaskRunFilter(state=TaskRunFilterState(type=TaskRunFilterStateType(
                any_=[StateType.COMPLETED]))).model_dump(mode="json", exclude_unset=True)}
    start = time.perf_counter()
    done, seen = 0, start
    with get_client(sync_client=True) as client:
        while True:
            response = client.request("POST", "/task_runs/count", json=body)
            response.raise_for_status()
            moment = time.perf_counter()
            if int(response.json()) != done:
                done, seen = int(response.json()), moment
            if done >= expected or moment - seen > stalled or moment - start > timeout:
                break
            time.sleep(0.02)
    side.task_runs, side.recorded_after = done, seen - start


# --- what arrived ----------------------------------------------------------------------------------

def inspect(path: Path, batch: Batch) -> dict:
    """Parse one received message with the stdlib and say which of its parts arrived intact."""
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    name, address = parseaddr(str(msg["From"]))
    attachments = list(msg.iter_attachments())
    file_name = attachments[0].get_filename() if attachments else None

    def nfc(text: str) -> str:
        return unicodedata.normalize("NFC", text)

    return {
        "from": str(msg["From"]),
        "from_ok": address == MAIL_FROM and nfc(name) == MAIL_FROM_NAME,
        "file_name": file_name,
        "file_name_ok": file_name is not None and nfc(file_name) == nfc(batch.file_name),
        "attachment_ok": bool(attachments) and attachments[0].get_content() == batch.content,
        "subject_ok": any(str(msg["Subject"]) == m["subject"] for m in batch.messages),
        "date": msg["Date"] is not None,
        "message_id": msg["Message-ID"] is not None,
        "cc": None if msg["Cc"] is None else str(msg["Cc"]),
    }


def describe(path: Path, batch: Batch) -> list[str]:
    seen = inspect(path, batch)
    ok = {True: "intact", False: "MANGLED"}
    return [
        f"    one message ({path.parent.name}/{path.name}) parsed with the stdlib email package:",
        f"      From:       {seen['from']!r} ({ok[seen['from_ok']]})",
        f"      attachment: {seen['file_name']!r} ({ok[seen['file_name_ok']]}),"
        f" bytes {'identical' if seen['attachment_ok'] else 'DIFFERENT'}",
        f"      Subject {ok[seen['subject_ok']]}; Date: {'yes' if seen['date'] else 'MISSING'};"
        f" Message-ID: {'yes' if seen['message_id'] else 'MISSING'}"
        + (f"; Cc: {seen['cc']!r} (none was asked for)" if seen["cc"] is not None else ""),
    ]


# --- the run ---------------------------------------------------------------------------------------

@dataclass
class Result:
    scenes: list[Scene] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)
    kehoach: list[Side] = field(default_factory=list)
    prefect_email: list[Side] = field(default_factory=list)
    sink_alone: list[Side] = field(default_factory=list)
    stock_sink: bool = False  # the sinks ran aiosmtpd's own DATA handler


def kehoach_task_runs(batch: Batch) -> int:
    """The task runs deliver-mail makes for the batch: the pending rows, then one per chunk."""
    from domain.settings import get_settings
    from flows.outbox import chunks

    settings = get_settings()
    return 1 + len(chunks(list(range(batch.pending)), settings.outbox_batch_size, settings.smtp_connections))


def run(workdir: Path, n: int, *, runs: int = 1, attachment_kb: int = 40, prefect_email: bool = True,
        stock_sink: bool = False, log=lambda line: None) -> Result:
    """Per run, a new scene (database) and a warm-up, then the sides in turn; inside the caller's Prefect server.

    Each run starts from a new database, so every run measures the same situation. Each side sends
    to its own sink, each sink in a process of its own.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from domain.settings import get_settings

    result = Result(stock_sink=stock_sink)
    saved = {k: v for k, v in os.environ.items() if k.startswith("KEHOACH_")}
    mail, attachments = workdir / "mail", workdir / "attachments"
    try:
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), \
                SinkProcess(mail / "kehoach", stock=stock_sink) as ours, \
                SinkProcess(mail / "prefect-email", stock=stock_sink) as theirs, \
                SinkProcess(mail / "sink-alone", stock=stock_sink) as bare:
            for i in range(1, runs + 1):
                start = time.perf_counter()
                scene = build_scene(workdir / f"run{i}", n, attachment_kb=attachment_kb)
                result.scenes.append(scene)
                configure_kehoach(scene, ours)
                warm_up_kehoach()
                batch = queue_batch(scene)
                result.batches.append(batch)
                log(f"run {i}: database, organisation and plans built, warm-up sent, {len(batch.messages)}"
                    f" messages queued in {time.perf_counter() - start:.1f} s")
                side = run_kehoach(batch, ours)
                wait_for_records(side, expected=kehoach_task_runs(batch))
                result.kehoach.append(side)
                log(f"run {i}: kehoach {side.rate:.1f}/s complete ({side.rate_at_return:.1f}/s at the flow's return)")
                if prefect_email:
                    if i == 1:
                        warm_up_prefect_email(batch, theirs, attachments)
                    side = run_prefect_email(batch, theirs, attachments)
                    wait_for_records(side, expected=len(batch.messages))
                    result.prefect_email.append(side)
                    log(f"run {i}: prefect-email {side.rate:.1f}/s complete ({side.rate_at_return:.1f}/s at the"
                        " flow's return)")
                result.sink_alone.append(run_sink_alone(batch, result.kehoach[-1].files, bare))
    finally:
        for key in [k for k in os.environ if k.startswith("KEHOACH_")]:
            del os.environ[key]
        os.environ.update(saved)
        get_settings.cache_clear()
    return result


def median(sides: list[Side], rate=lambda side: side.rate) -> float:
    return statistics.median(rate(side) for side in sides)


WHY_COMPLETE = ("A run counts until Prefect's server holds the records of every task run it made: they travel"
                " as events after the flow has returned, the UI shows the run unfinished until then, and a"
                " process that exits earlier loses them.")


def summary(result: Result) -> tuple[list[str], bool]:
    """The printed report, and whether every message arrived on every side."""
    n, runs, batch = len(result.scenes[-1].recipients), len(result.kehoach), result.batches[-1]
    lines = [f"{n} recipients, subject «{batch.messages[0]['subject'][:70]}…»,",
             f"attachment «{batch.file_name}» ({len(batch.content) / 1024:.1f} KB);"
             f" warm-up flows first (not counted), then {runs} timed run(s) per side, in turn;"
             " each side sends to its own sink in a process of its own (aiosmtpd, "
             + ("its own DATA handler)" if result.stock_sink else "DATA read in one piece)")]
    complete = True
    for name, sides in (("kehoach deliver-mail (one task per chunk)", result.kehoach),
                        ("prefect-email (one task per message)", result.prefect_email),
                        ("the sink alone (kehoach's SMTP client, one connection, pre-rendered bytes)", result.sink_alone)):
        if not sides:
            continue
        if sides[-1].flow_run_id is None:
            lines.append(f"{name}: median {median(sides, lambda s: s.rate_at_return):.1f} messages/s"
                         f" ({', '.join(f'{s.received} in {s.seconds:.2f} s' for s in sides)}): the sink's ceiling")
        else:
            lines.append(f"{name}:")
            lines.append(f"    complete, until its {sides[-1].task_runs} task runs were recorded: median"
                         f" {median(sides):.1f} messages/s"
                         f" ({', '.join(f'{s.received} in {s.complete_seconds:.2f} s' for s in sides)})")
            lines.append(f"    at the flow's return: median {median(sides, lambda s: s.rate_at_return):.1f}"
                         f" messages/s ({', '.join(f'{s.received} in {s.seconds:.2f} s' for s in sides)});"
                         f" the records came {statistics.median(s.recorded_after for s in sides):.2f} s later"
                         " (median)")
        lines.append(f"    the sink received {sum(s.received for s in sides)} of {sum(s.expected for s in sides)}"
                     f" (sent, by the sender's count: {sum(s.sent for s in sides)})")
        complete &= all(s.received == s.expected == s.sent for s in sides)
        if sides[-1].files:
            lines += describe(sides[-1].files[-1], batch)
    return lines, complete


def ratios(result: Result) -> list[str]:
    """The comparison: complete rates (the headline), rates at the flows' return, the sink's ceiling."""
    ours, theirs = median(result.kehoach), median(result.prefect_email)
    at_return = [median(sides, lambda side: side.rate_at_return) for sides in (result.kehoach, result.prefect_email)]
    ceiling = median(result.sink_alone, lambda side: side.rate_at_return)
    return [
        f"the sink's ceiling: {ceiling:.1f} messages/s; against it no sender can show more than"
        f" {ceiling / theirs:.1f}× prefect-email's complete rate",
        f"at the flows' return (records still on their way): kehoach {at_return[0]:.1f}/s, prefect-email"
        f" {at_return[1]:.1f}/s, {at_return[0] / at_return[1]:.1f}×",
        WHY_COMPLETE,
        f"kehoach delivers {ours / theirs:.1f}× the rate of prefect-email (one task per message), each run"
        f" counted until its records were in: kehoach {ours:.1f}/s, prefect-email {theirs:.1f}/s",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=500, help="recipient bodies, one message each (500)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side; the median is reported (3)")
    parser.add_argument("--attachment-kb", type=int, default=40, help="size of the issued .docx (40 KB)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--stock-sink", action="store_true",
                        help="sinks with aiosmtpd's own DATA handler (one line at a time; about 370 messages/s here)")
    parser.add_argument("--serve-sink", type=Path, help=argparse.SUPPRESS)  # the sink process (SinkProcess)
    args = parser.parse_args(argv)
    if args.serve_sink:
        return serve_sink(args.serve_sink, stock=args.stock_sink)
    # Before prefect is imported: telemetry causes "database is locked" and DNS errors in the
    # logs, and every task run would print two INFO lines.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    try:
        import prefect_email  # noqa: F401
    except ImportError:
        print("prefect-email is not installed, so there is nothing to compare with. Install it with:\n"
              "    .venv/bin/pip install -e '.[bench]'", file=sys.stderr)
        return 2
    from prefect.testing.utilities import prefect_test_harness

    with tempfile.TemporaryDirectory(prefix="mail_bench-") as tmp:
        started = time.perf_counter()
        with prefect_test_harness(server_startup_timeout=120):
            print(f"Prefect's test server (prefect_test_harness) up in {time.perf_counter() - started:.1f} s"
                  " (not counted)")
            result = run(args.keep or Path(tmp), args.recipients, runs=args.runs, attachment_kb=args.attachment_kb,
                         stock_sink=args.stock_sink, log=lambda line: print(line, flush=True))
        lines, complete = summary(result)
        print("\n".join(lines))
    if not complete:
        print("not every message arrived: no ratio", file=sys.stderr)
        return 1
    print("\n".join(ratios(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
