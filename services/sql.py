"""SQL building blocks that differ between PostgreSQL and SQLite: local time, calendar buckets,
durations, conditional counts; and how a request's transaction ends on PostgreSQL."""
from __future__ import annotations

import collections
import contextlib
import enum
import functools
import time
from datetime import date, datetime

from sqlalchemy import (ColumnElement, Select, Table, any_, bindparam, case, cast, event, func, insert, literal_column, null,
                        select, union_all, update)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from extensions import db
from services import clock


def dialect() -> str:
    return db.engine.dialect.name


def insert_on_conflict(target, dialect_name: str | None = None):
    """An INSERT into `target` (a model or table) that takes ON CONFLICT clauses: PostgreSQL's or
    SQLite's, by the database's dialect (or `dialect_name`)."""
    return (postgresql_insert if (dialect_name or dialect()) == "postgresql" else sqlite_insert)(target)


def for_this_transaction(*, custom_plans: bool = False, generic_plans: bool = False,
                         parallel_workers: bool = False) -> None:
    """PostgreSQL's settings for the rest of this transaction, in one round trip (nothing on SQLite).
    `custom_plans`: each statement planned for the values it is given, not by a prepared statement's
    generic plan (plan_for_the_values). `generic_plans`: a prepared statement's generic plan, for a
    statement built once with its constants written (with_constants_written) whose only parameters
    are who reads it and when: PostgreSQL, blind to them, estimates that plan dearer than it is and
    plans the statement anew each time, in more than it takes to run. `parallel_workers`: back to
    PostgreSQL's own number (its compiled-in default), which the app's connections set to none
    (app._connection_settings), for statements that aggregate months of complaints: the reports took
    1.5 to 5 times as long without them (bench/report.py at 1,000,000). (One statement planned for
    its values without a round trip: planned_each_time.)"""
    mode = "force_custom_plan" if custom_plans else "force_generic_plan" if generic_plans else None
    calls = [f"set_config('plan_cache_mode', '{mode}', true)"] if mode else []
    if parallel_workers:
        calls.append("set_config('max_parallel_workers_per_gather', (SELECT boot_val FROM pg_settings "
                     "WHERE name = 'max_parallel_workers_per_gather'), true)")
    if calls and dialect() == "postgresql":
        connection = db.session.connection()
        statement = f"SELECT {', '.join(calls)}"
        if _outside_a_transaction(connection):
            # A page reading in autocommit (reading_in_autocommit): settings for this transaction
            # need one to last in. It ends with the request (roll_back_keeping_prepared_statements)
            # or at its commit. Without parameters both go in one round trip.
            statement = f"BEGIN; {statement}"
        connection.exec_driver_sql(statement)


@contextlib.contextmanager
def planned_each_time():
    """The statements run within planned by PostgreSQL for the values they are given, every time,
    at no round trip: psycopg prepares a statement once it ran five times on a connection, and
    PostgreSQL may then keep a generic plan, blind to the values (how many complaints share these
    words, say); within, psycopg sends them unprepared, and each is parsed and planned anew. Unlike
    for_this_transaction(custom_plans=True) it needs no setting, so no transaction on a page that
    reads in autocommit: no BEGIN and COMMIT around it. Nothing on SQLite."""
    if dialect() != "postgresql":
        yield
        return
    driver = db.session.connection().connection.dbapi_connection
    kept, driver.prepare_threshold = driver.prepare_threshold, None
    try:
        yield
    finally:
        driver.prepare_threshold = kept


def reading_in_autocommit() -> None:
    """This request's statements each in a transaction of its own (PostgreSQL; nothing on SQLite):
    no BEGIN before the first and no ROLLBACK after the last, two round trips of a list page's five.
    For a page that reads, and writes only statements that stand alone (its session's touch, its view's
    audit entry): reading in READ COMMITTED, each statement sees what was committed when it began,
    in a transaction or not. Before the request's first statement (blueprints.ui.reads_only); the
    connection leaves autocommit as it goes back to the pool, at the end of the request."""
    if dialect() == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _outside_a_transaction(connection) -> bool:
    """The connection is in autocommit and no transaction was begun on it (PostgreSQL)."""
    from psycopg.pq import TransactionStatus
    raw = connection.connection.dbapi_connection
    return raw.autocommit and raw.info.transaction_status == TransactionStatus.IDLE


def local(column):
    """The stored naive-UTC time as local wall-clock time, in SQL."""
    if dialect() == "postgresql":
        return func.timezone(clock.business_tz().key, func.timezone("UTC", column))
    # SQLite has no time zones: shift by the zone's offset (exact for zones without summer time).
    offset = clock.business_tz().utcoffset(datetime(2000, 1, 1))
    return func.datetime(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def bucket(column, grain: str):
    """The local week (its Monday) or month (its first day) a time falls in."""
    wall = local(column)
    if dialect() == "postgresql":
        return func.date_trunc(grain, wall)
    if grain == "week":
        return func.date(wall, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", wall)


def as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def hours(start, end):
    """end - start in hours, as a SQL number."""
    if dialect() == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def count_if(condition) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def claim(model, due: Select, still_claimable: ColumnElement, values: dict, returning: tuple = ()) -> list:
    """Claim the rows of `model` whose ids `due` selects (with its LIMIT), in one conditional
    UPDATE … RETURNING setting `values`; returns the ids this transaction got (or, given
    `returning`, those columns of each row it got), in no particular order. On PostgreSQL rows
    another worker is claiming are skipped, not waited for; on SQLite writers take turns. Either
    way a row is claimed by exactly one transaction."""
    if dialect() == "postgresql":
        # The chunk is locked in a CTE evaluated once (MATERIALIZED): inside the UPDATE's IN (...)
        # PostgreSQL may rescan the LIMIT subquery and claim every due row in one transaction (350
        # instead of 100, measured).
        chunk = due.with_for_update(skip_locked=True).cte("chunk").prefix_with("MATERIALIZED")
        chosen = model.id == chunk.c.id
    else:
        chosen = model.id.in_(due.scalar_subquery())
    result = db.session.execute(
        update(model).where(chosen, still_claimable).values(values)
        .returning(*(returning or (model.id,))).execution_options(synchronize_session=False))
    return list(result) if returning else list(result.scalars())


def insert_rows(table: Table, rows: list[dict]) -> None:
    """Insert many rows (each with the same keys) at once, in the session's transaction. On
    PostgreSQL through COPY, its bulk path: executemany sends a statement per row and an INSERT …
    SELECT unnest(arrays) spends its time escaping them, each 3–4 times the client's CPU of COPY
    (500 outbox rows: 5 ms against 15–22 ms, measured). SQLite's executemany reuses one prepared
    statement in-process and is fast as it is. Triggers and foreign keys apply either way."""
    if not rows:
        return
    if dialect() != "postgresql":
        db.session.execute(insert(table), rows)
        return
    names = list(rows[0])
    # The column types' own conversions (an enum to its value, JSON to its text), as an INSERT would do.
    processors = [table.c[name].type.dialect_impl(db.engine.dialect).bind_processor(db.engine.dialect)
                  for name in names]
    quote = db.engine.dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    driver = db.session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {quote.format_table(table)} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([value if process is None or value is None else process(value)
                            for value, process in zip(row.values(), processors)])


def insert_as_loaded(objects: list, statement=None) -> bool:
    """Write new ORM objects of one class by one INSERT … RETURNING id (a row at a time on SQLite)
    and make them the session's own, as if loaded: every column is given, its default included, so
    nothing is left to read back. The unit of work's bookkeeping (a complaint's dozens of
    relationships looked at on every flush) cost more than the statements (issue 20). `statement`
    may skip the row (ON CONFLICT DO NOTHING): then nothing is added and the answer is False.
    What an object holds by a relationship only (not yet as a key) is not written: give the key."""
    mapper = type(objects[0]).__mapper__
    table = mapper.local_table
    rows = _rows(objects, _written_columns(mapper))
    if statement is None and "id" not in table.c:   # (its key is given)
        db.session.execute(insert(table), rows)
        _as_loaded(objects, [None] * len(objects))
        return True
    if statement is None:
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    # Left out, it is NULL all the same (a complaint has 53 columns).
    empty = _left_empty(rows, _no_default(mapper))
    rows = [{name: value for name, value in row.items() if name not in empty} for row in rows]
    ids = db.session.execute(statement, rows if len(rows) > 1 else rows[0]).scalars().all()
    if len(ids) != len(objects):
        return False
    _as_loaded(objects, ids)
    return True


def insert_together(objects: list, also: tuple = ()) -> None:
    """insert_as_loaded for new objects of several classes (those the session holds as pending
    included), and `also`, statements of the same transaction given with their parameters (an
    UPDATE, built once), in one statement on PostgreSQL: each class's rows one INSERT … RETURNING
    in a WITH clause of their own. A statement costs the app about the same CPU whatever it holds:
    five tables' rows took 1.6 ms as five statements and 0.3 ms as one (measured). SQLite has no
    INSERT in a WITH clause: there, a statement each. Every object must refer only to rows written
    before, by its keys (give the key, not only the related object)."""
    if not objects and not also:
        return
    groups: dict = {}
    for obj in objects:
        if obj in db.session:
            db.session.expunge(obj)   # a pending object: written here, not by the next flush
        groups.setdefault(type(obj).__mapper__, []).append(obj)
    if dialect() != "postgresql":
        for statement, parameters in also:
            db.session.execute(statement, parameters)
        for group in groups.values():
            insert_as_loaded(group)
        return
    shape, parameters = [], {}
    for g, (mapper, group) in enumerate(groups.items()):
        rows = _rows(group, _written_columns(mapper))
        empty = _left_empty(rows, rows[0])   # written as NULL (the clocks' five rows are half empty columns)
        shape.append((mapper, len(rows), empty))
        for r, row in enumerate(rows):
            parameters.update({f"g{g}r{r}_{name}": value for name, value in row.items() if name not in empty})
    statement = _together(tuple(shape), tuple(statement for statement, _ in also))
    for _, given in also:
        parameters.update(given)
    ids = collections.defaultdict(list)
    for g, new_id in db.session.connection().execute(statement, parameters):
        ids[g].append(new_id)
    for g, (mapper, group) in enumerate(groups.items()):
        if "id" not in mapper.local_table.c:   # (its key was given)
            _as_loaded(group, [None] * len(group))
            continue
        if len(ids[g]) != len(group):
            raise RuntimeError(f"{len(ids[g])} of {len(group)} {mapper.class_.__name__} rows written")
        # The rows take the id sequence's values in their order: the smallest id is the first row's.
        _as_loaded(group, sorted(ids[g]))


@functools.lru_cache(maxsize=64)
def _together(shape: tuple, also: tuple) -> Select:
    """insert_together's statement for (mapper, number of rows, columns left empty) of each class
    and the `also` statements, its values parameters named by class, row and column: built once per
    shape."""
    written, returned = [], []
    for g, (mapper, count, empty) in enumerate(shape):
        table = mapper.local_table
        columns = [column for column, _ in _written_columns(mapper)]
        # Rows as SELECTs, not a VALUES list: SQLAlchemy compiles a many-row VALUES for every execution.
        rows = [select(*(cast(null(), column.type) if column.key in empty
                         else bindparam(f"g{g}r{r}_{column.key}", type_=column.type) for column in columns))
                for r in range(count)]
        statement = insert(table).from_select(columns, union_all(*rows) if count > 1 else rows[0])
        if "id" in table.c:
            part = statement.returning(table.c.id).cte(f"written_{g}")
            returned.append(select(literal_column(str(g)).label("part"), part.c.id))
        else:
            part = statement.cte(f"written_{g}")
        written.append(part)
    written += [statement.cte(f"also_{n}") for n, statement in enumerate(also)]
    answer = union_all(*returned) if len(returned) > 1 else returned[0] if returned else select(literal_column("0"), null())
    return answer.add_cte(*written)


def _rows(objects: list, columns: tuple) -> list[dict]:
    """Each object's row as written: every column, its scalar default where the object has none."""
    rows = []
    for obj in objects:
        values = obj.__dict__
        for column, key in columns:
            if key not in values:
                setattr(obj, key, column.default.arg if column.default is not None else None)   # scalar defaults only
        rows.append({column.key: values[key] for column, key in columns})
    return rows


def _left_empty(rows: list[dict], names) -> tuple:
    """The columns of `names` that no row gives, not to be sent as parameters: psycopg converts a
    statement of more than 50 parameters afresh on every execution."""
    return tuple(name for name in names if all(row[name] is None for row in rows))


def _as_loaded(objects: list, ids: list) -> None:
    """The objects written with these ids (None: its key was given), the session's own as if loaded."""
    for obj, new_id in zip(objects, ids):
        if new_id is not None:
            obj.id = new_id
        make_transient_to_detached(obj)   # (what it holds is what its row holds)
        db.session.add(obj)


@functools.cache
def _no_default(mapper) -> tuple:
    """The columns insert_as_loaded writes that are NULL when not given: those without a default."""
    return tuple(column.key for column, _ in _written_columns(mapper)
                 if column.default is None and column.server_default is None)


@functools.cache
def _written_columns(mapper) -> tuple:
    """(column, attribute name) of each column insert_as_loaded writes: all but the id the database gives."""
    return tuple((column, mapper.get_property_by_column(column).key) for column in mapper.local_table.columns
                 if column.key != "id")


def among(column, values) -> ColumnElement[bool]:
    """column IN (values): on PostgreSQL as = ANY(one array), not a placeholder per value, which
    the driver parses each time (a chunk's 500 ids cost more to send than to find)."""
    if dialect() == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def among_given(column, name: str, dialect_name: str) -> ColumnElement[bool]:
    """`among` for a statement built once: the values are the parameter `name` of each execution."""
    if dialect_name == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


class _Written(ColumnElement):
    """A constant written into the statement's text (with_constants_written)."""
    __visit_name__ = "written_constant"
    inherit_cache = True
    _traverse_internals = [("value", visitors.InternalTraversal.dp_plain_obj),
                           ("type", visitors.InternalTraversal.dp_type)]

    def __init__(self, value, type_):
        self.value, self.type = value, type_


@compiles(_Written)
def _write(element: _Written, compiler, **_kw) -> str:
    return compiler.render_literal_value(element.value, element.type)   # quoted for the dialect compiling


def with_constants_written(statement):
    """The statement with its constants (a state, a kind, a role, a LIMIT: every value given when it
    was built) written into its text instead of sent as parameters; the parameters named to be given
    at each execution (the reader's id, the time) stay. For a statement built once and run on every
    page: PostgreSQL plans a prepared statement once and keeps that generic plan only where it is no
    dearer than one planned for the values. Blind to a constant, it cannot use an index limited to
    one state (WHERE state = 'awaiting_visit'), its generic plan is far dearer, and it plans the
    statement anew every time: the service center's 待我处理 in 2.9 ms, to run it in 3.5. Written,
    the generic plan is as good, planned in 0.06 ms (1,000,000 complaints, measured)."""
    def written(element):
        if (isinstance(element, BindParameter) and element.unique and not element.expanding
                and element.callable is None and isinstance(element.value, (str, int, enum.Enum))):
            return _Written(element.value, element.type)
        return None
    return visitors.replacement_traverse(statement, {}, written)


# A request's PostgreSQL connection (Session.info), kept when its transaction begins.
_CONNECTION = "postgresql_connection"


@event.listens_for(Session, "after_begin")
def _note_connection(session, _transaction, connection) -> None:
    if connection.dialect.name == "postgresql":
        session.info[_CONNECTION] = connection


def plan_for_the_values() -> None:
    """This transaction's statements planned for the values they are given, each time, with parallel
    workers (PostgreSQL). A prepared statement is planned once per connection where PostgreSQL finds
    its generic plan no dearer than those for the values; for searches, date ranges and reports it
    cannot tell (a year of complaints looks like a day), so their pages ask for this first
    (app.init_request_hooks); and their aggregates over months are where parallel workers pay."""
    for_this_transaction(custom_plans=True, parallel_workers=True)


def roll_back_keeping_prepared_statements(_error=None) -> None:
    """At the end of every request (teardown), its open transaction rolled back by a ROLLBACK of its
    own, before Flask-SQLAlchemy's: the driver's rollback() finds nothing left to do. psycopg's
    rollback() forgets the connection's prepared statements (PostgreSQL keeps them), so with it no
    statement was ever prepared: every request of every page had each of its statements planned
    afresh, where a statement run five times is prepared and then planned once per connection."""
    connection = db.session.info.pop(_CONNECTION, None)
    if connection is None or connection.closed or connection.invalidated or not connection.in_transaction():
        return
    if _outside_a_transaction(connection):
        return   # a page read in autocommit: PostgreSQL has nothing to roll back
    try:
        connection.exec_driver_sql("ROLLBACK")
    except SQLAlchemyError:   # the connection is lost or broken: the session's own teardown deals with it
        pass


# A connection back in the pool for longer than this is checked before its next use.
IDLE_BEFORE_PING = 2.0   # seconds


def ping_when_idle(engine: Engine) -> None:
    """pool_pre_ping for the connections that lay idle: pool_pre_ping checks every connection as it
    leaves the pool, a round trip (and two switches of autocommit) on every request, where a busy
    process's connection came back a few milliseconds before. Checked when it has been idle for
    IDLE_BEFORE_PING seconds, a connection the database dropped (a restart, a failover) is replaced
    before a request uses it; one dropped in the moment between two requests fails its request (a
    503 page) and is then replaced, with the rest of the pool, as SQLAlchemy does with any
    disconnection (tests/test_database_restart.py)."""
    @event.listens_for(engine, "checkin")
    def _back_in_pool(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _leaving_pool(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError() from error   # the pool connects again and retries
            raise
