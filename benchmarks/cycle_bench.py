"""One full reporting cycle through the real flows, for 200 and for 2,000 units, and how it scales.

    .venv/bin/python benchmarks/cycle_bench.py [--units 200 2000] [--keep DIR] [--profile]

One process, a throw-away folder and Prefect server (`prefect_test_harness`), a local SMTP sink in a
process of its own (benchmarks/mail_bench.py's SinkProcess). Per size N, a new SQLite database is
filled through the services, not timed: the example organisation plus N units (each with an e-mail
address and a reporter), the example plan with its tasks shared among the N units (each unit
executes one task and reports its targets), submitted, approved, issued (the real .docx) and
distributed (its mail sent by a warm-up deliver-mail flow). Then the cycle, timed step by step:

1. `open-reporting-period` (2026-Q4): the request for reports numbered, each unit's copy with its own
   form rendered (.docx), archived and mailed: N messages with attachments to the sink.
   The request's number is drawn by one task, the copies by one task per chunk of units.
2. `receive-reports`: nine units in ten report (one task per chunk of units); the same batch sent
   again (a retried delivery) records nothing: each unit already says this (checked, not timed).
3. `send-reminders`: the others are reminded (one task per chunk of units), by mail, each with its own
   form attached again.
4. the sơ kết: `review-plan` rolls every target up into the draft BÁO CÁO, the drafter submits it, the
   approver approves it (the services, with their notices), `issue-review` numbers it, renders its
   .docx (chart and annex) and mails it to the plan's recipients with the notices.

Prints each step's time, the total per size, and the ratio of the largest size's total to the
smallest's (linear scaling from 200 to 2,000 units is a ratio of 10). Task runs are counted from
Prefect's server at the end of each size, to show that no step runs one task per unit.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

PERIOD = "2026-Q4"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@dataclass
class SizeResult:
    units: int
    steps: dict[str, float] = field(default_factory=dict)
    messages: int = 0
    task_runs: int = 0

    @property
    def total(self) -> float:
        return sum(self.steps.values())


def unit_ids(n: int) -> list[str]:
    return [f"KDC-{i:04d}" for i in range(1, n + 1)]


def organisation(n: int) -> dict:
    from domain.adapters.yaml_source import load_yaml

    data = copy.deepcopy(load_yaml(ROOT / "examples" / "org.yaml"))
    data["bodies"] = list(data["bodies"]) + [
        {"id": u, "name": f"Chi bộ khu dân cư số {i}", "parent": "DU-HB", "email": f"kdc{i}@hoabinh.example.vn"}
        for i, u in enumerate(unit_ids(n), 1)]
    data["users"] = list(data["users"]) + [
        {"id": f"bc.{u.lower()}", "name": f"Người báo cáo {u}", "roles": {u: ["reporter"]}} for u in unit_ids(n)]
    return data


def plan_for(n: int) -> dict:
    """The example plan, its tasks' executing units replaced by the N units, shared in turn."""
    from domain.adapters.yaml_source import load_yaml

    data = copy.deepcopy(load_yaml(ROOT / "examples" / "plan.yaml"))
    tasks = [t for t in data["tasks"] if t.get("targets")]
    for t in data["tasks"]:
        t["executing"] = []
    for i, unit in enumerate(unit_ids(n)):
        tasks[i % len(tasks)]["executing"].append(unit)
    data["tasks"] = [t for t in data["tasks"] if t["executing"]]
    kept = {t["ref"] for t in data["tasks"]}

    def prune(sections):
        for s in sections:
            if "tasks" in s:
                s["tasks"] = [r for r in s["tasks"] if r in kept]
            prune(s.get("subsections", []))
    prune(data["sections"])
    return data


def build(n: int, workdir: Path, sink) -> int:
    """A new database with the organisation and the plan distributed; returns the plan's id."""
    from domain.services import delivery, org, plans
    from domain.settings import get_settings
    from flows import lifecycle, runtime

    os.environ.update({
        "KEHOACH_DATABASE_URL": f"sqlite:///{workdir / 'kehoach.db'}",
        "KEHOACH_DOCUMENTS_DIR": str(workdir / "documents"),
        "KEHOACH_SMTP_HOST": sink.host, "KEHOACH_SMTP_PORT": str(sink.port),
        "KEHOACH_MESSAGE_ID_DOMAIN": "kehoach.local",
    })
    get_settings.cache_clear()
    with runtime.uow() as uow:
        org.load_organisation(uow=uow, data=organisation(n), source="bench", actor="system", now=NOW)
    with runtime.uow() as uow:
        plan_id = plans.create_plan(uow=uow, data=plan_for(n), source="bench", actor="lan.vp", now=NOW)
    for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
        with runtime.uow() as uow:
            plans.decide(uow=uow, plan_id=plan_id, action=action, actor=actor, now=NOW)
    with runtime.uow() as uow:
        plans.issue_plan(uow=uow, plan_id=plan_id, actor="tam.pct", now=NOW, render=runtime.render_docx)
    with runtime.uow() as uow:
        delivery.distribute_plan(uow=uow, plan_id=plan_id, actor="system", now=NOW, id_domain="kehoach.local")
    lifecycle.deliver_mail(plan_id)  # warm-up: the distribution's mail
    return plan_id


def reports_for(plan_id: int, n: int) -> list[dict]:
    """Nine units in ten report their targets' figures (the tenth stays silent, to be reminded): around the
    plan's figure, whole for counts ("mô hình", "người"), at most 100 for a percentage."""
    from domain.model.plan import PlanContent
    from domain.model.report_form import is_count_unit
    from flows import runtime

    def figure(target, i: int) -> float:
        value = (target.value or 1) * (0.9 + (i % 5) / 20)
        if is_count_unit(target.unit):
            return float(round(value))
        return min(value, 100.0) if target.unit == "%" else value

    with runtime.uow() as uow:
        content = PlanContent.from_dict(uow.plans.get(plan_id).content)
    return [{"unit": u, "actor": f"bc.{u.lower()}", "figures": {t.id: figure(t, i) for t in content.targets_for(u)}}
            for i, u in enumerate(unit_ids(n)) if i % 10 != 9]


def review_issued(plan_id: int) -> None:
    """The sơ kết drafted from the roll-up, submitted, approved, then numbered, rendered and mailed."""
    from domain.services import reviews
    from flows import lifecycle, runtime

    review_id = lifecycle.review_plan_flow(plan_id)
    for action, actor in (("submit", "lan.vp"), ("approve", "hung.cvp")):
        with runtime.uow() as uow:
            reviews.decide_review(uow=uow, review_id=review_id, action=action, actor=actor, now=NOW,
                                  id_domain="kehoach.local")
    lifecycle.issue_review_flow(review_id, "tam.pct")


def outbox_state(plan_id: int) -> dict[str, int]:
    """How many of the plan's messages are in each state (sent, pending, failed...)."""
    from flows import runtime

    counts: dict[str, int] = {}
    with runtime.uow() as uow:
        for row in uow.outbox.for_plan(plan_id):
            counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def task_runs_so_far() -> int:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return int(client._client.post("/task_runs/count", json={}).json())


def run_size(n: int, workdir: Path, sink, log) -> SizeResult:
    from flows import lifecycle

    result = SizeResult(n)
    started = time.perf_counter()
    plan_id = build(n, workdir, sink)
    log(f"{n} units: database, organisation and distributed plan built in {time.perf_counter() - started:.1f} s"
        " (not counted)")
    before_mail, before_runs, before_sent = sink.count, task_runs_so_far(), outbox_state(plan_id).get("sent", 0)
    reports = reports_for(plan_id, n)
    steps = (("open period (forms, requests, mail)", lambda: lifecycle.open_reporting_period_flow(plan_id, PERIOD)),
             ("reports submitted", lambda: lifecycle.receive_reports_flow(plan_id, reports, PERIOD)),
             ("reminders (mail)", lambda: lifecycle.send_reminders_flow(plan_id)),
             ("roll-up, review approved and issued (mail)", lambda: review_issued(plan_id)))
    for name, step in steps:
        t0 = time.perf_counter()
        step()
        result.steps[name] = time.perf_counter() - t0
        log(f"  {name}: {result.steps[name]:.2f} s")
        if name == "reports submitted":
            again = lifecycle.receive_reports_flow(plan_id, reports[:50], PERIOD)  # a retried delivery
            if again != 0:
                raise SystemExit(f"{n} units: a batch sent again recorded {again} reports a second time")
    result.messages = sink.count - before_mail
    time.sleep(2)  # task-run records arrive as events after the flows return
    result.task_runs = task_runs_so_far() - before_runs
    state = outbox_state(plan_id)
    sent = state.get("sent", 0) - before_sent
    if set(state) != {"sent"} or result.messages != sent:
        raise SystemExit(f"{n} units: {result.messages} messages arrived, {sent} sent; the outbox holds {state}")
    if sent < n + (n - len(reports)):
        raise SystemExit(f"{n} units: {sent} messages sent, fewer than a request per unit and a reminder per silent one")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[200, 2000], help="sizes to run (200 2000)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--profile", action="store_true", help="profile the largest size (cProfile, top 25)")
    args = parser.parse_args(argv)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from mail_bench import SinkProcess

    saved = {k: v for k, v in os.environ.items() if k.startswith("KEHOACH_")}
    results = []
    with tempfile.TemporaryDirectory(prefix="cycle_bench-") as tmp:
        base = args.keep or Path(tmp)
        started = time.perf_counter()
        try:
            with prefect_test_harness(server_startup_timeout=120), \
                    temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), \
                    SinkProcess(base / "mail") as sink:
                print(f"Prefect's test server and the sink up in {time.perf_counter() - started:.1f} s (not counted)",
                      flush=True)
                warm = base / "warm-up"
                warm.mkdir(parents=True, exist_ok=True)
                run_size(5, warm, sink, lambda line: None)  # the first flows of a process pay for imports: not counted
                print("warm-up cycle of 5 units done (not counted)", flush=True)
                for n in sorted(args.units):
                    workdir = base / f"units-{n}"
                    workdir.mkdir(parents=True, exist_ok=True)
                    if args.profile and n == max(args.units):
                        import cProfile
                        import pstats

                        profiler = cProfile.Profile()
                        profiler.enable()
                        results.append(run_size(n, workdir, sink, lambda line: print(line, flush=True)))
                        profiler.disable()
                        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
                    else:
                        results.append(run_size(n, workdir, sink, lambda line: print(line, flush=True)))
        finally:
            for key in [k for k in os.environ if k.startswith("KEHOACH_")]:
                del os.environ[key]
            os.environ.update(saved)
    for r in results:
        print(f"{r.units} units: {r.total:.2f} s for the cycle ({r.messages} messages, {r.task_runs} task runs)")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        print(f"ratio {large.units} / {small.units} units: {large.total / small.total:.1f}"
              f" (linear: {large.units / small.units:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
