"""Who may see and do what, by role and unit. Every view and every list query asks here."""
from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from models import Complaint, ComplaintState, Role, User

BRANCH_ROLES = {Role.STAFF, Role.LOBBY_MANAGER, Role.BRANCH_HEAD}
DEPARTMENT_ROLES = {Role.DEPT_STAFF, Role.DEPT_HEAD}
SEE_ALL_ROLES = {Role.CENTER, Role.LEADER}
REGISTER_ROLES = BRANCH_ROLES | {Role.CENTER}
SUPERVISOR_ROLES = {Role.LOBBY_MANAGER, Role.BRANCH_HEAD}


def visible_complaints(user: User) -> ColumnElement[bool]:
    """A SQL condition selecting the complaints `user` may see."""
    if user.role in SEE_ALL_ROLES:
        return true()
    if user.role in BRANCH_ROLES:
        return Complaint.unit_id == user.unit_id
    if user.role in DEPARTMENT_ROLES:
        return Complaint.handling_unit_id == user.unit_id
    return false()


def can_view(user: User, complaint: Complaint) -> bool:
    if user.role in SEE_ALL_ROLES:
        return True
    if user.role in BRANCH_ROLES:
        return complaint.unit_id == user.unit_id
    if user.role in DEPARTMENT_ROLES:
        return complaint.handling_unit_id == user.unit_id
    return False


def can_register(user: User) -> bool:
    return user.role in REGISTER_ROLES


def _answers_for_owner(user: User, complaint: Complaint) -> bool:
    """The first-responsible owner, their branch supervisors, or the service center."""
    return (user.id == complaint.owner_id
            or (user.role in SUPERVISOR_ROLES and user.unit_id == complaint.unit_id)
            or user.role == Role.CENTER)


def can_dispatch(user: User, complaint: Complaint) -> bool:
    return complaint.state == ComplaintState.REGISTERED and _answers_for_owner(user, complaint)


def can_answer(user: User, complaint: Complaint) -> bool:
    return (complaint.state == ComplaintState.DISPATCHED
            and user.role in DEPARTMENT_ROLES
            and user.unit_id == complaint.handling_unit_id)


def can_decide_answer(user: User, complaint: Complaint) -> bool:
    """Send the department's answer back."""
    return complaint.state == ComplaintState.ANSWERED and _answers_for_owner(user, complaint)


def can_judge_validity(user: User, complaint: Complaint) -> bool:
    return (complaint.state == ComplaintState.REGISTERED and complaint.round == 1
            and _answers_for_owner(user, complaint))


def can_give_result(user: User, complaint: Complaint) -> bool:
    """Tell the customer the result: the department's answer, or the branch's own handling."""
    return (complaint.state in (ComplaintState.REGISTERED, ComplaintState.ANSWERED)
            and _answers_for_owner(user, complaint))


def can_log_contact(user: User, complaint: Complaint) -> bool:
    if complaint.state == ComplaintState.CLOSED:
        return False
    return _answers_for_owner(user, complaint) or (
        user.role in DEPARTMENT_ROLES and user.unit_id == complaint.handling_unit_id)


def can_record_visit(user: User, complaint: Complaint) -> bool:
    """Return visits are made by the service center, or by the owner's side."""
    return complaint.state == ComplaintState.AWAITING_VISIT and _answers_for_owner(user, complaint)


def can_decide_as_leader(user: User, complaint: Complaint) -> bool:
    return complaint.state == ComplaintState.WITH_LEADER and user.role == Role.LEADER
