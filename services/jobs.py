"""Background jobs run by the RQ worker. They take ids, not objects, run inside an app context
and are idempotent: running one twice, or in two workers at once, does no harm."""
from __future__ import annotations

from contextlib import contextmanager

from flask import has_app_context

_app = None


@contextmanager
def _app_context():
    if has_app_context():   # tests run jobs inside the test app
        yield
        return
    global _app
    if _app is None:
        from app import create_app
        _app = create_app()
    with _app.app_context():
        yield


def tick() -> dict:
    """The periodic check: deadline notices, then whatever mail is waiting. A sweep that reached
    its batch limit queues the next one at once: a backlog (after an outage, or a holiday's
    deadlines all falling due) drains in every free worker, not one batch a minute."""
    from services import notify, queue, reminders
    with _app_context():
        result = reminders.sweep()
        if max(result.values()) >= reminders.BATCH:
            queue.enqueue_best_effort("services.jobs.tick")
        result.update(notify.deliver_due())
        return result


def deliver_outbox() -> dict:
    from services import notify
    with _app_context():
        return notify.deliver_due()


def send_tracking_link(number: str, email: str) -> bool:
    """The one-time link asked for on /track: looked up and queued here, after the page answered,
    so the answer takes as long for a wrong address as for the right one. Running it twice sends
    the link twice, which only spends the first."""
    from extensions import db
    from services import customer
    with _app_context():
        sent = customer.send_link(number, email)
        db.session.commit()
        return sent


def purge_expired() -> dict:
    """What ran out and nobody cleared: sign-in sessions never ended (the browser was just closed)
    and ledger export files past their time."""
    from services import ledger_export, sessions
    with _app_context():
        return {"sessions_purged": sessions.purge_expired(), "exports_purged": ledger_export.purge_expired()}
