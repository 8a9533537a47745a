"""Hand-over of first responsibility (leave, departure): the owner's head or the administrator gives
a case to someone who may take it (colleagues: the owner's unit first), with the reason; an account is disabled only
once nothing open rests on it."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import or_, select

from extensions import db
from extensions import lazy_gettext as _l
from models import Complaint, ComplaintState, User
from services import notify, policy
from services.complaints import _check
from services.errors import Refused
from services.timeline import log_event

# Who colleagues() offers, as the refusal of anyone else says it.
NOT_A_SUCCESSOR = _l("Choose one of the people offered: an active colleague of the same unit; for the only member "
                     "of a unit, someone of the same role or of the unit above (failing those, the service center "
                     "or a leader).")


def open_cases_of(user: User) -> list[Complaint]:
    """The open complaints `user` owns, handles in the branch or is assigned in a department."""
    return list(db.session.scalars(select(Complaint).where(
        Complaint.state != ComplaintState.CLOSED,
        or_(Complaint.owner_id == user.id, Complaint.handler_id == user.id, Complaint.assignee_id == user.id))
        .order_by(Complaint.id)))


def colleagues(user: User) -> list[User]:
    """Who may take over `user`'s cases: only people who may own cases (policy.REGISTER_ROLES, never the
    administrator), active, other than `user`. The other members of the same unit; where there are none,
    the people of the same role elsewhere (they act on a case as `user` did) and those of the unit above
    (it answers for the unit); where there are still none, the service center and the leaders, who
    see every case. So the only member of a unit can still be handed over and disabled."""
    def people(*conditions) -> list[User]:
        return list(db.session.scalars(select(User).where(
            User.active.is_(True), User.id != user.id, User.role.in_(policy.REGISTER_ROLES), *conditions)
            .order_by(User.id)))
    above = user.unit.parent_id if user.unit is not None else None
    return (people(User.unit_id == user.unit_id)
            or people(or_(User.role == user.role, User.unit_id == above) if above else User.role == user.role)
            or people(User.role.in_(policy.SEE_ALL_ROLES)))


def _check_successor(to: User, leaving: User) -> None:
    if to.id == leaving.id or to not in colleagues(leaving):
        raise Refused(NOT_A_SUCCESSOR, "new_owner")


def hand_over_complaint(complaint: Complaint, actor: User, to: User, reason: str,
                        expected_version: Optional[int] = None) -> None:
    """The owner changes; the branch handling goes along when the owner held it. The unit stays."""
    _check(policy.can_hand_over(actor, complaint), complaint, expected_version)
    _check_successor(to, complaint.owner)
    _pass(complaint, actor, complaint.owner, to, reason)


def _pass(complaint: Complaint, actor: User, leaving: User, to: User, reason: str) -> None:
    if to.id == complaint.object_user_id:
        raise Refused(_l("This complaint is about that person; choose someone else (回避)."), "new_owner")
    if complaint.owner_id == leaving.id:
        complaint.owner, complaint.owner_id = to, to.id
    if complaint.handler_id == leaving.id:
        complaint.handler, complaint.handler_id = to, to.id
    if complaint.assignee_id == leaving.id:
        complaint.assignee, complaint.assignee_id = to, to.id
    log_event(complaint, actor, "handed_over", f"{leaving.name} → {to.name}: {reason}")
    notify.queue_email(to, "handed_over", complaint_id=complaint.id, complaint=complaint, by=actor,
                       previous=leaving, comment=reason)


def hand_over_all(leaving: User, actor: User, to: User, reason: str) -> int:
    """Every open case resting on `leaving` goes to `to` (the administrator, before disabling the account)."""
    if not policy.can_hand_over_all(actor):
        raise Refused()
    cases = open_cases_of(leaving)
    if cases:   # who may succeed `leaving` is the same for every case: asked once
        _check_successor(to, leaving)
    for complaint in cases:
        _check(True, complaint, None)
        _pass(complaint, actor, leaving, to, reason)
    return len(cases)
