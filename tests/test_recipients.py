"""services/recipients.py: who is told, read from the demo organisation without HTTP."""
import uuid

import pytest

from extensions import db
from models import Role, Unit
from services import complaints, recipients
from services.registration import register_complaint
from tests.helpers import registration, unit_id, user

pytestmark = pytest.mark.one_backend


def names(users) -> list[str]:
    return [u.username for u in users]


def test_roles_and_units_list_their_active_members(app):
    assert names(recipients.leaders()) == ["leader1"] == names(recipients.with_role(Role.LEADER))
    assert names(recipients.center_staff()) == ["center1"]
    branch = user("staff1").unit_id
    assert names(recipients.unit_members(branch, {Role.STAFF, Role.LOBBY_MANAGER})) == ["staff1", "lobby1"]
    assert recipients.unit_members(None, {Role.STAFF}) == []
    user("lobby1").active = False
    db.session.commit()
    assert names(recipients.unit_members(branch, {Role.STAFF, Role.LOBBY_MANAGER})) == ["staff1"]


def test_plan_approvers_follow_the_policy_rule(app):
    branch_case, _ = register_complaint(user("staff2"), uuid.uuid4().hex, registration())
    center_case, _ = register_complaint(user("center1"), uuid.uuid4().hex, registration())
    db.session.commit()
    assert names(recipients.plan_approvers(branch_case)) == ["head2"]     # the branch's own head
    assert names(recipients.plan_approvers(center_case)) == ["leader1"]   # head office: the leader


def test_the_department_is_reached_through_its_assignee_or_else_its_staff_or_else_its_head(app):
    assigned, _ = register_complaint(user("staff1"), uuid.uuid4().hex, registration())
    whole, _ = register_complaint(user("staff1"), uuid.uuid4().hex, registration())
    complaints.dispatch_complaint(assigned, user("staff1"), db.session.get(Unit, unit_id("OPS")), user("depthead1"))
    complaints.dispatch_complaint(whole, user("staff1"), db.session.get(Unit, unit_id("OPS")))
    db.session.commit()
    assert names(recipients.department_recipients(assigned)) == ["depthead1"]
    assert names(recipients.department_recipients(whole)) == ["dept1"]
    user("dept1").active = False
    user("depthead1").active = False
    db.session.commit()
    assert names(recipients.department_recipients(whole)) == []
    user("depthead1").active = True
    db.session.commit()
    assert names(recipients.department_recipients(whole)) == ["depthead1"]
    assert names(recipients.department_recipients(assigned)) == ["depthead1"]
