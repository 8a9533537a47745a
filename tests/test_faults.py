"""Reliability with real servers and real faults (PostgreSQL only): complaints filed under load while
Redis and the SMTP server are stopped and started again; a worker killed in the middle of a sweep.
bench/load_faults.py runs the long version (50 clients, 10,000 complaints)."""
import time

import pytest
from sqlalchemy import func, select, text

from extensions import db
from models import Channel, Deadline, DeadlineKind, OutboxChannel, OutboxMessage, OutboxState
from services.registration import Registration, register_complaint
from tests.conftest import POSTGRES_URL, START, make_app
from tests.faults import Cluster, RedisServer, SmtpServer, kill_tree, run_load
from tests.helpers import category_id, user

pytestmark = pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL")


@pytest.fixture
def empty_postgres(database_urls, redis_url, smtp_server):
    """The test database with the demo organisation and nothing else."""
    app = make_app(POSTGRES_URL, redis_url, smtp_server)
    with app.app_context():
        db.engine.dispose()
    return app


def test_complaints_filed_while_redis_and_smtp_go_down_are_stored_and_reminded_once(empty_postgres, tmp_path):
    figures = run_load(POSTGRES_URL, tmp_path, clients=10, per_client=20, report=print)
    print(figures)
    assert figures["statuses"].get(500, 0) == 0 and set(figures["statuses"]) <= {303}, figures["statuses"]
    assert figures["complaints_stored"] == 200
    assert figures["stored_twice"] == figures["missing"] == 0
    assert figures["numbers_unique"] and figures["answers_match"]
    # The first half's dispatch reminders fell due while the SMTP server was down.
    assert figures["reminders_due"] >= 80
    assert figures["reminders_claimed"] == figures["reminders_due"]
    assert figures["emails_sent"] == figures["reminders_due"]
    assert figures["emails_twice"] == figures["complaints_reminded_twice"] == figures["emails_not_in_outbox"] == 0
    assert figures["outbox_unsent"] == 0
    assert figures["workers_alive"] == "2 of 2"


def _file_directly(count: int) -> None:
    """`count` complaints registered through the service (fast), all with a dispatch deadline."""
    staff = user("staff1")
    for n in range(count):
        register_complaint(staff, f"crash-{n}", Registration(
            customer_name=f"客户{n}", customer_contact="13800138000", channel=Channel.COUNTER,
            received_at=START, content="排队太久。", demand="改进。", object_text=f"对象{n}",
            category_id=category_id("waiting"), level=3))
    db.session.commit()


BLOCK_AFTER = """
CREATE OR REPLACE FUNCTION block_after() RETURNS trigger AS $$
BEGIN
  IF NEW.id > {first} + {after} THEN PERFORM pg_advisory_xact_lock(4242); END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER block_after BEFORE INSERT ON outbox_message FOR EACH ROW EXECUTE FUNCTION block_after();
"""


def _count(query) -> int:
    db.session.rollback()
    return db.session.scalar(query)


def test_a_worker_killed_in_the_middle_of_a_sweep_leaves_nothing_missed_and_nothing_twice(
        database_urls, redis_url, tmp_path, monkeypatch):
    smtp = SmtpServer()
    smtp.start()
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    app = make_app(POSTGRES_URL, redis.url, smtp)
    chunk = 100                                                     # the worker's (SWEEP_CHUNK), not production's
    monkeypatch.setenv("SWEEP_CHUNK", str(chunk))
    due = chunk + 60                                                # a full chunk, then part of one
    reminded = select(func.count()).select_from(Deadline).where(
        Deadline.kind == DeadlineKind.DISPATCH, Deadline.reminded_at.is_not(None))
    with app.app_context():
        _file_directly(due)
        # The sweep's 31st e-mail after its first chunk's (the acceptance texts of the complaints filed come
        # before) waits for a lock the test holds: the worker stops in the middle of its second chunk,
        # after the first was committed.
        first = db.session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))
        blocker = db.engine.connect()
        blocker.execute(text(BLOCK_AFTER.format(first=first, after=chunk + 30)))
        blocker.execute(text("SELECT pg_advisory_lock(4242)"))
        blocker.commit()
        cluster = Cluster(POSTGRES_URL, redis.url, smtp.port, tmp_path, web=0, workers=1)
        try:
            cluster.set_clock(START.replace(minute=21))            # every dispatch reminder is due
            waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted")
            deadline = time.monotonic() + 120
            while blocker.scalar(waiting) == 0:
                assert time.monotonic() < deadline, "the worker did not sweep"
                time.sleep(0.05)
            committed = _count(reminded)
            assert committed == chunk                                # a chunk done, one waiting
            kill_tree(cluster.workers[0].pid)                       # the worker and its job
            cluster.workers[0].wait()
            blocker.execute(text("SELECT pg_advisory_unlock(4242)"))
            blocker.execute(text("DROP TRIGGER block_after ON outbox_message"))
            blocker.commit()
            assert _count(reminded) == committed                     # the killed chunk left nothing

            cluster.workers.append(cluster.start_worker())
            cluster.set_clock(START.replace(minute=27))             # past the e-mail claim lease
            deadline = time.monotonic() + 90
            sent = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == OutboxState.SENT,
                                                                         OutboxMessage.channel == OutboxChannel.EMAIL)
            while _count(sent) < due:
                assert time.monotonic() < deadline, f"only {_count(sent)} of {due} reminders sent"
                time.sleep(0.2)
            time.sleep(2)                                           # more ticks: nothing more
        finally:
            cluster.stop()
            db.session.rollback()          # after a failure its read of the outbox would hold the DROP below
            blocker.rollback()
            blocker.execute(text("SELECT pg_advisory_unlock_all()"))
            blocker.execute(text("DROP TRIGGER IF EXISTS block_after ON outbox_message"))
            blocker.commit()
            blocker.close()
            db.session.remove()
            db.engine.dispose()
            smtp.stop()
            redis.stop()
    subjects = [m["Subject"] for m in smtp.mailbox.messages]
    assert len(subjects) == due                                     # nothing missed ...
    assert len(set(subjects)) == due                                # ... and each complaint's reminder once
