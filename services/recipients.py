"""Who is told: the active users of a role, of a unit, or acting for a complaint. Read once per
transaction (a sweep notifies the same people many times over)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from extensions import db
from models import Complaint, Role, User
from services import policy, txcache


def _active_users(*conditions) -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True), *conditions).order_by(User.id)))


def with_role(role: Role) -> list[User]:
    return txcache.cached(f"role:{role.value}", User, lambda: _active_users(User.role == role))


def leaders() -> list[User]:
    return with_role(Role.LEADER)


def center_staff() -> list[User]:
    return with_role(Role.CENTER)


def unit_members(unit_id: Optional[int], roles: set[Role]) -> list[User]:
    if unit_id is None:
        return []
    return txcache.cached(f"unit_members:{unit_id}:{sorted(roles)}", User,
                          lambda: _active_users(User.unit_id == unit_id, User.role.in_(roles)))


def plan_approvers(complaint: Complaint) -> list[User]:
    """Who approves the complaint's plan waiting now (policy.plan_approvers states the rule)."""
    return policy.plan_approvers(complaint)


def department_recipients(complaint: Complaint) -> list[User]:
    """Who acts for the handling unit: the assigned person; else a department's staff, or (a branch, or a
    department without staff) the heads who assign it."""
    if complaint.assignee is not None and complaint.assignee.active:
        return [complaint.assignee]
    return unit_members(complaint.handling_unit_id, {Role.DEPT_STAFF}) or \
        unit_members(complaint.handling_unit_id, policy.UNIT_HEAD_ROLES)


def reachable(users: list[User]) -> list[User]:
    """A disabled account reads nothing: its unit's head is told instead (the branch head, or the
    department head), once however many of the list are disabled."""
    found: dict[int, User] = {}
    for user in users:
        for one in [user] if user.active else unit_members(user.unit_id, policy.heads_of(user)):
            found.setdefault(one.id, one)
    return list(found.values())
