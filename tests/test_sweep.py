"""The deadline sweep at scale (services/reminders.py): a chunk of notices claimed in one statement,
their people worked out for the whole chunk, the e-mails queued unrendered and rendered in the
recipient's language when they are sent, each notice once however many workers sweep."""
from datetime import datetime, time

from flask import template_rendered
from sqlalchemy import select

from extensions import db
from models import (
    ComplaintEvent,
    Deadline,
    OutboxChannel,
    OutboxMessage,
    OutboxState,
    Unit,
)
from services import calendar, notify, reminders
from services import clock as business_clock
from tests.helpers import all_at_once, answer, dispatch, register, unit_id, user, version_of
from tests.test_query_counts import counting

EMAILS = select(OutboxMessage).where(OutboxMessage.channel == OutboxChannel.EMAIL).order_by(OutboxMessage.id)


def _emails_rendered_during(app, work) -> list[str]:
    names = []

    def seen(_sender, template, context, **_extra):
        if template.name.startswith("email/"):
            names.append(template.name)
    with template_rendered.connected_to(seen, app):
        work()
    return names


def test_the_sweep_renders_no_e_mail_and_each_goes_out_rendered_in_its_recipients_language(app, client_for, clock,
                                                                                          mailbox):
    user("head1").locale = "en"
    db.session.commit()
    complaint = register(client_for("staff1"))        # dispatch due at 10:30
    notify.deliver_due()
    mailbox.messages.clear()
    clock.advance(minutes=31)                          # passed: the owner and the branch head are told
    assert _emails_rendered_during(app, reminders.sweep) == []
    assert notify.deliver_due() == {"sent": 2, "failed": 0, "dropped": 0}

    [chinese] = mailbox.to("staff1@example.com")
    assert chinese["Subject"].strip().startswith(f"已超时：投诉 {complaint.number} 的派单时限已于 ")
    assert "张敏，您好：" in chinese.get_body(("plain",)).get_content()
    [english] = mailbox.to("head1@example.com")
    assert english["Subject"].strip().startswith(f"Overdue: complaint {complaint.number}, ")
    text, html = english.get_body(("plain",)).get_content(), english.get_body(("html",)).get_content()
    assert "Hello 王芳," in text and f"http://complaints.test/complaints/{complaint.id}" in text
    assert f'href="http://complaints.test/complaints/{complaint.id}"' in html and "Hello 王芳," in html


def test_a_sweep_of_a_chunk_costs_a_few_statements_whatever_it_holds(app, client_for, clock):
    """Claimed in one statement, its complaints and their people in two, its history and its
    e-mails in one INSERT each: not a query or an e-mail rendered per notice."""
    staff, staff2 = client_for("staff1"), client_for("staff2")
    for n in range(30):
        register(staff if n % 2 else staff2)
    clock.advance(minutes=21)                          # 30 dispatch reminders due, one chunk
    with counting(db.engine, "before_cursor_execute") as count:
        assert reminders.sweep() == {"overdue": 0, "reminded": 30, "escalated": 0}
    # The three claims, the chunk's complaints, their people, the calendar's overrides, two INSERTs.
    assert count[0] <= 8, count[0]


def test_each_notice_of_a_chunk_reaches_whom_the_rules_name_in_their_units_working_hours(app, client_for, clock):
    """One chunk holding every kind of case: each overdue notice reaches the people
    reminders.assignees and supervisors name for its deadline (a disabled owner's head instead),
    the history names them, and a routine notice waits for each recipient's unit to open."""
    branch = db.session.get(Unit, unit_id("BR01"))
    branch.work_start, branch.work_end = time(10, 0), time(18, 0)      # 城东支行 opens at 10:00
    db.session.commit()
    staff, lobby, staff2 = client_for("staff1"), client_for("lobby1"), client_for("staff2")
    register(staff)                                                    # the owner and the head
    routed = register(staff)
    dispatch(staff, routed, "OPS")                                     # the department's answer clock
    assigned = register(staff2)
    dispatch(staff2, assigned, "OPS", assignee=user("dept1").id)
    escalated = register(staff)
    staff.act(escalated.id, "escalate", {"reason": "客户情绪激动", "version": version_of(staff, escalated.id)})
    register(lobby)                                                    # its owner disabled below
    register(staff, level="1")                                         # urgent: at once, day or night
    major = register(staff, media="y")                                 # its plan waits for approval
    assert staff.act(major.id, "plan", {"steps": "1. 调取监控；2. 当面致歉。", "responsible": "李强",
                                        "due_date": "2026-11-30", "version": version_of(staff, major.id)}
                     ).status_code == 303
    user("lobby1").active = False
    db.session.commit()
    clock.advance(days=3, hours=13)                                    # Friday 23:00: every clock passed

    now = business_clock.now()
    due = db.session.scalars(select(Deadline).where(Deadline.met_at.is_(None), Deadline.due_at <= now)
                             .order_by(Deadline.id)).all()
    expected = {}
    for deadline in due:
        people = {u.id: u for u in reminders.assignees(deadline) + reminders.supervisors(deadline)}.values()
        expected[deadline.id] = (deadline.complaint_id, f"overdue_{deadline.kind.value}",
                                 ", ".join(u.name for u in people),
                                 deadline.complaint.level == 1 or deadline.complaint.is_major,
                                 sorted((u.email, u.id, u.unit) for u in people))
    assert {"plan_approval", "answer", "dispatch"} <= {d.kind.value for d in due}
    db.session.rollback()
    outbox_before = db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))

    assert reminders.sweep()["overdue"] == len(due)
    events = db.session.execute(select(ComplaintEvent.complaint_id, ComplaintEvent.action, ComplaintEvent.detail,
                                       ComplaintEvent.actor_id).where(ComplaintEvent.action.like("overdue_%"))).all()
    assert sorted(events) == sorted((c, action, names, None) for c, action, names, _, _ in expected.values())
    assert all(names for _, _, names, _ in events)
    mails = db.session.scalars(EMAILS.where(OutboxMessage.id > outbox_before, OutboxMessage.template == "overdue")).all()
    for deadline_id, (complaint_id, _, _, urgent, people) in expected.items():
        sent = sorted((m.to_addr, m.template_context["user_id"], m.next_attempt_at) for m in mails
                      if m.template_context["deadline_id"] == deadline_id)
        assert sent == [(email, user_id, now if urgent else calendar.next_working_moment(now, unit))
                        for email, user_id, unit in people]
    assert all(m.body_text == "" for m in mails)
    monday = datetime(2026, 11, 30)                                     # in UTC: 10:00 and 09:00 in Shanghai
    assert ("staff1@example.com", monday.replace(hour=2)) in {(m.to_addr, m.next_attempt_at) for m in mails}
    assert ("dept1@example.com", monday.replace(hour=1)) in {(m.to_addr, m.next_attempt_at) for m in mails}
    assert "李强" not in str(events)                                    # the disabled handler's head instead


def test_sweeps_side_by_side_send_each_notice_once_chunk_after_chunk(app, client_for, clock, monkeypatch):
    monkeypatch.setattr(reminders, "CHUNK", 3)
    staff, staff2 = client_for("staff1"), client_for("staff2")
    complaints = [register(staff if n % 2 else staff2) for n in range(20)]
    clock.advance(minutes=21)
    results = all_at_once(app, reminders.sweep, 4)
    assert sum(r["reminded"] for r in results) == 20
    db.session.expire_all()
    reminded = db.session.scalars(select(ComplaintEvent.complaint_id).where(
        ComplaintEvent.action == "reminder_dispatch")).all()
    assert sorted(reminded) == sorted(c.id for c in complaints)
    assert sorted(m.complaint_id for m in db.session.scalars(EMAILS)) == sorted(c.id for c in complaints)


def test_a_notice_that_cannot_be_rendered_fails_alone_and_shows_on_the_outbox_page(app, client_for, clock, mailbox):
    first, second = register(client_for("staff1")), register(client_for("staff1"))
    notify.deliver_due()
    mailbox.messages.clear()
    clock.advance(minutes=21)
    reminders.sweep()
    broken = db.session.scalar(EMAILS.where(OutboxMessage.complaint_id == first.id))
    broken.template_context = {**broken.template_context, "deadline_id": 999999}
    db.session.commit()
    assert notify.deliver_due() == {"sent": 1, "failed": 1, "dropped": 0}
    [sent] = mailbox.messages
    assert second.number in sent["Subject"] and "派单" in sent["Subject"]
    db.session.expire_all()
    broken = db.session.get(OutboxMessage, broken.id)
    assert broken.state == OutboxState.PENDING and "deadline_id 999999" in broken.last_error
    page = client_for("admin").get("/admin/outbox").text
    assert "staff1@example.com" in page and "deadline_id 999999" in page


def test_a_reminder_held_for_working_hours_is_dropped_when_its_deadline_is_met_meanwhile(app, client_for, clock,
                                                                                         mailbox):
    staff, department = client_for("staff1"), client_for("dept1")
    answered, waiting = register(staff), register(staff)
    dispatch(staff, answered, "OPS")
    dispatch(staff, waiting, "OPS")                                    # the department's answer: 3 days
    notify.deliver_due()
    mailbox.messages.clear()
    remind_at = db.session.scalar(select(Deadline.remind_at).where(Deadline.complaint_id == answered.id,
                                                                   Deadline.kind == "answer"))
    clock.set(remind_at.replace(hour=15))                              # 23:00 in Shanghai, before the answer is due
    assert reminders.sweep()["reminded"] == 2
    assert notify.deliver_due()["sent"] == 0                           # held until the department's morning
    assert answer(department, answered).status_code == 303             # a late-night answer meets its deadline
    notify.deliver_due()                                               # the owner is told of the answer
    mailbox.messages.clear()

    clock.advance(hours=10)                                            # 09:00 there
    assert notify.deliver_due()["dropped"] == 1                       # (the owners' overdue notices go out)
    assert [(m["To"], waiting.number in m["Subject"]) for m in mailbox.messages
            if m["Subject"].startswith("提醒")] == [("dept1@example.com", True)]
    dropped = db.session.scalar(EMAILS.where(OutboxMessage.complaint_id == answered.id,
                                             OutboxMessage.template == "reminder"))
    assert dropped.state == OutboxState.DROPPED and dropped.sent_at is None
    assert notify.deliver_due() == {"sent": 0, "failed": 0, "dropped": 0}     # and stays so
    assert "dept1@example.com" not in client_for("admin").get("/admin/outbox").text
