"""Two clerks issuing at the same moment never get the same number (SQLite, several processes or threads)."""
import multiprocessing as mp
import threading
from concurrent.futures import ThreadPoolExecutor
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


def test_numbers_drawn_from_eight_threads_of_one_process_at_once_have_no_duplicates_and_no_gaps(db_url):
    with SqlUnitOfWork(db_url) as uow:
        uow.bodies.upsert(Body(id="UBND-HB", name="Ủy ban nhân dân phường Hòa Bình", abbr="UBND"))
        uow.commit()
    start = threading.Barrier(8)

    def draw_in_thread(_):
        start.wait(timeout=30)
        numbers = []
        for _ in range(PER_PROCESS):
            with SqlUnitOfWork(db_url) as uow:
                numbers.append(uow.register.next_number("UBND-HB", "2026"))
                uow.commit()
        return numbers

    with ThreadPoolExecutor(max_workers=8) as pool:
        drawn = [n for numbers in pool.map(draw_in_thread, range(8)) for n in numbers]
    assert sorted(drawn) == list(range(1, 8 * PER_PROCESS + 1))


def _writer(uow: SqlUnitOfWork):
    """The process's write lock on the unit of work's database (see db._WriterConnection)."""
    return uow.session.connection().connection.dbapi_connection.writer


def test_the_write_lock_a_transaction_takes_is_free_again_after_commit_rollback_or_an_error(db_url):
    with SqlUnitOfWork(db_url) as uow:
        uow.bodies.upsert(Body(id="UBND-HB", name="Ủy ban nhân dân phường Hòa Bình", abbr="UBND"))
        writer = _writer(uow)
        assert writer._lock.locked()  # the transaction holds it
        uow.commit()
        assert not writer._lock.locked()
    with SqlUnitOfWork(db_url) as uow:  # left without commit: rolled back
        uow.register.next_number("UBND-HB", "2026")
        assert writer._lock.locked()
    assert not writer._lock.locked()
    try:
        with SqlUnitOfWork(db_url) as uow:
            uow.register.next_number("UBND-HB", "2026")
            raise KeyError("a failure halfway")
    except KeyError:
        pass
    assert not writer._lock.locked()
    with SqlUnitOfWork(db_url) as uow:  # and the numbers rolled back were not used
        assert uow.register.next_number("UBND-HB", "2026") == 1


def test_a_writer_thread_waits_for_the_one_holding_the_lock_and_then_sees_its_work(db_url):
    with SqlUnitOfWork(db_url) as uow:
        uow.bodies.upsert(Body(id="UBND-HB", name="Ủy ban nhân dân phường Hòa Bình", abbr="UBND"))
        uow.commit()
    holding, drawn = threading.Event(), []

    def second_clerk():
        holding.wait(timeout=30)
        with SqlUnitOfWork(db_url) as uow:
            drawn.append(uow.register.next_number("UBND-HB", "2026"))
            uow.commit()

    clerk = threading.Thread(target=second_clerk)
    clerk.start()
    with SqlUnitOfWork(db_url) as uow:
        first = uow.register.next_number("UBND-HB", "2026")
        holding.set()
        clerk.join(timeout=0.3)
        assert clerk.is_alive() and drawn == []  # it waits for this transaction
        uow.commit()
    clerk.join(timeout=30)
    assert (first, drawn) == (1, [2])


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
