"""Every action of the complaint page is refused (403) for a user who may see the complaint but
not do that, whatever the form says, and changes nothing."""
import pytest

from models import ComplaintState
from tests.helpers import answer, dispatch, fresh, give_result, register, version_of, visit


def registered(client_for):
    return register(client_for("staff1"))


def major_with_plan(client_for):
    staff = client_for("staff1")
    complaint = register(staff, media="y")
    staff.act(complaint.id, "plan", {"steps": "s", "responsible": "r", "due_date": "2026-11-26",
                                     "version": version_of(staff, complaint.id)})
    return complaint


def dispatched(client_for):
    complaint = registered(client_for)
    dispatch(client_for("staff1"), complaint)
    return complaint


def answered(client_for):
    complaint = dispatched(client_for)
    answer(client_for("dept1"), complaint)
    return complaint


def awaiting_visit(client_for):
    complaint = answered(client_for)
    give_result(client_for("staff1"), complaint)
    return complaint


def closed(client_for):
    complaint = awaiting_visit(client_for)
    visit(client_for("center1"), complaint, "B")
    return complaint


def with_leader(client_for):
    complaint = awaiting_visit(client_for)
    visit(client_for("center1"), complaint, "D")
    dispatch(client_for("staff1"), complaint)
    answer(client_for("dept1"), complaint)
    give_result(client_for("staff1"), complaint)
    visit(client_for("center1"), complaint, "D")
    return complaint


ANY_FORM = {"unit": "1", "cause": "x", "result": "x", "corrective_action": "x", "preventive_action": "x",
            "comment": "x", "reason": "x", "reply": "x", "channel": "phone", "content": "x", "text": "x",
            "rating": "A", "decision": "approve", "channels_told": "y", "customer_told": "y", "steps": "x",
            "responsible": "x", "due_date": "2026-11-30"}


@pytest.mark.parametrize("state, action, username", [
    (registered, "dispatch", "leader1"), (registered, "invalid", "leader1"), (registered, "plan", "leader1"),
    (registered, "contact", "leader1"), (registered, "note", "leader1"), (registered, "withdraw", "leader1"),
    (registered, "escalate", "lobby1"), (registered, "takeover", "staff1"),
    (major_with_plan, "review", "lobby1"), (major_with_plan, "review", "leader1"),
    (dispatched, "answer", "center1"), (dispatched, "extend", "dept1"), (dispatched, "result", "staff1"),
    (answered, "return", "dept1"), (answered, "result", "leader1"), (answered, "answer", "dept1"),
    (awaiting_visit, "visit", "staff1"), (awaiting_visit, "notice", "dept1"),
    (with_leader, "decide", "center1"), (closed, "review_request", "dept1"), (closed, "visit", "center1"),
])
@pytest.mark.one_backend
def test_an_action_outside_ones_role_is_refused(client_for, state, action, username):
    complaint = state(client_for)
    before = fresh(complaint)
    version, status = before.version, before.state
    client = client_for(username)
    assert client.get(f"/complaints/{complaint.id}").status_code == 200      # may see it ...
    data = dict(ANY_FORM, version=version)
    assert client.act(complaint.id, action, data).status_code == 403          # ... but not do this
    after = fresh(complaint)
    assert (after.version, after.state) == (version, status)


@pytest.mark.one_backend
def test_an_unknown_action_is_404(client_for):
    complaint = registered(client_for)
    assert client_for("staff1").act(complaint.id, "delete", {}).status_code == 404


def test_the_wrong_role_gets_403_but_a_stale_page_gets_the_fresh_state(client_for):
    staff, head = client_for("staff1"), client_for("head1")
    complaint = registered(client_for)
    seen = version_of(staff, complaint.id)
    dispatch(head, complaint)
    late = staff.act(complaint.id, "invalid", {"reason": "x", "reply": "y", "version": seen})
    assert late.status_code == 409 and fresh(complaint).state == ComplaintState.DISPATCHED
