"""Handling plans: a major complaint's plan must be approved by the branch head (or the leader for
head-office cases) before the case moves on."""
import pytest
from rq import SimpleWorker
from sqlalchemy import select

from extensions import db
from sqlalchemy.orm import aliased

from models import Complaint, Plan, PlanState, Unit, User
from services import policy
from services.recipients import plan_approvers
from services.queue import queue
from tests.helpers import answer, dispatch, fresh, give_result, register, user, version_of


def plan(client, complaint, **changes):
    data = {"steps": "1. 调取监控核实；2. 向客户致歉并退还手续费。", "responsible": "陈晨", "due_date": "2026-11-26",
            "compensation": "", "version": version_of(client, complaint.id)}
    data.update(changes)
    return client.act(complaint.id, "plan", data)


def review(client, complaint, decision, comment=""):
    return client.act(complaint.id, "review", {
        "decision": decision, "comment": comment, "version": version_of(client, complaint.id)})


def test_a_major_complaint_moves_on_only_with_an_approved_plan(client_for, mailbox, clock):
    staff, dept, head = client_for("staff1"), client_for("dept1"), client_for("head1")
    complaint = register(staff, litigation="y")
    dispatch(staff, complaint)
    page = dept.get(f"/complaints/{complaint.id}").text
    assert 'data-testid="plan-needed"' in page and 'id="action-answer"' not in page
    refused = dept.act(complaint.id, "answer", {
        "cause": "x", "result": "x", "corrective_action": "x", "preventive_action": "x",
        "version": fresh(complaint).version})
    assert refused.status_code == 403

    assert plan(dept, complaint).status_code == 303
    assert fresh(complaint).current_plan.state == PlanState.PENDING
    SimpleWorker([queue()], connection=queue().connection).work(burst=True)
    assert "head1@example.com" in [m["To"] for m in mailbox.messages]

    clock.advance(minutes=75)
    queue_page = head.get("/branch/approvals").text
    assert complaint.number in queue_page and "1 小时 15 分钟" in queue_page
    assert client_for("head2").get("/branch/approvals").text.count(complaint.number) == 0
    assert review(head, complaint, "reject").status_code == 422          # a rejection needs its reason
    assert review(head, complaint, "reject", "补偿方案不明确").status_code == 303
    assert fresh(complaint).current_plan.state == PlanState.REJECTED
    assert 'id="action-answer"' not in dept.get(f"/complaints/{complaint.id}").text

    assert plan(dept, complaint, compensation="50.00").status_code == 303
    assert review(head, complaint, "approve").status_code == 303
    complaint = fresh(complaint)
    assert [p.state for p in complaint.plans] == [PlanState.REJECTED, PlanState.APPROVED]
    assert complaint.compensation                                         # compensation makes it major too
    assert answer(dept, complaint).status_code == 303
    assert give_result(staff, complaint).status_code == 303


def test_a_general_complaint_needs_no_approval(client_for):
    staff, dept = client_for("staff1"), client_for("dept1")
    complaint = register(staff)
    dispatch(staff, complaint)
    assert plan(dept, complaint).status_code == 303
    assert fresh(complaint).current_plan.state == PlanState.APPROVED
    assert answer(dept, complaint).status_code == 303


def test_head_office_cases_are_approved_by_the_leader(client_for):
    center, leader, head = client_for("center1"), client_for("leader1"), client_for("head1")
    complaint = register(center, media="y")
    assert plan(center, complaint).status_code == 303
    assert complaint.number not in head.get("/branch/approvals").text
    assert complaint.number in leader.get("/branch/approvals").text
    assert review(leader, complaint, "approve").status_code == 303


def test_the_approvals_query_the_notices_and_the_policy_name_the_same_approvers(client_for):
    writers = ("staff1", "staff2", "center1", "head1", "staff1")
    made = [register(client_for(who), media="y") for who in writers[:4]]
    # A complaint about the branch head: 回避, the leader approves instead.
    made.append(register(client_for("staff1"), media="y", object_user=user("head1").id))
    for complaint, who in zip(made, writers):
        assert plan(client_for(who), complaint).status_code == 303
    made = [fresh(c) for c in made]
    author, about = aliased(User), aliased(User)
    for username in ("head1", "head2", "leader1", "staff1", "center1", "admin"):
        approver = user(username)
        by_sql = set(db.session.scalars(
            select(Complaint.id).join(Unit, Unit.id == Complaint.unit_id).join(Plan, Plan.complaint_id == Complaint.id)
            .join(author, author.id == Plan.author_id).outerjoin(about, about.id == Complaint.object_user_id)
            .where(policy.plans_approved_by(approver, author.role, about.role, about.unit_id))))
        by_policy = {c.id for c in made if policy.approves_plans_of(approver, c)}
        by_notice = {c.id for c in made if approver in plan_approvers(c)}
        assert by_sql == by_policy == by_notice, username
    assert [[u.username for u in plan_approvers(c)] for c in made] == [
        ["head1"], ["head2"], ["leader1"], ["leader1"], ["leader1"]]
    assert not policy.can_review_plan(user("head1"), made[-1])       # never the person complained about
    assert policy.can_review_plan(user("leader1"), made[-1])


# Every role that can write a plan, on a case of a branch and of the head office, with or without a department.
PLAN_AUTHORS = [
    # (who registers, department it is dispatched to or None, who writes the plan, who approves it)
    ("staff1", None, "staff1", "head1"),
    ("staff1", None, "lobby1", "head1"),
    ("lobby1", None, "lobby1", "head1"),
    ("head1", None, "head1", "leader1"),        # a branch head's own plan goes to the leader
    ("staff1", None, "head1", "leader1"),
    ("center1", None, "center1", "leader1"),
    ("staff1", "OPS", "dept1", "head1"),
    ("head1", "OPS", "depthead1", "head1"),
    ("center1", "OPS", "depthead1", "leader1"),
    ("leader1", None, "leader1", "center1"),    # a leader's own plan goes to the service center
]


@pytest.mark.parametrize("registrant, department, author, approver", PLAN_AUTHORS)
def test_every_plan_that_needs_approval_has_an_approver_who_is_not_its_author(
        client_for, registrant, department, author, approver):
    complaint = register(client_for(registrant), media="y")
    if department:
        assert dispatch(client_for(registrant), complaint, department).status_code == 303
    assert plan(client_for(author), complaint).status_code == 303
    complaint = fresh(complaint)
    assert complaint.current_plan.state == PlanState.PENDING
    assert [u.username for u in plan_approvers(complaint)] == [approver]
    approving = client_for(approver)
    assert complaint.number in approving.get("/branch/approvals").text
    assert complaint.number not in client_for(author).get("/branch/approvals").text   # never one's own
    assert review(approving, complaint, "approve").status_code == 303
    assert fresh(complaint).current_plan.state == PlanState.APPROVED


def test_only_the_approver_reviews_and_two_reviews_do_not_both_count(client_for):
    staff, head, lobby = client_for("staff1"), client_for("head1"), client_for("lobby1")
    complaint = register(staff, collective="y", collective_count="6")
    plan(staff, complaint)
    version = version_of(head, complaint.id)
    assert lobby.act(complaint.id, "review", {
        "decision": "approve", "version": version}).status_code == 403
    assert head.act(complaint.id, "review", {
        "decision": "approve", "version": version}).status_code == 303
    late = head.act(complaint.id, "review", {
        "decision": "reject", "comment": "no", "version": version})
    assert late.status_code == 409
    assert fresh(complaint).current_plan.state == PlanState.APPROVED


@pytest.mark.one_backend
def test_the_approvals_page_fits_a_phone(client_for):
    page = client_for("head1").get("/branch/approvals")
    assert page.status_code == 200 and 'name="viewport"' in page.text
