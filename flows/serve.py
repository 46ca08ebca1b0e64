"""`kehoach serve`: every deployment of kehoach in one process, on the embedded defaults.

The scheduled ones run by the clock of Asia/Ho_Chi_Minh: the daily sweep (reminders before each
deadline, overdue lists after it, receipt reminders, the mail), the opening of each reporting
period, and the delivery of pending mail in working hours. The stages a command starts are
deployments without a schedule, to run from the UI or `prefect deployment run`.
deployments/prefect.yaml declares the same deployments for a Prefect server with a work pool
(tests/test_orchestration_deployments.py keeps the two in step).
"""
from __future__ import annotations

from flows import lifecycle

TIMEZONE = "Asia/Ho_Chi_Minh"
SCHEDULES: dict[str, str] = {  # deployment -> cron, in TIMEZONE
    "daily-sweep": "30 7 * * 1-5",  # 07:30, Monday to Friday
    "open-due-periods": "0 6 * * *",  # 06:00 every day: cheap, and opens nothing twice
    "deliver-mail": "5,20,35,50 7-18 * * 1-5",  # every 15 minutes in working hours, off the sweeps' start
}
ON_DEMAND = ("issue-plan", "distribute-plan", "notify-approvals", "open-reporting-period", "send-reminders",
             "follow-up-overdue", "review-plan", "issue-review", "distribute-review")
ONCE = ("open-due-periods", "daily-sweep")
# One run at a time: two deliveries at once could both resend a row a crash left "sending".
CONCURRENCY: dict[str, int] = {"deliver-mail": 1, "daily-sweep": 1}  # what `kehoach serve --once` runs, in this order

FLOWS = {f.name: f for f in (
    lifecycle.daily_sweep_flow, lifecycle.open_due_periods_flow, lifecycle.deliver_mail,
    lifecycle.issue_plan_flow, lifecycle.distribute_plan_flow, lifecycle.notify_approvals_flow,
    lifecycle.open_reporting_period_flow, lifecycle.send_reminders_flow, lifecycle.follow_up_overdue_flow,
    lifecycle.review_plan_flow, lifecycle.issue_review_flow, lifecycle.distribute_review_flow,
)}


def deployment_specs() -> list[tuple[str, str | None]]:
    """(deployment name, cron or None) of every deployment; each is named after its flow."""
    return [(name, SCHEDULES[name]) for name in SCHEDULES] + [(name, None) for name in ON_DEMAND]


def deployments() -> list:
    """The runner deployments `prefect.serve` runs."""
    from prefect.schedules import Cron

    return [FLOWS[name].to_deployment(name=name, schedules=[Cron(cron, timezone=TIMEZONE)] if cron else None,
                                      tags=["kehoach"], concurrency_limit=CONCURRENCY.get(name))
            for name, cron in deployment_specs()]


def serve() -> None:
    """Run every deployment in this process until interrupted (Ctrl+C)."""
    from prefect import serve as prefect_serve

    prefect_serve(*deployments(), print_starting_message=True)


def run_once() -> dict[str, dict]:
    """Run the scheduled sweeps once, in order, and return what each did."""
    return {name: FLOWS[name]() for name in ONCE}
