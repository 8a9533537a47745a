"""待我处理 (services.my_work, /work/): what waits on each user agrees with the policy, reads in words,
costs a fixed number of statements, and the navigation's counts follow an approval."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from extensions import db
from models import Complaint, ComplaintState, DeadlineKind, PlanState, Role, User
from services import my_work, policy, reminders
from services.registration import register_complaint
from tests.helpers import (answer, dispatch, executed, fresh, give_result, nav_counts, register, registration, user,
                           version_of, visit)
from tests.test_query_counts import statements

K = DeadlineKind


def _waits(kind, person, complaint) -> bool:
    """services.reminders.assignees: who a clock of this kind on the complaint waits on."""
    return person.id in {u.id for u in reminders.assignees(SimpleNamespace(kind=kind, complaint=complaint))}


def _progress_due(person, complaint, now) -> bool:
    deadline = complaint.open_deadline(K.PROGRESS)
    return (deadline is not None and deadline.remind_at <= now and complaint.state != ComplaintState.CLOSED
            and policy.can_log_contact(person, complaint) and person in reminders.assignees(deadline))


# Per group, from the policy and the reminders alone: the user may take the group's step on the case
# now, and the step's clock waits on the user.
REFERENCE = {
    "dispatch": lambda u, c, now: policy.can_dispatch(u, c) and _waits(K.DISPATCH, u, c),
    "assign": lambda u, c, now: policy.can_assign(u, c) and c.assignee_id is None,
    "answer": lambda u, c, now: (c.state == ComplaintState.DISPATCHED and _waits(K.ANSWER, u, c)
                                 and (policy.can_answer(u, c) or policy.can_submit_plan(u, c))),
    "approve": lambda u, c, now: policy.can_review_plan(u, c),
    "result": lambda u, c, now: policy.can_decide_answer(u, c) and _waits(K.RESOLUTION, u, c),
    "visit": lambda u, c, now: policy.can_record_visit(u, c) and _waits(K.RETURN_VISIT, u, c),
    "decide": lambda u, c, now: policy.can_decide_as_leader(u, c),
    "progress": _progress_due,
}


def plan(client, complaint):
    return client.act(complaint.id, "plan", {"steps": "1. 调取监控；2. 当面致歉。", "responsible": "李强",
                                             "due_date": "2026-11-30", "version": version_of(client, complaint.id)})


def review(client, complaint, decision="approve"):
    return client.act(complaint.id, "review", {"decision": decision, "comment": "同意。",
                                               "version": version_of(client, complaint.id)})


def _registered_by_a_colleague_who_left() -> Complaint:
    """A complaint whose owner's account was disabled since: it waits on the branch head (reminders.reachable)."""
    colleague = User(username="staff9", name="钱进", email="staff9@example.com", role=Role.STAFF,
                     unit_id=user("staff1").unit_id)
    colleague.set_password("Demo-2026-x")
    db.session.add(colleague)
    complaint, _ = register_complaint(colleague, "left-1", registration(media=True))
    colleague.active = False
    db.session.commit()
    return complaint


def scenario(client_for, clock) -> dict[str, Complaint]:
    """A complaint in every state and at every step, for every kind of person it can wait on."""
    staff, center, dept, head, head2 = (client_for(name) for name in ("staff1", "center1", "dept1", "head1", "head2"))
    cases = {"registered": register(staff), "by_center": register(center)}
    cases["major_pending_plan"] = register(staff, media="y")
    plan(staff, cases["major_pending_plan"])
    cases["major_dispatched_plan_needed"] = register(staff, litigation="y")
    dispatch(staff, cases["major_dispatched_plan_needed"])
    cases["major_dispatched_plan_pending"] = register(staff, litigation="y")
    dispatch(staff, cases["major_dispatched_plan_pending"])
    plan(dept, cases["major_dispatched_plan_pending"])
    cases["major_dispatched_approved"] = register(staff, media="y")
    plan(staff, cases["major_dispatched_approved"])
    review(head, cases["major_dispatched_approved"])
    dispatch(staff, cases["major_dispatched_approved"])
    cases["dispatched_unassigned"] = register(staff)
    dispatch(staff, cases["dispatched_unassigned"])
    cases["dispatched_assigned"] = register(staff)
    dispatch(staff, cases["dispatched_assigned"], assignee=user("dept1").id)
    cases["to_a_branch"] = register(center)
    dispatch(center, cases["to_a_branch"], unit_code="BR02")
    cases["escalated"] = register(staff)
    assert staff.act(cases["escalated"].id, "escalate", {
        "reason": "客户要求主管处理。", "version": version_of(staff, cases["escalated"].id)}).status_code == 303
    cases["answered"] = register(staff)
    dispatch(staff, cases["answered"])
    answer(dept, cases["answered"])
    cases["awaiting_visit"] = register(staff)
    give_result(staff, cases["awaiting_visit"])
    cases["closed"] = register(staff)
    give_result(staff, cases["closed"])
    visit(center, cases["closed"], rating="B")
    cases["reopened"] = register(staff)
    give_result(staff, cases["reopened"])
    visit(center, cases["reopened"], rating="D", comment="不满意。")
    cases["with_leader"] = register(staff)
    give_result(staff, cases["with_leader"])
    visit(center, cases["with_leader"], rating="D", comment="不满意。")
    give_result(staff, fresh(cases["with_leader"]))
    visit(center, cases["with_leader"], rating="D", comment="仍不满意。")
    cases["owner_disabled"] = _registered_by_a_colleague_who_left()
    del head2
    clock.advance(minutes=45)   # the major complaints' progress notes fall due
    cases = {name: fresh(complaint) for name, complaint in cases.items()}
    expected = {"registered": ComplaintState.REGISTERED, "answered": ComplaintState.ANSWERED,
                "awaiting_visit": ComplaintState.AWAITING_VISIT, "closed": ComplaintState.CLOSED,
                "reopened": ComplaintState.REGISTERED, "with_leader": ComplaintState.WITH_LEADER,
                "dispatched_assigned": ComplaintState.DISPATCHED}
    assert {name: cases[name].state for name in expected} == expected
    assert cases["major_pending_plan"].current_plan.state == PlanState.PENDING
    return cases


def test_each_users_work_agrees_with_the_policy_for_every_case(client_for, clock):
    cases = scenario(client_for, clock)
    people = db.session.scalars(select(User).where(User.role != Role.ADMIN, User.active.is_(True))
                                .order_by(User.id)).all()
    complaints = db.session.scalars(select(Complaint).order_by(Complaint.id)).all()
    now = clock()
    seen = {key: 0 for key in REFERENCE}
    for person in people:
        groups = my_work.keys(person)
        counted = my_work.counts(person)
        for key, reference in REFERENCE.items():
            expected = {c.id for c in complaints if reference(person, c, now)}
            assert groups.get(key, set()) == expected, (person.username, key)
            assert counted.get(key, 0) == len(expected), (person.username, key)
            seen[key] += len(expected)
        # The navigation's total counts a complaint once, even when it waits for two steps.
        assert counted.get(my_work.TOTAL, 0) == len(set().union(*groups.values())), person.username
    assert all(seen.values()), f"the scenario leaves a group empty for everyone: {seen}"
    # And the ones the issue names are where they should be.
    work = {name: my_work.keys(user(name)) for name in ("staff1", "lobby1", "head1", "head2", "dept1", "depthead1",
                                                       "center1", "leader1")}
    assert cases["registered"].id in work["staff1"]["dispatch"]
    assert cases["escalated"].id in work["lobby1"]["dispatch"]
    assert cases["major_pending_plan"].id in work["head1"]["approve"]
    assert cases["dispatched_unassigned"].id in work["depthead1"]["assign"]
    assert cases["dispatched_unassigned"].id in work["dept1"]["answer"]
    assert cases["to_a_branch"].id in work["head2"]["answer"] and cases["to_a_branch"].id in work["head2"]["assign"]
    assert cases["by_center"].id in work["center1"]["dispatch"]
    assert cases["awaiting_visit"].id in work["center1"]["visit"]
    assert cases["with_leader"].id in work["leader1"]["decide"]
    assert cases["major_dispatched_plan_pending"].id in work["head1"]["approve"]   # the department's plan
    assert cases["major_dispatched_plan_needed"].id in work["dept1"]["answer"]
    assert cases["major_dispatched_plan_pending"].id not in work["dept1"]["answer"]
    assert cases["answered"].id in work["staff1"]["result"]
    assert cases["major_pending_plan"].id in work["staff1"]["progress"]
    assert cases["owner_disabled"].id in work["head1"]["dispatch"] and cases["owner_disabled"].id in work["head1"]["progress"]
    assert cases["owner_disabled"].id not in work["lobby1"]["dispatch"]


def test_the_page_shows_each_row_with_badges_holder_level_and_time_in_words(client_for, clock):
    staff = client_for("staff1")
    major = register(staff, media="y", level="1")
    routine = register(staff)
    dispatch(staff, routine)
    clock.advance(minutes=35)   # the major one's dispatch clock (30 minutes) has passed
    page = staff.get("/work/").text
    row = page[page.index(major.number):]
    row = row[:row.index("</tr>")]
    assert 'data-testid="badge-major"' in row and 'data-testid="badge-overdue"' in row
    assert "一级（重大）" in row and "张敏" in row and "已超时 5 分钟" in row
    assert routine.number not in page          # with the department now: not the owner's step
    dept = client_for("dept1").get("/work/").text
    row = dept[dept.index(routine.number):]
    row = row[:row.index("</tr>")]
    assert "运营管理部" in row and "剩 2 天" in row and "badge-overdue" not in row

    english = client_for("dept1")
    english.post("/language", data={"locale": "en"})
    text = english.get("/work/").text
    assert "2 days left" in text and "My work" in text


def test_time_in_words(app):
    from blueprints.ui import time_left
    now = app.clock()
    with app.test_request_context(), force_locale("en"):
        assert time_left(now + timedelta(minutes=25), now) == "25 minutes left"
        assert time_left(now - timedelta(hours=2, minutes=5), now) == "2 hours overdue"
        assert time_left(now - timedelta(seconds=30), now) == "0 minutes overdue"
        assert time_left(now + timedelta(days=3, hours=1), now) == "3 days left"
        assert time_left(now + timedelta(minutes=1), now) == "1 minute left"


def test_a_group_shows_its_most_urgent_first_and_counts_the_rest(client_for, clock, monkeypatch):
    monkeypatch.setattr(my_work, "LIMIT", 2)
    staff = client_for("staff1")
    numbers = []
    for minutes in (0, 1, 1):         # the first two due at the same moment: the older first
        numbers.append(register(staff).number)
        clock.advance(minutes=minutes)
    page = staff.get("/work/").text
    section = page[page.index('data-testid="work-dispatch"'):]
    assert "派单（3）" in section
    assert section.index(numbers[0]) < section.index(numbers[1]) and numbers[2] not in section
    assert "另有 1 件" in section and "/ledger/?state=registered" in section


def test_my_work_runs_a_fixed_number_of_statements(client_for):
    """For each role, as many statements with few complaints as with many (one data set for all roles)."""
    staff, center = client_for("staff1"), client_for("center1")
    clients = {name: client_for(name) for name in ("staff1", "head1", "dept1", "center1", "leader1")}

    def add(n):
        for _ in range(n):
            complaint = register(staff, media="y")
            plan(staff, complaint)
            other = register(staff)
            dispatch(staff, other)
            done = register(staff)
            give_result(staff, done)
            register(center)
    add(1)
    few = {name: statements(client, "/work/") for name, client in clients.items()}
    add(4)
    for name, client in clients.items():
        many = statements(client, "/work/")
        assert many == few[name], f"{name}: {few[name]} statements with few complaints, {many} with many"
        # The signed-in user, every group in one statement, the early warnings (the center's, the leader's);
        # on PostgreSQL also the groups' plan setting and the end of its transaction (services.my_work).
        assert many <= (5 if db.engine.dialect.name == "postgresql" else 3), f"{name}: {many} statements"
        # The organisation's row is read once per process: where it keeps no penalties, counting
        # them costs nothing.
        assert statements(client, "/work/counts") <= 6


def test_the_groups_statements_are_sent_with_who_reads_them_and_when_only(client_for):
    """Their constants (states, kinds, roles, limits) are written into the statement's text, so that
    PostgreSQL's plan made once for a connection can use the indexes of one state (services.sql)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plans are PostgreSQL's (SQLite's parameters have no names to tell them by)")
    for name in ("staff1", "head1", "dept1", "depthead1", "center1", "leader1"):
        client = client_for(name)
        with executed() as runs:
            assert client.get("/work/").status_code == 200
            assert client.get("/work/counts").status_code == 200
        groups = [run for run in runs if run.statement.lstrip().startswith(("SELECT 0 AS", "SELECT count(*) FILTER"))]
        assert len(groups) == 2, name
        for statement, parameters in groups:
            assert set(parameters) <= {"me", "my_unit", "now"}, (name, parameters)
            assert "'awaiting_visit'" in statement or name != "center1"


def test_approving_inline_answers_with_the_card_and_work_changed(client_for):
    staff, head = client_for("staff1"), client_for("head1")
    complaint = register(staff, litigation="y")
    plan(staff, complaint)
    assert "待审批方案（1）" in nav_counts(head)
    plan_id = fresh(complaint).current_plan.id
    version = fresh(complaint).version
    url = f"/branch/approvals/{plan_id}"
    refused = head.post(url, data={f"plan{plan_id}-decision": "reject", f"plan{plan_id}-comment": "  ",
                                   f"plan{plan_id}-version": version}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "请说明驳回方案的原因。" in refused.text
    assert fresh(complaint).current_plan.state == PlanState.PENDING
    typed = head.post(url, data={f"plan{plan_id}-decision": "reject", f"plan{plan_id}-comment": "",
                                 f"plan{plan_id}-version": version})   # without JavaScript: the whole page
    assert typed.status_code == 422 and "请说明驳回方案的原因。" in typed.text and "待审批方案" in typed.text
    done = head.post(url, data={f"plan{plan_id}-decision": "approve", f"plan{plan_id}-version": version},
                     headers={"HX-Request": "true"})
    assert done.status_code == 200 and done.headers["HX-Trigger"] == "work-changed"
    assert "已批准" in done.text and complaint.number in done.text
    assert fresh(complaint).current_plan.state == PlanState.APPROVED
    assert "待审批方案（0）" in nav_counts(head)
    again = head.post(url, data={f"plan{plan_id}-decision": "approve", f"plan{plan_id}-version": version})
    assert again.status_code == 303   # without JavaScript: back to the page, which says it was reviewed
    assert "该方案已经审批过了" in head.get("/branch/approvals").text
    assert client_for("staff1").post(url, data={}).status_code == 403


def test_the_overview_counters_link_to_what_they_count(client_for, clock):
    staff = client_for("staff1")
    register(staff)
    clock.advance(hours=2)
    page = client_for("center1").get("/center/").text
    assert 'href="/ledger/?state=registered"' in page and 'href="/ledger/?overdue=yes"' in page
    ledger = client_for("center1").get("/ledger/?overdue=yes").text
    assert "TS-20261124-0001" in ledger


def test_the_navigations_count_poll_does_not_keep_the_session_alive(app, client_for, clock):
    app.config.update(SESSION_IDLE_MINUTES=15)
    client = client_for("staff1")
    headers = {"HX-Request": "true"}
    for _ in range(3):
        clock.advance(minutes=6)
        response = client.get("/work/counts", headers=headers)
        if response.status_code != 200:
            break
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/login"


def test_no_count_poll_while_the_password_must_be_changed(client_for):
    user("staff1").must_change_password = True
    db.session.commit()
    page = client_for("staff1").get("/password").text
    assert "/work/counts" not in page


def test_the_queues_flag_major_and_overdue_cases_and_say_who_holds_them_and_when(client_for, clock):
    staff = client_for("staff1")
    major = register(staff, media="y", level="1")
    routed = register(staff)
    dispatch(staff, routed, assignee=user("dept1").id)
    clock.advance(minutes=40)            # the major one's dispatch clock (30 minutes) has run out

    def row_of(page, number):
        row = page[page.index(f">{number}</a>"):]
        return row[:row.index("</tr>")]
    branch = client_for("head1").get("/branch/").text
    row = row_of(branch, major.number)
    assert 'data-testid="badge-major"' in row and 'data-testid="badge-overdue"' in row
    assert "一级（重大）" in row and '<td data-testid="holder">张敏</td>' in row and "已超时 10 分钟" in row
    department = client_for("depthead1").get("/department/").text
    row = row_of(department, routed.number)
    assert "badge-major" not in row and "badge-overdue" not in row
    assert "二级（较大）" in row and '<td data-testid="holder">陈晨</td>' in row and "剩 2 天" in row


def test_a_setting_that_reshapes_the_groups_takes_effect_at_once(client_for):
    """The groups' statements are built once per shape of reader (my_work.Reader): a setting that
    changes which groups a user has must change the shape, not reuse what was built before it."""
    from tests.test_plans import name_fallback

    def groups(username):
        db.session.rollback()   # see the administrator's change
        return my_work.counts(user(username))
    # The bank's profile names depthead1 for the plans nobody else may approve: they have approvals.
    assert client_for("depthead1").get("/work/counts").status_code == 200   # built as things stand
    assert "approve" in groups("depthead1")
    name_fallback(client_for, None)
    assert "approve" not in groups("depthead1")   # a department head approves no plans ...
    name_fallback(client_for, "depthead1")
    assert "approve" in groups("depthead1")       # ... unless named for them
    assert "approve" not in groups("dept1")
