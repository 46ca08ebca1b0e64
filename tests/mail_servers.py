"""Real SMTP servers for the delivery tests (aiosmtpd, in this process), and a plan distributed to
as many recipient bodies as a test needs, set up through the services."""
from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from aiosmtpd.controller import Controller

from domain.adapters.yaml_source import load_yaml
from domain.model.org import Body
from domain.services import delivery, plans
from domain.services.org import load_organisation

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ID_DOMAIN = "hoabinh.example.vn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


class ScriptedHandler:
    """An SMTP server whose answer to each RCPT is chosen by `rule(connection number, address)`:
    None accepts, "stall" waits `stall_seconds` without answering, any other string is the reply.
    Every message it accepts (after DATA) is kept with its envelope recipients."""

    def __init__(self, rule: Callable[[int, str], str | None] = lambda n, a: None, stall_seconds: float = 3.0):
        self.rule = rule
        self.stall_seconds = stall_seconds
        self.accepted: list[tuple[list[str], bytes]] = []
        self.connections = 0
        self._sessions: dict[int, int] = {}
        self._lock = threading.Lock()

    def _connection(self, session) -> int:
        with self._lock:
            if id(session) not in self._sessions:
                self.connections += 1
                self._sessions[id(session)] = self.connections
            return self._sessions[id(session)]

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self._connection(session)
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.rule(self._connection(session), address)
        if answer == "stall":
            await asyncio.sleep(self.stall_seconds)
            return "451 4.4.2 Timeout"  # the client has long gone
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.accepted.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self._lock:
            return [parse(raw)["Message-ID"] for _, raw in self.accepted]


@contextmanager
def smtp_server(handler, **smtp_parameters) -> Iterator[int]:
    """Run `handler` on 127.0.0.1 at a free port for the duration of the block; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="test-smtp",
                            ready_timeout=10, **smtp_parameters)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("condition not met in time")
        time.sleep(0.01)


# --- data ------------------------------------------------------------------------------------------

def recipient_bodies(count: int) -> list[Body]:
    """`count` bodies with Vietnamese names and their own addresses."""
    return [Body(id=f"CH-{i:03d}", name=f"Chi hội Phụ nữ tổ dân phố số {i}",
                 email=f"chihoi{i:03d}@hoabinh.example.vn") for i in range(1, count + 1)]


def fake_render(doc) -> bytes:
    return ("DOCX:" + doc.number_line + doc.title).encode()


def distributed_plan(uow_factory, now, *, extra_recipients: int = 0, render=fake_render,
                     email_of: dict[str, str] | None = None) -> tuple[int, int]:
    """The example organisation and plan, approved, issued and distributed: (plan id, document id).

    `extra_recipients` more bodies are added to the plan's nơi nhận; `email_of` overrides addresses.
    """
    with uow_factory() as uow:
        load_organisation(uow=uow, data=load_yaml(EXAMPLES / "org.yaml"), source="org.yaml", actor="system",
                          now=now)
    extra = recipient_bodies(extra_recipients)
    with uow_factory() as uow:
        for body in extra:
            uow.bodies.upsert(body)
        for body_id, address in (email_of or {}).items():
            body = uow.bodies.get(body_id)
            uow.bodies.upsert(Body(**{**body.__dict__, "email": address}))
        uow.commit()
    data = load_yaml(EXAMPLES / "plan.yaml")
    data["recipients"] = list(data["recipients"]) + [{"body": b.id} for b in extra]
    with uow_factory() as uow:
        plan_id = plans.create_plan(uow=uow, data=data, source="plan.yaml", actor="lan.vp", now=now)
    for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
        with uow_factory() as uow:
            plans.decide(uow=uow, plan_id=plan_id, action=action, actor=actor, now=now)
    with uow_factory() as uow:
        document_id = plans.issue_plan(uow=uow, plan_id=plan_id, actor="tam.pct", now=now, render=render)
    with uow_factory() as uow:
        delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN)
    return plan_id, document_id


def rows(uow_factory, plan_id: int, kind: str | None = "distribution") -> list[dict]:
    """The plan's outbox rows (of a kind) as plain dicts."""
    with uow_factory() as uow:
        return [r.model_dump() for r in uow.outbox.for_plan(plan_id) if kind is None or r.kind == kind]
