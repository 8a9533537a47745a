"""Realistic bulk data for benchmarks: N complaints over the demo organisation, spread over three
years, in every state, with their deadlines and timeline, inserted in large batches."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from extensions import db
from models import (Category, Complaint, ComplaintEvent, ComplaintState, DailyCounter, Deadline, DeadlineKind,
                    Role, Unit, UnitKind, User)
from services import clock
from services.benchtext import Writer
from services.demo import seed_demo

BATCH = 5_000
STATES = [  # state, share
    (ComplaintState.CLOSED, 0.90), (ComplaintState.AWAITING_VISIT, 0.03), (ComplaintState.ANSWERED, 0.02),
    (ComplaintState.DISPATCHED, 0.03), (ComplaintState.REGISTERED, 0.02),
]
REBUILD_FROM = 50_000    # complaints from which the indexes are dropped and built again after (PostgreSQL)
TABLES = ("complaint", "deadline", "complaint_event")
CHANNELS = ["phone", "hotline", "email", "web", "counter", "letter", "social_media", "regulator", "media", "internal"]


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def generate(count: int, seed: int = 7) -> dict:
    """Insert `count` complaints; returns how many rows of each kind were written."""
    dropped = drop_indexes(TABLES) if count >= REBUILD_FROM else []
    try:
        written = _generate(count, seed)
    finally:
        restore_indexes(dropped)
    _fix_sequences()
    return written


def _generate(count: int, seed: int) -> dict:
    seed_demo()
    now = clock.now()
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    branches = [u for u in units.values() if u.kind == UnitKind.BRANCH] + [units["CSC"]]
    departments = [u for u in units.values() if u.kind == UnitKind.DEPARTMENT]
    owners = {u.id: [x.id for x in db.session.scalars(select(User).where(
        User.unit_id == u.id, User.role.in_([Role.STAFF, Role.CENTER, Role.LOBBY_MANAGER])))] for u in branches}
    categories = {c.code: c.id for c in db.session.scalars(select(Category))}
    complaint_id, deadline_id, event_id = _next_id(Complaint), _next_id(Deadline), _next_id(ComplaintEvent)
    rng = random.Random(f"{seed}-{complaint_id}")   # a top-up writes other complaints than the first run
    # Numbers continue each day's sequence (real ones and earlier runs).
    counters = {row.day: row.value for row in db.session.scalars(select(DailyCounter))}
    written = {"complaints": 0, "deadlines": 0, "events": 0}
    span = int(timedelta(days=3 * 365).total_seconds())
    writer = Writer(rng, now, timedelta(seconds=span))
    while written["complaints"] < count:
        complaints, deadlines, events = [], [], []
        for _ in range(min(BATCH, count - written["complaints"])):
            registered, said = writer.complaint(now - timedelta(seconds=rng.randrange(span)))
            state = rng.choices([s for s, _ in STATES], [w for _, w in STATES])[0]
            if registered < now - timedelta(days=20):
                state = ComplaintState.CLOSED   # old cases are closed, as in real life
            unit = rng.choice(branches)
            owner = rng.choice(owners[unit.id])
            day = clock.to_local(registered).date()
            counters[day] = counters.get(day, 0) + 1
            dispatched = registered + timedelta(minutes=rng.randint(5, 90))
            handling = rng.choice(departments).id if state != ComplaintState.REGISTERED else None
            closed = registered + timedelta(hours=rng.randint(2, 300)) if state == ComplaintState.CLOSED else None
            level = rng.choice([1, 2, 2, 3, 3, 3])
            answer_due = dispatched + timedelta(days=3)
            open_due = None if state == ComplaintState.CLOSED else (
                registered + timedelta(minutes=30) if state == ComplaintState.REGISTERED else answer_due)
            complaints.append(dict(
                id=complaint_id, number=f"TS-{day:%Y%m%d}-{counters[day]:04d}", submission_token=f"bench{complaint_id}",
                version=3, state=state.value, customer_name=f"客户{complaint_id}", customer_contact=f"139{complaint_id:08d}",
                channel=rng.choice(CHANNELS), received_at=registered - timedelta(minutes=rng.randint(0, 20)),
                registered_at=registered, content=said.content, demand=said.demand,
                object_text=said.object_text, category_id=categories.get(said.category) or categories["other"],
                level=level, kind="routine",
                collective=False, litigation=rng.random() < 0.01, media=False, compensation=rng.random() < 0.02,
                repeated=False, regulator_forwarded=rng.random() < 0.03, round=1, unreachable_attempts=0,
                external_channels_told=False, owner_id=owner, handler_id=owner, unit_id=unit.id,
                handling_unit_id=handling, dispatched_at=dispatched if handling else None, closed_at=closed,
                valid=True, satisfaction=rng.choice("AABBBC") if closed else None, next_due_at=open_due))
            deadlines.append(dict(id=deadline_id, complaint_id=complaint_id, kind=DeadlineKind.DISPATCH.value,
                                  round=1, started_at=registered, due_at=registered + timedelta(minutes=30),
                                  remind_at=registered + timedelta(minutes=20),
                                  escalate_at=registered + timedelta(minutes=60),
                                  met_at=dispatched if handling else None))
            deadline_id += 1
            if handling:
                deadlines.append(dict(id=deadline_id, complaint_id=complaint_id, kind=DeadlineKind.ANSWER.value,
                                      round=1, started_at=dispatched, due_at=answer_due,
                                      remind_at=answer_due - timedelta(days=1), escalate_at=answer_due + timedelta(days=1),
                                      met_at=closed or (dispatched + timedelta(days=1)
                                                        if state != ComplaintState.DISPATCHED else None)))
                deadline_id += 1
            events.append(dict(id=event_id, complaint_id=complaint_id, at=registered, actor_id=owner,
                               action="registered"))
            event_id += 1
            if handling:
                events.append(dict(id=event_id, complaint_id=complaint_id, at=dispatched, actor_id=owner,
                                   action="dispatched"))
                event_id += 1
            if closed:
                events.append(dict(id=event_id, complaint_id=complaint_id, at=closed, actor_id=owner, action="closed"))
                event_id += 1
            complaint_id += 1
        for table, rows in ((Complaint.__table__, complaints), (Deadline.__table__, deadlines),
                            (ComplaintEvent.__table__, events)):
            _insert(table, rows)
        db.session.commit()
        written["complaints"] += len(complaints)
        written["deadlines"] += len(deadlines)
        written["events"] += len(events)
    _advance_counters(counters)
    return written


def _insert(table, rows: list[dict]) -> None:
    """The rows in one statement; on PostgreSQL by COPY (a third of the time of INSERT's parameters)."""
    if db.engine.dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{column}"' for column in columns)
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _advance_counters(counters: dict) -> None:
    """Real registrations on those days continue after the generated numbers."""
    for day, value in counters.items():
        counter = db.session.get(DailyCounter, day)
        if counter is None:
            db.session.add(DailyCounter(day=day, value=value))
        else:
            counter.value = max(counter.value, value)
    db.session.commit()


def drop_indexes(tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' indexes but their keys (PostgreSQL); the statements that build them again.
    Building an index once costs far less than keeping it row by row (the GIN indexes most of all)."""
    if db.engine.dialect.name != "postgresql":
        return []
    rows = db.session.execute(text(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition "
        "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relname = ANY(:tables) AND t.relnamespace = current_schema()::regnamespace "
        "AND NOT i.indisprimary AND NOT i.indisunique"), {"tables": list(tables)}).all()
    for row in rows:
        db.session.execute(text(f"DROP INDEX {row.name}"))
    db.session.commit()
    return [row.definition for row in rows]


def restore_indexes(definitions: list[str]) -> None:
    if not definitions:
        return
    db.session.rollback()
    db.session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for definition in definitions:
        db.session.execute(text(definition))
    db.session.commit()


def _fix_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("complaint", "deadline", "complaint_event"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    db.session.commit()
    # VACUUM, not only ANALYZE: tables written at once have no visibility map yet, so the index-only
    # scans (the overview's and my complaints' counts) would read the table too, as they do not in a
    # database that autovacuum has been through. (9 s at 1,000,000 complaints.)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
