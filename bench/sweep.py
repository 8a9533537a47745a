"""The deadline sweep at scale: its cost when nothing is due (it must follow what is due, not the
table size), and with 10,000 reminders due among the complaints of the benchmark database.

    .venv/bin/python bench/sweep.py [--complaints 1000000] [--due 10000]
"""
from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time

from common import DATABASE_URL, ensure_database, machine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
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
            dict(id=first_id + n, complaint_id=cid, kind=DeadlineKind.FIRST_RESPONSE.value, round=1,
                 started_at=now, due_at=now + datetime.timedelta(hours=1),
                 remind_at=now - datetime.timedelta(minutes=1), escalate_at=now + datetime.timedelta(hours=2))
            for n, cid in enumerate(ids)])
        db.session.commit()
        outbox_before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
        started, ticks, sent = time.perf_counter(), [], 0
        while True:
            tick_started = time.perf_counter()
            done = reminders.sweep()["reminded"]
            ticks.append(time.perf_counter() - tick_started)
            sent += done
            if not done:
                break
        total = time.perf_counter() - started
        print(f"{len(ids)} reminders due: {len(ticks) - 1} sweeps of up to {reminders.BATCH} notices, "
              f"{1000 * statistics.median(ticks[:-1]):.0f} ms each (median), {total:.1f} s in all, "
              f"{sent / total:.0f} notices/s (claim + e-mail rendered into the outbox + timeline)")
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id > outbox_before))
        # The reminders' timeline entries stay: the audit tables refuse DELETE (append-only).
        db.session.execute(delete(Deadline).where(Deadline.id >= first_id))
        db.session.commit()


if __name__ == "__main__":
    main()
