"""A unit's report for a period ("báo cáo của đơn vị"): recorded from a filled form or a structured
file, checked, kept as versions; and the list of what each unit has sent."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from domain.messages import DomainError, message
from domain.model.calendar import TIMEZONE, local_date
from domain.model.plan import PlanContent
from domain.model.report_form import FilledForm, ReportEntry, check_report, entry_from_data
from domain.model.reporting import format_figure, period_due_next
from domain.services.workflow import apply, get_plan, report_action


def submit_report(*, uow, plan_id: int, unit: str, figures: Mapping[str, Any] | None, actor: str, now: datetime,
                  period_key: str | None = None, note: str | None = None,
                  tasks: Mapping[str, Any] | None = None, source: dict | None = None) -> tuple[int, int]:
    """Record a unit's figures (and task results) from a structured file as a new version of its report
    for the period named, else the open one due next; returns (report id, version)."""
    plan = get_plan(uow, plan_id)
    content = _reporting_unit(uow, plan, unit)
    period = _period(uow, plan, period_key, now)
    action = report_action(uow=uow, plan=plan, unit=unit, actor=actor)
    entry = entry_from_data({"figures": figures, "note": note, "tasks": tasks}, content=content, unit=unit)
    return _record(uow, plan, unit, period, entry, action=action, actor=actor, now=now, source=source)


def submit_reports(*, uow, plan_id: int, reports: list[Mapping[str, Any]], now: datetime,
                   period_key: str | None = None) -> int:
    """`submit_report` for each {unit, actor, figures, note, tasks} of a batch, each in its own transaction;
    returns how many were recorded. A unit whose latest version already says the same is skipped, so a
    retried batch records nothing twice; any other refusal stops the batch (those before it stay recorded)."""
    recorded = 0
    for r in reports:
        try:
            submit_report(uow=uow, plan_id=plan_id, unit=r["unit"], figures=r.get("figures") or {},
                          actor=r["actor"], now=now, period_key=period_key, note=r.get("note"),
                          tasks=r.get("tasks"))
        except DomainError as exc:
            if exc.code != "report_duplicate":
                raise
            uow.rollback()
            continue
        recorded += 1
    return recorded


def submit_form(*, uow, plan_id: int, form: FilledForm, actor: str, now: datetime, unit: str | None = None,
                period_key: str | None = None, source: dict | None = None) -> dict[str, Any]:
    """Record the figures and texts read back from a unit's filled form as a new version of its report;
    returns what was recorded (see `_recorded`).

    The form says whom it was made for (plan, unit, period); `unit` and `period_key`, when given,
    must say the same. A form of another plan, unit or period is refused before anything is read.
    """
    plan = get_plan(uow, plan_id)
    identity = form.identity
    if (identity.plan is not None and identity.plan != plan.id) or (
            identity.plan_reference and identity.plan_reference != _reference(uow, plan)):
        raise DomainError("wrong_form_plan", plan=plan.id, reference=_reference(uow, plan) or "dự thảo",
                          form_plan=_form_plan(identity))
    if unit and identity.unit and unit != identity.unit:
        raise DomainError("wrong_form_unit", unit=unit, form_unit=identity.unit)
    unit = unit or identity.unit
    if not unit:
        raise DomainError("form_unidentified")
    if period_key and identity.period and period_key != identity.period:
        raise DomainError("wrong_form_period", period=period_key, form_period=identity.period)
    content = _reporting_unit(uow, plan, unit)
    period = _period(uow, plan, period_key or identity.period, now)
    action = report_action(uow=uow, plan=plan, unit=unit, actor=actor)
    entry = check_report(form, content=content, unit=unit)
    _, version = _record(uow, plan, unit, period, entry, action=action, actor=actor, now=now, source=source)
    return _recorded(content, unit, period, version, entry, action)


def submit_report_file(*, uow, plan_id: int, report: FilledForm | Mapping[str, Any], actor: str, now: datetime,
                       unit: str | None = None, period_key: str | None = None,
                       source: dict | None = None) -> dict[str, Any]:
    """Record what a unit sent: its filled form, or a structured file's mapping (figures, note, tasks and
    optionally unit, period); returns what was recorded (see `_recorded`)."""
    if isinstance(report, FilledForm):
        return submit_form(uow=uow, plan_id=plan_id, form=report, actor=actor, now=now, unit=unit,
                           period_key=period_key, source=source)
    said_unit, said_period = report.get("unit"), report.get("period")
    if unit and said_unit and unit != str(said_unit):
        raise DomainError("wrong_form_unit", unit=unit, form_unit=said_unit)
    if period_key and said_period and period_key != str(said_period):
        raise DomainError("wrong_form_period", period=period_key, form_period=said_period)
    unit = unit or (str(said_unit) if said_unit else None)
    if not unit:
        raise DomainError("report_needs_unit")
    period_key = period_key or (str(said_period) if said_period else None)
    plan = get_plan(uow, plan_id)
    content = _reporting_unit(uow, plan, unit)
    period = _period(uow, plan, period_key, now)
    action = report_action(uow=uow, plan=plan, unit=unit, actor=actor)
    entry = entry_from_data(report, content=content, unit=unit)
    _, version = _record(uow, plan, unit, period, entry, action=action, actor=actor, now=now, source=source)
    return _recorded(content, unit, period, version, entry, action)


def _recorded(content: PlanContent, unit: str, period, version: int, entry: ReportEntry,
              action: str) -> dict[str, Any]:
    """What a submission recorded, for the person who sent it to check: unit, period, version, whether it
    was recorded on the unit's behalf, each figure with its target, and how many tasks got a result."""
    return {"unit": unit, "period": period.key, "version": version, "on_behalf": action == "record_report",
            "figures": [{"target": t.id, "text": t.text, "unit": t.unit, "value": entry.figures[t.id],
                         "check": _spelling_check(entry.spellings.get(t.id), entry.figures[t.id], t.unit)}
                        for t in content.targets_for(unit) if t.id in entry.figures],
            "tasks": len(entry.texts.get("tasks", {}))}


def _spelling_check(spelled: dict[str, str] | None, value: float, unit: str | None) -> str:
    """The line the read-back prints under a figure whose spelling reads two ways ("1.5", "1,200"): how it
    was read, and what to do if that is not what was meant; "" otherwise."""
    if not spelled:
        return ""
    read = format_figure(value) + ("%" if unit == "%" else f" {unit}" if unit else "")
    whole = spelled["written"].replace(" ", "").rstrip("%").replace(",", "")
    return message(f"figure_spelling_{spelled['spelling']}", written=spelled["written"], read=read, whole=whole)


def _reference(uow, plan) -> str | None:
    document = uow.documents.get(plan.document_id) if plan.document_id else None
    return document.reference if document else None


def _form_plan(identity) -> str:
    parts = [f"kế hoạch #{identity.plan}" if identity.plan is not None else "",
             f"Kế hoạch số {identity.plan_reference}" if identity.plan_reference else ""]
    return " — ".join(p for p in parts if p)


def _reporting_unit(uow, plan, unit: str) -> PlanContent:
    if uow.bodies.get(unit) is None:
        raise DomainError("unknown_body", body=unit)
    content = PlanContent.from_dict(plan.content)
    if unit not in content.executing_units():
        raise DomainError("unit_not_in_plan", unit=unit, plan=plan.id)
    return content


def _period(uow, plan, period_key: str | None, now: datetime):
    """The period named (refused if it was never opened or is closed), else the open one due next."""
    period = _any_period(uow, plan, period_key, now)
    if period.status != "open":
        raise DomainError("period_closed", period=period.label, plan=plan.id)
    return period


def _record(uow, plan, unit: str, period, entry: ReportEntry, *, action: str, actor: str, now: datetime,
            source: dict | None) -> tuple[int, int]:
    """The next version of the unit's report, with its audit event, in one transaction; the same
    content as the latest version is refused as already recorded. `action` is "submit_report" (the unit's
    reporter) or "record_report" (an office clerk or drafter on the unit's behalf: the event says so)."""
    latest = uow.reports.latest_of(period.id, unit)
    if latest is not None and entry.same_as(latest.figures, latest.note, latest.texts):
        raise DomainError("report_duplicate", unit=unit, period=period.label, version=latest.version,
                          when=f"{latest.submitted_at.astimezone(ZoneInfo(TIMEZONE)):%H:%M ngày %d/%m/%Y}")
    version = latest.version + 1 if latest is not None else 1
    on_behalf = {"on_behalf_of": unit, "recorded_by": actor} if action == "record_report" else {}
    if on_behalf:
        source = {**(source or {}), "recorded_on_behalf": True}
    apply(uow=uow, plan=plan, action=action, actor=actor, now=now, unit=unit,
          data={"period": period.key, "version": version, "figures": entry.figures, "note": entry.note or "",
                **({"texts": entry.texts} if entry.texts else {}), **({"source": source} if source else {}),
                **on_behalf})
    report = uow.reports.add(plan_id=plan.id, period_id=period.id, unit_id=unit, version=version,
                             figures=entry.figures, note=entry.note, texts=entry.texts or None, source=source,
                             submitted_by=actor, submitted_at=now)
    uow.commit()
    return report.id, version


def list_reports(*, uow, plan_id: int, period_key: str | None = None) -> list[dict[str, Any]]:
    """Every version each unit has sent, by period, unit and version; the version a review counts is
    each unit's latest (`latest` True)."""
    plan = get_plan(uow, plan_id)
    periods = {p.id: p for p in uow.periods.for_plan(plan.id)}
    if period_key and not any(p.key == period_key for p in periods.values()):
        raise DomainError("unknown_period", plan=plan.id, period=period_key,
                          periods=", ".join(p.key for p in periods.values()) or "chưa có")
    names = {b.id: b.name for b in uow.bodies.all()}
    rows = []
    for period in sorted(periods.values(), key=lambda p: (p.start, p.key)):
        if period_key and period.key != period_key:
            continue
        latest = {u: r.version for u, r in uow.reports.latest(period.id).items()}
        for r in uow.reports.for_period(period.id):
            rows.append({"period": period.key, "period_label": period.label, "unit": r.unit_id,
                         "unit_name": names.get(r.unit_id, r.unit_id), "version": r.version,
                         "latest": latest.get(r.unit_id) == r.version, "submitted_at": r.submitted_at,
                         "submitted_by": r.submitted_by, "figures": dict(r.figures), "note": r.note,
                         "texts": dict(r.texts or {}), "file": (r.source or {}).get("file"),
                         "on_behalf": bool((r.source or {}).get("recorded_on_behalf"))})
    return rows


def show_report(*, uow, plan_id: int, unit: str, now: datetime, period_key: str | None = None,
                version: int | None = None) -> dict[str, Any]:
    """One version of a unit's report (its latest unless `version` is named) for the period named, else
    the open one due next: each figure and note against its target, each task's result and
    difficulties, the rows the unit added, who sent it, when, from which file."""
    plan = get_plan(uow, plan_id)
    content = _reporting_unit(uow, plan, unit)
    period = _any_period(uow, plan, period_key, now)
    versions = [r for r in uow.reports.for_period(period.id) if r.unit_id == unit]
    if not versions:
        raise DomainError("report_not_sent", unit=unit, period=period.label)
    chosen = versions[-1] if version is None else next((r for r in versions if r.version == version), None)
    if chosen is None:
        raise DomainError("report_no_version", unit=unit, period=period.label, version=version,
                          versions=", ".join(str(r.version) for r in versions))
    texts = chosen.texts or {}
    notes, tasks = texts.get("targets", {}), texts.get("tasks", {})
    return {
        "unit": unit, "unit_name": uow.bodies.get(unit).name, "period": period.key, "period_label": period.label,
        "version": chosen.version, "latest": chosen is versions[-1], "versions": len(versions),
        "submitted_by": chosen.submitted_by, "submitted_at": chosen.submitted_at, "source": dict(chosen.source or {}),
        "on_behalf": bool((chosen.source or {}).get("recorded_on_behalf")),
        "note": chosen.note,
        "targets": [{"target": t.id, "text": t.text, "unit": t.unit, "plan": t.value,
                     "value": chosen.figures.get(t.id), "note": notes.get(t.id, "")} for t in content.targets_for(unit)],
        "tasks": [{"task": t.ref, "text": t.text, "result": tasks.get(t.ref, {}).get("result", ""),
                   "issues": tasks.get(t.ref, {}).get("issues", "")} for t in content.tasks_for(unit)],
        "other": list(texts.get("other", [])),
    }


def _any_period(uow, plan, period_key: str | None, now: datetime):
    """The period named (open or closed), else the open one due next."""
    periods = uow.periods.for_plan(plan.id)
    if period_key:
        period = next((p for p in periods if p.key == period_key), None)
        if period is None:
            raise DomainError("unknown_period", plan=plan.id, period=period_key,
                              periods=", ".join(p.key for p in periods) or "chưa có")
        return period
    period = period_due_next([p for p in periods if p.status == "open"], local_date(now))
    if period is None:
        raise DomainError("no_open_period", plan=plan.id, period="hiện tại")
    return period
