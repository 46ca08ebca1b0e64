"""Each target's roll-up rule and direction: the result, the verdict, the table's wording and the chart's
caption, over every combination; the baseline a reduction needs, as a plan declares it."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_a_reduction_may_be_drafted_without_its_baseline_which_is_then_listed_to_fill():
    content = plan("    direction: reduce_by")
    assert content.target("CT4").baseline is None and [t.id for t in content.missing_baselines()] == ["CT4"]
    assert plan("    direction: reduce_by\n    baseline: 2,1").missing_baselines() == []


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


# --- missing reports: a target rolled up from only some of the expected units ---------------------------

@pytest.mark.parametrize("direction, rule, values, baseline, verdict_text", [
    # a sum only grows with the missing units: reached "at least" stays reached, exceeded "at most" stays
    ("at_least", "sum", [6, 5], None, "Đạt"),
    ("at_least", "sum", [6, 3], None, "Chưa đủ số liệu"),
    ("at_most", "sum", [6, 4], None, "Chưa đủ số liệu"),
    ("at_most", "sum", [6, 5], None, "Chưa đạt"),
    # a summed reduction shrinks as the total grows: reduced enough may not hold, not enough will not change
    ("reduce_by", "sum", [2, 3], 20.0, "Chưa đủ số liệu"),
    ("reduce_by", "sum", [6, 5], 20.0, "Chưa đạt"),
    # an average or the latest figure is judged on the units that reported, saying how many they are
    ("at_least", "average", [12, 10], None, "Đạt"),
    ("at_least", "average", [8, 9], None, "Chưa đạt"),
    ("at_most", "latest", [12, 9], None, "Đạt"),
    ("at_most", "average", [12, 9], None, "Chưa đạt"),
    ("reduce_by", "latest", [9], 20.0, "Đạt"),
    ("reduce_by", "average", [11, 12], 20.0, "Chưa đạt"),
])
def test_with_units_missing_a_verdict_is_given_only_when_their_figures_cannot_change_it(
        direction, rule, values, baseline, verdict_text):
    r = roll_up(target(direction, rule, baseline=baseline), values, expected=3)
    assert verdict(r) == f"{verdict_text} ({len(values)}/3 đơn vị báo cáo)"
    assert r.met is {"Đạt": True, "Chưa đạt": False, "Chưa đủ số liệu": None}[verdict_text]
    assert r.incomplete is (verdict_text == "Chưa đủ số liệu") and r.partial


@pytest.mark.parametrize("direction, rule, values, baseline", [
    ("at_least", "sum", [6, 3], None), ("at_most", "sum", [6, 4], None), ("reduce_by", "sum", [2, 3], 20.0)])
def test_the_same_figures_are_judged_once_every_unit_has_reported(direction, rule, values, baseline):
    partial = roll_up(target(direction, rule, baseline=baseline), values, expected=3)
    complete = roll_up(target(direction, rule, baseline=baseline), [*values, 0], expected=3)
    assert partial.result == complete.result and partial.met is None and complete.met is not None
    assert verdict(complete) in ("Đạt", "Chưa đạt")  # all units: no count after the verdict


@pytest.mark.parametrize("direction, values, verdict_text", [
    ("at_least", [1, 2], "Chưa đủ số liệu"),  # every unit that reported met it: the others decide
    ("at_least", [1, 0], "Chưa đạt"),         # one has already missed it: 100% is out of reach
    ("at_most", [12, 9], "Chưa đạt"),
    ("at_most", [9, 10], "Chưa đủ số liệu"),
])
def test_a_share_of_units_with_units_missing_is_not_met_only_once_a_unit_missed_it(direction, values,
                                                                                  verdict_text):
    t = target(direction, "share_met", value=1 if direction == "at_least" else 10)
    r = roll_up(t, values, expected=4)
    assert verdict(r) == f"{verdict_text} (2/4 đơn vị báo cáo)"


def test_a_target_no_unit_has_reported_says_so_without_a_count():
    assert verdict(roll_up(target("at_most"), [], expected=3)) == "Chưa có số liệu"


def test_a_target_without_a_plan_figure_is_not_called_short_of_figures():
    r = roll_up(target(value=None), [3], expected=2)
    assert (r.incomplete, verdict(r)) == (False, "Không có mức kế hoạch (1/2 đơn vị báo cáo)")


def test_the_report_table_and_its_summary_say_how_many_units_reported_and_what_cannot_be_judged_yet():
    from domain.model.org import Body
    from domain.model.review import review_document

    t1 = Target("CT1", "Không quá 10 vụ khiếu kiện đông người.", value=10, unit="vụ", direction="at_most")
    t2 = Target("CT2", "Ít nhất 02 mô hình “Dân vận khéo”.", value=2, unit="mô hình")
    rollups = [roll_up(t1, [4, 3], expected=3), roll_up(t2, [1, 1, 1], expected=3)]
    content = parse_plan(parse_yaml(PLAN.format(extra=""), source="kh.yaml"))
    doc = review_document(content=content, issuer=Body(id="A", name="Ủy ban nhân dân phường A", regime="state"),
                          names={}, number=None, issued_on=None, title="T", rollups=rollups,
                          reported=["U1", "U2", "U3"], missing=[], notes={})
    table = next(b.rows for b in doc.blocks if b.kind == "table")
    assert table[1][3:] == ("7 vụ", "2/3", "Chưa đủ số liệu (2/3 đơn vị báo cáo)")
    assert table[2][3:] == ("3 mô hình", "3/3", "Đạt")
    summary = next(b.text for b in doc.blocks if b.text.startswith("Có 3/3 đơn vị"))
    assert "1/2 chỉ tiêu đạt kế hoạch; 1 chỉ tiêu chưa đủ số liệu để đánh giá" in summary
    chart = next(b.text for b in doc.blocks if b.kind == "chart")
    assert "(1) (2/3) mới có số liệu của một phần các đơn vị" in chart



def test_a_review_stored_before_verdicts_counted_units_is_laid_out_as_it_was_issued():
    """Its issued file must render again to the same bytes (kehoach verify): no count, no new caption."""
    from domain.model.org import Body
    from domain.model.review import document_of, snapshot

    content = parse_plan(parse_yaml(PLAN.format(extra="    direction: at_most\n    rollup: sum"), source="kh.yaml"))
    new = snapshot(title="T", kind="review", period_key="2026-Q4", period_label="Quý IV/2026",
                   rollups=[roll_up(content.target("CT4"), [0.2], expected=2)], reported=["U1"], missing=["U2"],
                   notes={}, unit_figures={"U1": {"CT4": 0.2}})
    old = {**new, "rollups": [{k: v for k, v in r.items() if k != "incomplete"} | {"met": True}
                              for r in new["rollups"]]}  # as the roll-up was stored then: met on 1 of 2 units
    body = Body(id="A", name="Ủy ban nhân dân phường A", regime="state")

    def layout(snap):
        doc = document_of(snap, content=content, issuer=body, names={}, number=None, issued_on=None)
        return next(b.rows for b in doc.blocks if b.kind == "table")[1][5], next(
            b.text for b in doc.blocks if b.kind == "chart")

    assert layout(new)[0] == "Chưa đủ số liệu (1/2 đơn vị báo cáo)" and "một phần các đơn vị" in layout(new)[1]
    assert layout(old)[0] == "Đạt" and "một phần các đơn vị" not in layout(old)[1]


_figures = st.lists(st.integers(min_value=0, max_value=40).map(lambda x: x / 2), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(rule=st.sampled_from(["sum", "share_met"]), direction=st.sampled_from(["at_least", "at_most", "reduce_by"]),
       reported=_figures, missing=_figures, value=st.integers(min_value=1, max_value=30))
def test_a_verdict_given_on_partial_figures_is_the_one_the_complete_figures_give(rule, direction, reported,
                                                                                 missing, value):
    t = target(direction, rule, value=value, baseline=60.0 if direction == "reduce_by" else None)
    expected = len(reported) + len(missing)
    partial, complete = roll_up(t, reported, expected=expected), roll_up(t, reported + missing, expected=expected)
    assert complete.met is not None and not complete.partial
    if partial.met is not None:
        assert partial.met is complete.met  # whatever the missing units report, it stands
    else:
        assert partial.incomplete and verdict(partial).startswith("Chưa đủ số liệu (")
