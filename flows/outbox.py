"""Delivering the outbox as plain functions: the body of deliver-mail's tasks, without Prefect.

The tasks in lifecycle.py wrap these (adding retries with back-off and the run's records); a
script, a cron job or a test runs the very same code: `python -m flows.outbox` sends every pending
row once, in chunks, and exits 3 if a transient failure left some for later.
"""
from __future__ import annotations

import math
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from domain.model.mail import TransientMailError
from domain.services import delivery as delivery_service
from flows import runtime


def pending_ids(plan_id: int | None = None) -> list[int]:
    """The outbox rows still to send (pending, or left "sending" by a crash)."""
    with runtime.uow() as uow:
        return delivery_service.pending(uow=uow, plan_id=plan_id)


PROGRESS_EVERY = 1.0  # seconds: progress is reported at most this often, and when the last row is done


class _Progress:
    """Rows done in one delivery, over all its chunks, whichever thread sends them.

    Each chunk counts its rows from zero at each attempt (a retried chunk skips what it sent, and
    counts it again), so the sum never exceeds the delivery's rows. Reported to `runtime.progress`
    once a second, not once a row: a listener may cost a call to Prefect's server (the progress
    artifact), which would cost more than a message.
    """

    _lock = threading.Lock()
    _deliveries: dict[str, dict[int, int]] = {}  # delivery -> chunk -> rows done in its current attempt
    _reported = float("-inf")  # when progress was last reported (time.monotonic())

    @classmethod
    def start(cls, delivery: str, chunk: int, total: int):
        with cls._lock:
            counts = cls._deliveries.setdefault(delivery, {})
            counts[chunk] = 0

        def advance(n: int) -> None:
            with cls._lock:
                counts[chunk] += n
                done, moment = sum(counts.values()), time.monotonic()
                due = done >= total or moment - cls._reported >= PROGRESS_EVERY
                if due:
                    cls._reported = moment
                if done >= total:
                    cls._deliveries.pop(delivery, None)
            if due:
                runtime.progress("mail", min(done, total), total)

        return advance


def send_rows(ids: list[int], *, delivery: str = "", chunk: int = 0, total: int | None = None) -> dict:
    """Send outbox rows over one SMTP connection, marking each; see `delivery.deliver`.

    `delivery` names the delivery the rows are chunk `chunk` of (`total` rows in all), for its progress.
    """
    advance = _Progress.start(delivery, chunk, len(ids) if total is None else total)
    with runtime.smtp() as sender:
        result = delivery_service.deliver(uow_factory=runtime.uow, ids=ids, sender=sender,
                                          render=runtime.render_mail, mail_from=runtime.settings().mail_from,
                                          now=runtime.now, lease=runtime.lease(), on_progress=advance)
    return result.__dict__


def chunks(ids: list, size: int, connections: int = 1) -> list[list]:
    """`ids` in order, in chunks of at most `size` whose sizes differ by one at most, as many as a
    multiple of `connections` (so that no connection is left idle while another sends a long tail),
    and never more chunks than ids. Each chunk is a task run, which costs Prefect's server some 30 ms
    of CPU, the price of about ten messages: chunks are as few as that allows."""
    if not ids:
        return []
    connections = max(1, connections)
    count = min(len(ids), -(-math.ceil(len(ids) / max(1, size)) // connections) * connections)
    base, longer = divmod(len(ids), count)
    bounds = [i * base + min(i, longer) for i in range(count + 1)]
    return [ids[start:end] for start, end in zip(bounds, bounds[1:])]


def send_chunks(ids: list[int], submit: Callable[..., Any]) -> dict:
    """Send rows in chunks, up to `smtp_connections` chunks at once, each over a connection of its own.

    `submit(chunk_ids, delivery, chunk, total)` starts one chunk and returns a future (a Prefect
    task's, or a thread pool's) with `add_done_callback` and `result`. A chunk starts as soon as one
    in flight ends, so a slow chunk holds up one connection only. If the server is out of reach (a
    connection-level transient failure, after the chunk's own retries), no further chunk is started,
    those in flight are waited for, and that failure is raised; a 4xx to one address lets the others
    go, and is raised at the end. A crash costs at most one message sent twice per connection open.
    """
    settings = runtime.settings()
    delivery = uuid.uuid4().hex
    totals = {"sent": 0, "failed": 0, "skipped": 0, "postponed": 0}
    postponed: TransientMailError | None = None
    stopped: BaseException | None = None
    waiting = list(enumerate(chunks(ids, settings.outbox_batch_size, settings.smtp_connections)))[::-1]  # next last
    finished: queue.SimpleQueue = queue.SimpleQueue()  # futures of the chunks that have ended, as they end
    in_flight = 0
    while in_flight or (waiting and stopped is None):
        while waiting and stopped is None and in_flight < max(1, settings.smtp_connections):
            chunk, chunk_ids = waiting.pop()
            submit(chunk_ids, delivery, chunk, len(ids)).add_done_callback(finished.put)
            in_flight += 1
        future = finished.get()
        in_flight -= 1
        try:
            for key, value in future.result().items():
                totals[key] += value
        except TransientMailError as exc:
            if exc.per_message:
                postponed = exc
            else:
                stopped = stopped or exc
        except BaseException as exc:  # noqa: BLE001 - raised once the chunks in flight have ended
            stopped = stopped or exc
    if stopped is not None:
        raise stopped
    if postponed is not None:
        raise postponed
    return totals


def main() -> int:  # pragma: no cover - run by tests in a subprocess
    runtime.ensure_schema()
    ids = pending_ids()
    try:
        with ThreadPoolExecutor(max_workers=max(1, runtime.settings().smtp_connections)) as pool:
            totals = send_chunks(ids, lambda *args: pool.submit(_send_chunk, *args))
    except TransientMailError as exc:
        print(f"postponed: {exc}", file=sys.stderr)
        return 3
    print(totals)
    return 0


def _send_chunk(ids: list[int], delivery: str, chunk: int, total: int) -> dict:
    return send_rows(ids, delivery=delivery, chunk=chunk, total=total)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
