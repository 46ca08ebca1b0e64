"""Two clerks issuing at the same moment never get the same number (SQLite, several processes)."""
import multiprocessing as mp
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.adapters.db import SqlUnitOfWork
from domain.adapters.yaml_source import load_yaml
from domain.model.org import Body

PER_PROCESS = 40
PLANS_PER_PROCESS = 6
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def draw(url: str, out) -> None:
    numbers = []
    for _ in range(PER_PROCESS):
        with SqlUnitOfWork(url) as uow:
            numbers.append(uow.register.next_number("UBND-HB", "2026"))
            uow.commit()
    out.put(numbers)


def test_numbers_drawn_from_four_processes_at_once_have_no_duplicates_and_no_gaps(db_url):
    with SqlUnitOfWork(db_url) as uow:
        uow.bodies.upsert(Body(id="UBND-HB", name="Ủy ban nhân dân phường Hòa Bình", abbr="UBND"))
        uow.commit()
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    workers = [ctx.Process(target=draw, args=(db_url, out)) for _ in range(4)]
    for w in workers:
        w.start()
    drawn = [n for _ in workers for n in out.get(timeout=120)]
    for w in workers:
        w.join(timeout=60)
    assert sorted(drawn) == list(range(1, 4 * PER_PROCESS + 1))


def fake_render(doc) -> bytes:
    return ("DOCX:" + doc.number_line + doc.title).encode()


def issue_plans(url: str, start, out) -> None:
    """One clerk's afternoon: draft, submit, approve and issue plans, each the whole service path."""
    from domain.services import plans

    now = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    data = load_yaml(EXAMPLES / "plan.yaml")
    start.wait(timeout=60)
    issued = []
    for _ in range(PLANS_PER_PROCESS):
        with SqlUnitOfWork(url) as uow:
            plan_id = plans.create_plan(uow=uow, data=data, source="plan.yaml", actor="lan.vp", now=now)
        for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
            with SqlUnitOfWork(url) as uow:
                plans.decide(uow=uow, plan_id=plan_id, action=action, actor=actor, now=now)
        with SqlUnitOfWork(url) as uow:
            doc_id = plans.issue_plan(uow=uow, plan_id=plan_id, actor="tam.pct", now=now, render=fake_render)
            issued.append(uow.documents.get(doc_id).number)
    out.put(issued)


def test_plans_issued_from_four_processes_at_once_take_every_number_once_and_the_trail_holds(org, db_url):
    from domain.services import audit

    ctx = mp.get_context("spawn")
    out, start = ctx.Queue(), ctx.Event()
    workers = [ctx.Process(target=issue_plans, args=(db_url, start, out)) for _ in range(4)]
    for w in workers:
        w.start()
    start.set()
    issued = [n for _ in workers for n in out.get(timeout=300)]
    for w in workers:
        w.join(timeout=60)
    total = 4 * PLANS_PER_PROCESS
    assert sorted(issued) == list(range(1, total + 1))
    with SqlUnitOfWork(db_url) as uow:
        docs = uow.documents.all()
        assert sorted(d.number for d in docs) == list(range(1, total + 1))
        assert {d.reference for d in docs} == {f"{n:02d}/KH-UBND" for n in range(1, total + 1)}
        assert uow.register.last_number("UBND-HB", "2026") == total
        files = {d.file_name: d.content for d in docs}
        verdict = audit.verify(uow=uow, read_file=files.get)
    assert verdict.ok, verdict.message
