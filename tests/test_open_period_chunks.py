"""Opening a period in steps: the request letter once, then each chunk of units' copies in a transaction
of its own; a chunk that fails keeps nothing, its retry and a re-run after a cut-short run complete the
opening without drawing a second number or queueing a message twice. Real services on SQLite."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.messages import DomainError
from domain.services import reporting
from tests.conftest import HCM
from tests.test_services import (EXECUTING_UNITS, ID_DOMAIN, Q4, counter, distributed_plan, fake_render, open_q4,
                                 outbox)

UNITS = ["VHXH-HB", "MTTQ-HB", "CA-HB", "HLHPN-HB", "DTN-HB", "HCCB-HB"]


def open_letter(org, plan_id, now) -> dict:
    with org() as uow:
        return reporting.open_request(uow=uow, plan_id=plan_id, period=Q4, actor="system", now=now,
                                      render=fake_render)


def copies_for(org, plan_id, units, now, render=fake_render) -> int:
    with org() as uow:
        return reporting.issue_request_copies(uow=uow, plan_id=plan_id, period_key=Q4.key, units=units,
                                              actor="system", now=now, id_domain=ID_DOMAIN, render=render)


def stored(org, plan_id) -> list[str]:
    with org() as uow:
        return sorted(c.recipient_id for c in uow.document_copies.for_plan(plan_id))


def events(org, plan_id, action) -> list:
    with org() as uow:
        return [e for e in uow.audit.events(plan_id) if e.action == action]


def requests(org, plan_id) -> list[str]:
    return sorted(r.recipient_id for r in outbox(org, plan_id, "report_request"))


def letters(org, plan_id) -> list[str]:
    with org() as uow:
        return [d.reference for d in uow.documents.for_plan(plan_id) if d.kind == "report_request"]


def test_opening_the_letter_draws_its_number_and_names_every_unit_still_to_receive_its_copy(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    opened = open_letter(org, plan_id, now)
    assert set(opened["units"]) == EXECUTING_UNITS and opened["period"] == "2026-Q4"
    assert letters(org, plan_id) == ["02/UBND"] and counter(org, "UBND-HB", "2026") == 2
    assert stored(org, plan_id) == [] and requests(org, plan_id) == []  # the copies come chunk by chunk


def test_a_chunk_that_fails_half_way_keeps_none_of_its_copies_and_its_retry_makes_each_once(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_letter(org, plan_id, now)
    assert copies_for(org, plan_id, UNITS[:3], now) == 3

    def fails_on_the_fifth_unit(doc) -> bytes:
        if doc.file_stem.endswith("DTN-HB"):
            raise OSError("hết chỗ trên đĩa")
        return fake_render(doc)

    with pytest.raises(OSError):
        copies_for(org, plan_id, UNITS[3:], now, render=fails_on_the_fifth_unit)
    assert stored(org, plan_id) == sorted(UNITS[:3]) and requests(org, plan_id) == sorted(UNITS[:3])
    assert copies_for(org, plan_id, UNITS[3:], now) == 3  # the retry
    assert copies_for(org, plan_id, UNITS[3:], now) == 0  # and again: nothing twice
    assert copies_for(org, plan_id, UNITS[:3], now) == 0
    assert stored(org, plan_id) == sorted(UNITS) and requests(org, plan_id) == sorted(UNITS)
    recorded = [c["recipient"] for e in events(org, plan_id, "register_copies") for c in e.data["copies"]]
    assert sorted(recorded) == sorted(UNITS)  # each copy's SHA-256 in the trail once
    assert letters(org, plan_id) == ["02/UBND"] and counter(org, "UBND-HB", "2026") == 2


def test_opening_again_after_a_run_cut_short_completes_it_with_the_same_letter_and_number(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_letter(org, plan_id, now)
    copies_for(org, plan_id, UNITS[:2], now)  # the run dies here
    assert open_q4(org, plan_id, now) == len(UNITS) - 2  # the re-run queues the others only
    assert letters(org, plan_id) == ["02/UBND"] and counter(org, "UBND-HB", "2026") == 2
    assert len(events(org, plan_id, "open_period")) == 1 and len(events(org, plan_id, "register")) == 2  # plan, letter
    assert stored(org, plan_id) == sorted(UNITS) and requests(org, plan_id) == sorted(UNITS)
    with pytest.raises(DomainError) as refused:  # now complete: opening it again is a mistake
        open_q4(org, plan_id, now)
    assert refused.value.code == "period_exists"
    assert counter(org, "UBND-HB", "2026") == 2


def test_the_scheduled_opening_completes_a_period_whose_copies_were_cut_short_and_then_leaves_it(
        org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_letter(org, plan_id, now)
    copies_for(org, plan_id, UNITS[:4], now)
    today = date(2026, 11, 24)
    with org() as uow:
        assert (plan_id, "2026-Q4") in reporting.due_periods(uow=uow, today=today, deadline_days=3)
        assert reporting.plans_due_for_period(uow=uow, period_key="2026-Q4") == [plan_id]
    with org() as uow:
        resumed = reporting.open_due_request(uow=uow, plan_id=plan_id, period_key="2026-Q4", actor="system",
                                             now=datetime(2026, 11, 24, 6, tzinfo=HCM), render=fake_render,
                                             deadline_days=3)
    assert sorted(resumed["units"]) == sorted(UNITS[4:])
    assert copies_for(org, plan_id, resumed["units"], now) == 2
    with org() as uow:
        assert (plan_id, "2026-Q4") not in reporting.due_periods(uow=uow, today=today, deadline_days=3)
        assert reporting.open_due_request(uow=uow, plan_id=plan_id, period_key="2026-Q4", actor="system",
                                          now=datetime(2026, 11, 24, 6, tzinfo=HCM), render=fake_render,
                                          deadline_days=3) is None
    assert letters(org, plan_id) == ["02/UBND"] and requests(org, plan_id) == sorted(UNITS)


def test_a_chunk_naming_a_unit_outside_the_plan_is_refused_and_stores_nothing(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    open_letter(org, plan_id, now)
    with pytest.raises(DomainError) as refused:
        copies_for(org, plan_id, ["VHXH-HB", "TDP-HB"], now)
    assert refused.value.code == "unit_not_in_plan" and "TDP-HB" in str(refused.value)
    assert stored(org, plan_id) == [] and requests(org, plan_id) == []


def test_copies_for_a_period_never_opened_are_refused(org, plan_data, now):
    plan_id = distributed_plan(org, plan_data, now)
    with pytest.raises(DomainError) as refused:
        copies_for(org, plan_id, UNITS, now)
    assert refused.value.code == "no_open_period"


def test_reminders_go_a_chunk_of_units_at_a_time_each_unit_once_a_day(org, plan_data, now):
    from tests.test_services import submit

    plan_id = distributed_plan(org, plan_data, now)
    open_q4(org, plan_id, now)
    submit(org, plan_id, "MTTQ-HB", {"CT1": 1}, "minh.mttq", now)
    with org() as uow:
        late = reporting.units_to_remind(uow=uow, plan_id=plan_id, now=now)
    assert late == {"period": "2026-Q4", "units": [u for u in UNITS if u != "MTTQ-HB"]}

    def remind(units) -> int:
        with org() as uow:
            return reporting.remind_missing(uow=uow, plan_id=plan_id, actor="system", now=now, id_domain=ID_DOMAIN,
                                            period_key=late["period"], units=units)

    assert remind(["VHXH-HB", "MTTQ-HB", "CA-HB"]) == 2  # MTTQ-HB has reported meanwhile: not reminded
    assert remind(late["units"][2:]) == 3 and remind(late["units"]) == 0  # each once that day
    assert sorted(r.recipient_id for r in outbox(org, plan_id, "reminder")) == sorted(late["units"])
    assert [e.data["units"] for e in events(org, plan_id, "remind")][:2] == [["VHXH-HB", "CA-HB"],
                                                                          late["units"][2:]]


def test_a_plan_withdrawn_after_its_letter_was_issued_gets_no_more_copies_and_is_not_completed(org, plan_data, now):
    from domain.services import corrections

    plan_id = distributed_plan(org, plan_data, now)
    open_letter(org, plan_id, now)
    copies_for(org, plan_id, UNITS[:2], now)
    with org() as uow:
        corrections.withdraw_document(uow=uow, reference="01/KH-UBND", reason="Ban hành sai thẩm quyền",
                                      actor="tam.pct", now=now)
    with pytest.raises(DomainError) as refused:
        copies_for(org, plan_id, UNITS[2:], now)
    assert refused.value.code == "action_not_allowed", str(refused.value)
    with pytest.raises(DomainError) as refused:
        open_q4(org, plan_id, now)
    assert refused.value.code == "action_not_allowed", str(refused.value)
    with org() as uow:
        assert reporting.due_periods(uow=uow, today=date(2026, 11, 24), deadline_days=3) == []
    assert stored(org, plan_id) == sorted(UNITS[:2]) and requests(org, plan_id) == sorted(UNITS[:2])
