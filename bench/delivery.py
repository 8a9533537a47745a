"""Outbox delivery at scale: N e-mails due at once, sent to a local aiosmtpd server by W delivery
processes side by side (each claims its own chunks). Prints e-mails per second and how long after
falling due the last one left. The e-mails are the sweep's reminders, rendered as they are sent,
each of a running clock of the database (one reminds several people when there are fewer clocks
than messages: a reminder of a met clock is dropped, not sent); --prerendered queues rendered ones.

    .venv/bin/python bench/delivery.py [--messages 10000] [--workers 2] [--prerendered]
"""
from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import time

from common import DATABASE_URL, ensure_database, free_port, machine


def _smtp_sink(port: int, ready, counter) -> None:
    """The receiving server, in its own process so that it does not share the senders' CPU."""
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 OK"
    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(1)


def _deliver(port: int, results) -> None:
    from app import create_app
    from services import notify
    app = create_app({"REDIS_URL": "redis://127.0.0.1:1/0", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
                      "MAIL_USE_TLS": False, "MAIL_USERNAME": None})
    with app.app_context():
        sent = 0
        while True:
            done = notify.deliver_due()
            sent += done["sent"]
            if done["sent"] + done["failed"] + done["dropped"] == 0:
                break
        results.put(sent)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="delivery processes side by side")
    parser.add_argument("--prerendered", action="store_true", help="e-mails rendered when queued")
    args = parser.parse_args()
    ensure_database(0)
    os.environ["DATABASE_URL"] = DATABASE_URL
    from sqlalchemy import delete, insert, select

    from app import create_app
    from extensions import db
    from models import Deadline, OutboxMessage, OutboxState, User
    from services import clock, notify

    app = create_app({"REDIS_URL": "redis://127.0.0.1:1/0"})   # no delivery jobs: this script delivers
    with app.app_context():
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.state != OutboxState.SENT))
        now = clock.now()
        if args.prerendered:
            db.session.execute(insert(OutboxMessage), [
                {"to_addr": f"staff{n % 50}@example.com", "subject": f"提醒：投诉 TS-BENCH-{n:05d} 派单将到期",
                 "body_text": "投诉 TS-BENCH 的派单期限将到，请及时处理。\n" * 8, "body_html": None,
                 "state": OutboxState.PENDING, "created_at": now, "next_attempt_at": now, "attempts": 0}
                for n in range(args.messages)])
        else:
            people = db.session.execute(select(User.id, User.email, User.locale).where(User.active)).all()
            # Running clocks only (a reminder of one met before it goes out is dropped, not sent), each
            # reminding several people when there are fewer than messages (most of a million are closed).
            clocks = db.session.execute(select(Deadline.id, Deadline.complaint_id).where(Deadline.met_at.is_(None))
                                        .order_by(Deadline.id.desc()).limit(args.messages)).all()
            if not clocks:
                raise SystemExit("no running deadline in the database")
            clocks = [clocks[n % len(clocks)] for n in range(args.messages)]
            notify.queue_later([
                {"address": person.email, "locale": person.locale, "template": "reminder",
                 "complaint_id": complaint_id, "next_attempt_at": now,
                 "context": {"complaint_id": complaint_id, "deadline_id": deadline_id, "user_id": person.id}}
                for n, (deadline_id, complaint_id) in enumerate(clocks) for person in [people[n % len(people)]]])
        db.session.commit()
        db.engine.dispose()

    port = free_port()
    ready, counter = multiprocessing.Event(), multiprocessing.Value("i", 0)
    sink = multiprocessing.Process(target=_smtp_sink, args=(port, ready, counter), daemon=True)
    sink.start()
    ready.wait(10)
    results = multiprocessing.Queue()
    started = time.perf_counter()
    workers = [multiprocessing.Process(target=_deliver, args=(port, results)) for _ in range(args.workers)]
    for worker in workers:
        worker.start()
    sent = sum(results.get() for _ in workers)
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    time.sleep(0.2)
    sink.terminate()
    kind = "rendered when queued" if args.prerendered else "rendered when sent"
    print(f"# delivery · {datetime.date.today()} · {machine()} · {DATABASE_URL.split('://')[0]} · {kind}")
    print(f"messages={args.messages} workers={args.workers} sent={sent} received={counter.value}")
    print(f"elapsed={elapsed:.2f}s rate={sent / elapsed:.0f} e-mails/s last_left_after={elapsed:.1f}s")
    if sent != args.messages or counter.value != args.messages:
        raise SystemExit("FAIL: not every message was sent exactly once")


if __name__ == "__main__":
    main()
