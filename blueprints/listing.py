"""The complaint lists (the branch and department queues, the overview, the return visits, my
complaints, a customer's complaints): their orders, and a page of a list in two statements, each row
only what the table shows (complaints/_table.html, ledger/customer.html) as a plain object."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from flask import current_app
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, select

from extensions import db, locale_code
from models import Category, Complaint, ComplaintState, Deadline, DeadlineKind, Unit, User
from services import clock, deadlines, identity, policy, sql
from blueprints.ui import PageLabels, PageTimes, complaint_link
from services.labels import LEVEL_LABELS, STATE_LABELS, holder
from services.my_work import Reader


def open_by_urgency() -> Select:
    """Open complaints, the nearest deadline first (those without a running clock last)."""
    return (select(Complaint.id).where(Complaint.state != ComplaintState.CLOSED)
            .order_by(Complaint.next_due_at.asc().nulls_last(), Complaint.id))


def unassigned_first(reader: Reader) -> tuple:
    """Order terms putting first the cases dispatched to the reader's unit that nobody handles yet."""
    waiting = and_(Complaint.state == ComplaintState.DISPATCHED, Complaint.handling_unit_id == reader.unit_id,
                   Complaint.assignee_id.is_(None))
    return (case((waiting, 0), else_=1),)


def visible_to(reader: Reader) -> ColumnElement[bool]:
    """policy.visible_complaints of a reader's shape, its id and unit parameters."""
    return policy.visible_complaints(reader, named=reader.named_for_plans, leaders=reader.leaders_plans)


@dataclass(frozen=True)
class ListQuery:
    """A list's statements: its complaint ids in its order with how many it holds in all, a page at a
    time (:page_limit and :page_offset are bound when it runs), and the count alone (asked only past
    the last page). The total is a window count where every matching row is sorted anyway (the
    queues), a count in the same statement where an index gives the order (then the page is read
    from the index)."""
    page: Select
    count: Select

    @classmethod
    def of(cls, ids: Select, *, index_ordered: bool = False, total: Select | None = None) -> ListQuery:
        """`ids`: the complaints' ids with the list's filters and order; `total`: the statement counting
        them, when better than counting `ids` (implies that an index gives the order)."""
        count = total if total is not None else select(func.count()).select_from(ids.order_by(None).subquery())
        in_all = count.scalar_subquery() if index_ordered or total is not None else func.count().over()
        return cls(ids.add_columns(in_all).limit(bindparam("page_limit")).offset(bindparam("page_offset")), count)


def built_once(build: Callable[[Reader], Select]) -> Callable[[Reader], ListQuery]:
    """A list's statements built once per shape of reader (services.my_work.Reader), as 待我处理's are:
    building a queue's statement and its cache key cost about as much as running it. `build` returns
    the list's ids (`ListQuery.of`) or a ListQuery, the reader's id and unit as parameters."""
    @functools.cache
    def statements(reader: Reader) -> ListQuery:
        built = build(reader)
        return built if isinstance(built, ListQuery) else ListQuery.of(built)
    return statements


def page_for(statements: Callable[[Reader], ListQuery], clock_kind: DeadlineKind | None = None) -> ComplaintPage:
    """A page of a list built once per shape of reader (built_once), for the current user."""
    user = current_user._get_current_object()
    return _page(statements(Reader.of(user)), Reader.values(user), clock_kind)


def paginate(query: Select | None, *, index_ordered: bool = False, ids: Select | None = None,
             total: Select | None = None, clock_kind: DeadlineKind | None = None) -> ComplaintPage:
    """A page of `query` (complaints, with the list's filters and order), restricted to what the
    current user may see, as ListRows; built on every request, for lists whose filters vary (a
    customer's numbers). `index_ordered`: an index gives the list's order (ListQuery). `ids` and
    `total`, instead of `query`: the list's complaint ids in its order and the statement counting
    them, for a list better read otherwise (intake.mine: a union), already limited to what the user
    may see. `clock_kind`: the list's own clock, whose open deadline each row shows beside the next
    one (the answer for the department, the return visit for the center)."""
    if ids is None:
        ids = query.where(policy.visible_complaints(current_user._get_current_object())).with_only_columns(Complaint.id)
    return _page(ListQuery.of(ids, index_ordered=index_ordered, total=total), {}, clock_kind)


def _page(statements: ListQuery, values: dict, clock_kind: DeadlineKind | None) -> ComplaintPage:
    return ComplaintPage(statements=statements, values=values, clock_kind=clock_kind,
                         per_page=current_app.config["PAGE_SIZE"], max_per_page=100, error_out=False)


class BoundPage(Pagination):
    """A page of a statement built once (functools.cache: building it cost more than running it)
    whose values are bound when it runs: `statement` takes :page_limit and :page_offset besides
    `values`, and `counting` counts all its rows."""

    def _query_items(self) -> list:
        values = {**self._query_args["values"], "page_limit": self.per_page, "page_offset": self._query_offset}
        return list(db.session.execute(self._query_args["statement"], values).unique().scalars())

    def _query_count(self) -> int:
        return db.session.scalar(self._query_args["counting"], self._query_args["values"])


class ComplaintPage(Pagination):
    """db.paginate's page, in fewer and cheaper statements (a deferred join): first the ids of the
    page's complaints, found by the list's filters and order alone, with how many there are in all
    (ListQuery); then those complaints' rows, by id. A statement of its own only past the last page.
    Both run on the session's connection, past the ORM's execution (its rows are plain values)."""

    def _query_items(self) -> list[ListRow]:
        moment = clock.now()   # one moment for the page: its rows' badges and times
        values = {**self._query_args["values"], "page_limit": self.per_page, "page_offset": self._query_offset}
        rows = db.session.connection().execute(self._query_args["statements"].page, values).all()
        self._total = rows[0][1] if rows else (0 if self.page == 1 else None)
        ids = list(dict.fromkeys(row[0] for row in rows))   # a list's join may repeat a complaint
        return list_rows(ids, moment, self._query_args["clock_kind"]) if ids else []

    def _query_count(self) -> int:
        if self._total is None:
            self._total = db.session.connection().scalar(self._query_args["statements"].count,
                                                         self._query_args["values"])
        return self._total


@dataclass(slots=True, frozen=True)
class ListRow:
    """A complaint as a list's row shows it, its names in the reader's language. Plain values: an ORM
    complaint with its category, three people and two units was 60 columns and six objects a row,
    and the template's look-ups on them (labels, holder, masking, clocks) a dozen calls more."""
    id: int
    url: str
    number: str
    is_major: bool
    customer_name: str
    masked_numbers: str
    category: str
    level: int
    level_label: str
    state: ComplaintState
    state_label: str
    owner: str
    assignee: Optional[str]
    unassigned_here: bool   # dispatched to the reader's unit, nobody assigned yet: the head's to assign
    holder: str
    next_due_at: Optional[datetime]
    next_left: str                     # "2 days left", in the reader's language ("" without a deadline)
    next_local: str                    # "2026-12-04 17:00", in the business time zone
    overdue: bool
    clock_due_at: Optional[datetime]   # the list's own clock (clock_kind), while it runs
    clock_left: str
    clock_local: str
    clock_overdue: bool
    registered_at: datetime
    unit: str   # where it was registered


def list_rows(ids: list[int], now: datetime, clock_kind: DeadlineKind | None = None) -> list[ListRow]:
    """The rows of these complaints in the order of `ids`, in one statement, overdue as of `now`."""
    statement = _rows_statement(sql.dialect(), not locale_code().startswith("zh"), clock_kind)
    reader_unit = current_user.unit_id
    link = complaint_link()
    label, times = PageLabels(), PageTimes(now)
    rows = {}
    for (id_, number, is_major, customer, mobile, id_number, account, category, level, state, owner_name, handler_name,
         assignee_name, handling_unit_id, handling_name, next_due_at, registered_at, unit_name, clock_due_at
         ) in db.session.connection().execute(statement, {"ids": ids}):
        rows[id_] = ListRow(
            id=id_, url=link(id_), number=number, is_major=bool(is_major), customer_name=customer,
            masked_numbers=identity.Numbers(mobile, id_number, account).masked(), category=category, level=level,
            level_label=label(LEVEL_LABELS, level), state=state, state_label=label(STATE_LABELS, state),
            owner=owner_name, assignee=assignee_name,
            unassigned_here=(state == ComplaintState.DISPATCHED and assignee_name is None
                             and handling_unit_id == reader_unit),
            holder=holder(state, assignee_name, handling_name, handler_name, owner_name),
            next_due_at=next_due_at, next_left=times.left(next_due_at), next_local=times.local(next_due_at),
            overdue=deadlines.has_passed(next_due_at, now),   # one moment a page
            clock_due_at=clock_due_at, clock_left=times.left(clock_due_at), clock_local=times.local(clock_due_at),
            clock_overdue=deadlines.has_passed(clock_due_at, now),
            registered_at=registered_at, unit=unit_name)
    return [rows[id_] for id_ in ids if id_ in rows]


@functools.cache
def _rows_statement(dialect: str, english: bool, clock_kind: DeadlineKind | None) -> Select:
    """The rows' statement, built once per language and clock (building it and its cache key cost
    about as much as running it); the ids are its parameter. The names are scalar subqueries, not
    joins: PostgreSQL planned the join of seven tables in 3.7 ms, these in 0.33 (it plans a statement
    for its values the first times a connection runs it, services.sql)."""
    def name_of(model, key):
        return select(model.name_en if english else model.name).where(model.id == key).scalar_subquery()

    own_clock = (select(Deadline.due_at).where(Deadline.complaint_id == Complaint.id, Deadline.kind == clock_kind,
                                               Deadline.met_at.is_(None))
                 .order_by(Deadline.id.desc()).limit(1).scalar_subquery() if clock_kind else None)
    people = [select(User.name).where(User.id == key).scalar_subquery()
              for key in (Complaint.owner_id, Complaint.handler_id, Complaint.assignee_id)]
    return (
        select(Complaint.id, Complaint.number, Complaint.is_major, Complaint.customer_name, Complaint.customer_mobile,
               Complaint.customer_id_number, Complaint.customer_account, name_of(Category, Complaint.category_id),
               Complaint.level, Complaint.state, *people, Complaint.handling_unit_id,
               name_of(Unit, Complaint.handling_unit_id), Complaint.next_due_at, Complaint.registered_at,
               name_of(Unit, Complaint.unit_id), own_clock)
        .where(sql.among_given(Complaint.id, "ids", dialect)))
