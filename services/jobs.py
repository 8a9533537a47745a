"""Background jobs run by the RQ worker. They take ids, not objects, and are idempotent: running one
twice, or in two workers at once, does no harm. Each runs inside an app context, given by whoever runs
it: worker.py's Worker enters one per job, the tests run jobs inside the test app."""
from __future__ import annotations


def tick() -> dict:
    """The periodic check: deadline notices and the periodic reports' reminders, then whatever mail is
    waiting. A sweep that reached its batch limit queues the next one at once: a backlog (after an outage, or a holiday's
    deadlines all falling due) drains in every free worker, not one batch a minute. Where the profile
    keeps customer surveys, the center is told once when the next round is due."""
    from services import notify, periodic, queue, reminders, surveys
    result = reminders.sweep()
    if max(result.values()) >= reminders.BATCH:
        queue.enqueue_best_effort("services.jobs.tick")
    result["survey_reminders"] = surveys.remind_due()
    result.update(periodic.sweep())   # the periodic reports' reminders, where the profile keeps them
    result.update(notify.deliver_due())
    return result


def watch_waves() -> dict:
    """The early warning: similar complaints registered in the last hours from many customers,
    units or channels alert the service center (services.waves), once per wave."""
    from extensions import db
    from services import waves
    result = waves.check()
    db.session.commit()
    return result


def deliver_outbox() -> dict:
    from services import notify, queue
    queue.cleared_to_start(notify.DELIVERY_WAITING)
    return notify.deliver_due()


def send_tracking_link(number: str, email: str) -> bool:
    """The one-time link asked for on /track: looked up and queued here, after the page answered,
    so the answer takes as long for a wrong address as for the right one. Running it twice sends
    the link twice, which only spends the first."""
    from extensions import db
    from services import customer
    sent = customer.send_link(number, email)
    db.session.commit()
    return sent


def purge_expired() -> dict:
    """What ran out and nobody cleared: sign-in sessions never ended (the browser was just closed)
    and ledger export files past their time."""
    from services import ledger_export, sessions
    return {"sessions_purged": sessions.purge_expired(), "exports_purged": ledger_export.purge_expired()}


def send_statistics_sheet() -> dict:
    """The manufacturer's weekly 投诉统计表 to its market department's manager, once per week
    (services.statistics_sheet); nothing where the organisation does not keep it."""
    from services import statistics_sheet
    return statistics_sheet.send_weekly()
