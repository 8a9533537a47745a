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

from common import DATABASE_URL, ensure_database, machine

logging.getLogger("services.queue").setLevel(logging.ERROR)   # no Redis here on purpose: no delivery jobs


def _drain(ready, go, results) -> None:
    """One worker process: sweep until a sweep finds less than a full batch. The clock starts once
    every worker has started (a fresh interpreter importing the app takes seconds of its own)."""
    from app import create_app
    from services import reminders
    with create_app({"REDIS_URL": "redis://127.0.0.1:1/0"}).app_context():
        ready.release()
        go.wait()
        ticks, sent = [], 0
        while True:
            started = time.perf_counter()
            done = reminders.sweep()["reminded"]
            sent += done
            if done < reminders.BATCH:
                break
            ticks.append(time.perf_counter() - started)
        results.put((ticks, sent))


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
        first_id = (db.session.scalar(select(func.max(Deadline.id))) or 0) + 1
        ids = db.session.scalars(select(func.min(ComplaintEvent.complaint_id)).group_by(ComplaintEvent.complaint_id)
                                 .limit(args.due)).all()
        db.session.execute(insert(Deadline.__table__), [
            {"id": first_id + n, "complaint_id": cid, "kind": DeadlineKind.FIRST_RESPONSE.value, "round": 1,
             "started_at": now, "due_at": now + datetime.timedelta(hours=1),
             "remind_at": now - datetime.timedelta(minutes=1), "escalate_at": now + datetime.timedelta(hours=2)}
            for n, cid in enumerate(ids)])
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
        ticks, sent = [], 0
        for _ in workers:
            worker_ticks, worker_sent = results.get()
            ticks += worker_ticks
            sent += worker_sent
        for worker in workers:
            worker.join()
        total = time.perf_counter() - started
        each = f"{1000 * statistics.median(ticks):.0f} ms each (median)" if ticks else "none"
        print(f"{len(ids)} reminders due, {args.workers} worker(s): {len(ticks)} full sweeps of "
              f"{reminders.BATCH} notices, {each}; all {sent} "
              f"in {total:.1f} s, {sent / total:.0f} notices/s (claim + outbox + timeline)")
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id > outbox_before))
        # The reminders' timeline entries stay: the audit tables refuse DELETE (append-only).
        db.session.execute(delete(Deadline).where(Deadline.id >= first_id))
        db.session.commit()


if __name__ == "__main__":
    main()
