"""Delivering the outbox as plain functions: the body of deliver-mail's tasks, without Prefect.

The tasks in lifecycle.py wrap these (adding retries with back-off and the run's records); a
script, a cron job or a test runs the very same code: `python -m flows.outbox` sends every pending
row once, in chunks, and exits 3 if a transient failure left some for later.
"""
from __future__ import annotations

import sys
import time

from domain.model.mail import TransientMailError
from domain.services import delivery
from flows import runtime


def pending_ids(plan_id: int | None = None) -> list[int]:
    """The outbox rows still to send (pending, or left "sending" by a crash)."""
    with runtime.uow() as uow:
        return delivery.pending(uow=uow, plan_id=plan_id)


PROGRESS_EVERY = 1.0  # seconds: progress is reported at most this often, and when the last row is done
_reported = [float("-inf")]  # when progress was last reported (time.monotonic())


def send_rows(ids: list[int], *, done_before: int = 0, total: int | None = None) -> dict:
    """Send outbox rows over one SMTP connection, marking each; see `delivery.deliver`.

    Progress goes to `runtime.progress` once a second, not once a row: a listener may cost
    a call to Prefect's server (the progress artifact), which would cost more than a message.
    """
    total = len(ids) if total is None else total
    done = [done_before]

    def advance(n: int) -> None:
        done[0] += n
        moment = time.monotonic()
        if done[0] >= total or moment - _reported[0] >= PROGRESS_EVERY:
            _reported[0] = moment
            runtime.progress("mail", done[0], total)

    with runtime.smtp() as sender:
        result = delivery.deliver(uow_factory=runtime.uow, ids=ids, sender=sender, render=runtime.render_mail,
                                  mail_from=runtime.settings().mail_from, now=runtime.now, on_progress=advance)
    return result.__dict__


def chunks(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def main() -> int:  # pragma: no cover - run by tests in a subprocess
    runtime.ensure_schema()
    ids = pending_ids()
    size = runtime.settings().outbox_batch_size
    totals = {"sent": 0, "failed": 0, "skipped": 0, "postponed": 0}
    try:
        for i, chunk in enumerate(chunks(ids, size)):
            for key, value in send_rows(chunk, done_before=i * size, total=len(ids)).items():
                totals[key] += value
    except TransientMailError as exc:
        print(f"postponed: {exc}", file=sys.stderr)
        return 3
    print(totals)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
