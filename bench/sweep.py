"""The deadline sweep at scale: its cost when nothing is due (it must follow what is due, not the
table size), and with 10,000 reminders due among the complaints of the benchmark database.

    .venv/bin/python bench/sweep.py [--complaints 1000000] [--due 10000] [--workers 2]
"""
from __future__ import annotations

import argparse
import datetime
import logging
import multiprocessing
import os
import statistics
import time

from common import DATABASE_URL, _cpu_seconds, ensure_database, machine

logging.getLogger("services.queue").setLevel(logging.ERROR)   # no Redis here on purpose: no delivery jobs


def _drain(ready, go, results) -> None:
    """One worker process: sweep until a sweep finds less than a full batch. The clock starts once
    every worker has started (a fresh interpreter importing the app takes seconds of its own). It
    reports the CPU it spent and what its PostgreSQL backend spent (read from /proc: the machine
    is shared, CPU says what the sweep costs whatever else runs)."""
    from sqlalchemy import text

    from app import create_app
    from extensions import db
    from services import reminders
    with create_app({"REDIS_URL": "redis://127.0.0.1:1/0"}).app_context():
        backend = [db.session.scalar(text("SELECT pg_backend_pid()"))]   # one connection, reused
        db.session.commit()
        ready.release()
        go.wait()
        ticks, sent = [], 0
        cpu, pg_cpu = time.process_time(), _cpu_seconds(backend)
        while True:
            started = time.perf_counter()
            done = reminders.sweep()["reminded"]
            sent += done
            if done < reminders.BATCH:
                break
            ticks.append(time.perf_counter() - started)
        results.put((ticks, sent, time.process_time() - cpu, _cpu_seconds(backend) - pg_cpu))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes draining the backlog together")
    args = parser.parse_args()
    count = ensure_database(args.complaints)
    os.environ["DATABASE_URL"] = DATABASE_URL
    from sqlalchemy import delete, func, insert, select

    from app import create_app
    from extensions import db
    from models import ComplaintEvent, Deadline, DeadlineKind, OutboxMessage
    from services import clock, reminders

    app = create_app({"REDIS_URL": "redis://127.0.0.1:1/0"})   # no delivery jobs: measure the sweep alone
    with app.app_context():
        print(f"# sweep · {datetime.date.today()} · {machine()} · {count} complaints · "
              f"{db.session.scalar(select(func.count()).select_from(Deadline))} deadlines")
        reminders.sweep()                                       # whatever the generated data has due
        idle = []
        for _ in range(20):
            started = time.perf_counter()
            reminders.sweep()
            idle.append(time.perf_counter() - started)
        print(f"idle sweep (nothing due): median {1000 * statistics.median(idle):.1f} ms")

        now = clock.now()
        ids = db.session.scalars(select(func.min(ComplaintEvent.complaint_id)).group_by(ComplaintEvent.complaint_id)
                                 .limit(args.due)).all()
        # Ids from the sequence, not max + 1: other work may be writing to the same database.
        clocks = db.session.scalars(insert(Deadline.__table__).returning(Deadline.__table__.c.id), [
            {"complaint_id": cid, "kind": DeadlineKind.FIRST_RESPONSE.value, "round": 1,
             "started_at": now, "due_at": now + datetime.timedelta(hours=1),
             "remind_at": now - datetime.timedelta(minutes=1), "escalate_at": now + datetime.timedelta(hours=2)}
            for cid in ids]).all()
        db.session.commit()
        outbox_before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
        # Each worker sweeps again while its sweep was full, as the tick job does (services/jobs.py).
        spawn = multiprocessing.get_context("spawn")     # fresh processes, no inherited connections
        results, ready, go = spawn.Queue(), spawn.Semaphore(0), spawn.Event()
        workers = [spawn.Process(target=_drain, args=(ready, go, results)) for _ in range(args.workers)]
        for worker in workers:
            worker.start()
        for _ in workers:
            ready.acquire()
        started = time.perf_counter()
        go.set()
        ticks, sent, cpu, pg_cpu = [], 0, 0.0, 0.0
        for _ in workers:
            worker_ticks, worker_sent, worker_cpu, worker_pg_cpu = results.get()
            ticks += worker_ticks
            sent += worker_sent
            cpu, pg_cpu = cpu + worker_cpu, pg_cpu + worker_pg_cpu
        total = time.perf_counter() - started      # not the processes' exit, which takes seconds of its own
        for worker in workers:
            worker.join()
        each = f"{1000 * statistics.median(ticks):.0f} ms each (median)" if ticks else "none"
        print(f"{len(ids)} reminders due, {args.workers} worker(s): {len(ticks)} full sweeps of "
              f"{reminders.BATCH} notices, {each}; all {sent} "
              f"in {total:.2f} s, {sent / total:.0f} notices/s (claim + outbox + timeline); CPU per notice: "
              f"workers {1e6 * cpu / sent:.0f} µs, their PostgreSQL backends {1e6 * pg_cpu / sent:.0f} µs")
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id > outbox_before,
                                                        OutboxMessage.complaint_id.in_(ids)))
        # The reminders' timeline entries stay: the audit tables refuse DELETE (append-only).
        db.session.execute(delete(Deadline).where(Deadline.id.in_(clocks)))
        db.session.commit()


if __name__ == "__main__":
    main()
