"""Deadline rules and the working calendar live in the database, editable by the administrator."""
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import DeadlineKind, DeadlineRule
from services import calendar
from tests.helpers import register


def test_the_administrator_changes_a_rule_and_only_new_clocks_follow_it(client_for, clock):
    staff, admin = client_for("staff1"), client_for("admin")
    before = register(staff, level="2")
    assert typed_duration(admin.get("/admin/rules").text, "first_response-2-period") == ("0", "2", "0")
    response = admin.post("/admin/rules/first_response/2", data={
        "first_response-2-period-hours": "1", "first_response-2-period-minutes": "30",
        "first_response-2-remind_before-minutes": "10", "first_response-2-escalate_after-hours": "1"})
    assert response.status_code == 303
    after = register(staff, level="2")

    def first_response(c):
        return next(d for d in c.deadlines if d.kind == DeadlineKind.FIRST_RESPONSE)
    assert first_response(before).due_at - before.received_at == timedelta(hours=2)      # unchanged
    assert first_response(after).due_at - after.received_at == timedelta(minutes=90)


def typed_duration(page: str, name: str) -> tuple:
    """The days, hours and minutes a rule's duration shows in its three inputs."""
    return tuple(re.search(rf'name="{name}-{part}"[^>]*value="([^"]*)"', page).group(1)
                 for part in ("days", "hours", "minutes"))


def test_a_rule_is_edited_in_days_hours_and_minutes_and_stored_in_minutes(client_for):
    admin = client_for("admin")
    page = admin.get("/admin/rules").text
    assert typed_duration(page, "final_decision-0-period") == ("15", "0", "0")      # not 21600 minutes
    assert typed_duration(page, "review-0-period") == ("30", "0", "0")
    response = admin.post("/admin/rules/final_decision/0", data={
        "final_decision-0-period-days": "12", "final_decision-0-period-hours": "6", "final_decision-0-period-minutes": "",
        "final_decision-0-remind_before-days": "2", "final_decision-0-remind_before-hours": "12",
        "final_decision-0-escalate_after-minutes": "45"})
    assert response.status_code == 303
    db.session.rollback()
    row = db.session.scalar(select(DeadlineRule).where(DeadlineRule.kind == DeadlineKind.FINAL_DECISION))
    assert (row.period_minutes, row.remind_before_minutes, row.escalate_after_minutes) == (
        12 * 1440 + 6 * 60, 2 * 1440 + 12 * 60, 45)
    page = admin.get("/admin/rules").text
    assert typed_duration(page, "final_decision-0-period") == ("12", "6", "0")
    assert typed_duration(page, "final_decision-0-remind_before") == ("2", "12", "0")
    assert typed_duration(page, "final_decision-0-escalate_after") == ("0", "0", "45")


@pytest.mark.one_backend
@pytest.mark.parametrize("typed, message", [
    ({"period-days": "-5"}, "请输入 0 至 400 的整数。"),
    ({"period-days": "3", "period-hours": "x"}, "请输入 0 至 23 的整数。"),
    ({"period-days": "3", "remind_before-minutes": "75"}, "请输入 0 至 59 的整数。"),
    ({"period-days": "3", "escalate_after-hours": "1.5"}, "请输入 0 至 23 的整数。"),
    ({"period-days": "0", "period-hours": "0", "period-minutes": "0"}, "应在 1 分钟至 400 天之间。"),
    ({"period-days": "400", "period-hours": "1"}, "应在 1 分钟至 400 天之间。"),
    ({"period-days": "３"}, "请输入 0 至 400 的整数。"),          # a full-width digit is no number here
])
def test_bad_rule_values_are_refused_and_what_was_typed_is_kept(client_for, typed, message):
    admin = client_for("admin")
    response = admin.post("/admin/rules/answer/0", data={f"answer-0-{name}": value for name, value in typed.items()})
    assert response.status_code == 422
    assert message in response.text
    for name, value in typed.items():
        assert re.search(rf'name="answer-0-{name}"[^>]*value="{value}"', response.text), name
    assert 'aria-invalid="true"' in response.text
    db.session.rollback()
    assert db.session.scalar(select(DeadlineRule).where(DeadlineRule.kind == DeadlineKind.ANSWER)) is None


@pytest.mark.one_backend
def test_bad_rule_addresses_and_other_roles_are_refused(client_for):
    admin = client_for("admin")
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


@pytest.mark.one_backend
def test_each_rule_says_whether_it_counts_working_or_calendar_time(client_for):
    page = client_for("admin").get("/admin/rules").text

    def counting(row: str) -> str:
        cell = re.search(rf'data-testid="rule-{row}".*?data-testid="counting">([^<]*)<', page, re.DOTALL).group(1)
        return cell.strip()
    assert counting("final_decision-0") == "自然日（日历时间）"
    assert counting("answer-0") == "自然日（日历时间）"
    assert counting("plan_approval-0") == "工作时间（按工作日历）"
    assert counting("progress-0") == "工作时间（按工作日历）"
    assert counting("return_visit-0").startswith("工作日")
    assert counting("dispatch-0").startswith("工作时间；")
    # What the page says is what the clocks do: a plan's approval clock stops outside working hours.
    from services import deadlines
    friday_evening = datetime(2026, 11, 27, 9, 0)          # 17:00 in Shanghai, an hour before closing
    assert deadlines.due_for(None, DeadlineKind.PLAN_APPROVAL, friday_evening) - friday_evening > timedelta(days=2)
