"""A request for reports to many units: one collective "Kính gửi" and the list annexed to the letter,
so that each unit's copy stays the size of its own form however many units the plan has."""
from __future__ import annotations

from dataclasses import replace

from domain.adapters.docx_render import render_docx
from domain.model.forms import MAX_LISTED_ADDRESSEES, UNITS_HEADER, request_letter, unit_copy
from domain.model.plan import Task
from tests.test_report_documents import BODIES, ISSUED, NAMES, PLAN_ISSUED, Q4, state_content


def many_units(n: int):
    content = state_content()
    units = tuple(f"KDC-{i:03d}" for i in range(1, n + 1))
    tasks = (replace(content.tasks[0], executing=units), *(replace(t, executing=()) for t in content.tasks[1:]))
    names = {**NAMES, **{u: f"Chi bộ khu dân cư số {i}" for i, u in enumerate(units, 1)}}
    return replace(content, tasks=tuple(t for t in tasks if isinstance(t, Task))), names, units


def letter_for(content, names):
    return request_letter(content=content, issuer=BODIES[content.issuer], names=names, number=2, issued_on=ISSUED,
                          plan_reference="01/KH-UBND", plan_issued_on=PLAN_ISSUED, period=Q4, plan_id=7)


def test_up_to_ten_units_are_named_one_by_one_under_kinh_gui():
    content, names, units = many_units(MAX_LISTED_ADDRESSEES)
    letter = letter_for(content, names)
    assert letter.addressees == tuple(names[u] for u in units) and letter.annexes == ()


def test_more_units_are_addressed_together_and_listed_in_an_annex_that_no_copy_carries():
    content, names, units = many_units(40)
    letter = letter_for(content, names)
    assert letter.addressees == ("Các cơ quan, đơn vị thực hiện Kế hoạch số 01/KH-UBND (theo danh sách kèm theo)",)
    [listing] = letter.annexes
    assert listing.rows[0] == UNITS_HEADER and listing.rows[40] == ("40", "KDC-040", "Chi bộ khu dân cư số 40")
    copy = unit_copy(letter, content=content, unit="KDC-007", names=names, issuer_name="Ủy ban nhân dân phường",
                     issued_on=ISSUED, period=Q4)
    assert [a.heading for a in copy.annexes] == ["Biểu mẫu số 01", "Biểu mẫu số 02"][:len(copy.annexes)]
    assert all("Chi bộ khu dân cư số 7" in a.title for a in copy.annexes)
    small = unit_copy(letter_for(*many_units(12)[:2]), content=many_units(12)[0], unit="KDC-007",
                      names=many_units(12)[1], issuer_name="Ủy ban nhân dân phường", issued_on=ISSUED, period=Q4)
    assert abs(len(render_docx(copy)) - len(render_docx(small))) < 200  # 40 units or 12: the same size
