"""Who may see and do what, by role and unit. Every view and every list query asks here."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, false, not_, or_, select, true
from sqlalchemy.orm import aliased

from models import Complaint, ComplaintState, Incident, Plan, PlanState, Role, Unit, UnitKind, User
from extensions import db
from services import clock, org_settings, txcache

BRANCH_ROLES = {Role.STAFF, Role.LOBBY_MANAGER, Role.BRANCH_HEAD}
DEPARTMENT_ROLES = {Role.DEPT_STAFF, Role.DEPT_HEAD}
SEE_ALL_ROLES = {Role.CENTER, Role.LEADER}
# 首问负责制: whoever receives a complaint registers it, whatever their unit; only the administrator does not.
REGISTER_ROLES = BRANCH_ROLES | DEPARTMENT_ROLES | SEE_ALL_ROLES
SUPERVISOR_ROLES = {Role.LOBBY_MANAGER, Role.BRANCH_HEAD}
# The units a complaint is dispatched to (a department or a branch), the people of each who may handle
# it, and those of them who assign it: the department head; the branch head or lobby manager.
HANDLING_UNIT_ROLES = {UnitKind.DEPARTMENT: DEPARTMENT_ROLES, UnitKind.BRANCH: BRANCH_ROLES}
UNIT_HEAD_ROLES = SUPERVISOR_ROLES | {Role.DEPT_HEAD}


def visible_complaints(user: User, named: Optional[bool] = None, leaders: Optional[Role] = None) -> ColumnElement[bool]:
    """A SQL condition selecting the complaints `user` may see. `named` and `leaders`: whether the user
    is named for the plans no seat may approve, and who approves a leader's plan, when the caller
    knows them already (a statement built once per shape of reader, whose id is a parameter)."""
    if user.role in SEE_ALL_ROLES:
        return true()
    if user.role in BRANCH_ROLES | DEPARTMENT_ROLES:
        # received by the unit, handled by it, or the user's own. Never NULL, so that NOT of it
        # counts the complaints one may not see.
        seen = or_(of_unit(user.unit_id), Complaint.owner_id == user.id)
        if named is None:
            named = named_for_plans(user)
        return or_(seen, _plan_waits_on(user, leaders or leaders_plans())) if named else seen
    return false()


def of_unit(unit_id: int) -> ColumnElement[bool]:
    """The complaints a unit received or that were dispatched to it: what it sees and counts. Never
    NULL (a complaint not yet dispatched has no handling unit), so that NOT of it is the others."""
    return or_(Complaint.unit_id == unit_id,
               and_(Complaint.handling_unit_id.is_not(None), Complaint.handling_unit_id == unit_id))


def dispatched_to_unit(user: User) -> ColumnElement[bool]:
    """The complaints dispatched to `user`'s unit: for its people a part of visible_complaints (its
    second term), which a list of only these (the department queue) uses instead of the whole OR."""
    if user.role in BRANCH_ROLES | DEPARTMENT_ROLES and user.unit_id is not None:
        return Complaint.handling_unit_id == user.unit_id
    return false()


def _plan_waits_on(user: User, leaders: Role) -> ColumnElement[bool]:
    """The person named for plans nobody else may approve sees the complaints whose plan waits on them."""
    return Complaint.id.in_(_plans_waiting_on(_Approver(user.id, user.role, user.unit_id), leaders))


@dataclass(frozen=True)
class _Approver:
    """What plans_approved_by reads of a user (a hashable key for the cache below)."""
    id: int
    role: Role
    unit_id: Optional[int]


@functools.lru_cache(maxsize=256)
def _plans_waiting_on(approver: _Approver, leaders: Role) -> Select:
    """The ids of the complaints whose plan waits on `approver`, the person named for the plans
    nobody else may approve; built once per person and setting (its 70 seats cost more to build
    than to run, on every page of that person). Not correlated: the few complaints with such a plan
    are found once, a hashed list, instead of being asked of every complaint a statement reads (a
    department head's search of the ledger took 7 s at 1,000,000 complaints, measured)."""
    plan, author, about, unit = aliased(Plan), aliased(User), aliased(User), aliased(Unit)
    return (select(Complaint.id).join(plan, plan.complaint_id == Complaint.id)
            .join(author, author.id == plan.author_id).join(unit, unit.id == Complaint.unit_id)
            .outerjoin(about, about.id == Complaint.object_user_id)
            .where(plan.state == PlanState.PENDING, plans_approved_by(approver, author, about, unit, leaders, named=True))
            .correlate(None))


def visible_incidents(user: User) -> ColumnElement[bool]:
    """A SQL condition on Incident: those `user` may open, i.e. with a complaint the user may see."""
    if user.role in SEE_ALL_ROLES:
        return true()
    return select(Complaint.id).where(Complaint.incident_id == Incident.id, visible_complaints(user)).exists()


def can_view(user: User, complaint: Complaint) -> bool:
    if user.role in SEE_ALL_ROLES:
        return True
    if user.role in BRANCH_ROLES | DEPARTMENT_ROLES:
        return (user.unit_id in (complaint.unit_id, complaint.handling_unit_id) or complaint.owner_id == user.id
                or (named_for_plans(user) and complaint.current_plan is not None
                    and complaint.current_plan.state == PlanState.PENDING and approves_plans_of(user, complaint)))
    return False


def can_register(user: User) -> bool:
    return user.role in REGISTER_ROLES


# The escalation ladder inside a branch: first-contact staff → lobby manager → branch head.
BRANCH_LADDER = [Role.STAFF, Role.LOBBY_MANAGER, Role.BRANCH_HEAD]


def _answers_for_owner(user: User, complaint: Complaint) -> bool:
    """The first-responsible owner, the branch handler, the heads of the receiving unit, or the service center."""
    return (user.id == complaint.owner_id or user.id == complaint.handler_id
            or (user.role in UNIT_HEAD_ROLES and user.unit_id == complaint.unit_id)
            or user.role == Role.CENTER)


def can_dispatch(user: User, complaint: Complaint) -> bool:
    return complaint.state == ComplaintState.REGISTERED and _answers_for_owner(user, complaint)


def may_handle_for(user: User, unit: Unit) -> bool:
    """`user` may be the handler of a complaint dispatched to `unit` (a department or a branch)."""
    return user.active and user.unit_id == unit.id and user.role in HANDLING_UNIT_ROLES.get(unit.kind, ())


def _in_handling_department(user: User, complaint: Complaint) -> bool:
    """A member of the unit the complaint was dispatched to; never the person it is about (回避)."""
    return (user.unit_id == complaint.handling_unit_id and user.role in BRANCH_ROLES | DEPARTMENT_ROLES
            and user.id != complaint.object_user_id)


def can_assign(user: User, complaint: Complaint) -> bool:
    """The head of the handling unit assigns (and reassigns) its handler while the unit has the case."""
    return (complaint.state == ComplaintState.DISPATCHED and user.role in UNIT_HEAD_ROLES
            and user.unit_id == complaint.handling_unit_id)


def can_answer(user: User, complaint: Complaint) -> bool:
    return (complaint.state == ComplaintState.DISPATCHED and _in_handling_department(user, complaint)
            and complaint.plan_cleared)


def can_submit_plan(user: User, complaint: Complaint) -> bool:
    """The side handling the complaint now writes the plan: the department while it has it,
    otherwise the owner's side; one plan waits for approval at a time."""
    plan = complaint.current_plan
    if plan is not None and plan.state != PlanState.REJECTED:
        return False
    if complaint.state == ComplaintState.DISPATCHED:
        return _in_handling_department(user, complaint)
    if complaint.state == ComplaintState.ANSWERED:   # only when a major case still lacks its plan
        return not complaint.plan_cleared and _answers_for_owner(user, complaint)
    return complaint.state == ComplaintState.REGISTERED and _answers_for_owner(user, complaint)


def _instead_of(role: Role) -> Role:
    """Who approves when nobody of the seat may (回避, or the plan's own author): leader ↔ center."""
    return Role.CENTER if role == Role.LEADER else Role.LEADER


def plan_seats(unit_kind: UnitKind, unit_id, author_role: Optional[Role] = None, leaders: Optional[Role] = None):
    """Who approves a plan of a major complaint of a unit of this kind, written by someone of `author_role`:
    the seats (role, the unit the approver must belong to, or None for any) in the order they are asked.
    The branch head approves the branch's plans, and the leader those of head-office units (service
    center, departments) and the branch head's own; a leader's own plan goes to the service center or
    another leader, as the administrator sets (`leaders`, read from org_settings when not given). A seat
    whose every active holder wrote the plan or is the person complained about (回避) passes it one
    level up (branch head → leader ↔ center), and past the last seat to the person the administrator
    names (recipients.plan_approvers). Nobody approves their own plan. The one statement of the rule:
    approves_plans_of, plans_approved_by (for SQL), PLAN_APPROVER_ROLES and recipients.plan_approvers."""
    if author_role == Role.LEADER:
        first = leaders or leaders_plans()
        return [(first, None), (_instead_of(first), None)]
    if unit_kind == UnitKind.BRANCH and author_role != Role.BRANCH_HEAD:
        return [(Role.BRANCH_HEAD, unit_id), (Role.LEADER, None), (Role.CENTER, None)]
    return [(Role.LEADER, None), (Role.CENTER, None)]


def plan_approver(unit_kind: UnitKind, unit_id, author_role: Optional[Role] = None):
    """The first seat of plan_seats: who approves when nothing stands in the way."""
    return plan_seats(unit_kind, unit_id, author_role)[0]


def leaders_plans() -> Role:
    return Role.LEADER if org_settings.plan_approval()["leaders"] == "leader" else Role.CENTER


def plan_fallback_id() -> Optional[int]:
    """The person the administrator names for a plan no seat may approve (None: nobody named)."""
    return org_settings.plan_approval()["fallback"]


def named_for_plans(user: User) -> bool:
    """Whether `user` is the person the administrator names for a plan no seat may approve."""
    return user.id == plan_fallback_id()


# Every role that approves the plans of some kind of unit: theirs is the approvals page.
PLAN_APPROVER_ROLES = frozenset(role for kind in UnitKind for author in Role for leaders in (Role.CENTER, Role.LEADER)
                                for role, _unit in plan_seats(kind, None, author, leaders))
# Who may be named for the plans no seat may approve: never a leader nor the service center (SEE_ALL_ROLES),
# the last seats of every plan, asked before the named person: one of them named could approve nothing more.
PLAN_FALLBACK_ROLES = frozenset(REGISTER_ROLES - SEE_ALL_ROLES)


def reviews_plans(user: User) -> bool:
    """The approvals page is for the approving roles and the person named for the plans nobody else may approve."""
    return user.role in PLAN_APPROVER_ROLES or named_for_plans(user)


def _seat_holders(role: Role, unit_id: Optional[int]) -> list[User]:
    return txcache.cached(f"plan_seat:{role.value}:{unit_id}", User, lambda: list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role == role,
                           true() if unit_id is None else User.unit_id == unit_id).order_by(User.id))))


def plan_approvers(complaint: Complaint) -> list[User]:
    """Who approves the complaint's plan waiting now (or the next one, written by its owner): the first
    seat of plan_seats with an active holder who neither wrote the plan nor is complained about (回避);
    past the last seat, the person the administrator names; nobody only when nobody is named."""
    plan = complaint.current_plan
    author = plan.author if plan is not None else complaint.owner
    excluded = {author.id, complaint.object_user_id}
    for role, unit_id in plan_seats(complaint.unit.kind, complaint.unit_id, author.role):
        found = [u for u in _seat_holders(role, unit_id) if u.id not in excluded]
        if found:
            return found
    fallback = plan_fallback_id()
    named = db.session.get(User, fallback) if fallback is not None else None
    return [named] if named is not None and named.active and named.id not in excluded else []


def approves_plans_of(user: User, complaint: Complaint) -> bool:
    return user in plan_approvers(complaint)


def plans_approved_by(user: User, author, about, unit, leaders: Optional[Role] = None,
                      named: Optional[bool] = None) -> ColumnElement[bool]:
    """A SQL condition on Complaint joined with its unit (`unit`, Unit or an alias), the plan's author
    (`author`, an alias of User) and, outer, the person complained about (`about`): the complaints
    whose plans `user` approves. plan_seats is asked for every kind of unit and author, the complaint's
    unit column standing for the unit; a seat counts when no earlier seat has an active holder who
    neither wrote the plan nor is complained about, as recipients.plan_approvers reads it.
    `leaders` and `named` (is `user` the person named for the plans no seat may approve) are read
    from the settings unless given, as they are for a stand-in whose id is a bound parameter
    (services.my_work)."""
    leaders = leaders or leaders_plans()
    if named is None:
        named = named_for_plans(user)
    cases = []
    for kind in UnitKind:
        for author_role in Role:
            seats = plan_seats(kind, Complaint.unit_id, author_role, leaders)
            written = and_(unit.kind == kind, author.role == author_role)
            for index, (role, unit_id) in enumerate(seats):
                if role == user.role:
                    cases.append(and_(written, true() if unit_id is None else unit_id == user.unit_id,
                                      *[not_(_seat_held(seat, author, about, place))
                                        for place, seat in enumerate(seats[:index])]))
            if named:
                cases.append(and_(written, *[not_(_seat_held(seat, author, about, place))
                                             for place, seat in enumerate(seats)]))
    return and_(author.id != user.id, or_(about.id.is_(None), about.id != user.id), or_(false(), *cases))


# The seats' holders, one alias for each place in a list of seats (plan_seats gives three at most),
# made once: an alias builds a copy of every column when first used, and plans_approved_by asks for
# 70 seats (building them took the person named for the plans nobody else may approve 100 ms a page).
_HOLDERS = tuple(aliased(User, name=f"seat_holder_{place}") for place in range(3))


def _seat_held(seat, author, about, place: int) -> ColumnElement[bool]:
    """Someone active holds the seat who neither wrote the plan nor is the person complained about
    (`place`: the seat's place in its list, each EXISTS its own alias of the user table)."""
    role, unit_id = seat
    holder = _HOLDERS[place]
    return select(holder.id).where(holder.active.is_(True), holder.role == role,
                                   true() if unit_id is None else holder.unit_id == unit_id,
                                   holder.id != author.id,
                                   or_(about.id.is_(None), holder.id != about.id)).exists()


def can_review_plan(user: User, complaint: Complaint) -> bool:
    """The approver, and never the plan's own author nor the person the complaint is about."""
    plan = complaint.current_plan
    return (plan is not None and plan.state == PlanState.PENDING and plan.author_id != user.id
            and user.id != complaint.object_user_id and approves_plans_of(user, complaint))


def can_decide_answer(user: User, complaint: Complaint) -> bool:
    """Send the department's answer back."""
    return complaint.state == ComplaintState.ANSWERED and _answers_for_owner(user, complaint)


def can_judge_validity(user: User, complaint: Complaint) -> bool:
    return (complaint.state == ComplaintState.REGISTERED and complaint.round == 1
            and _answers_for_owner(user, complaint))


def can_give_result(user: User, complaint: Complaint) -> bool:
    """Tell the customer the result: the department's answer, or the branch's own handling."""
    return (complaint.state in (ComplaintState.REGISTERED, ComplaintState.ANSWERED)
            and _answers_for_owner(user, complaint) and complaint.plan_cleared)


def can_log_contact(user: User, complaint: Complaint) -> bool:
    if complaint.state == ComplaintState.CLOSED:
        return False
    return _answers_for_owner(user, complaint) or _in_handling_department(user, complaint)


def can_record_visit(user: User, complaint: Complaint) -> bool:
    """Return visits are made by the service center or the owner's side, never by the handler."""
    return (complaint.state == ComplaintState.AWAITING_VISIT and _answers_for_owner(user, complaint)
            and user.id != current_handler_id(complaint))


def can_withdraw(user: User, complaint: Complaint) -> bool:
    return complaint.state != ComplaintState.CLOSED and _answers_for_owner(user, complaint)


def can_decide_as_leader(user: User, complaint: Complaint) -> bool:
    return complaint.state == ComplaintState.WITH_LEADER and user.role == Role.LEADER


def current_handler_id(complaint: Complaint) -> int:
    return complaint.handler_id or complaint.owner_id


def can_escalate(user: User, complaint: Complaint) -> bool:
    """The branch handler hands the case one level up (not past the branch head)."""
    return (complaint.state != ComplaintState.CLOSED and complaint.unit.kind == UnitKind.BRANCH
            and user.id == current_handler_id(complaint) and user.unit_id == complaint.unit_id
            and user.role in BRANCH_LADDER[:-1])


def can_take_over(user: User, complaint: Complaint) -> bool:
    """A lobby manager or branch head takes a case of the branch from someone lower on the ladder."""
    if complaint.state == ComplaintState.CLOSED or complaint.unit.kind != UnitKind.BRANCH:
        return False
    if user.role not in SUPERVISOR_ROLES or user.unit_id != complaint.unit_id:
        return False
    handler = complaint.handler or complaint.owner
    lower = handler.role not in BRANCH_LADDER or BRANCH_LADDER.index(handler.role) < BRANCH_LADDER.index(user.role)
    return user.id != handler.id and lower


def can_extend_ceiling(user: User, complaint: Complaint) -> bool:
    """The first extension (to 30 days) by the owner's side; the second only by the leader."""
    if complaint.state == ComplaintState.CLOSED or complaint.review_of_id is not None:
        return False
    done = len(complaint.extensions)
    return (done == 0 and _answers_for_owner(user, complaint)) or (done == 1 and user.role == Role.LEADER)


def can_send_notice(user: User, complaint: Complaint) -> bool:
    """The decision notice exists once the customer has a result or a decision."""
    return complaint.result_given_at is not None and (_answers_for_owner(user, complaint) or user.role == Role.LEADER)


def can_request_review(user: User, complaint: Complaint) -> bool:
    """核查: the customer disputes the closed decision within 30 days; the center or the owner's side files it."""
    return (complaint.state == ComplaintState.CLOSED and complaint.review_of_id is None
            and not complaint.reviews and complaint.closed_at is not None
            and clock.now() <= complaint.closed_at + timedelta(days=current_app.config["REVIEW_DAYS"])
            and _answers_for_owner(user, complaint))


def can_adjust_deadline(user: User, complaint: Complaint) -> bool:
    """Moving one case's clock by hand is for the service center and the leader, with a reason."""
    return complaint.state != ComplaintState.CLOSED and user.role in SEE_ALL_ROLES


def can_attach(user: User, complaint: Complaint) -> bool:
    """Evidence is added by those acting on the open case: the owner's side, the handling
    department, the service center and the leader."""
    return can_log_contact(user, complaint) or (complaint.state != ComplaintState.CLOSED and user.role == Role.LEADER)


def heads_of(owner: User) -> set[Role]:
    """The roles that answer for a member of the owner's unit: its branch head, or its department head."""
    return {Role.BRANCH_HEAD} if owner.unit.kind == UnitKind.BRANCH else {Role.DEPT_HEAD}


def can_hand_over(user: User, complaint: Complaint) -> bool:
    """First responsibility changes hands (leave, departure) through the owner's head or the administrator."""
    if complaint.state == ComplaintState.CLOSED:
        return False
    owner = complaint.owner
    return user.role == Role.ADMIN or (user.role in heads_of(owner) and user.unit_id == owner.unit_id
                                       and user.id != owner.id)


def can_reclassify(user: User, complaint: Complaint) -> bool:
    """Level, category, kind and severity change with a reason: the owner until the case is dispatched,
    the service center and the branch head of the case until it is closed."""
    if complaint.state == ComplaintState.CLOSED:
        return False
    if user.role == Role.CENTER or (user.role == Role.BRANCH_HEAD and user.unit_id == complaint.unit_id):
        return True
    return user.id == complaint.owner_id and complaint.dispatched_at is None


def can_correct_fields(user: User, complaint: Complaint) -> bool:
    """The organisation's own fields (order data, policy number …) are corrected by the unit that
    registered the complaint and by the service center, until it is closed."""
    return complaint.state != ComplaintState.CLOSED and (user.role == Role.CENTER or user.unit_id == complaint.unit_id)


def can_make_milder(user: User, complaint: Complaint) -> bool:
    """A milder level, or a major complaint made general, needs the branch head or the center."""
    return user.role == Role.CENTER or (user.role == Role.BRANCH_HEAD and user.unit_id == complaint.unit_id)


def can_hand_over_all(user: User) -> bool:
    """Every open case of one account at once: the administrator, before disabling it."""
    return user.role == Role.ADMIN
