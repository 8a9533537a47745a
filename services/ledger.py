"""The ledger (台账): every complaint the user may see, filtered, searched, sorted, and read a page at a
time by keyset (the last row's sort values), so a deep page costs what the first one does. The same
query feeds the exports."""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, field as dataclass_field, fields
from datetime import date, datetime, time, timedelta
from typing import Iterator, Optional

from sqlalchemy import Select, Text, and_, bindparam, false, func, not_, or_, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

from extensions import db
from models import Complaint, ComplaintState, Unit, UnitKind, User
from services import clock, custom_fields, history, identity, numbering, policy, sql

# Sort keys: the columns of each order, ending in a unique one so the keyset is exact.
SORTS = {
    "registered": (Complaint.registered_at, Complaint.id),
    "number": (Complaint.number,),
    "level": (Complaint.level, Complaint.registered_at, Complaint.id),
}
DEFAULT_SORT = "-registered"


class BadCursor(ValueError):
    """A page cursor that was not made by this module (edited by hand, or from another sort)."""


@dataclass
class Filters:
    """What the user asked for; None means any. Plain values, so a background job can carry them."""
    q: str = ""
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    unit_id: Optional[int] = None
    category_id: Optional[int] = None
    channel: Optional[str] = None
    severity: Optional[str] = None        # "major" or "general"
    level: Optional[int] = None
    state: Optional[str] = None
    overdue: Optional[bool] = None
    satisfaction: Optional[str] = None
    kind: Optional[str] = None
    nature: Optional[str] = None          # "complaint" or "suggestion" (where suggestions are kept)
    customer: str = ""                    # a mobile, ID or account number (services.identity)
    sort: str = DEFAULT_SORT
    extra: dict = dataclass_field(default_factory=dict)   # the organisation's own fields: {key: value}

    def to_json(self) -> dict:
        data = asdict(self)
        for name in ("date_from", "date_to"):
            data[name] = data[name].isoformat() if data[name] else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> Filters:
        values = {f.name: data.get(f.name, f.default) for f in fields(cls) if f.name != "extra"}
        values["extra"] = dict(data.get("extra") or {})
        for name in ("date_from", "date_to"):
            values[name] = date.fromisoformat(values[name]) if values[name] else None
        return cls(**values)


def _overdue():
    # Written as the open-complaint partial index's condition, so the index serves it.
    return and_(Complaint.state != ComplaintState.CLOSED, Complaint.next_due_at < clock.now())


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# A pair of characters at least this many complaints hold is found faster by reading the newest
# complaints until a page is full than through its index (which gives them all, to be sorted).
FREQUENT_PAIR = 2000


def _search(q: str):
    """Complaints whose number, customer name or text holds `q`, whatever its case. On PostgreSQL each
    part is one an index can answer, so that PostgreSQL joins what the indexes give instead of reading
    every complaint (models.complaint): three characters or more by trigrams; two (a name: 王五) by
    character pairs, where trigrams know nothing of them and a search that matched nothing read all
    1,000,000 complaints (5 s); the number only where `q` could be part of one. One character, or a
    pair most complaints hold, has no index: the rows come from the other conditions, newest first."""
    pattern = _like(q)
    columns = [Complaint.number, Complaint.customer_name, Complaint.content]
    if sql.dialect() != "postgresql":
        return or_(*(column.ilike(pattern, escape="\\") for column in columns))
    if not numbering.may_occur_in_a_number(q):
        columns.remove(Complaint.number)
    if len(q.strip()) >= 3:
        return or_(*(column.ilike(pattern, escape="\\") for column in columns))
    by_pairs = len(q) == 2 and not _frequent_pair(q)
    searched = []
    for column in columns:
        # `|| ''` keeps the trigram index out: asked for one or two characters, it returns every row.
        found = column.concat("").ilike(pattern, escape="\\")
        if by_pairs and column is not Complaint.number:
            # ILIKE first: the cheaper to check row by row.
            found = and_(found, _pairs(column).contains(_pairs(q)))
        searched.append(found)
    return or_(*searched)


def _pairs(text):
    return func.text_pairs(text, type_=ARRAY(Text))


def _frequent_pair(q: str) -> bool:
    """Whether FREQUENT_PAIR complaints or more hold the pair `q` in their name or text, asked of the
    indexes (a few ms). The planner cannot tell: it takes a pair it has no statistics of for one a
    few thousand complaints hold, and ILIKE's estimate beside it for another condition altogether."""
    held = (select(Complaint.id).where(or_(_pairs(Complaint.customer_name).contains(_pairs(q)),
                                           _pairs(Complaint.content).contains(_pairs(q))))
            .limit(FREQUENT_PAIR).subquery())
    return db.session.scalar(select(func.count()).select_from(held)) >= FREQUENT_PAIR


def conditions(user: User, filters: Filters) -> list:
    """The WHERE clause: what `user` may see (services.policy), narrowed by each filter."""
    where = [policy.visible_complaints(user)]
    if filters.q:
        where.append(_search(filters.q))
    if filters.customer:
        where.append(history.of_customer(identity.numbers_in(filters.customer)))
    if filters.date_from:
        where.append(Complaint.registered_at >= clock.from_local(datetime.combine(filters.date_from, time.min)))
    if filters.date_to:
        next_day = datetime.combine(filters.date_to + timedelta(days=1), time.min)
        where.append(Complaint.registered_at < clock.from_local(next_day))
    if filters.unit_id is not None:
        unit = db.session.get(Unit, filters.unit_id)
        if unit is None:
            where.append(false())
        elif unit.kind == UnitKind.DEPARTMENT:   # a department's complaints are those it handles
            where.append(Complaint.handling_unit_id == unit.id)
        else:
            where.append(Complaint.unit_id == unit.id)
    for value, column in ((filters.category_id, Complaint.category_id), (filters.channel, Complaint.channel),
                          (filters.level, Complaint.level), (filters.state, Complaint.state),
                          (filters.satisfaction, Complaint.satisfaction), (filters.kind, Complaint.kind),
                          (filters.nature, Complaint.nature)):
        if value is not None:
            where.append(column == value)
    for key, value in sorted(filters.extra.items()):
        where.append(custom_fields.has_value(key, value))
    if filters.severity == "major":
        where.append(Complaint.is_major)
    elif filters.severity == "general":
        where.append(not_(Complaint.is_major))
    if filters.overdue is True:
        where.append(_overdue())
    elif filters.overdue is False:
        where.append(or_(Complaint.state == ComplaintState.CLOSED, Complaint.next_due_at.is_(None),
                         Complaint.next_due_at >= clock.now()))
    return where


def _sort(filters: Filters) -> tuple[tuple, bool]:
    descending = filters.sort.startswith("-")
    return SORTS[filters.sort.lstrip("-")], descending


def encode_cursor(complaint, columns: tuple) -> str:
    values = [getattr(complaint, c.key) for c in columns]
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, columns: tuple) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(columns):
            raise BadCursor(cursor)
        decoded = []
        for value, column in zip(values, columns):
            kind = column.type.python_type
            if kind is datetime:
                decoded.append(datetime.fromisoformat(value))
            elif isinstance(value, kind) and not isinstance(value, bool):
                decoded.append(value)
            else:
                raise BadCursor(cursor)
        return decoded
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as exc:
        raise BadCursor(cursor) from exc


def _after(columns: tuple, values: list, descending: bool):
    """Rows past the cursor in the order's direction, as one row-value comparison the index serves."""
    bound = tuple_(*(bindparam(None, value, type_=column.type) for column, value in zip(columns, values)))
    return tuple_(*columns) < bound if descending else tuple_(*columns) > bound


def _ordered(query: Select, columns: tuple, descending: bool) -> Select:
    return query.order_by(*(c.desc() if descending else c.asc() for c in columns))


@dataclass
class Page:
    items: list
    next_cursor: Optional[str]
    prev_cursor: Optional[str]


def page(user: User, filters: Filters, size: int, after: str | None = None, before: str | None = None) -> Page:
    """One page: the first, the one after cursor `after`, or the one before cursor `before`."""
    columns, descending = _sort(filters)
    backwards = before is not None
    cursor = before if backwards else after
    query = select(Complaint).where(*conditions(user, filters))
    if cursor:
        query = query.where(_after(columns, decode_cursor(cursor, columns), descending != backwards))
    rows = list(db.session.scalars(_ordered(query, columns, descending != backwards).limit(size + 1)).unique())
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_prev, has_next = more, True
    else:
        has_prev, has_next = cursor is not None, more
    return Page(rows, encode_cursor(rows[-1], columns) if rows and has_next else None,
                encode_cursor(rows[0], columns) if rows and has_prev else None)


def count(user: User, filters: Filters, cap: int | None = None) -> int:
    """How many rows match, counting at most `cap` + 1 so a huge ledger is not counted to the end."""
    ids = select(Complaint.id).where(*conditions(user, filters))
    if cap is not None:
        ids = ids.limit(cap + 1)
    return db.session.scalar(select(func.count()).select_from(ids.subquery()))


def batches(user: User, filters: Filters, size: int = 2000, release: bool = False) -> Iterator[list[Complaint]]:
    """Every matching complaint in the ledger's order, `size` at a time (keyset, like the pages).
    With `release`, each batch leaves the session after use, so memory stays flat over a million rows."""
    columns, descending = _sort(filters)
    where = conditions(user, filters)
    values = None
    while True:
        query = select(Complaint).where(*where)
        if values is not None:
            query = query.where(_after(columns, values, descending))
        rows = list(db.session.scalars(_ordered(query, columns, descending).limit(size)).unique())
        if not rows:
            return
        yield rows
        values = [getattr(rows[-1], c.key) for c in columns]
        if release:
            db.session.expunge_all()
        if len(rows) < size:
            return
