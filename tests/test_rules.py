"""The rules around the flow: 回避, withdrawal, unreachable customers, who may approve and visit,
every clock on record, and notices only in working hours unless urgent."""
from datetime import timedelta

import pytest

from models import ComplaintState, DeadlineKind, PlanState
from tests.helpers import dispatch, fresh, give_result, register, unit_id, user, version_of, visit
from tests.test_worker import tick


def test_a_complaint_is_never_dispatched_to_the_unit_or_person_it_is_about(client_for):
    staff = client_for("staff1")
    about_ops = register(staff, object_unit=str(unit_id("OPS")))
    refused = dispatch(staff, about_ops, "OPS")
    assert refused.status_code == 422 and "回避" in refused.text
    assert fresh(about_ops).state == ComplaintState.REGISTERED
    assert dispatch(staff, about_ops, "RETAIL").status_code == 303

    about_lobby = register(staff, object_user=str(user("lobby1").id))
    staff.act(about_lobby.id, "escalate", {"reason": "需上级处理", "version": version_of(staff, about_lobby.id)})
    assert fresh(about_lobby).handler == user("head1")          # the lobby manager is skipped


def test_withdrawal_ends_the_process_with_its_reason(client_for, clock):
    staff = client_for("staff1")
    complaint = register(staff)
    assert staff.act(complaint.id, "withdraw", {"reason": "", "version": version_of(staff, complaint.id)}
                     ).status_code == 422
    assert staff.act(complaint.id, "withdraw", {"reason": "客户表示问题已自行解决",
                                                "version": version_of(staff, complaint.id)}).status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.CLOSED and complaint.withdrawn_at == clock()
    assert complaint.withdrawal_reason == "客户表示问题已自行解决" and complaint.next_due_at is None


def test_three_unanswered_return_visit_calls_close_the_complaint(client_for):
    staff, center = client_for("staff1"), client_for("center1")
    complaint = register(staff, solved_on_spot="y", on_spot_result="当场解决")
    for attempt in range(1, 4):
        assert fresh(complaint).state == ComplaintState.AWAITING_VISIT
        assert visit(center, complaint, "none", f"第{attempt}次未接通").status_code == 303
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.CLOSED and complaint.unreachable_attempts == 3
    assert complaint.satisfaction is None


@pytest.mark.one_backend
def test_the_handler_does_not_record_the_return_visit(client_for):
    staff = client_for("staff1")
    complaint = register(staff, solved_on_spot="y", on_spot_result="当场解决")
    assert 'id="action-visit"' not in staff.get(f"/complaints/{complaint.id}?actions=all").text
    assert visit(client_for("center1"), complaint, "A").status_code == 303


def test_nobody_approves_their_own_plan_and_the_approver_has_a_clock(client_for, clock, mailbox):
    head = client_for("head1")
    complaint = register(head, media="y")                   # the branch head registers and plans
    head.act(complaint.id, "plan", {"steps": "致歉并说明", "responsible": "王芳", "due_date": "2026-11-26",
                                    "version": version_of(head, complaint.id)})
    assert fresh(complaint).current_plan.state == PlanState.PENDING
    assert 'id="action-review"' not in head.get(f"/complaints/{complaint.id}?actions=all").text
    approval = fresh(complaint).open_deadline(DeadlineKind.PLAN_APPROVAL)
    assert approval.due_at - clock() == timedelta(hours=24)   # one working day: Tuesday 10:00 → Wednesday 10:00
    tick()
    mailbox.messages.clear()
    clock.advance(hours=24, minutes=1)
    tick()
    assert "head1@example.com" in [m["To"] for m in mailbox.messages]       # waits on the approver
    clock.advance(hours=4)
    tick()
    assert "leader1@example.com" in [m["To"] for m in mailbox.messages]     # then escalated


def test_every_clock_is_on_the_case_with_who_it_waits_on(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    kinds = {d.kind for d in complaint.deadlines}
    assert kinds == {DeadlineKind.REGISTRATION, DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION,
                     DeadlineKind.FINAL_DECISION, DeadlineKind.DISPATCH}
    registration = next(d for d in complaint.deadlines if d.kind == DeadlineKind.REGISTRATION)
    assert registration.met_at == complaint.registered_at and not registration.is_overdue(complaint.registered_at)
    page = staff.get(f"/complaints/{complaint.id}").text
    assert page.count("<tr") >= 6 and "张敏" in page


def test_the_second_handling_gets_its_own_clocks_and_keeps_the_first(client_for, clock):
    staff, dept, center = client_for("staff1"), client_for("dept1"), client_for("center1")
    complaint = register(staff)
    dispatch(staff, complaint)
    from tests.helpers import answer
    answer(dept, complaint)
    give_result(staff, complaint)
    clock.advance(hours=2)
    visit(center, complaint, "D", "不满意")
    complaint = fresh(complaint)
    rounds = [(d.kind, d.round, d.met_at is not None) for d in complaint.deadlines
              if d.kind in (DeadlineKind.DISPATCH, DeadlineKind.RESOLUTION)]
    assert (DeadlineKind.DISPATCH, 1, True) in rounds and (DeadlineKind.DISPATCH, 2, False) in rounds
    assert (DeadlineKind.RESOLUTION, 1, True) in rounds and (DeadlineKind.RESOLUTION, 2, False) in rounds
    second = next(d for d in complaint.deadlines if d.kind == DeadlineKind.RESOLUTION and d.round == 2)
    assert second.due_at - clock() == timedelta(hours=48)


def test_notices_wait_for_working_hours_unless_urgent(client_for, clock, mailbox):
    staff = client_for("staff1")
    clock.advance(hours=8)                                  # 18:00 Tuesday: after hours
    routine = register(staff, received_at="2026-11-24T17:55")
    urgent = register(staff, received_at="2026-11-24T17:55", level="1")
    tick()
    mailbox.messages.clear()
    clock.advance(hours=6)                                  # midnight: both first-response clocks passed
    tick()
    subjects = " ".join(mailbox.subjects())
    assert urgent.number in subjects and routine.number not in subjects
    clock.advance(hours=9)                                  # Wednesday 09:00
    tick()
    assert routine.number in " ".join(mailbox.subjects())


def test_moving_one_cases_clock_needs_the_role_and_a_reason_and_shows_in_the_history(client_for, clock):
    staff, center = client_for("staff1"), client_for("center1")
    complaint = register(staff)
    answer_clock = next(d for d in complaint.deadlines if d.kind == DeadlineKind.FIRST_RESPONSE)
    assert 'id="action-adjust"' not in staff.get(f"/complaints/{complaint.id}?actions=all").text
    no_reason = center.act(complaint.id, "adjust", {"deadline": answer_clock.id, "new_due": "2026-11-24T15:00",
                                                    "reason": "", "version": version_of(center, complaint.id)})
    assert no_reason.status_code == 422
    moved = center.act(complaint.id, "adjust", {"deadline": answer_clock.id, "new_due": "2026-11-24T15:00",
                                                "reason": "客户要求下午再联系", "version": version_of(center, complaint.id)})
    assert moved.status_code == 303
    complaint = fresh(complaint)
    clock_now = next(d for d in complaint.deadlines if d.id == answer_clock.id)
    from services.clock import to_local
    assert to_local(clock_now.due_at).strftime("%H:%M") == "15:00"
    assert "客户要求下午再联系" in center.get(f"/complaints/{complaint.id}").text


def test_a_routine_notice_waits_for_the_recipients_own_working_hours(client_for, clock, mailbox, app):
    from extensions import db
    from datetime import time
    from tests.helpers import unit_id
    from models import Unit
    branch = db.session.get(Unit, unit_id("BR01"))
    branch.work_start, branch.work_end = time(10, 0), time(18, 0)       # this branch opens at 10:00
    db.session.commit()
    staff = client_for("staff1")
    clock.advance(hours=8)                                               # Tuesday 18:00
    complaint = register(staff, received_at="2026-11-24T17:55")
    tick()
    mailbox.messages.clear()
    clock.advance(hours=15, minutes=30)                                  # Wednesday 09:30
    tick()
    assert complaint.number not in " ".join(m["Subject"] for m in mailbox.to("staff1@example.com"))
    clock.advance(minutes=31)                                            # 10:01, the branch is open
    tick()
    assert complaint.number in " ".join(m["Subject"] for m in mailbox.to("staff1@example.com"))
