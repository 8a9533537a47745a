"""Handling plans: a major complaint's plan must be approved by the branch head (or the leader for
head-office cases) before the case moves on."""
import os
import re
from datetime import date
from itertools import product

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from extensions import db
from sqlalchemy.orm import aliased

from models import (AdminAuditEntry, Category, Complaint, ComplaintEvent, DeadlineKind, OutboxMessage, Plan, PlanState,
                    Role, Unit, User)
from services import complaints, org_settings, policy, profiles, recipients, reminders, severity, stuck_plans
from services.demo import DEMO_PASSWORD, seed_demo
from services.recipients import plan_approvers
from services.queue import queue
from services.registration import register_complaint
from tests.conftest import _wipe
from tests.helpers import (all_at_once, answer, dispatch, fresh, give_result, nav_counts, register, registration,
                           user, version_of)


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
    page = dept.get(f"/complaints/{complaint.id}?actions=all").text
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
    assert 'id="action-answer"' not in dept.get(f"/complaints/{complaint.id}?actions=all").text

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
            .where(policy.plans_approved_by(approver, author, about, Unit))))
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


def name_fallback(client_for, username, leaders="center"):
    """The administrator names the person for plans nobody else may approve, on the rules page."""
    admin = client_for("admin")
    assert admin.post("/admin/rules/plans", data={"plans-leaders": leaders,
                                                  "plans-fallback": user(username).id if username else 0}
                      ).status_code == 303


@pytest.mark.one_backend
def test_the_person_for_plans_nobody_else_may_approve_is_neither_a_leader_nor_the_center(client_for):
    """They are the last seats of every plan, asked before the named person: naming one changes nothing."""
    admin = client_for("admin")
    page = admin.get("/admin/rules").text
    offered = re.findall(r'<option[^>]*value="(\d+)"', page[page.index('id="plans-fallback"'):].split("</select>")[0])
    assert str(user("depthead1").id) in offered and str(user("head1").id) in offered
    assert str(user("leader1").id) not in offered and str(user("center1").id) not in offered
    assert admin.post("/admin/rules/plans", data={"plans-leaders": "center", "plans-fallback": user("leader1").id}
                      ).status_code == 422


def disable(username):
    user(username).active = False
    db.session.commit()


# Plans the first approving seat may not approve: the 回避 step-up lands on the author, or the seat is empty.
STUCK_PLANS = [
    # (who registers, about whom, dispatched to, who writes the plan, what happens first, who approves)
    ("center1", "leader1", None, "center1", "fallback", "depthead1"),     # leader 回避 → center is the author
    ("leader1", "center1", None, "leader1", "fallback", "depthead1"),     # center 回避 → leader is the author
    ("leader1", "center1", None, "leader1", "fallback-leader", "depthead1"),
    ("staff1", None, None, "staff1", "head1-disabled", "leader1"),        # the sole branch head is disabled
    ("staff1", "head1", None, "lobby1", "leader1-disabled", "center1"),   # head 回避, no leader: the center
    ("dept1", None, None, "dept1", None, "leader1"),                     # a department member registered it
    ("center1", None, "BR02", "staff2", None, "leader1"),                # the handling branch's staff
    ("staff2", None, "BR01", "staff1", None, "head2"),
]


@pytest.mark.parametrize("registrant, about, unit, author, first, approver", STUCK_PLANS)
def test_a_plan_always_has_an_approver_who_is_active_not_its_author_nor_complained_about_and_sees_it(
        client_for, registrant, about, unit, author, first, approver):
    if first and first.startswith("fallback"):
        name_fallback(client_for, "depthead1", "leader" if first.endswith("leader") else "center")
    elif first:
        disable(first.split("-")[0])
    complaint = register(client_for(registrant), media="y")
    if about:   # the form offers the registrant's own unit; the web form and the API may name anyone
        complaint.object_user_id = user(about).id
        db.session.commit()
    if unit:
        assert dispatch(client_for(registrant), complaint, unit).status_code == 303
    assert plan(client_for(author), complaint).status_code == 303
    complaint = fresh(complaint)
    assert complaint.current_plan.state == PlanState.PENDING
    approvers = plan_approvers(complaint)
    assert [u.username for u in approvers] == [approver]
    assert all(u.active and u.username not in (author, about) and policy.can_view(u, complaint) for u in approvers)
    approving = client_for(approver)
    assert complaint.number in approving.get("/work/").text                 # it waits on them
    assert 'id="action-review"' in approving.get(f"/complaints/{complaint.id}?actions=all").text
    assert review(approving, complaint, "approve").status_code == 303
    assert fresh(complaint).current_plan.state == PlanState.APPROVED


def test_the_person_named_for_plans_nobody_else_may_approve_has_the_approvals_page(client_for):
    """The named person (the bank names depthead1, a department head) finds such a plan where the
    approvers find theirs: the navigation's link with its count, the approvals page, and approves it
    there; the other department staff have none of it."""
    name_fallback(client_for, "depthead1")
    registrant = client_for("center1")
    complaint = register(registrant, media="y")
    complaint.object_user_id = user("leader1").id   # the leader 回避; the center wrote the plan: nobody else
    db.session.commit()
    assert plan(registrant, complaint).status_code == 303
    named = client_for("depthead1")
    assert "待审批方案（1）" in nav_counts(named)
    page = named.get("/branch/approvals")
    assert page.status_code == 200 and complaint.number in page.text
    # The ledger finds it for them (policy.visible_complaints: the plans waiting on them, in SQL).
    row = f'href="/complaints/{complaint.id}"'
    assert row in named.get(f"/ledger/?q={complaint.number}").text
    assert row not in client_for("dept1").get(f"/ledger/?q={complaint.number}").text
    plan_id, version = fresh(complaint).current_plan.id, fresh(complaint).version
    done = named.post(f"/branch/approvals/{plan_id}", data={f"plan{plan_id}-decision": "approve",
                                                           f"plan{plan_id}-version": version})
    assert done.status_code == 303
    assert fresh(complaint).current_plan.state == PlanState.APPROVED
    other = client_for("dept1")
    assert "待审批方案" not in other.get("/work/counts").text
    assert other.get("/branch/approvals").status_code == 403

def test_the_approvals_page_shows_the_oldest_plans_first_a_page_at_a_time(app, client_for):
    app.config["PAGE_SIZE"] = 2
    staff, head = client_for("staff1"), client_for("head1")
    numbers = []
    for n in range(3):
        complaint = register(staff, media="y", customer_name=f"客户{n}")
        assert plan(staff, complaint).status_code == 303
        numbers.append(complaint.number)
    first, second = head.get("/branch/approvals").text, head.get("/branch/approvals?page=2").text
    assert numbers[0] in first and numbers[1] in first and numbers[2] not in first
    assert "第 1 页，共 2 页" in first and 'href="/branch/approvals?page=2"' in first   # the rest, a link away
    assert numbers[2] in second and numbers[0] not in second and numbers[1] not in second
    assert 'href="/branch/approvals?page=1"' in second
    assert client_for("head2").get("/branch/approvals").text.count('data-testid="approval"') == 0

def test_the_administrator_sends_a_leaders_plan_to_another_leader_audited(client_for):
    leader2 = User(username="leader2", name="钱二", email="leader2@example.com", role=Role.LEADER,
                   unit_id=user("leader1").unit_id)
    leader2.set_password(DEMO_PASSWORD)
    db.session.add(leader2)
    db.session.commit()
    complaint = register(client_for("leader1"), media="y")
    assert plan(client_for("leader1"), complaint).status_code == 303
    assert [u.username for u in plan_approvers(fresh(complaint))] == ["center1"]      # as before: the center
    admin = client_for("admin")
    assert admin.post("/admin/rules/plans", data={"plans-leaders": "nobody"}).status_code == 422
    assert 'data-testid="plan-approval"' in admin.get("/admin/rules").text
    name_fallback(client_for, "depthead1", "leader")                                 # the fallback as seeded
    assert [u.username for u in plan_approvers(fresh(complaint))] == ["leader2"]      # another leader
    assert complaint.number in client_for("leader2").get("/branch/approvals").text
    assert complaint.number not in client_for("center1").get("/branch/approvals").text
    assert complaint.number not in client_for("leader1").get("/branch/approvals").text
    entry = db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.action == "plan_approval_changed")).all()
    assert entry and entry[-1].changes == {"leaders": ["center", "leader"]}


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


@pytest.mark.parametrize("name", profiles.PROFILES)
def test_every_profile_seeds_someone_for_the_plan_of_the_center_about_the_leader_and_the_mirror(app, name):
    _wipe()
    seed_demo(name)
    assert org_settings.plan_approval()["fallback"] is not None
    leaders, centers = recipients.with_role(Role.LEADER), recipients.center_staff()
    applied = next(criterion for criterion in ("litigation", "media") if severity.applies(criterion))
    with app.test_request_context():
        for author, about in [*product(centers, leaders), *product(leaders, centers)]:
            complaint, _ = register_complaint(author, os.urandom(8).hex(), registration(
                category_id=db.session.scalar(select(Category.id)), object_user_id=about.id, **{applied: True}))
            complaints.submit_plan(complaint, author, "1. 核实；2. 致歉。", "主管", date(2026, 11, 30), None)
            assert complaint.current_plan.state == PlanState.PENDING
            approvers = plan_approvers(complaint)
            assert approvers and all(u.active and u not in (author, about) for u in approvers), \
                (author.username, about.username)


def mail_to_admin(complaint) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == "admin@example.com",
                                                               OutboxMessage.complaint_id == complaint.id)))


def plan_of_center_about_leader(client_for):
    """center1 writes the plan of a major complaint about leader1: no seat may approve it (回避, its author)."""
    center = client_for("center1")
    complaint = register(center, media="y")
    complaint.object_user_id = user("leader1").id
    db.session.commit()
    assert plan(center, complaint).status_code == 303
    return fresh(complaint)


def test_a_plan_nobody_may_approve_is_mailed_to_the_administrators_once_and_waits_on_their_home_page(
        client_for, clock):
    name_fallback(client_for, None)                        # the administrator cleared the seeded person
    admin = client_for("admin")
    assert 'data-testid="plans-nobody-approves"' not in admin.get("/admin/").text
    complaint = plan_of_center_about_leader(client_for)
    assert plan_approvers(complaint) == []
    (mail,) = mail_to_admin(complaint)                       # at once, on the submission
    assert complaint.number in mail.subject and "无人可审批" in mail.subject
    assert "http://complaints.test/admin/rules#plan-approval" in mail.body_text and "时限规则" in mail.body_text
    home = admin.get("/admin/").text
    assert 'data-testid="plans-nobody-approves"' in home and complaint.number in home and "孙悦" in home
    assert 'href="/admin/rules#plan-approval"' in home
    assert db.session.scalar(select(ComplaintEvent.detail).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "plan_without_approver")) == "系统管理员"
    for _day in range(3):                                    # its reminder, overdue notice, escalation: no repeat
        clock.advance(days=1)
        reminders.sweep()
    assert fresh(complaint).open_deadline(DeadlineKind.PLAN_APPROVAL).escalated_at is not None
    assert len(mail_to_admin(complaint)) == 1
    name_fallback(client_for, "depthead1")
    assert 'data-testid="plans-nobody-approves"' not in admin.get("/admin/").text
    assert complaint.number in client_for("depthead1").get("/work/").text


def test_a_plan_whose_approver_was_disabled_is_reported_when_its_clock_falls_due_once_by_two_workers(
        app, client_for, clock):
    complaint = plan_of_center_about_leader(client_for)
    assert [u.username for u in plan_approvers(complaint)] == ["depthead1"] and not mail_to_admin(complaint)
    disable("depthead1")
    clock.advance(days=2)                                    # overdue and escalated: two notices, one tick
    all_at_once(app, reminders.sweep, 2)
    db.session.expire_all()
    assert len(mail_to_admin(complaint)) == 1
    clock.advance(days=1)
    reminders.sweep()
    assert len(mail_to_admin(complaint)) == 1


def test_two_workers_claim_the_report_of_a_plan_once(app, client_for):
    complaint = plan_of_center_about_leader(client_for)     # to the seeded person, who is then no longer named
    name_fallback(client_for, None)
    complaint_id = complaint.id

    def tell():
        told = stuck_plans.tell_admins(db.session.get(Complaint, complaint_id))
        db.session.commit()
        return told
    assert sorted(all_at_once(app, tell, 2)) == [False, True]
    assert len(mail_to_admin(complaint)) == 1
