"""Deadline rules and the working calendar live in the database, editable by the administrator."""
from datetime import date, timedelta

import pytest

from extensions import db
from models import DeadlineKind
from services import calendar
from tests.helpers import register


def test_the_administrator_changes_a_rule_and_only_new_clocks_follow_it(client_for, clock):
    staff, admin = client_for("staff1"), client_for("admin")
    before = register(staff, level="2")
    assert "120" in admin.get("/admin/rules").text                     # level 2 first response: 2 hours
    response = admin.post("/admin/rules/first_response/2", data={
        "first_response-2-period": "90", "first_response-2-remind_before": "10",
        "first_response-2-escalate_after": "60"})
    assert response.status_code == 303
    after = register(staff, level="2")

    def first_response(c):
        return next(d for d in c.deadlines if d.kind == DeadlineKind.FIRST_RESPONSE)
    assert first_response(before).due_at - before.received_at == timedelta(hours=2)      # unchanged
    assert first_response(after).due_at - after.received_at == timedelta(minutes=90)


@pytest.mark.one_backend
def test_bad_rule_values_are_refused_with_a_message(client_for):
    admin = client_for("admin")
    response = admin.post("/admin/rules/answer/0", data={
        "answer-0-period": "-5", "answer-0-remind_before": "x", "answer-0-escalate_after": "10"})
    assert response.status_code == 422
    assert admin.post("/admin/rules/answer/7", data={}).status_code == 404
    assert admin.post("/admin/rules/nonsense/0", data={}).status_code == 404
    assert client_for("staff1").get("/admin/rules").status_code == 403


def test_a_calendar_override_changes_the_working_days(client_for, app):
    admin = client_for("admin")
    friday = date(2026, 11, 27)
    assert calendar.is_workday(friday)
    assert admin.post("/admin/calendar", data={"day": "2026-11-27", "workday": "0", "note": "分行运动会"}
                      ).status_code == 303
    db.session.rollback()       # a new transaction, as the next request has: rules are read once per transaction
    assert not calendar.is_workday(friday)
    assert "分行运动会" in admin.get("/admin/calendar").text
    assert admin.post("/admin/calendar", data={"day": "not a date", "workday": "0"}).status_code == 422
    assert admin.post("/admin/calendar/2026-11-27/delete").status_code == 303
    db.session.rollback()
    assert calendar.is_workday(friday)


def test_a_unit_with_its_own_working_hours_gets_its_own_dispatch_clock(client_for, clock):
    from tests.helpers import unit_id
    admin, staff = client_for("admin"), client_for("staff1")
    bad = admin.post(f"/admin/units/{unit_id('BR01')}/hours", data={
        f"unit{unit_id('BR01')}-work_start": "18:00", f"unit{unit_id('BR01')}-work_end": "08:00"})
    assert bad.status_code == 422
    assert admin.post(f"/admin/units/{unit_id('BR01')}/hours", data={
        f"unit{unit_id('BR01')}-work_start": "10:30", f"unit{unit_id('BR01')}-work_end": "19:00"}).status_code == 303
    complaint = register(staff)             # 10:00: before this branch opens at 10:30
    dispatch = next(d for d in complaint.deadlines if d.kind == DeadlineKind.DISPATCH)
    from services.clock import to_local
    assert to_local(dispatch.due_at).strftime("%H:%M") == "11:30"       # 1 hour after the unit's start
