"""Issue 14, no case gets stuck: a complaint goes to whichever unit must answer (a department or a
branch), the head of that unit assigns and reassigns its handler, and whoever receives a complaint
registers it (首问负责制)."""
import re
import uuid

import pytest
from sqlalchemy import select

from extensions import db
from models import (AdminAuditEntry, Channel, Complaint, ComplaintEvent, ComplaintKind, ComplaintState, DeadlineKind, OutboxMessage,
                    Unit)
from services import choices, complaints, improvement, incidents, policy, routing
from services.complaints import ConflictOfInterest
from services.errors import Refused
from services.registration import register_complaint
from tests.helpers import dispatch, fresh, register, registration, unit_id, user, version_of


def unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def about_west_branch(by: str = "center1", **changes) -> Complaint:
    """A phone complaint about 城西支行, received by `by` (the service center unless said otherwise)."""
    data = dict(channel=Channel.PHONE, object_text="城西支行营业厅")
    data.update(changes)
    complaint, _created = register_complaint(user(by), uuid.uuid4().hex, registration(**data))
    db.session.commit()
    return complaint


def mail_to(username: str) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.subject).where(
        OutboxMessage.to_addr == f"{username}@example.com").order_by(OutboxMessage.id)))


def assign_form(client, complaint, username: str, note: str = ""):
    return client.act(complaint.id, "assign", {"assignee": user(username).id, "note": note,
                                               "version": version_of(client, complaint.id)})


# Routing to any unit that must answer.

def test_a_complaint_dispatched_to_a_branch_is_assigned_answered_and_told_while_the_center_stays_owner(app, clock):
    complaint = about_west_branch()
    complaints.dispatch_complaint(complaint, user("center1"), unit("BR02"))
    db.session.commit()
    assert complaint.state == ComplaintState.DISPATCHED and complaint.handling_unit.code == "BR02"
    # Nobody is assigned yet: the branch's heads hear of it, they assign it.
    assert f"投诉 {complaint.number} 已派至城西支行" in " ".join(mail_to("head2")) and mail_to("staff2") == []
    answer_due = complaint.open_deadline(DeadlineKind.ANSWER).due_at

    clock.advance(hours=5)
    assert not policy.can_assign(user("staff2"), complaint) and not policy.can_assign(user("center1"), complaint)
    complaints.assign_handler(complaint, user("head2"), user("staff2"), "请今天联系客户。")
    db.session.commit()
    assert fresh(complaint).assignee == user("staff2")
    assert mail_to("staff2") == [f"投诉 {complaint.number} 已指派给您"]      # the new handler is told
    assert complaint.open_deadline(DeadlineKind.ANSWER).due_at == answer_due  # the clock does not restart

    complaints.answer_complaint(complaint, user("staff2"), "柜员操作失误。", "已致歉。", "复训。", "每月抽查。")
    complaints.give_result(complaint, user("center1"), "已电话告知客户处理结果。", channel="phone")
    db.session.commit()
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.AWAITING_VISIT
    assert complaint.owner == user("center1") and complaint.latest_answer.unit.code == "BR02"
    # The branch that answered records its corrective actions, as a department would.
    assert improvement.can_record_action(user("head2"), complaint)
    assert not improvement.can_record_action(user("head1"), complaint)


def test_an_incident_sent_to_a_branch_leaves_the_complaints_that_branch_received_itself(app):
    first = about_west_branch(by="staff2", kind=ComplaintKind.CONCENTRATED, new_incident="城西支行系统故障")
    second = about_west_branch(kind=ComplaintKind.CONCENTRATED, incident_id=first.incident_id)
    assert incidents.dispatch_incident(first.incident, user("center1"), unit("BR02")) == 1
    db.session.commit()
    assert fresh(second).handling_unit_id == unit_id("BR02")
    assert fresh(first).state == ComplaintState.REGISTERED


@pytest.mark.parametrize("code", ["CSC", "HO"])
def test_a_complaint_never_goes_back_to_its_receiving_unit_nor_to_a_unit_that_does_not_answer(app, code):
    complaint = about_west_branch()
    with pytest.raises(Refused):
        complaints.dispatch_complaint(complaint, user("center1"), unit(code))
    db.session.rollback()
    assert fresh(complaint).state == ComplaintState.REGISTERED
    offered = [u.code for u in routing.destinations(excluding=complaint.unit_id)]
    assert code not in offered and {"OPS", "BR01", "BR02"} <= set(offered)


def test_a_branch_is_not_sent_its_own_complaint_but_may_send_one_to_another_branch(app):
    complaint = about_west_branch(by="staff1")
    with pytest.raises(Refused):
        complaints.dispatch_complaint(complaint, user("staff1"), unit("BR01"))
    db.session.rollback()
    complaint = fresh(complaint)
    complaints.dispatch_complaint(complaint, user("staff1"), unit("BR02"), user("staff2"))
    db.session.commit()
    assert fresh(complaint).assignee == user("staff2")


def test_the_person_complained_about_neither_handles_nor_answers(app):
    complaint = about_west_branch(object_user_id=user("staff2").id)
    with pytest.raises(ConflictOfInterest):
        complaints.dispatch_complaint(complaint, user("center1"), unit("BR02"), user("staff2"))
    db.session.rollback()
    complaint = fresh(complaint)
    complaints.dispatch_complaint(complaint, user("center1"), unit("BR02"))
    db.session.commit()
    assert user("staff2") not in choices.possible_handlers(complaint)
    assert not policy.can_answer(user("staff2"), complaint)
    with pytest.raises(ConflictOfInterest):
        complaints.assign_handler(complaint, user("head2"), user("staff2"))
    db.session.rollback()
    assert fresh(complaint).assignee is None


def test_a_complaint_about_a_unit_goes_to_that_unit_only_where_the_administrator_says_so(app, client_for):
    complaint = about_west_branch(object_unit_id=unit_id("BR02"))
    with pytest.raises(ConflictOfInterest):      # by default 回避 takes in the whole unit
        complaints.dispatch_complaint(complaint, user("center1"), unit("BR02"))
    db.session.rollback()

    admin = client_for("admin")
    page = admin.get(f"/admin/units/{unit_id('BR02')}").text
    [box] = re.findall(r'<input[^>]*name="avoids_as_a_whole"[^>]*>', page)
    assert "checked" in box
    response = admin.post(f"/admin/units/{unit_id('BR02')}", data={
        "name": "城西支行", "name_en": "West City Branch", "parent": unit_id("HO")})   # the box unticked
    assert response.status_code == 303
    assert unit("BR02").avoids_as_a_whole is False
    changed = db.session.scalar(select(AdminAuditEntry).order_by(AdminAuditEntry.id.desc()))
    assert changed.action == "unit_changed" and changed.changes["avoids_as_a_whole"] == [True, False]

    complaint = fresh(complaint)
    complaints.dispatch_complaint(complaint, user("center1"), unit("BR02"))   # now the branch answers for itself
    db.session.commit()
    assert fresh(complaint).handling_unit_id == unit_id("BR02")


# Assign and reassign.

def test_a_department_head_reassigns_and_the_history_shows_before_and_after(app, client_for, clock):
    center = client_for("center1")
    complaint = register(center, channel="phone")
    assert dispatch(center, complaint, "OPS", assignee=user("dept1").id).status_code == 303
    answer_due = fresh(complaint).open_deadline(DeadlineKind.ANSWER).due_at
    clock.advance(days=1)
    head = client_for("depthead1")
    assert assign_form(head, complaint, "depthead1", note="陈晨休假，我来处理。").status_code == 303
    complaint = fresh(complaint)
    assert complaint.assignee == user("depthead1")
    assert complaint.open_deadline(DeadlineKind.ANSWER).due_at == answer_due
    event = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                           ComplaintEvent.action == "assigned"))
    assert event.changes == {"assignee_id": [user("dept1").id, user("depthead1").id]}
    page = head.get(f"/complaints/{complaint.id}").text
    assert "指派了经办人" in page and "陈晨 → 刘洋" in page and "陈晨休假，我来处理。" in page


def test_assigning_is_for_the_head_of_the_handling_unit_only(app, client_for):
    center = client_for("center1")
    complaint = register(center, channel="phone")
    dispatch(center, complaint, "BR02")
    assert "指派经办人" in client_for("head2").get(f"/complaints/{complaint.id}").text
    assert assign_form(client_for("staff2"), complaint, "staff2").status_code == 403
    assert assign_form(center, complaint, "staff2").status_code == 403
    other_branch = client_for("head1").act(complaint.id, "assign", {"assignee": user("staff2").id, "version": 2})
    assert other_branch.status_code == 404   # another branch's case does not exist for it
    # Someone of another unit is not offered and not accepted: the form says so, nothing changes.
    response = assign_form(client_for("head2"), complaint, "dept1")
    assert response.status_code == 422 and fresh(complaint).assignee is None


def test_the_heads_queue_shows_unassigned_cases_first_and_the_handler_finds_theirs(app, client_for, clock):
    staff2, center = client_for("staff2"), client_for("center1")
    own = register(staff2, object_text="城西支行")        # the branch's own case, due soonest
    clock.advance(minutes=10)
    routed = register(center, channel="phone", object_text="城西支行")
    dispatch(center, routed, "BR02")
    head = client_for("head2")
    queue = head.get("/branch/").text
    assert routed.number in queue and own.number in queue
    assert queue.index(routed.number) < queue.index(own.number) and "未指派" in queue
    assert routed.number not in staff2.get("/intake/").text
    assign_form(head, routed, "staff2")
    assert routed.number in staff2.get("/intake/").text
    queue = head.get("/branch/").text
    assert queue.index(own.number) < queue.index(routed.number) and "未指派" not in queue


def test_the_department_queue_lists_only_what_was_dispatched_to_it_unassigned_first(app, client_for, clock):
    center = client_for("center1")
    assigned = register(center, channel="phone")
    dispatch(center, assigned, "OPS", assignee=user("dept1").id)
    clock.advance(hours=1)
    waiting = register(center, channel="phone")
    dispatch(center, waiting, "OPS")
    # A complaint the department received itself and sent on is not in its queue.
    received = register(client_for("dept1"), channel="phone")
    dispatch(client_for("dept1"), received, "RETAIL")
    queue = client_for("depthead1").get("/department/").text
    assert queue.index(waiting.number) < queue.index(assigned.number)
    assert received.number not in queue


# Who may register.

@pytest.mark.parametrize("username", ["dept1", "depthead1", "leader1", "center1", "staff2"])
def test_whoever_receives_a_complaint_registers_it_owns_it_and_acts_on_it(app, client_for, username):
    client = client_for(username)
    assert "登记投诉" in client.get("/intake/").text
    complaint = register(client, channel="phone", kind="discovered")   # found by the staff themselves too
    assert complaint.owner == user(username) and complaint.kind == ComplaintKind.DISCOVERED
    assert complaint.number in client.get("/intake/").text
    page = client.get(f"/complaints/{complaint.id}").text
    assert "派单至部门或支行" in page
    target = "RETAIL" if user(username).unit.code != "RETAIL" else "OPS"
    assert dispatch(client, complaint, target).status_code == 303
    assert fresh(complaint).handling_unit_id == unit_id(target)


def test_the_administrator_registers_nothing_and_sees_no_register_link(app, client_for):
    admin = client_for("admin")
    assert not policy.can_register(user("admin"))
    assert "登记投诉" not in admin.get("/admin/").text
