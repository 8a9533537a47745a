"""The transitions of services/complaints.py (and registration), called directly, without HTTP:
what each changes, which clocks it moves, who hears of it, and who is refused."""
import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import (Complaint, ComplaintEvent, ComplaintState, ContactChannel, CustomerMessage, DeadlineKind,
                    OutboxMessage, PlanState, Satisfaction, Unit)
from services import complaints, signals
from services.complaints import StaleComplaint
from services.errors import Refused
from services.registration import register_complaint
from tests.conftest import START
from tests.helpers import CUSTOMER, fresh, registration, user

def registered(by: str = "staff1", **changes) -> Complaint:
    complaint, created = register_complaint(user(by), uuid.uuid4().hex, registration(**changes))
    assert created
    db.session.commit()
    return complaint


def ops() -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == "OPS"))


def mail_to(username_or_address: str) -> list[str]:
    """The subjects of the e-mails queued to a demo user (by username) or an address."""
    address = username_or_address if "@" in username_or_address else f"{username_or_address}@example.com"
    return list(db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.to_addr == address)
                                   .order_by(OutboxMessage.id)))


def customer_notices(complaint) -> list[str]:
    return list(db.session.scalars(select(CustomerMessage.subject).where(CustomerMessage.complaint_id == complaint.id)
                                   .order_by(CustomerMessage.id)))


def actions(complaint) -> list[str]:
    return list(db.session.scalars(select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == complaint.id)
                                   .order_by(ComplaintEvent.id)))


def open_clocks(complaint) -> dict:
    return {d.kind: d for d in fresh(complaint).deadlines if d.met_at is None}


def test_registration_numbers_the_complaint_starts_its_clocks_and_sends_the_acceptance(app, clock):
    complaint = registered()
    assert re.fullmatch(r"TS-20261124-\d{4}", complaint.number)
    assert complaint.state == ComplaintState.REGISTERED and complaint.owner.username == "staff1"
    kinds = [d.kind for d in fresh(complaint).deadlines]
    assert kinds == [DeadlineKind.REGISTRATION, DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION,
                     DeadlineKind.FINAL_DECISION, DeadlineKind.DISPATCH]
    registration_clock = fresh(complaint).deadlines[0]
    assert registration_clock.started_at == complaint.received_at and registration_clock.met_at == START
    clocks = open_clocks(complaint)
    assert clocks[DeadlineKind.FIRST_RESPONSE].due_at == complaint.received_at + timedelta(hours=2)    # level 2
    assert clocks[DeadlineKind.RESOLUTION].due_at == complaint.received_at + timedelta(hours=48)
    assert clocks[DeadlineKind.FINAL_DECISION].due_at == complaint.received_at + timedelta(days=15)
    assert clocks[DeadlineKind.DISPATCH].due_at == START + timedelta(minutes=30)   # Tuesday, in working hours
    assert fresh(complaint).next_due_at == START + timedelta(minutes=30)
    assert customer_notices(complaint) == [f"您的投诉已受理：{complaint.number}"]
    assert mail_to(CUSTOMER) == [f"您的投诉已受理：{complaint.number}"]
    assert actions(complaint) == ["registered"]


def test_the_same_form_twice_registers_once(app):
    token = uuid.uuid4().hex
    first, created = register_complaint(user("staff1"), token, registration())
    db.session.commit()
    again, created_again = register_complaint(user("staff1"), token, registration(content="再次提交"))
    assert (created, created_again) == (True, False) and again.id == first.id
    assert db.session.scalar(select(Complaint.content).where(Complaint.id == first.id)).startswith("在柜台")


def test_the_acceptance_notice_belongs_to_the_registrations_transaction(app):
    complaint, _ = register_complaint(user("staff1"), uuid.uuid4().hex, registration())
    assert mail_to(CUSTOMER) == [f"您的投诉已受理：{complaint.number}"]   # sent by the signal's listener, at once
    db.session.rollback()
    assert mail_to(CUSTOMER) == [] and db.session.scalar(select(CustomerMessage.id)) is None
    assert signals.complaint_registered.receivers, "create_app connects the customer notices"


def test_a_complaint_goes_from_dispatch_to_a_satisfied_visit_and_is_closed(app, clock):
    complaint = registered()
    complaints.dispatch_complaint(complaint, user("staff1"), ops(), note="请核查排队情况")
    db.session.commit()
    assert complaint.state == ComplaintState.DISPATCHED and complaint.handling_unit.code == "OPS"
    clocks = open_clocks(complaint)
    assert DeadlineKind.DISPATCH not in clocks
    assert clocks[DeadlineKind.ANSWER].due_at == START + timedelta(days=3)
    assert mail_to("dept1") and mail_to("depthead1") == []   # the department's staff, not its head

    clock.advance(hours=5)
    complaints.answer_complaint(complaint, user("dept1"), "高峰期只开了两个窗口。", "已致歉。", "增开窗口。", "按客流排班。")
    db.session.commit()
    assert complaint.state == ComplaintState.ANSWERED and DeadlineKind.ANSWER not in open_clocks(complaint)
    assert len(mail_to("staff1")) == 1   # the owner hears of the answer

    complaints.give_result(complaint, user("staff1"), "已电话告知客户处理结果。", ContactChannel.PHONE)
    db.session.commit()
    clocks = open_clocks(complaint)
    assert complaint.state == ComplaintState.AWAITING_VISIT and complaint.valid is True
    assert set(clocks) == {DeadlineKind.FINAL_DECISION, DeadlineKind.RETURN_VISIT}
    assert customer_notices(complaint)[-1] == f"投诉 {complaint.number} 的处理结果"

    complaints.record_return_visit(complaint, user("center1"), Satisfaction.B, "客户表示接受。")
    db.session.commit()
    complaint = fresh(complaint)
    assert complaint.state == ComplaintState.CLOSED and complaint.closed_at == clock()
    assert complaint.satisfaction == Satisfaction.B and open_clocks(complaint) == {}
    assert complaint.next_due_at is None
    assert customer_notices(complaint)[-1] == f"投诉 {complaint.number} 已办结"
    assert actions(complaint) == ["registered", "dispatched", "answered", "result_given", "visited", "closed"]


def test_an_unsatisfied_first_visit_opens_a_second_handling_with_clocks_of_its_own(app, clock):
    complaint = registered()
    complaints.give_result(complaint, user("staff1"), "已当面解释。", ContactChannel.IN_PERSON)
    db.session.commit()
    clock.advance(days=1)
    complaints.record_return_visit(complaint, user("center1"), Satisfaction.D, "客户不满意。")
    db.session.commit()
    assert (complaint.state, complaint.round) == (ComplaintState.REGISTERED, 2)
    clocks = open_clocks(complaint)
    assert clocks[DeadlineKind.RESOLUTION].started_at == clock() and clocks[DeadlineKind.RESOLUTION].round == 2
    assert clocks[DeadlineKind.RESOLUTION].due_at == clock() + timedelta(hours=48)   # from the reopening
    assert DeadlineKind.DISPATCH in clocks
    assert mail_to("head1") and "reopened" in actions(complaint)


def test_a_major_complaints_plan_waits_for_its_branch_head_and_then_tells_the_customer(app):
    complaint = registered(collective=True)
    assert DeadlineKind.PROGRESS in open_clocks(complaint)   # started with the registration's clocks
    assert len(mail_to("head1")) == 1 and len(mail_to("leader1")) == 1 and mail_to("head2") == []
    assert actions(complaint) == ["registered", "major_reported"]

    plan = complaints.submit_plan(complaint, user("staff1"), "当面致歉，整改排队管理。", "张敏", date(2026, 11, 30), None)
    db.session.commit()
    assert plan.state == PlanState.PENDING and DeadlineKind.PLAN_APPROVAL in open_clocks(complaint)
    assert len(mail_to("head1")) == 2
    with pytest.raises(Refused):   # no result before the plan is approved
        complaints.give_result(complaint, user("staff1"), "已处理。", ContactChannel.PHONE)
    db.session.rollback()
    with pytest.raises(Refused):   # the leader approves head-office plans, not a branch's
        complaints.review_plan(complaint, user("leader1"), True, "")
    db.session.rollback()

    complaints.review_plan(fresh(complaint), user("head1"), True, "同意。")
    db.session.commit()
    complaint = fresh(complaint)
    assert complaint.current_plan.state == PlanState.APPROVED and complaint.plan_cleared
    assert DeadlineKind.PLAN_APPROVAL not in open_clocks(complaint)
    assert customer_notices(complaint)[-1] == f"投诉 {complaint.number} 的处理方案"


def test_a_general_complaints_plan_is_recorded_and_told_at_once(app):
    complaint = registered()
    plan = complaints.submit_plan(complaint, user("staff1"), "当面致歉。", "张敏", date(2026, 11, 30), None)
    db.session.commit()
    assert plan.state == PlanState.APPROVED and DeadlineKind.PLAN_APPROVAL not in open_clocks(complaint)
    assert customer_notices(complaint)[-1] == f"投诉 {complaint.number} 的处理方案"
    assert mail_to("head1") == []


def test_escalation_climbs_the_branch_ladder_and_stops_at_its_top(app):
    complaint = registered()
    assert complaints.escalate_complaint(complaint, user("staff1"), "客户情绪激动").username == "lobby1"
    db.session.commit()
    assert complaints.escalate_complaint(complaint, user("lobby1"), "需支行长处理").username == "head1"
    db.session.commit()
    assert fresh(complaint).handler.username == "head1" and fresh(complaint).owner.username == "staff1"
    assert len(mail_to("lobby1")) == 1 and len(mail_to("head1")) == 1
    with pytest.raises(Refused):
        complaints.escalate_complaint(fresh(complaint), user("head1"), "再上一级")


@pytest.mark.parametrize("who", ["dept1", "staff2", "leader1"])
def test_a_wrong_actor_is_refused_and_nothing_changes(app, who):
    complaint = registered()
    version = complaint.version
    with pytest.raises(Refused):
        complaints.dispatch_complaint(complaint, user(who), ops(), expected_version=version)
    db.session.rollback()
    complaint = fresh(complaint)
    assert (complaint.state, complaint.version, complaint.handling_unit_id) == (ComplaintState.REGISTERED, version, None)
    assert actions(complaint) == ["registered"]


def test_a_stale_version_is_a_conflict_even_before_a_refusal(app):
    complaint = registered()
    seen = complaint.version
    complaints.take_over(complaint, user("lobby1"), expected_version=seen)
    db.session.commit()
    with pytest.raises(StaleComplaint):   # the page was loaded before the take-over
        complaints.dispatch_complaint(fresh(complaint), user("staff1"), ops(), expected_version=seen)
    db.session.rollback()
    with pytest.raises(StaleComplaint):   # not the user's action at all: still the conflict first
        complaints.dispatch_complaint(fresh(complaint), user("dept1"), ops(), expected_version=seen)
    db.session.rollback()
    assert fresh(complaint).state == ComplaintState.REGISTERED


def test_a_complaint_solved_at_the_counter_skips_dispatch(app):
    complaint = registered(solved_on_spot="当场为客户办理完毕并致歉。")
    assert complaint.state == ComplaintState.AWAITING_VISIT
    assert DeadlineKind.DISPATCH not in {d.kind for d in fresh(complaint).deadlines}
    assert set(open_clocks(complaint)) == {DeadlineKind.FINAL_DECISION, DeadlineKind.RETURN_VISIT}
    assert customer_notices(complaint) == [f"您的投诉已受理：{complaint.number}", f"投诉 {complaint.number} 的处理结果"]
