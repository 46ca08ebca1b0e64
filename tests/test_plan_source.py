"""Reading a structured plan: the example is whole, bad files are refused naming the line."""
import pytest

from domain.adapters.yaml_source import load_yaml, parse_yaml
from domain.messages import DomainError
from domain.model.documents import plan_document
from domain.model.org import Body
from domain.model.plan import PlanContent, parse_plan
from tests.conftest import EXAMPLES


def test_the_example_plan_has_sections_targets_tasks_recipients_and_a_signer():
    content = parse_plan(load_yaml(EXAMPLES / "plan.yaml"))
    assert len(content.sections) == 4
    assert [t.id for t in content.targets] == ["CT1", "CT2", "CT3", "CT4", "CT5", "CT6"]
    assert content.target("CT4").value == 0.5 and content.target("CT4").direction == "reduce_by"
    assert content.task("3.1").executing == ("MTTQ-HB", "HLHPN-HB", "DTN-HB", "HCCB-HB")
    assert [t.id for t in content.targets_for("VHXH-HB")] == ["CT4", "CT5", "CT6"]
    assert content.signer.capacity == ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH")
    assert content.signer.authority == "TM."
    assert PlanContent.from_dict(content.to_dict()) == content


def test_a_yaml_syntax_error_names_the_line():
    with pytest.raises(DomainError) as err:
        parse_yaml("issuer: UBND-HB\ntitle: [Kế hoạch\nsections: []\n", source="kh.yaml")
    assert err.value.code == "yaml_syntax"
    assert "kh.yaml" in str(err.value) and "dòng 3" in str(err.value)


def test_a_missing_field_names_the_line_of_its_mapping():
    data = parse_yaml("issuer: UBND-HB\nsections:\n  - paragraphs: [a]\nsigner: {user: x, title: y}\n", source="kh")
    with pytest.raises(DomainError) as err:
        parse_plan(data)
    assert err.value.code == "field_missing" and "«title»" in str(err.value) and "dòng 3" in str(err.value)


def test_a_line_ending_in_a_colon_is_explained_instead_of_silently_dropped():
    data = parse_yaml("issuer: A\ntitle: T\npreamble:\n  - Thực hiện như sau:\nsections: [{title: X}]\n"
                      "signer: {user: x, title: y}\n", source="kh")
    with pytest.raises(DomainError) as err:
        parse_plan(data)
    assert err.value.code == "list_item_not_text" and "dòng 4" in str(err.value)


def test_a_task_naming_an_unknown_target_is_refused():
    data = parse_yaml("issuer: A\ntitle: T\nsections: [{title: X}]\nsigner: {user: x, title: y}\n"
                      "tasks:\n  - ref: '1'\n    text: t\n    targets: [CT9]\n", source="kh")
    with pytest.raises(DomainError) as err:
        parse_plan(data)
    assert err.value.code == "unknown_ref" and "CT9" in str(err.value)


def test_the_laid_out_plan_numbers_sections_roman_then_arabic_and_lists_targets():
    content = parse_plan(load_yaml(EXAMPLES / "plan.yaml"))
    issuer = Body(id="UBND-HB", name="Ủy ban nhân dân phường Hòa Bình", abbr="UBND", place="Hòa Bình")
    doc = plan_document(content=content, issuer=issuer, names={"MTTQ-HB": "Ủy ban MTTQ phường"}, number=None,
                        issued_on=None)
    texts = [b.text for b in doc.blocks]
    assert "I. MỤC ĐÍCH, YÊU CẦU" in texts and "1. Mục đích" in texts and "II. CHỈ TIÊU" in texts
    assert any(t.startswith("(4) Tỷ lệ hộ nghèo") for t in texts)
    assert doc.number_line == "Số:       /KH-UBND"
    assert doc.recipients[-1] == "Lưu: VT, VP"
