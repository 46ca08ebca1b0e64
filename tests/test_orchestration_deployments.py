"""The deployments: `kehoach serve` (flows/serve.py) and deployments/prefect.yaml declare the same
ones, with the same schedules in Vietnam's time; every stage is a flow named in kebab case."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from prefect import Flow

from flows import lifecycle, serve

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def declared() -> dict[str, dict]:
    data = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text(encoding="utf-8"))
    return {d["name"]: d for d in data["deployments"]}


@pytest.fixture(scope="module")
def served() -> dict:
    return {d.name: d for d in serve.deployments()}


def test_prefect_yaml_declares_exactly_the_deployments_serve_runs(declared, served):
    assert list(declared) == list(served)
    for name, deployment in served.items():
        assert declared[name]["entrypoint"] == deployment.entrypoint == f"flows/lifecycle.py:{serve.FLOWS[name].fn.__name__}"


def test_both_schedule_the_sweeps_alike_in_vietnam_time_and_the_stages_on_demand(declared, served):
    for name, deployment in served.items():
        in_yaml = [(s["cron"], s["timezone"]) for s in declared[name].get("schedules", [])]
        in_serve = [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules]
        assert in_yaml == in_serve, name
    assert {name for name, d in served.items() if d.schedules} == {"daily-sweep", "open-due-periods", "deliver-mail"}
    assert all(s.schedule.timezone == "Asia/Ho_Chi_Minh" for d in served.values() for s in d.schedules)
    assert served["daily-sweep"].schedules[0].schedule.cron == "30 7 * * 1-5"  # 07:30 on working days


def test_every_deployment_goes_to_the_kehoach_work_pool(declared):
    assert {d["work_pool"]["name"] for d in declared.values()} == {"kehoach"}


def test_each_deployment_is_named_after_its_flow(served):
    for name, deployment in served.items():
        assert deployment.flow_name == name


def test_every_stage_is_a_flow_with_a_kebab_case_name_and_a_one_line_docstring():
    flows = [obj for obj in vars(lifecycle).values() if isinstance(obj, Flow)]
    assert len(flows) >= 13
    for f in flows:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", f.name), f.name
        assert f.description and "\n" not in f.description.strip(), f.name
    assert {"notify-approvals", "issue-plan", "distribute-plan", "open-reporting-period", "send-reminders",
            "follow-up-overdue", "review-plan", "daily-sweep", "open-due-periods"} <= {f.name for f in flows}


def test_every_task_has_a_one_line_docstring():
    from prefect import Task

    for t in (obj for obj in vars(lifecycle).values() if isinstance(obj, Task)):
        doc = (t.fn.__doc__ or "").strip()
        assert doc and "\n" not in doc, t.name


def test_serve_once_runs_the_opening_of_periods_before_the_daily_sweep():
    assert serve.ONCE == ("open-due-periods", "daily-sweep")
    assert set(serve.ONCE) <= set(serve.SCHEDULES)


def test_mail_delivery_and_the_sweep_run_one_at_a_time_in_both(declared, served):
    """Two deliveries at once could both resend a row a crash left "sending"."""
    for name in ("deliver-mail", "daily-sweep"):
        assert declared[name]["concurrency_limit"] == 1
        limit = served[name].concurrency_limit
        assert (limit if isinstance(limit, int) else limit.limit) == 1
