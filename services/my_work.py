"""待我处理: what waits on one user now, grouped by what they must do, the most urgent first.

Each group is one SQL condition on Complaint, the same rule as a can_* function of services.policy
narrowed to the people a deadline waits on (services.reminders.assignees): an action others may
also take (the center may dispatch any complaint) waits on the owner, not on everyone allowed.
A group's rows are LIMITed, its total counted with them, and all groups are read in one statement;
so are the counts for the navigation. Nothing loads the complaints it does not show.

The statements are built once for each shape of reader (Reader: role, kind of unit and the settings
that shape the SQL), the user's own values bound when they run: building them cost more than
running them, and the navigation asks for the counts on every page."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from sqlalchemy import (ColumnElement, Integer, Select, and_, bindparam, false, func, literal_column, not_, or_, select,
                        true, union_all)
from sqlalchemy.orm import aliased

from extensions import db
from models import (CapaRecord, CapaState, Complaint, ComplaintState, Deadline, DeadlineKind, Plan, PlanState, Role, Unit,
                    UnitKind, User)
from services import capa, clock, deadlines, policy, sql
from services.labels import holder

LIMIT = 20   # rows shown per group; the rest are counted and linked


@dataclass(frozen=True)
class Reader:
    """A user as the groups' SQL sees them: what shapes the statements, and the user's own values as
    parameters (bound by `values`), so that one build serves every user of the same shape."""
    role: Role
    unit_kind: UnitKind
    capa: bool                 # the profile keeps the departments' records (capa.enabled)
    leaders_plans: Role        # who approves a leader's plan (policy.plan_seats)
    named_for_plans: bool      # the person named for the plans no seat may approve (policy.plan_fallback_id)

    id = bindparam("me", type_=Integer)
    unit_id = bindparam("my_unit", type_=Integer)
    now = bindparam("now", type_=Deadline.remind_at.type)

    @classmethod
    def of(cls, user: User) -> "Reader":
        return cls(user.role, user.unit.kind, capa.enabled(), policy.leaders_plans(), policy.named_for_plans(user))

    @staticmethod
    def values(user: User) -> dict:
        return {"me": user.id, "my_unit": user.unit_id, "now": clock.now()}


@dataclass(frozen=True)
class Group:
    key: str                       # dispatch, assign, answer, approve, result, visit, decide, progress
    kinds: tuple                   # the clocks of the step: the nearest open one is the row's time
    query: Callable[[Reader], Optional[Select]]   # the complaints of the group for a reader (None: never any)


def _owner_side(user: Reader) -> ColumnElement[bool]:
    """The owner's side's clocks wait on the owner and the branch handler; for a disabled account, on
    the head of its unit (reminders.reachable), when the head answers for the case (policy)."""
    waiting = or_(Complaint.owner_id == user.id, Complaint.handler_id == user.id)
    head = Role.BRANCH_HEAD if user.unit_kind == UnitKind.BRANCH else Role.DEPT_HEAD
    if user.role != head:
        return waiting
    # The unit's disabled accounts, asked once (a hashed list), not once for each of the unit's open
    # complaints (9 ms instead of 3.5 of the branch head's counts at 1,000,000 complaints, measured).
    disabled = select(User.id).where(User.active.is_(False), User.unit_id == user.unit_id)
    return or_(waiting, and_(Complaint.unit_id == user.unit_id,
                             or_(Complaint.owner_id.in_(disabled), Complaint.handler_id.in_(disabled))))


def _current_plan_state():
    """The state of the newest plan of the complaint's current round (Complaint.current_plan), or NULL."""
    plan = aliased(Plan)
    return (select(plan.state).where(plan.complaint_id == Complaint.id, plan.round == Complaint.round)
            .order_by(plan.id.desc()).limit(1).correlate(Complaint).scalar_subquery())


def _in_handling_unit(user: Reader) -> ColumnElement[bool]:
    """policy._in_handling_department: a member of the handling unit, not the person complained about."""
    if user.role not in policy.BRANCH_ROLES | policy.DEPARTMENT_ROLES:
        return false()
    return and_(Complaint.handling_unit_id == user.unit_id,
                or_(Complaint.object_user_id.is_(None), Complaint.object_user_id != user.id))


def _handling_unit_waits_on(user: Reader) -> ColumnElement[bool]:
    """recipients.department_recipients: the assignee; without one (or a disabled one), the unit's
    staff, or, in a unit without staff (a branch), its heads."""
    unassigned = or_(Complaint.assignee_id.is_(None), select(User.id).where(
        User.id == Complaint.assignee_id, User.active.is_(False)).exists())
    if user.role == Role.DEPT_STAFF:
        fallback = true()
    elif user.role in policy.UNIT_HEAD_ROLES:
        fallback = not_(select(User.id).where(User.unit_id == Complaint.handling_unit_id, User.active.is_(True),
                                              User.role == Role.DEPT_STAFF).exists())
    else:
        fallback = false()
    return or_(Complaint.assignee_id == user.id, and_(unassigned, fallback))


def _dispatch(user: Reader) -> Select:
    return select(Complaint).where(Complaint.state == ComplaintState.REGISTERED, _owner_side(user))


def _assign(user: Reader) -> Optional[Select]:
    if user.role not in policy.UNIT_HEAD_ROLES:
        return None
    return select(Complaint).where(Complaint.state == ComplaintState.DISPATCHED,
                                   Complaint.handling_unit_id == user.unit_id, Complaint.assignee_id.is_(None))


def _answer(user: Reader) -> Optional[Select]:
    """The answer, or first the plan a major complaint needs: not while a plan waits for approval."""
    if user.role not in policy.BRANCH_ROLES | policy.DEPARTMENT_ROLES:
        return None
    plan = _current_plan_state()
    return select(Complaint).where(
        Complaint.state == ComplaintState.DISPATCHED, _in_handling_unit(user), _handling_unit_waits_on(user),
        or_(not_(Complaint.is_major), plan.is_(None), plan != PlanState.PENDING))


def _approve(user: Reader) -> Optional[Select]:
    """policy.can_review_plan, as the approvals page asks it."""
    if user.role not in policy.PLAN_APPROVER_ROLES and not user.named_for_plans:   # as policy.reviews_plans
        return None
    author, about = aliased(User), aliased(User)
    return (select(Complaint).join(Plan, and_(Plan.complaint_id == Complaint.id, Plan.round == Complaint.round))
            .join(Unit, Unit.id == Complaint.unit_id).join(author, author.id == Plan.author_id)
            .outerjoin(about, about.id == Complaint.object_user_id)
            .where(Plan.state == PlanState.PENDING, Plan.author_id != user.id,
                   or_(Complaint.object_user_id.is_(None), Complaint.object_user_id != user.id),
                   policy.plans_approved_by(user, author, about, Unit, user.leaders_plans, user.named_for_plans)))


def _result(user: Reader) -> Select:
    """The department answered: the owner's side tells the customer, or sends the answer back. Where
    the 分管领导 signs off the departments' records, a department's answer waits for that first
    (capa.result_refusal): until then the case is on the leader's or the department's list, not here."""
    query = select(Complaint).where(Complaint.state == ComplaintState.ANSWERED, _owner_side(user))
    if user.capa:
        by_department = select(Unit.id).where(Unit.id == Complaint.handling_unit_id,
                                              Unit.kind == UnitKind.DEPARTMENT).exists()
        query = query.where(or_(~by_department, _capa_in(CapaState.SIGNED_OFF)))
    return query


def _visit(user: Reader) -> Select:
    """The service center visits; without one, the owner (reminders.assignees); never the handler."""
    if user.role == Role.CENTER:
        waits = true()
    else:
        waits = and_(Complaint.owner_id == user.id, not_(select(User.id).where(
            User.role == Role.CENTER, User.active.is_(True)).exists()))
    return select(Complaint).where(Complaint.state == ComplaintState.AWAITING_VISIT, waits,
                                   func.coalesce(Complaint.handler_id, Complaint.owner_id) != user.id)


def _decide(user: Reader) -> Optional[Select]:
    if user.role != Role.LEADER:
        return None
    return select(Complaint).where(Complaint.state == ComplaintState.WITH_LEADER)


def _progress(user: Reader) -> Select:
    """An open major complaint whose progress note is due: the handling unit's while it has the case,
    otherwise the owner's side's."""
    waits = or_(and_(Complaint.state == ComplaintState.DISPATCHED, _in_handling_unit(user),
                     _handling_unit_waits_on(user)),
                and_(Complaint.state != ComplaintState.DISPATCHED, _owner_side(user)))
    due = select(Deadline.id).where(Deadline.complaint_id == Complaint.id, Deadline.kind == DeadlineKind.PROGRESS,
                                    Deadline.met_at.is_(None), Deadline.remind_at <= user.now)
    return select(Complaint).where(Complaint.state != ComplaintState.CLOSED, due.exists(), waits)


def _capa_in(state: CapaState):
    return select(CapaRecord.id).where(CapaRecord.complaint_id == Complaint.id, CapaRecord.round == Complaint.round,
                                       CapaRecord.state == state).exists()


def _sign_off(user: Reader) -> Optional[Select]:
    """capa.can_sign: the 分管领导 signs off the departments' records (where the profile keeps them)."""
    if user.role != Role.LEADER or not user.capa:
        return None
    return select(Complaint).where(_capa_in(CapaState.SUBMITTED),
                                   or_(Complaint.object_user_id.is_(None), Complaint.object_user_id != user.id))


def _fix_record(user: Reader) -> Optional[Select]:
    """capa.can_fill where it waits: the department answered and has not submitted its record yet, or
    the 分管领导 sent it back and the department fixes it and submits it again."""
    if user.role not in policy.DEPARTMENT_ROLES or not user.capa:
        return None
    none_yet = and_(Complaint.state == ComplaintState.ANSWERED, ~select(CapaRecord.id).where(
        CapaRecord.complaint_id == Complaint.id, CapaRecord.round == Complaint.round).exists())
    return (select(Complaint).join(Unit, Unit.id == Complaint.handling_unit_id)
            .where(Unit.kind == UnitKind.DEPARTMENT, or_(none_yet, and_(Complaint.state != ComplaintState.CLOSED,
                                                                         _capa_in(CapaState.RETURNED))),
                   _in_handling_unit(user), _handling_unit_waits_on(user)))


K = DeadlineKind
GROUPS = [
    Group("signoff", (K.CAPA_SIGNOFF,), _sign_off),
    Group("capa", (K.CAPA_RECORD,), _fix_record),
    Group("decide", (K.FINAL_DECISION, K.REVIEW), _decide),
    Group("approve", (K.PLAN_APPROVAL,), _approve),
    Group("dispatch", (K.DISPATCH, K.REVIEW), _dispatch),
    Group("assign", (K.ANSWER,), _assign),
    Group("answer", (K.ANSWER,), _answer),
    Group("result", (K.RESOLUTION, K.AGREED, K.FIRST_RESPONSE), _result),
    Group("visit", (K.RETURN_VISIT,), _visit),
    Group("progress", (K.PROGRESS,), _progress),
]


def _due(group: Group):
    """The nearest open clock of the group's kinds, else the complaint's nearest clock."""
    # Equalities, not IN: an IN list is spliced into the statement's text at every execution, a
    # regular-expression pass over the whole statement (about 1 ms of the page for its groups).
    kinds = or_(*(Deadline.kind == kind for kind in group.kinds))
    nearest = (select(func.min(Deadline.due_at))
               .where(Deadline.complaint_id == Complaint.id, Deadline.met_at.is_(None), kinds)
               .correlate(Complaint).scalar_subquery())
    return func.coalesce(nearest, Complaint.next_due_at)


@dataclass(slots=True, frozen=True)
class Row:
    """A complaint as 待我处理's row shows it (templates/work/index.html), in plain values."""
    id: int
    number: str
    is_major: bool
    customer_name: str
    level: int
    holder: str   # who holds the case now (labels.holder)
    due: Optional[datetime]   # the nearest clock of the group's step

    @property
    def overdue(self) -> bool:
        return deadlines.has_passed(self.due)


@dataclass
class Listing:
    group: Group
    rows: list[Row]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@functools.cache
def _applicable(reader: Reader) -> tuple[tuple[Group, Select], ...]:
    return tuple((group, query) for group, query in ((group, group.query(reader)) for group in GROUPS)
                 if query is not None)


def _reader(user: User) -> Optional[Reader]:
    """The user as the groups see them; None for the administrator, on whom nothing waits."""
    return None if user.role == Role.ADMIN else Reader.of(user)


def applicable(user: User) -> tuple[tuple[Group, Select], ...]:
    """The groups that can ever hold a complaint for this user, each with its query, whose parameters
    Reader.values binds."""
    reader = _reader(user)
    return _applicable(reader) if reader else ()


def _row_columns(english: bool) -> tuple:
    """What a row shows: the complaint's number, customer, level and criteria, and the names that
    say who holds it, as plain columns (ORM complaints with their people were 140 columns and five
    objects a row; the driver's description of the columns cost more than the rows). The names are
    scalar subqueries, not joins: joined to the approvals' own five tables, PostgreSQL planned the
    service center's group in 21 ms (blueprints.listing names its rows the same way)."""
    def name_of(model, key, column="name"):
        return (select(getattr(model, column)).where(model.id == key).correlate(Complaint)
                .scalar_subquery())
    return (Complaint.id, Complaint.number, Complaint.is_major, Complaint.customer_name, Complaint.level,
            Complaint.state, name_of(User, Complaint.owner_id), name_of(User, Complaint.handler_id),
            name_of(User, Complaint.assignee_id), name_of(Unit, Complaint.handling_unit_id, "name_en" if english else "name"))


@functools.cache
def _listing_statement(reader: Reader, english: bool, limit: int) -> tuple[tuple[Group, ...], Select]:
    """Every group's rows as 待我处理 shows them (_row_columns), in one statement: each group's own,
    most urgent first, LIMITed and with its total, tagged with its place among the groups and joined
    by UNION ALL. One round trip, not one a group (five to seven a user): each cost the app about as
    much as the one before it. UNION ALL keeps no order; listings puts each group's rows back
    in its order."""
    columns = _row_columns(english)
    groups, parts = [], []
    for step, (group, query) in enumerate(_applicable(reader)):
        due = _due(group).label("due")
        rows = (query.with_only_columns(*columns, due, func.count().over().label("total"))
                .order_by(due.asc().nulls_last(), Complaint.id).limit(limit).subquery(f"step_{step}"))
        parts.append(select(literal_column(str(step), Integer).label("step"), *rows.c))
        groups.append(group)
    return tuple(groups), sql.with_constants_written(union_all(*parts))


def _most_urgent_first(row: Row) -> tuple:
    """A group's order (_listing_statement): the nearest clock first, none last, then the oldest."""
    return row.due is None, row.due or datetime.min, row.id


def listings(user: User, english: bool = False, limit: Optional[int] = None) -> list[Listing]:
    """Every group that has something for the user: up to `limit` rows each, most urgent first, with
    the group's total, the units' names in English if `english`. One statement for all groups."""
    reader = _reader(user)
    if reader is None or not _applicable(reader):
        return []
    groups, statement = _listing_statement(reader, english, limit or LIMIT)
    # Planned once per connection (its constants written): for each role of the bank's demo at
    # 1,000,000 complaints the generic plan ran as fast as those planned for the reader, or faster,
    # and planning those took 1.9–4.8 ms a request.
    sql.for_this_transaction(generic_plans=True)
    found: dict[int, tuple[int, dict[int, Row]]] = {}
    # On the session's connection, past the ORM's execution: the rows are plain values.
    for (step, id_, number, is_major, customer, level, state, owner, handler, assignee, unit, due_at,
         total) in db.session.connection().execute(statement, Reader.values(user)):
        shown = found.setdefault(step, (total, {}))[1]
        shown.setdefault(id_, Row(id_, number, bool(is_major), customer, level,   # a group's join may repeat one
                                  holder(state, assignee, unit, handler, owner), due_at))
    return [Listing(groups[step], sorted(found[step][1].values(), key=_most_urgent_first), found[step][0])
            for step in sorted(found)]


TOTAL = "_all"   # in counts(): the complaints of all groups, each once (one can wait for two steps)


@functools.cache
def _count_statement(reader: Reader) -> tuple[tuple[str, ...], Select]:
    """Each group's count and, last, that of all their complaints, each once: every group's ids read
    once, tagged with the group (counting each group apart and again in a union planned and ran
    each group twice: the service center's counts took 7 ms to plan and 11 to run)."""
    groups = _applicable(reader)
    tagged = union_all(*(query.with_only_columns(literal_column(str(n), Integer).label("step"), Complaint.id)
                         .order_by(None).correlate(None) for n, (_group, query) in enumerate(groups))).subquery()
    per_group = [func.count().filter(tagged.c.step == n) for n in range(len(groups))]
    statement = select(*per_group, func.count(tagged.c.id.distinct()))
    return tuple(group.key for group, _query in groups), sql.with_constants_written(statement)


def counts(user: User) -> dict[str, int]:
    """How many complaints each group holds for the user, and under TOTAL how many complaints wait on
    the user at all, in one statement."""
    reader = _reader(user)
    if reader is None or not _applicable(reader):
        return {}
    # Asked on every page (the navigation): planned once per connection, as listings (and without
    # parallel workers, as every statement: app._connection_settings).
    sql.for_this_transaction(generic_plans=True)
    keys, statement = _count_statement(reader)
    *totals, total = db.session.execute(statement, Reader.values(user)).one()
    return {**dict(zip(keys, totals)), TOTAL: total}


def keys(user: User) -> dict[str, set[int]]:
    """Per group, the ids of every complaint in it for the user (for tests and checks; unlimited)."""
    values = Reader.values(user)
    return {group.key: set(db.session.scalars(query.with_only_columns(Complaint.id), values))
            for group, query in applicable(user)}
