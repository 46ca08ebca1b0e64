"""Where a plan's reporting stands ("tình hình báo cáo"): per period, who has reported (which version),
who is late and by how many working days, and each target's rolled-up result against its plan figure."""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.messages import DomainError
from domain.model.calendar import VIETNAM, WorkCalendar, local_date
from domain.model.plan import PlanContent
from domain.model.reporting import roll_up_targets
from domain.model.review import outcome, planned, verdict
from domain.services.workflow import get_plan


def plan_status(*, uow, plan_id: int, today: date, calendar: WorkCalendar = VIETNAM,
                period_key: str | None = None) -> dict[str, Any]:
    """The plan's reporting status on `today`: every period it has opened (or only `period_key`)."""
    plan = get_plan(uow, plan_id)
    content = PlanContent.from_dict(plan.content)
    periods = uow.periods.for_plan(plan.id)
    if period_key:
        periods = [p for p in periods if p.key == period_key]
        if not periods:
            raise DomainError("no_period", plan=plan.id, period=period_key,
                              known=", ".join(p.key for p in uow.periods.for_plan(plan.id)) or "chưa có kỳ nào")
    names = {b.id: b.name for b in uow.bodies.many(content.executing_units())}
    return {"plan": plan.id, "title": content.title, "today": today.isoformat(),
            "periods": [_period_status(uow, content, p, names, today, calendar) for p in periods]}


def _period_status(uow, content: PlanContent, period, names: dict[str, str], today: date,
                   calendar: WorkCalendar) -> dict[str, Any]:
    reports = uow.reports.latest(period.id)
    overdue = today > period.deadline
    units = []
    for unit in content.executing_units():
        report = reports.get(unit)
        if report is not None:
            submitted = local_date(report.submitted_at)
            units.append({"unit": unit, "name": names.get(unit, unit), "reported": True, "version": report.version,
                          "submitted_on": submitted.isoformat(),
                          "days_late": calendar.working_days_between(period.deadline, submitted)})
        else:
            units.append({"unit": unit, "name": names.get(unit, unit), "reported": False, "version": None,
                          "submitted_on": None,
                          "days_late": calendar.working_days_between(period.deadline, today) if overdue else 0})
    targets = []
    for target, r in zip(content.targets, roll_up_targets(content, reports)):
        targets.append({"id": target.id, "text": target.text, "unit": target.unit, "direction": target.direction,
                        "rollup": target.rollup, "plan_figure": target.value, "result": r.result,
                        "reported": r.reported, "expected": r.expected, "met": r.met,
                        "incomplete": r.incomplete, "verdict": verdict(r),
                        "shown": {"plan": planned(target), "result": outcome(r)}})
    return {"key": period.key, "label": period.label, "start": period.start.isoformat(),
            "end": period.end.isoformat(), "deadline": period.deadline.isoformat(), "status": period.status,
            "overdue": overdue, "reported": sum(u["reported"] for u in units), "expected": len(units),
            "late": [u["unit"] for u in units if not u["reported"] and overdue],
            "units": units, "targets": targets}
