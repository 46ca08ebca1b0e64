"""The state machine as a table: deny by default, roles per body, guards."""
import pytest

from domain.messages import DomainError
from domain.model.workflow import SYSTEM, TRANSITIONS, Context, State, authorize

ACTIONS = sorted({a for (_, a) in TRANSITIONS} | {"delete", "sign_anything"})


def attempt(state, action, roles, **ctx):
    return authorize(state=state, action=action, roles_held=set(roles), ctx=Context(**{"actor": "u", **ctx}),
                     plan_id=1, body_name="UBND phường")


MISSING = [(s, a) for s in State for a in ACTIONS if (s, a) not in TRANSITIONS]


@pytest.mark.parametrize("state,action", MISSING)
def test_every_pair_missing_from_the_table_is_refused_even_for_a_user_with_every_role(state, action):
    all_roles = {"drafter", "approver", "signer", "clerk", "reporter"}
    with pytest.raises(DomainError) as err:
        attempt(state, action, all_roles, signer="u", reason="x")
    assert err.value.code == "action_not_allowed"


@pytest.mark.parametrize("pair,rule", list(TRANSITIONS.items()), ids=lambda v: str(v))
def test_every_allowed_pair_is_refused_to_a_user_without_the_role(pair, rule):
    state, action = pair
    with pytest.raises(DomainError) as err:
        attempt(state, action, set(), signer="u", reason="x")
    assert err.value.code == "role_required"


def test_the_approval_path_moves_through_the_expected_states():
    assert attempt(State.DRAFT, "submit", {"drafter"}) == State.SUBMITTED
    assert attempt(State.SUBMITTED, "approve", {"approver"}) == State.APPROVED
    assert attempt(State.APPROVED, "return", {"signer"}, reason="Bổ sung chỉ tiêu") == State.RETURNED
    assert attempt(State.RETURNED, "resubmit", {"drafter"}) == State.SUBMITTED
    assert attempt(State.APPROVED, "issue", {"signer"}, signer="u") == State.ISSUED


def test_returning_a_plan_needs_a_reason():
    with pytest.raises(DomainError) as err:
        attempt(State.SUBMITTED, "return", {"approver"}, reason="   ")
    assert err.value.code == "reason_required"
    assert "lý do" in str(err.value)


def test_only_the_signer_named_in_the_plan_may_issue_it():
    with pytest.raises(DomainError) as err:
        attempt(State.APPROVED, "issue", {"signer"}, signer="someone.else")
    assert err.value.code == "not_designated_signer"


def test_the_system_may_distribute_but_never_approve_or_sign():
    assert authorize(state=State.ISSUED, action="distribute", roles_held=set(), ctx=Context(actor=SYSTEM),
                     plan_id=1, body_name="x") == State.DISTRIBUTED
    for state, action in ((State.SUBMITTED, "approve"), (State.APPROVED, "issue")):
        with pytest.raises(DomainError):
            authorize(state=state, action=action, roles_held={"approver", "signer"}, ctx=Context(actor=SYSTEM),
                      plan_id=1, body_name="x")


def test_a_unit_without_a_task_in_the_plan_cannot_report():
    with pytest.raises(DomainError) as err:
        attempt(State.DISTRIBUTED, "submit_report", {"reporter"}, unit_has_task=False)
    assert err.value.code == "unit_not_in_plan"


def test_an_issued_plan_can_no_longer_be_edited():
    for state in (State.ISSUED, State.DISTRIBUTED, State.CLOSED):
        with pytest.raises(DomainError):
            attempt(state, "edit", {"drafter"})


def test_a_clerk_or_drafter_of_the_office_may_record_a_units_report_and_no_other_role_may():
    for role in ("clerk", "drafter"):
        assert attempt(State.DISTRIBUTED, "record_report", {role}) == State.DISTRIBUTED
    for role in ("reporter", "signer", "approver"):
        with pytest.raises(DomainError) as err:
            attempt(State.DISTRIBUTED, "record_report", {role})
        assert err.value.code == "role_required"
    with pytest.raises(DomainError) as err:
        attempt(State.DISTRIBUTED, "record_report", {"clerk"}, unit_has_task=False)
    assert err.value.code == "unit_not_in_plan"
    assert TRANSITIONS[(State.DISTRIBUTED, "record_report")].scope == "office"
