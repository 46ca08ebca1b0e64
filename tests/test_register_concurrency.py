"""Two clerks drawing numbers at the same moment never get the same one (SQLite, several processes)."""
import multiprocessing as mp

from domain.adapters.db import SqlUnitOfWork
from domain.model.org import Body

PER_PROCESS = 40


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
