"""Deadline rules against the working calendar, in the business time zone (Asia/Shanghai)."""
import uuid
from datetime import datetime

import pytest

from models import DeadlineKind
from services import deadlines
from services.clock import from_local, to_local
from services.registration import register_complaint
from tests.helpers import registration, user

pytestmark = pytest.mark.one_backend


def local(text: str) -> datetime:
    return from_local(datetime.fromisoformat(text))


@pytest.mark.parametrize("registered, due", [
    ("2026-11-24 10:00", "2026-11-24 10:30"),   # Tuesday, in working hours: 30 minutes
    ("2026-11-24 16:50", "2026-11-24 17:20"),   # late in the day: still 30 minutes
    ("2026-11-24 18:30", "2026-11-25 10:00"),   # after hours: 1 hour after the next working start
    ("2026-11-24 07:00", "2026-11-24 10:00"),   # before hours: 1 hour after today's start
    ("2026-11-27 19:00", "2026-11-30 10:00"),   # Friday evening: Monday 10:00
    ("2026-11-28 11:00", "2026-11-28 23:59"),   # Saturday: the same day
    ("2026-10-01 09:30", "2026-10-01 23:59"),   # National Day holiday: the same day
    ("2026-09-30 17:30", "2026-10-08 10:00"),   # the evening before the Golden Week: after it
])
def test_dispatch_deadline(app, registered, due):
    assert to_local(deadlines.dispatch_due(local(registered))).strftime("%Y-%m-%d %H:%M") == due


def test_adjusted_working_day_counts_as_working(app):
    # Saturday 10 October 2026 is a working day (调休) after the National Day holiday.
    assert to_local(deadlines.dispatch_due(local("2026-10-10 10:00"))).strftime("%H:%M") == "10:30"


def test_department_answer_is_due_three_calendar_days_after_dispatch(app):
    dispatched = local("2026-09-30 15:00")     # the holidays do not stop this clock
    assert to_local(deadlines.answer_due(dispatched)).strftime("%Y-%m-%d %H:%M") == "2026-10-03 15:00"


def test_a_different_business_time_zone_moves_the_working_day(app):
    app.config["APP_TIMEZONE"] = "Europe/London"
    # 10:00 in London is in working hours there; the same instant is 18:00 in Shanghai.
    due = deadlines.dispatch_due(from_local(datetime(2026, 11, 24, 10, 0)))
    assert to_local(due).strftime("%Y-%m-%d %H:%M") == "2026-11-24 10:30"


def test_the_clocks_a_registration_starts_together_are_due_as_each_alone(app, clock):
    clock.set(local("2026-11-27 19:00"))   # Friday evening: working time resumes on Monday
    complaint, _ = register_complaint(user("staff1"), uuid.uuid4().hex,
                                      registration(collective=True, level=1, received_at=clock()))
    due = {d.kind: to_local(d.due_at).strftime("%a %H:%M") for d in complaint.deadlines}
    assert due == {DeadlineKind.REGISTRATION: "Fri 19:15", DeadlineKind.FIRST_RESPONSE: "Fri 20:00",
                   DeadlineKind.RESOLUTION: "Sat 19:00", DeadlineKind.FINAL_DECISION: "Sat 19:00",
                   DeadlineKind.DISPATCH: "Mon 10:00", DeadlineKind.PROGRESS: "Mon 09:30"}
    for deadline in complaint.deadlines:
        assert deadline.due_at == deadlines.due_for(complaint, deadline.kind, deadline.started_at)
