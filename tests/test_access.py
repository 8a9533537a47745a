"""Each role sees only its own unit's complaints; anything else is 404 (never data) or 403."""
import pytest

from tests.helpers import dispatch, register


@pytest.fixture
def routed(client_for):
    """A complaint of branch BR01, dispatched to the Operations department."""
    staff = client_for("staff1")
    complaint = register(staff)
    dispatch(staff, complaint, "OPS")
    return complaint


@pytest.mark.parametrize("username, sees", [
    ("staff1", True), ("lobby1", True), ("head1", True),        # the owning branch
    ("staff2", False), ("head2", False),                        # another branch
    ("dept1", True), ("depthead1", True),                       # the handling department
    ("dept2", False), ("dept3", False),                         # other departments
    ("center1", True), ("leader1", True),                       # see everything
    ("admin", False),                                           # configures, does not read cases
])
@pytest.mark.one_backend
def test_complaint_page_by_role_and_unit(client_for, routed, username, sees):
    client = client_for(username)
    response = client.get(f"/complaints/{routed.id}")
    assert response.status_code == (200 if sees else 404)
    if not sees:
        assert routed.number not in response.text and routed.customer_name not in response.text


@pytest.mark.parametrize("username, queue, sees", [
    ("head1", "/branch/", True), ("head2", "/branch/", False), ("dept1", "/department/", True),
    ("dept2", "/department/", False), ("center1", "/center/", True)])
def test_queues_list_only_the_units_complaints(client_for, routed, username, queue, sees):
    client = client_for(username)
    assert (routed.number in client.get(queue).text) is sees


def test_two_branches_heads_each_see_their_own_queue_in_one_process(client_for, routed):
    """The branch queue's statement is built once per shape of reader (blueprints.listing.built_once),
    the reader's id and unit bound when it runs: the second head must not be shown the first's branch."""
    other = register(client_for("staff2"))
    first, second = client_for("head1").get("/branch/").text, client_for("head2").get("/branch/").text
    assert routed.number in first and other.number not in first
    assert other.number in second and routed.number not in second


def test_a_department_queue_lists_what_was_dispatched_to_it_and_nothing_else(client_for, routed):
    """The queue selects by the unit a case was dispatched to alone (policy.dispatched_to_unit), not
    by all its reader may open: a case its people registered and sent elsewhere is not in it."""
    ops = client_for("dept1")
    own = register(ops)                  # OPS received it (first-responsible), RETAIL answers it
    dispatch(ops, own, "RETAIL")
    listed = ops.get("/department/").text
    assert routed.number in listed and own.number not in listed
    assert ops.get(f"/complaints/{own.id}").status_code == 200   # still OPS's to open, not to answer
    retail = client_for("dept2").get("/department/").text
    assert own.number in retail and routed.number not in retail


def test_what_was_dispatched_to_a_unit_is_what_its_people_may_see(client_for, routed):
    """policy.dispatched_to_unit, which the department queue uses instead of visible_complaints,
    selects for nobody a complaint they may not open; for a unit's people it is not empty."""
    from sqlalchemy import func, not_, select

    from extensions import db
    from models import Complaint, User
    from services import policy
    staff = client_for("staff2")
    for unit in ("RETAIL", "IT", "BR01"):
        dispatch(staff, register(staff), unit)
    for person in db.session.scalars(select(User)):
        mine = select(func.count()).select_from(Complaint).where(policy.dispatched_to_unit(person))
        assert db.session.scalar(mine.where(not_(policy.visible_complaints(person)))) == 0, person.username
        if person.username in ("dept1", "dept2", "dept3", "head1"):
            assert db.session.scalar(mine) >= 1, person.username


@pytest.mark.parametrize("username, forbidden", [
    ("staff1", ["/branch/", "/department/", "/center/", "/admin/"]),
    # Department staff register what they receive (首问负责制); the branch and center queues are not theirs.
    ("dept1", ["/branch/", "/center/", "/admin/"]),
    ("center1", ["/branch/", "/department/", "/admin/"]),
    ("admin", ["/intake/", "/branch/", "/department/", "/center/"]),
])
@pytest.mark.one_backend
def test_other_roles_pages_are_forbidden(client_for, username, forbidden):
    client = client_for(username)
    for url in forbidden:
        assert client.get(url).status_code == 403, url


@pytest.mark.one_backend
def test_actions_on_a_foreign_complaint_are_404_and_change_nothing(client_for, routed):
    from tests.helpers import fresh
    other_dept = client_for("dept2")
    response = other_dept.act(routed.id, "answer", {
        "cause": "x", "result": "x", "corrective_action": "x", "preventive_action": "x", "version": 3})
    assert response.status_code == 404
    assert fresh(routed).answers == []


@pytest.mark.one_backend
def test_a_viewer_without_the_right_cannot_act(client_for, routed):
    """The center may read a dispatched complaint but only the department answers it."""
    from tests.helpers import fresh
    response = client_for("center1").act(routed.id, "answer", {
        "cause": "x", "result": "x", "corrective_action": "x", "preventive_action": "x",
        "version": fresh(routed).version})
    assert response.status_code == 403
    assert fresh(routed).answers == []


@pytest.mark.one_backend
def test_unknown_complaint_is_404(client_for):
    assert client_for("center1").get("/complaints/999999").status_code == 404
