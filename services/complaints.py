"""Every change of a complaint's state happens here, as one verb-noun function per transition.
Each checks the policy and the version the user saw, changes the state, moves the deadlines,
writes the timeline, queues the staff's e-mails and sends the signal the customer's notices hang
off (services.signals), all in the caller's transaction (the caller commits)."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import (Answer, Complaint, ComplaintState, ContactChannel, ContactLog, DeadlineKind, Extension, Plan,
                    ComplaintEvent, PlanState, ProgressNote, ReturnVisit, Role, Satisfaction, Unit, User)
from services import audit, capa, clock, deadlines, notify, org_settings, policy, signals, stuck_plans
from services.errors import Refused
from services.numbering import next_number
from services.recipients import department_recipients, leaders, plan_approvers, unit_members
from services.severity import announce_major
from services.timeline import log_event


class StaleComplaint(Exception):
    """Someone else changed the complaint since the user loaded it."""


class ConflictOfInterest(Exception):
    """回避: the chosen unit or person is what the complaint is about."""


class NoticeSentAlready(Exception):
    """The decision notice went to the customer by e-mail on `at`; sending it again needs `again`."""

    def __init__(self, at: datetime):
        super().__init__(at)
        self.at = at


UNREACHABLE_ATTEMPTS = 3


def _check(allowed: bool, complaint: Complaint, expected_version: Optional[int]) -> None:
    # The version first: an action that someone else's change made impossible is a conflict to
    # show with the fresh state, not a permission error.
    if expected_version is not None and expected_version != complaint.version:
        raise StaleComplaint()
    if not allowed:
        raise Refused()
    audit.remember(complaint)
    # Every transition raises the version, also when only a related row changes (a plan, a visit):
    # two people acting on the same state cannot both succeed.
    complaint.version += 1
    complaint.updated_at = clock.now()


def dispatch_complaint(complaint: Complaint, actor: User, unit: Unit, assignee: Optional[User] = None,
                       note: str = "", expected_version: Optional[int] = None) -> None:
    """Route to a department or a branch (never back to the receiving unit), which becomes the handling
    unit; the owner stays the owner."""
    _check(policy.can_dispatch(actor, complaint), complaint, expected_version)
    if unit.kind not in policy.HANDLING_UNIT_ROLES or not unit.active or unit.id == complaint.unit_id:
        raise Refused()
    if assignee is not None and not policy.may_handle_for(assignee, unit):
        raise Refused()
    if (unit.id == complaint.object_unit_id and unit.avoids_as_a_whole) or \
            (assignee is not None and assignee.id == complaint.object_user_id):
        raise ConflictOfInterest()
    now = clock.now()
    if complaint.valid is None:
        complaint.valid = True   # routing it means it was judged valid
    complaint.state = ComplaintState.DISPATCHED
    # The ids too, not only the relationships: the policy reads ids, and nothing may have flushed
    # before the next transition of the same transaction asks it.
    complaint.handling_unit, complaint.handling_unit_id = unit, unit.id
    complaint.assignee, complaint.assignee_id = assignee, assignee.id if assignee else None
    complaint.dispatched_at = now
    deadlines.meet_deadline(complaint, DeadlineKind.DISPATCH, now)
    answer_deadline = deadlines.start_deadline(complaint, DeadlineKind.ANSWER, now)
    capa.start_record_clock(complaint, now)
    detail = unit.name + (f" / {assignee.name}" if assignee else "") + (f": {note}" if note else "")
    log_event(complaint, actor, "dispatched", detail)
    for user in department_recipients(complaint):
        notify.queue_email(user, "routed", complaint_id=complaint.id, complaint=complaint,
                           deadline=answer_deadline)


def assign_handler(complaint: Complaint, actor: User, assignee: User, note: str = "",
                   expected_version: Optional[int] = None) -> None:
    """The head of the handling unit gives the case to one of its people, or to another one; the
    answer clock runs on from the dispatch."""
    _check(policy.can_assign(actor, complaint), complaint, expected_version)
    if not policy.may_handle_for(assignee, complaint.handling_unit) or assignee.id == complaint.assignee_id:
        raise Refused()
    if assignee.id == complaint.object_user_id:
        raise ConflictOfInterest()
    before = complaint.assignee
    complaint.assignee, complaint.assignee_id = assignee, assignee.id
    log_event(complaint, actor, "assigned", f"{before.name if before else '—'} → {assignee.name}"
              + (f": {note}" if note else ""))
    notify.queue_email(assignee, "assigned", complaint_id=complaint.id, complaint=complaint, by=actor, note=note,
                       deadline=complaint.open_deadline(DeadlineKind.ANSWER))


def answer_complaint(complaint: Complaint, actor: User, cause: str, result: str, corrective_action: str,
                     preventive_action: str, expected_version: Optional[int] = None) -> Answer:
    _check(policy.can_answer(actor, complaint), complaint, expected_version)
    now = clock.now()
    answer = Answer(complaint=complaint, round=complaint.round, author=actor, unit_id=actor.unit_id, cause=cause,
                    result=result,
                    corrective_action=corrective_action, preventive_action=preventive_action,
                    submitted_at=now)
    db.session.add(answer)
    complaint.state = ComplaintState.ANSWERED
    complaint.answered_at = now
    deadlines.meet_deadline(complaint, DeadlineKind.ANSWER, now)
    log_event(complaint, actor, "answered")
    notify.queue_email(complaint.owner, "answered", complaint_id=complaint.id, complaint=complaint)
    return answer


def submit_plan(complaint: Complaint, actor: User, steps: str, responsible: str, due_date: date,
                compensation: Optional[Decimal], expected_version: Optional[int] = None) -> Plan:
    """处理方案. A major complaint's plan waits for approval; a general one's needs none."""
    _check(policy.can_submit_plan(actor, complaint), complaint, expected_version)
    now = clock.now()
    plan = Plan(complaint=complaint, round=complaint.round, author=actor, steps=steps, responsible=responsible,
                due_date=due_date, compensation=compensation, submitted_at=now)
    db.session.add(plan)
    if compensation and not complaint.compensation:
        was_major = complaint.is_major
        complaint.compensation = True   # compensation makes a complaint major
        if not was_major:
            announce_major(complaint)
    if complaint.is_major:
        plan.state = PlanState.PENDING
        deadlines.start_deadline(complaint, DeadlineKind.PLAN_APPROVAL, now)
        log_event(complaint, actor, "plan_submitted", steps)
        for user in plan_approvers(complaint):
            notify.queue_email(user, "plan_submitted", complaint_id=complaint.id, complaint=complaint, plan=plan)
        stuck_plans.tell_admins(complaint)   # when there was nobody to tell
    else:
        plan.state = PlanState.APPROVED
        deadlines.start_agreed(complaint, now)
        log_event(complaint, actor, "plan_recorded", steps)
        signals.plan_approved.send(complaint)
    return plan


def review_plan(complaint: Complaint, actor: User, approve: bool, comment: str,
                expected_version: Optional[int] = None) -> Plan:
    _check(policy.can_review_plan(actor, complaint), complaint, expected_version)
    plan = complaint.current_plan
    plan.state = PlanState.APPROVED if approve else PlanState.REJECTED
    plan.reviewer = actor
    plan.reviewed_at = clock.now()
    plan.review_comment = comment or None
    deadlines.meet_deadline(complaint, DeadlineKind.PLAN_APPROVAL, plan.reviewed_at)
    log_event(complaint, actor, "plan_approved" if approve else "plan_rejected", comment or None)
    if approve:
        deadlines.start_agreed(complaint, plan.reviewed_at)
        signals.plan_approved.send(complaint)
    notify.queue_email(plan.author, "plan_reviewed", complaint_id=complaint.id, complaint=complaint, plan=plan)
    return plan


def escalate_complaint(complaint: Complaint, actor: User, reason: str,
                       expected_version: Optional[int] = None) -> User:
    """Hand the handling to the next level of the branch (lobby manager, then branch head)."""
    _check(policy.can_escalate(actor, complaint), complaint, expected_version)
    ladder = policy.BRANCH_LADDER
    for role in ladder[ladder.index(actor.role) + 1:]:
        candidates = [u for u in unit_members(complaint.unit_id, {role}) if u.id != complaint.object_user_id]
        if candidates:
            break
    else:
        raise Refused()
    complaint.handler, complaint.handler_id = candidates[0], candidates[0].id
    log_event(complaint, actor, "escalated", f"{candidates[0].name}: {reason}")
    notify.queue_email(candidates[0], "escalated_to_you", complaint_id=complaint.id, complaint=complaint,
                       comment=reason, by=actor)
    return candidates[0]


def take_over(complaint: Complaint, actor: User, expected_version: Optional[int] = None) -> None:
    _check(policy.can_take_over(actor, complaint), complaint, expected_version)
    complaint.handler, complaint.handler_id = actor, actor.id
    log_event(complaint, actor, "taken_over")


def judge_invalid(complaint: Complaint, actor: User, reason: str, reply: str,
                  expected_version: Optional[int] = None) -> None:
    """Not valid (不成立): closed with the reason and the tactful answer the customer got; kept in the ledger."""
    _check(policy.can_judge_validity(actor, complaint), complaint, expected_version)
    now = clock.now()
    complaint.valid = False
    complaint.invalid_reason = reason
    complaint.result = reply
    complaint.result_given_at = now
    complaint.state = ComplaintState.CLOSED
    complaint.closed_at = now
    deadlines.meet_all(complaint, now)
    log_event(complaint, actor, "judged_invalid", reason)
    signals.complaint_closed.send(complaint)


def give_result(complaint: Complaint, actor: User, result: str, channel: ContactChannel,
                expected_version: Optional[int] = None) -> None:
    """The owner tells the customer the result (the department's answer, or the branch's own
    handling); the return visit is due next."""
    _check(policy.can_give_result(actor, complaint), complaint, expected_version)
    capa.check_result(complaint)   # where the 分管领导 signs off the department's record first
    _give_result(complaint, actor, result, channel, clock.now())


def solve_on_spot(complaint: Complaint, actor: User, result: str, now: datetime) -> None:
    """The result given at the counter as the complaint is registered: registering was the check."""
    _give_result(complaint, actor, result, ContactChannel.IN_PERSON, now)


def _give_result(complaint: Complaint, actor: User, result: str, channel: ContactChannel, now: datetime) -> None:
    if complaint.valid is None:
        complaint.valid = True
    complaint.result = result
    complaint.result_given_at = now
    complaint.state = ComplaintState.AWAITING_VISIT
    db.session.add(ContactLog(complaint_id=complaint.id, at=now, actor=actor, channel=channel, content=result))
    for kind in (DeadlineKind.DISPATCH, DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION, DeadlineKind.AGREED):
        deadlines.meet_deadline(complaint, kind, now)
    deadlines.start_deadline(complaint, DeadlineKind.RETURN_VISIT, now)
    log_event(complaint, actor, "result_given", result)
    signals.result_given.send(complaint)


def log_contact(complaint: Complaint, actor: User, channel: ContactChannel, content: str) -> ContactLog:
    """A call, SMS, e-mail, letter or visit to the customer; the first one stops the first-response clock."""
    if not policy.can_log_contact(actor, complaint):
        raise Refused()
    now = clock.now()
    contact = ContactLog(complaint_id=complaint.id, at=now, actor=actor, channel=channel, content=content)
    db.session.add(contact)
    deadlines.meet_deadline(complaint, DeadlineKind.FIRST_RESPONSE, now)
    log_event(complaint, actor, "contacted", content)
    return contact


def add_progress_note(complaint: Complaint, actor: User, text: str) -> ProgressNote:
    """A progress note; on an open major complaint it restarts the 30-working-minute clock."""
    if not policy.can_log_contact(actor, complaint):
        raise Refused()
    now = clock.now()
    note = ProgressNote(complaint_id=complaint.id, at=now, actor=actor, text=text)
    db.session.add(note)
    deadlines.meet_deadline(complaint, DeadlineKind.PROGRESS, now)
    if complaint.is_major:
        deadlines.start_deadline(complaint, DeadlineKind.PROGRESS, now)
    log_event(complaint, actor, "progress_note", text)
    return note


def extend_decision_deadline(complaint: Complaint, actor: User, reason: str, customer_told: bool,
                             expected_version: Optional[int] = None) -> Extension:
    """A complex case: the ceiling goes to 30 days from receipt; an especially complex one, with the
    leader, 30 days more. The reason is recorded and the customer must have been told."""
    _check(policy.can_extend_ceiling(actor, complaint) and customer_told, complaint, expected_version)
    number = len(complaint.extensions) + 1
    deadline = deadlines.extend_ceiling(complaint, number)
    extension = Extension(complaint_id=complaint.id, at=clock.now(), actor=actor, reason=reason,
                          new_due_at=deadline.due_at, customer_told=customer_told)
    complaint.extensions.append(extension)
    log_event(complaint, actor, "extended", reason)
    signals.ceiling_extended.send(complaint)
    return extension


def adjust_deadline(complaint: Complaint, actor: User, deadline_id: int, new_due: datetime, reason: str,
                    expected_version: Optional[int] = None) -> None:
    """Move one running clock of this case by hand, with the reason on the timeline."""
    _check(policy.can_adjust_deadline(actor, complaint), complaint, expected_version)
    deadline = next((d for d in complaint.deadlines if d.id == deadline_id and d.met_at is None), None)
    if deadline is None:
        raise Refused()
    deadlines.check_adjustment(complaint, deadline, new_due)   # raises deadlines.BadAdjustment
    old = deadline.due_at
    deadlines.move_deadline(complaint, deadline, new_due)
    log_event(complaint, actor, "deadline_changed",
              f"{deadline.kind.value}: {clock.to_local(old):%Y-%m-%d %H:%M} → "
              f"{clock.to_local(new_due):%Y-%m-%d %H:%M}: {reason}",
              changes={f"deadline_{deadline.kind.value}": [old.isoformat(), new_due.isoformat()]})


def send_decision_notice(complaint: Complaint, actor: User, again: bool = False) -> bool:
    """E-mail the decision notice to the customer when the contact is an e-mail address; otherwise
    it is printed and posted. Returns whether an e-mail was queued. A second e-mail only `again`,
    i.e. once the user confirmed it (a double click must not mail the customer twice)."""
    if not policy.can_send_notice(actor, complaint):
        raise Refused()
    address = complaint.customer_contact if "@" in complaint.customer_contact else None
    sent_at = db.session.scalar(select(ComplaintEvent.at).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "notice_sent",
        ComplaintEvent.detail.is_not(None)).order_by(ComplaintEvent.id.desc()).limit(1))
    if address and sent_at is not None and not again:
        raise NoticeSentAlready(sent_at)
    if address:
        notify.note_told(notify.CUSTOMER)
        notify.queue_email_to(address, "zh_CN", "decision_notice", complaint_id=complaint.id, link=None,
                              complaint=complaint, organisation=org_settings.display_name(english=False))
    log_event(complaint, actor, "notice_sent", address or None)
    return address is not None


def request_review(complaint: Complaint, actor: User, reason: str,
                   expected_version: Optional[int] = None) -> Complaint:
    """核查: the customer disputes the decision; a linked case for the next-higher unit, decided
    within 30 days."""
    _check(policy.can_request_review(actor, complaint), complaint, expected_version)
    now = clock.now()
    token = uuid.uuid4().hex
    higher = complaint.unit.parent or complaint.unit
    review = Complaint(
        number=next_number(clock.to_local(now).date()), submission_token=token, state=ComplaintState.REGISTERED,
        registered_at=now, received_at=now, owner=actor, handler=actor, unit_id=higher.id,
        customer_name=complaint.customer_name, customer_contact=complaint.customer_contact,
        customer_ref=complaint.customer_ref, channel=complaint.channel, content=reason,
        demand=complaint.demand, object_text=complaint.object_text, category_id=complaint.category_id,
        level=complaint.level, kind=complaint.kind, nature=complaint.nature, review_of=complaint)
    db.session.add(review)
    db.session.flush()
    deadlines.start_deadlines(review, [DeadlineKind.REVIEW, DeadlineKind.DISPATCH], now)
    log_event(review, actor, "review_opened", complaint.number)
    log_event(complaint, actor, "review_requested", review.number)
    return review


def record_return_visit(complaint: Complaint, actor: User, rating: Optional[Satisfaction], comment: str,
                        expected_version: Optional[int] = None) -> ReturnVisit:
    """回访. A, B or C closes the complaint. D reopens it for the second handling; a D after the
    second handling sends it to the leader, whose decision is final. No rating means the customer
    could not be reached; after 3 such attempts the complaint is closed as unreachable."""
    _check(policy.can_record_visit(actor, complaint), complaint, expected_version)
    now = clock.now()
    visit = ReturnVisit(complaint_id=complaint.id, round=complaint.round, at=now, visitor=actor,
                        rating=rating, comment=comment)
    db.session.add(visit)
    if rating is None:
        complaint.unreachable_attempts += 1
        log_event(complaint, actor, "visit_unreachable", comment or None)
        if complaint.unreachable_attempts >= UNREACHABLE_ATTEMPTS:
            deadlines.meet_deadline(complaint, DeadlineKind.RETURN_VISIT, now)
            _close(complaint, actor, now)
        return visit
    _settle_visit(complaint, actor, rating, comment, now)
    return visit


def record_customer_survey(complaint: Complaint, rating: Satisfaction, comment: str) -> ReturnVisit:
    """The customer answers the return-visit survey on the tracking page: the same return visit as
    the center's call (no visitor), with the same consequences."""
    if complaint.state != ComplaintState.AWAITING_VISIT:
        raise Refused()
    _check(True, complaint, None)
    now = clock.now()
    visit = ReturnVisit(complaint_id=complaint.id, round=complaint.round, at=now, visitor=None,
                        rating=rating, comment=comment)
    db.session.add(visit)
    _settle_visit(complaint, None, rating, comment, now)
    return visit


def _settle_visit(complaint: Complaint, actor: Optional[User], rating: Satisfaction, comment: str,
                  now: datetime) -> None:
    complaint.satisfaction = rating
    deadlines.meet_deadline(complaint, DeadlineKind.RETURN_VISIT, now)
    log_event(complaint, actor, "visited", f"{rating.value}: {comment}")
    if rating != Satisfaction.D:
        _close(complaint, actor, now)
    elif complaint.round == 1:
        complaint.round = 2
        complaint.state = ComplaintState.REGISTERED
        complaint.assignee, complaint.assignee_id = None, None
        complaint.unreachable_attempts = 0
        # The second handling gets clocks of its own; the first round's stay on record.
        deadlines.start_deadlines(complaint, [DeadlineKind.DISPATCH, DeadlineKind.RESOLUTION], now)
        log_event(complaint, actor, "reopened")
        for user in [complaint.owner] + unit_members(complaint.unit_id, {Role.BRANCH_HEAD}):
            notify.queue_email(user, "reopened", complaint_id=complaint.id, complaint=complaint, comment=comment)
    else:
        complaint.state = ComplaintState.WITH_LEADER
        log_event(complaint, actor, "sent_to_leader")
        for user in leaders():
            notify.queue_email(user, "to_leader", complaint_id=complaint.id, complaint=complaint, comment=comment)


def withdraw_complaint(complaint: Complaint, actor: User, reason: str,
                       expected_version: Optional[int] = None) -> None:
    """The customer withdraws: the process ends the day it is received, with the reason on record."""
    _check(policy.can_withdraw(actor, complaint), complaint, expected_version)
    now = clock.now()
    complaint.withdrawn_at = now
    complaint.withdrawal_reason = reason
    log_event(complaint, actor, "withdrawn", reason)
    _close(complaint, actor, now)


def decide_as_leader(complaint: Complaint, actor: User, decision: str,
                     expected_version: Optional[int] = None) -> None:
    """The leader's decision is the company's final answer; the customer is told of the external
    channels (regulator hotline, mediation, arbitration, litigation)."""
    _check(policy.can_decide_as_leader(actor, complaint), complaint, expected_version)
    now = clock.now()
    complaint.decision = decision
    complaint.external_channels_told = True
    log_event(complaint, actor, "leader_decided", decision)
    _close(complaint, actor, now)


def _close(complaint: Complaint, actor: Optional[User], now: datetime) -> None:
    complaint.state = ComplaintState.CLOSED
    complaint.closed_at = now
    deadlines.meet_all(complaint, now)
    log_event(complaint, actor, "closed")
    signals.complaint_closed.send(complaint)


def return_answer(complaint: Complaint, actor: User, comment: str,
                  expected_version: Optional[int] = None) -> None:
    """Send the department's answer back with a comment; the department answers again."""
    _check(policy.can_decide_answer(actor, complaint), complaint, expected_version)
    now = clock.now()
    answer = complaint.latest_answer
    answer.returned_at = now
    answer.return_comment = comment
    complaint.state = ComplaintState.DISPATCHED
    deadline = deadlines.start_deadline(complaint, DeadlineKind.ANSWER, now)
    log_event(complaint, actor, "returned", comment)
    for user in department_recipients(complaint):
        notify.queue_email(user, "returned", complaint_id=complaint.id, complaint=complaint,
                           deadline=deadline, comment=comment)
