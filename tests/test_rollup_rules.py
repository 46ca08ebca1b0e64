"""Each target's roll-up rule and direction: the result, the verdict, the table's wording and the chart's
caption, over every combination; the baseline a reduction needs, as a plan declares it."""
from __future__ import annotations

import pytest

from domain.adapters.yaml_source import parse_yaml
from domain.messages import DomainError
from domain.model.plan import PlanContent, Target, parse_plan
from domain.model.reporting import meets, roll_up
from domain.model.review import outcome, planned, rollup_chart, verdict


def target(direction="at_least", rollup="sum", value=10.0, baseline=None, unit=None) -> Target:
    return Target("CT", "x", value=value, unit=unit, direction=direction, rollup=rollup, baseline=baseline)


# --- combining the units' figures ------------------------------------------------------------------

@pytest.mark.parametrize("rule, values, level", [
    ("sum", [3, 4, 5], 12), ("average", [3, 4, 5], 4), ("latest", [3, 4, 5], 5), ("average", [1, 2], 1.5)])
def test_the_units_figures_combine_by_the_targets_rule(rule, values, level):
    r = roll_up(target(rollup=rule), values, expected=3)
    assert (r.level, r.result, r.reported, r.expected) == (level, level, len(values), 3)


# --- verdicts for every direction ------------------------------------------------------------------

@pytest.mark.parametrize("direction, rule, values, met", [
    ("at_least", "sum", [6, 4], True), ("at_least", "sum", [6, 3.9], False),
    ("at_least", "average", [10, 10], True), ("at_least", "latest", [12, 9], False),
    ("at_most", "sum", [6, 4], True), ("at_most", "sum", [6, 4.1], False),
    ("at_most", "average", [12, 8], True), ("at_most", "latest", [9, 11], False),
])
def test_at_least_and_at_most_compare_the_combined_figure_with_the_plan(direction, rule, values, met):
    r = roll_up(target(direction, rule), values, expected=len(values))
    assert r.met is met
    assert verdict(r) == ("Đạt" if met else "Chưa đạt")


@pytest.mark.parametrize("values, rule, reduction, met", [
    ([1.5], "latest", 0.6, True),      # hộ nghèo 2,1% → 1,5%: reduced by 0,6 against 0,5
    ([1.6], "latest", 0.5, True),      # exactly the plan, no binary noise (2,1 − 1,6)
    ([1.7], "latest", 0.4, False),
    ([2.3], "latest", -0.2, False),    # the rate went up
    ([1.2, 1.8], "average", 0.6, True),
    ([1.9, 1.5], "latest", 0.6, True),  # the latest report counts
])
def test_a_reduction_is_the_baseline_minus_the_figure_now_compared_with_the_planned_reduction(
        values, rule, reduction, met):
    t = target("reduce_by", rule, value=0.5, baseline=2.1, unit="%")
    r = roll_up(t, values, expected=1)
    assert r.result == pytest.approx(reduction) and r.met is met
    assert verdict(r) == ("Đạt" if met else "Chưa đạt")


def test_a_summed_reduction_counts_from_the_total_at_the_start():
    households = target("reduce_by", "sum", value=20, baseline=150, unit="hộ")
    r = roll_up(households, [60, 65], expected=2)  # 150 poor households at the start, 125 now
    assert (r.level, r.result, r.met) == (125, 25, True)
    assert outcome(r) == "giảm 25 hộ (còn 125 hộ)"


@pytest.mark.parametrize("direction, baseline, values, share", [
    ("at_least", None, [1, 0, 2, 1], 75.0),
    ("at_most", None, [11, 9, 10, 12], 50.0),
    ("reduce_by", 12.0, [1, 2, 3, 4], 50.0),  # units at or below 2 reduced 12 by at least 10
])
def test_a_share_of_units_judges_each_units_figure_by_the_direction(direction, baseline, values, share):
    t = target(direction, "share_met", value=10 if direction != "at_least" else 1, baseline=baseline)
    r = roll_up(t, values, expected=4)
    assert (r.result, r.met) == (share, False)
    assert outcome(r) == f"{share:g}% đơn vị đạt"


def test_a_share_of_units_counts_units_that_have_not_reported_as_not_met():
    t = target("at_least", "share_met", value=1)
    assert roll_up(t, [1, 1], expected=4).result == 50.0
    everyone = roll_up(t, [1, 2, 1, 1], expected=4)
    assert (everyone.result, everyone.met, verdict(everyone)) == (100.0, True, "Đạt")


@pytest.mark.parametrize("t", [target(), target("at_most"), target("reduce_by", baseline=30),
                               target(rollup="share_met"), target("reduce_by", "share_met", baseline=30)])
def test_without_a_figure_every_direction_says_chua_co_so_lieu(t):
    r = roll_up(t, [], expected=3)
    assert (r.result, r.met, verdict(r), outcome(r)) == (None, None, "Chưa có số liệu", "—")


def test_a_target_without_a_plan_figure_shows_its_result_and_is_not_judged():
    r = roll_up(target(value=None), [3, 4], expected=2)
    assert (r.result, r.met, verdict(r)) == (7, None, "Không có mức kế hoạch")


def test_a_stored_reduction_without_a_baseline_has_no_result_rather_than_a_wrong_one():
    r = roll_up(target("reduce_by", "latest", value=0.5, baseline=None), [1.5], expected=1)
    assert (r.level, r.result, verdict(r)) == (1.5, None, "Chưa có số liệu")
    assert meets(target("reduce_by", value=0.5), 1.5) is None


# --- the table's wording ---------------------------------------------------------------------------

def test_the_plan_column_says_the_direction_and_the_baseline():
    assert planned(target(value=55, unit="%")) == "55%"
    assert planned(target("at_most", value=3, unit="vụ")) == "không quá 3 vụ"
    assert planned(target("reduce_by", value=0.5, baseline=2.1, unit="%")) == "giảm 0,5% (đầu kỳ 2,1%)"
    assert planned(target(value=None)) == "—"


def test_the_result_column_says_a_reduction_or_a_rise_and_the_figure_now():
    t = target("reduce_by", "latest", value=0.5, baseline=2.1, unit="%")
    assert outcome(roll_up(t, [1.5], expected=1)) == "giảm 0,6% (còn 1,5%)"
    assert outcome(roll_up(t, [2.3], expected=1)) == "tăng 0,2% (lên 2,3%)"
    assert outcome(roll_up(target("at_most", value=3, unit="vụ"), [2], expected=1)) == "2 vụ"


# --- the chart's caption ---------------------------------------------------------------------------

def caption(*rollups) -> str:
    return rollup_chart(list(rollups)).text


def test_the_caption_explains_at_most_only_when_a_target_is_at_most():
    assert "không vượt quá" not in caption(roll_up(target(), [12], expected=1))
    assert "từ 100% trở xuống là đạt" in caption(roll_up(target("at_most"), [8], expected=1))
    # a share of units met reads as any share: the higher the better
    assert "không vượt quá" not in caption(roll_up(target("at_most", "share_met"), [8], expected=1))


def test_the_caption_explains_a_reduction_and_names_a_target_that_rose():
    t = target("reduce_by", "latest", value=0.5, baseline=2.1, unit="%")
    fell, rose = roll_up(t, [1.5], expected=1), roll_up(t, [2.3], expected=1)
    assert "mức đã giảm so với đầu kỳ" in caption(fell) and "kết quả âm" not in caption(fell)
    assert rollup_chart([fell]).chart.series[1][1] == (120.0,)
    text = caption(roll_up(target(), [12], expected=1), rose)
    assert "Chỉ tiêu (2) có kết quả âm" in text
    assert rollup_chart([rose]).chart.series[1][1] == (-40.0,)


def test_the_caption_tells_a_zero_plan_figure_from_a_missing_one():
    zero, none = roll_up(target("at_most", value=0), [0], expected=1), roll_up(target(value=None), [1], expected=1)
    text = caption(roll_up(target(), [12], expected=1), zero, none)
    assert "(2) có mức kế hoạch bằng 0" in text and "(3) không có mức kế hoạch bằng số" in text


def test_the_caption_says_a_reduction_without_a_baseline_cannot_be_computed():
    text = caption(roll_up(target("reduce_by", "latest", value=0.5), [1.5], expected=1))
    assert "(1) chưa có mức đầu kỳ" in text and "chưa có số liệu" not in text


# --- declaring the baseline in the plan ---------------------------------------------------------

PLAN = """issuer: A
title: T
sections: [{{title: X}}]
signer: {{user: x, title: y}}
targets:
  - id: CT4
    text: Tỷ lệ hộ nghèo giảm 0,5%/năm.
    value: 0,5
    unit: "%"
{extra}
"""


def plan(extra: str) -> PlanContent:
    return parse_plan(parse_yaml(PLAN.format(extra=extra), source="kh.yaml"))


def test_a_reduction_declares_its_baseline_as_vietnamese_write_figures():
    t = plan("    direction: reduce_by\n    baseline: 2,1").target("CT4")
    assert (t.direction, t.baseline) == ("reduce_by", 2.1)
    assert PlanContent.from_dict(plan("    direction: reduce_by\n    baseline: 2,1").to_dict()).target("CT4") == t


def test_a_reduction_without_a_baseline_is_refused_saying_what_to_add():
    with pytest.raises(DomainError) as err:
        plan("    direction: reduce_by")
    assert err.value.code == "baseline_required"
    assert "CT4" in str(err.value) and "baseline:" in str(err.value) and "dòng 6" in str(err.value)


def test_a_baseline_that_is_not_a_number_is_refused_naming_its_line():
    with pytest.raises(DomainError) as err:
        plan("    direction: reduce_by\n    baseline: năm ngoái")
    assert err.value.code == "baseline_not_number" and "«năm ngoái»" in str(err.value)
    assert "dòng 11" in str(err.value)


def test_a_baseline_on_a_target_that_is_not_a_reduction_is_refused():
    with pytest.raises(DomainError) as err:
        plan("    baseline: 2")
    assert err.value.code == "baseline_not_reduce" and "reduce_by" in str(err.value)


def test_the_editable_copy_of_a_stored_plan_keeps_the_baseline_and_reads_back_the_same(org, plan_data, now):
    from domain.services.plans import create_plan, get_plan_source

    with org() as uow:
        plan_id = create_plan(uow=uow, data=plan_data, source="plan.yaml", actor="lan.vp", now=now)
    with org() as uow:
        source = get_plan_source(uow=uow, plan_id=plan_id)
        stored = PlanContent.from_dict(uow.plans.get(plan_id).content)
    ct4 = next(t for t in source["targets"] if t["id"] == "CT4")
    assert ct4["baseline"] == 2.1 and all("baseline" not in t for t in source["targets"] if t["id"] != "CT4")
    assert parse_plan(source).targets == stored.targets
