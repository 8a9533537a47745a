"""The deadline worker against a real Redis and a real SMTP server, with a frozen clock."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis
from rq import SimpleWorker, Worker
from sqlalchemy import func, select, text

from extensions import db
from models import ComplaintEvent, OutboxChannel, OutboxMessage, OutboxState
from services import reminders
from services.queue import queue
from tests.faults import kill_tree
from tests.helpers import all_at_once, dispatch, register

# The e-mails of the outbox (each complaint registered also queues the customer's acceptance text).
EMAILS = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.channel == OutboxChannel.EMAIL)


def run_worker():
    """Run every queued job in this process (the app context is the test's)."""
    SimpleWorker([queue()], connection=queue().connection).work(burst=True)


def tick():
    queue().enqueue("services.jobs.tick")
    run_worker()


def test_worker_py_schedules_the_tick_and_the_wave_watch_every_minute_and_the_session_purge(app, mailbox, client_for, clock):
    import worker
    register(client_for("staff1"))
    run_worker()
    clock.advance(minutes=25)
    cron = worker.build_cron(queue().connection)
    assert [(job.name, job.interval) for job in cron.get_jobs()] == [("deadline-tick", 60), ("purge-expired", 600),
                                                                            ("wave-watch", 60),
                                                                            ("statistics-sheet", 600)]
    assert len(cron.enqueue_jobs()) == 4          # what `rq cron`'s loop does: at first, every job is due
    run_worker()
    assert len(mailbox.to("staff1@example.com")) == 1


def test_worker_py_stops_at_once_on_sigterm(database_urls, redis_url, tmp_path):
    """An idle RQ worker's work() returns on SIGTERM as on a lost Redis; it must stop, not start again."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DATABASE_URL": database_urls["sqlite"], "REDIS_URL": redis_url, "PYTHONPATH": str(root)}
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "worker.py"], cwd=root, env=env, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 30
        while [w.get_state() for w in Worker.all(connection=connection)] != ["idle"]:   # waiting for a job
            assert process.poll() is None and time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        try:
            exit_code = process.wait(timeout=30)   # at once when idle; a loaded CI machine is slow to exit
        except subprocess.TimeoutExpired:
            raise AssertionError("worker.py still running 30 s after SIGTERM; its log ends:\n"
                                 + log.read_text(errors="replace")[-3000:]) from None
        assert exit_code == 0
    finally:
        if process.poll() is None:
            kill_tree(process.pid)      # with its cron process
            process.wait()


def _deaf_to_sigterm(deaf):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    deaf.set()
    time.sleep(60)


def test_a_helper_process_deaf_to_sigterm_is_killed_after_the_wait(monkeypatch):
    """RQ's scheduler process and the cron process are stopped with a bounded wait: one that hangs
    must not keep worker.py (and a deployment waiting on it) from exiting."""
    import multiprocessing

    import worker
    monkeypatch.setattr(worker, "STOP_WAIT_SECONDS", 0.5)
    fork = multiprocessing.get_context("fork")
    deaf = fork.Event()
    process = fork.Process(target=_deaf_to_sigterm, args=(deaf,), name="deaf")
    process.start()
    assert deaf.wait(10)
    started = time.monotonic()
    worker.stop_process(process)
    assert process.exitcode == -signal.SIGKILL
    assert time.monotonic() - started < 5


def test_dispatch_reminder_then_overdue_notice_each_sent_once(app, mailbox, client_for, clock):
    complaint = register(client_for("staff1"))      # dispatch due at 10:30, reminder from 10:20
    tick()
    assert mailbox.messages == []
    clock.advance(minutes=21)
    tick()
    tick()
    reminder = mailbox.to("staff1@example.com")
    assert len(reminder) == 1
    assert complaint.number in reminder[0]["Subject"] and "派单" in reminder[0]["Subject"]
    assert f"http://complaints.test/complaints/{complaint.id}" in reminder[0].get_body(("plain",)).get_content()

    clock.advance(minutes=10)                      # 10:31: passed
    tick()
    tick()
    assert len(mailbox.to("staff1@example.com")) == 2
    assert len(mailbox.to("head1@example.com")) == 1      # the owner's unit head
    assert len(mailbox.messages) == 3
    actions = db.session.scalars(select(ComplaintEvent.action).where(
        ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)).all()
    assert actions == ["registered", "reminder_dispatch", "overdue_dispatch"]


def test_answer_deadline_reminds_the_department_a_day_ahead_then_its_head(app, mailbox, client_for, clock):
    staff = client_for("staff1")
    complaint = register(staff)
    dispatch(staff, complaint, "OPS")
    run_worker()
    assert [m["To"] for m in mailbox.messages] == ["dept1@example.com"]     # routed notice
    mailbox.messages.clear()
    department = {"dept1@example.com", "depthead1@example.com"}

    def to_department():
        return [m["To"] for m in mailbox.messages if m["To"] in department]
    clock.advance(days=1, hours=23)
    tick()
    assert to_department() == []
    clock.advance(hours=1, minutes=1)
    tick()
    assert to_department() == ["dept1@example.com"]
    clock.advance(days=1)
    tick()
    assert sorted(to_department()[1:]) == ["dept1@example.com", "depthead1@example.com"]


def test_a_deadline_first_seen_after_it_passed_gets_only_the_overdue_notice(app, mailbox, client_for, clock):
    register(client_for("staff1"), level="3")   # first response due 4 hours after receipt
    clock.advance(minutes=45)                    # the worker was down meanwhile: dispatch is overdue
    tick()
    subjects = mailbox.subjects()
    assert len(subjects) == 2 and all("超" in s for s in subjects)


def test_concurrent_sweeps_send_each_notice_exactly_once(app, client_for, clock):
    staff = client_for("staff1")
    for _ in range(12):
        register(staff)
    clock.advance(minutes=21)
    all_at_once(app, reminders.sweep, 4)
    db.session.expire_all()
    assert db.session.scalar(EMAILS) == 12   # (beside the customers' acceptance texts)


def test_mail_waits_while_smtp_is_down_and_goes_out_once_it_is_back(app, mailbox, client_for, clock):
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1                   # nothing listens there
    register(client_for("staff1"))
    clock.advance(minutes=21)
    tick()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == OutboxChannel.EMAIL))
    assert message.state == OutboxState.PENDING and message.attempts == 1 and message.last_error
    app.config["MAIL_PORT"] = port
    tick()                                        # not yet: it backs off
    assert mailbox.messages == []
    clock.advance(minutes=2)
    tick()
    tick()
    assert len(mailbox.messages) == 1
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).state == OutboxState.SENT


def test_complaint_is_stored_when_redis_is_down_and_its_mail_goes_out_later(app, mailbox, client_for, clock):
    staff = client_for("staff1")
    real_redis = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("redis", None)
    complaint = register(staff)
    assert dispatch(staff, complaint, "OPS").status_code == 303     # its e-mail could not be enqueued
    assert db.session.scalar(EMAILS) == 1
    assert client_for("center1").get("/healthz").status_code == 503
    app.config["REDIS_URL"] = real_redis
    app.extensions.pop("redis", None)
    tick()                                        # the periodic tick finds the waiting mail
    assert [m["To"] for m in mailbox.messages] == ["dept1@example.com"]


def test_a_delivery_job_waiting_takes_the_mail_committed_before_it_starts(app, mailbox, client_for):
    """Three complaints registered in a row, each telling its customer by e-mail, queue one delivery
    job, not three: the job waiting sends all three. Once it has started, the next mail queues another."""
    staff = client_for("staff1")

    def customers_told() -> list[str]:
        return sorted(m["To"] for m in mailbox.messages if m["To"].startswith("customer"))
    for n in range(3):
        register(staff, customer_contact=f"customer{n}@example.com")
    assert queue().count == 1
    run_worker()
    assert customers_told() == [f"customer{n}@example.com" for n in range(3)]
    register(staff, customer_contact="customer3@example.com")
    assert queue().count == 1
    run_worker()
    assert customers_told() == [f"customer{n}@example.com" for n in range(4)]


def test_a_deadline_still_missed_later_goes_one_level_higher_once(app, mailbox, client_for, clock):
    register(client_for("staff1"), level="3")      # dispatch due 10:30; escalation 30 minutes later
    clock.advance(minutes=31)
    tick()
    assert "leader1@example.com" not in [m["To"] for m in mailbox.messages]
    clock.advance(minutes=30)
    tick()
    tick()
    assert [m["To"] for m in mailbox.messages].count("leader1@example.com") == 1


def test_bench_data_adds_realistic_complaints_in_bulk(app):
    from services.benchdata import generate
    from models import Complaint, Deadline
    written = generate(300)
    again = generate(200)                       # numbers continue, nothing collides
    assert written["complaints"] == 300 and again["complaints"] == 200
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 500
    assert db.session.scalar(select(func.count(func.distinct(Complaint.number)))) == 500
    assert db.session.scalar(select(func.count()).select_from(Deadline)) == written["deadlines"] + again["deadlines"]
    from datetime import timedelta
    from models import ComplaintState
    old_open = db.session.scalar(select(func.count()).select_from(Complaint).where(
        Complaint.registered_at < app.clock() - timedelta(days=20), Complaint.state != ComplaintState.CLOSED))
    assert old_open == 0                         # complaints of past years are closed, as in life
    if db.engine.dialect.name == "postgresql":   # vacuumed: index-only counts need not read the table
        db.session.commit()
        assert db.session.scalar(text("SELECT relallvisible > 0 FROM pg_class WHERE relname = 'complaint'"))


def test_bench_data_complaints_are_each_told_in_their_own_words(app):
    from models import Category, Complaint
    from services import textsim
    from services.benchdata import generate
    generate(400)
    rows = db.session.execute(select(Complaint.content, Complaint.object_text, Category.code).join(Category)).all()
    assert len({content for content, *_rest in rows}) == 400          # no two written alike
    assert len({about for _c, about, _k in rows}) > 100
    assert len({code for *_rest, code in rows}) >= 7                   # the category follows what it is about
    # Many words, few of them in every complaint: the similar-complaints lookup meets what it would in life.
    counts = {}
    for content, about, _code in rows:
        for term in textsim.terms(content, about):
            counts[term] = counts.get(term, 0) + 1
    assert len(counts) > 1500 and max(counts.values()) < 0.5 * len(rows)


def test_a_backlog_bigger_than_one_sweep_drains_at_once_not_one_batch_a_minute(app, mailbox, client_for, clock,
                                                                                monkeypatch):
    monkeypatch.setattr(reminders, "BATCH", 2)
    monkeypatch.setattr(reminders, "CHUNK", 1)
    staff = client_for("staff1")
    complaints = [register(staff) for _ in range(5)]
    run_worker()
    clock.advance(minutes=21)                       # five dispatch reminders due, two per sweep
    tick()                                          # one tick of the cron, no clock movement
    reminded = db.session.scalars(select(ComplaintEvent.complaint_id).where(
        ComplaintEvent.action == "reminder_dispatch")).all()
    assert sorted(reminded) == sorted(c.id for c in complaints)
    assert len(mailbox.to("staff1@example.com")) == 5
