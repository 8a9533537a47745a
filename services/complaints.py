"""Every change of a complaint's state happens here, as one verb-noun function per transition.
Each checks the policy and the version the user saw, changes the state, moves the deadlines,
writes the timeline and queues the e-mails, all in the caller's transaction (the caller commits)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Optional

from flask import current_app
from sqlalchemy import distinct, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from extensions import db, savepoint
from models import (Answer, Category, Channel, Complaint, ComplaintEvent, ComplaintState, ContactChannel, ContactLog,
                    DailyCounter, DeadlineKind, Extension, Incident, Kind, ObjectRoutingRule, Plan, PlanState,
                    ProgressNote, NoticeKind, ReturnVisit, Role, RoutingRule, Satisfaction, Unit, UnitKind, User)
from services import audit, clock, customer, deadlines, notify, policy, txcache


class ActionRefused(Exception):
    """The user may not do this to this complaint now (role, unit or state)."""


class StaleComplaint(Exception):
    """Someone else changed the complaint since the user loaded it."""


class ConflictOfInterest(Exception):
    """回避: the chosen unit or person is what the complaint is about."""


@dataclass
class Registration:
    customer_name: str
    customer_contact: str
    channel: Channel
    received_at: datetime   # naive UTC
    content: str
    demand: str
    object_text: str
    category_id: int
    level: int
    customer_ref: Optional[str] = None
    kind: Kind = Kind.ROUTINE
    collective: bool = False
    litigation: bool = False
    media: bool = False
    compensation: bool = False
    regulator_forwarded: bool = False
    solved_on_spot: Optional[str] = None   # the result given at the counter, when solved at once
    object_unit_id: Optional[int] = None   # the unit complained about, if one of ours
    object_user_id: Optional[int] = None   # the staff member complained about, if any
    incident_id: Optional[int] = None      # a concentrated complaint joins an open incident ...
    new_incident: Optional[str] = None     # ... or opens a new one with this title


UNREACHABLE_ATTEMPTS = 3


def log_event(complaint: Complaint, actor: Optional[User], action: str, detail: Optional[str] = None,
              changes: Optional[dict] = None) -> None:
    """One timeline entry: who, when, from where, and (for a transition) each field before and after."""
    if changes is None:
        changes = audit.complaint_changes(complaint)
    db.session.add(ComplaintEvent(complaint_id=complaint.id, at=clock.now(), actor=actor, action=action,
                                  detail=detail, remote_addr=audit.remote_address(), changes=changes))


def record_view(complaint: Complaint, viewer: User) -> None:
    log_event(complaint, viewer, "viewed")


def _check(allowed: bool, complaint: Complaint, expected_version: Optional[int]) -> None:
    # The version first: an action that someone else's change made impossible is a conflict to
    # show with the fresh state, not a permission error.
    if expected_version is not None and expected_version != complaint.version:
        raise StaleComplaint()
    if not allowed:
        raise ActionRefused()
    audit.remember(complaint)
    # Every transition raises the version, also when only a related row changes (a plan, a visit):
    # two people acting on the same state cannot both succeed.
    complaint.version += 1
    complaint.updated_at = clock.now()


def _next_number(day: date) -> str:
    """TS-YYYYMMDD-NNNN from a per-day counter, bumped atomically by one upsert. On PostgreSQL the
    bump commits at once on its own connection: the counter row stays locked only for that
    statement, not for the whole registration, so registrations don't queue behind each other
    (a registration that fails after this point leaves its number unused, as a database sequence
    would). SQLite has one writer at a time anyway, and a second connection would wait for this
    one's write lock."""
    dialect = db.engine.dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(DailyCounter).values(day=day, value=1)
    bump = stmt.on_conflict_do_update(index_elements=[DailyCounter.day], set_={"value": DailyCounter.value + 1}
                                      ).returning(DailyCounter.value)
    if dialect == "postgresql":
        with db.engine.begin() as own_transaction:
            value = own_transaction.execute(bump).scalar_one()
    else:
        value = db.session.execute(bump).scalar_one()
    return f"TS-{day:%Y%m%d}-{value:04d}"


def find_by_token(token: str) -> Optional[Complaint]:
    return db.session.scalar(select(Complaint).where(Complaint.submission_token == token))


def register_complaint(actor: User, token: str, data: Registration,
                       filed_by_customer: bool = False) -> tuple[Complaint, bool]:
    """Record a complaint with `actor` as its first-responsible owner. Returns (complaint, created);
    a form submitted twice (same token) returns the complaint of the first submission. A complaint
    the customer filed on the web is registered by the system and acknowledged by the caller."""
    if not policy.can_register(actor):
        raise ActionRefused()
    existing = find_by_token(token)
    if existing is not None:
        return existing, False
    now = clock.now()
    complaint = Complaint(
        number=token, submission_token=token,   # numbered below, once the row is in and its clocks run
        state=ComplaintState.REGISTERED, registered_at=now, owner=actor, handler=actor, unit_id=actor.unit_id,
        customer_name=data.customer_name, customer_contact=data.customer_contact,
        customer_ref=data.customer_ref or None, channel=data.channel, received_at=data.received_at,
        content=data.content, demand=data.demand, object_text=data.object_text,
        category_id=data.category_id, level=data.level, kind=data.kind, collective=data.collective,
        litigation=data.litigation, media=data.media, compensation=data.compensation,
        regulator_forwarded=data.regulator_forwarded, object_unit_id=data.object_unit_id,
        object_user_id=data.object_user_id,
        # A new complaint has none of these: saying so spares a query for each when they are read.
        deadlines=[], plans=[], answers=[],
    )
    if data.kind == Kind.CONCENTRATED:
        complaint.incident = _incident_for(data, actor, now)
    try:
        with savepoint():
            db.session.add(complaint)
            db.session.flush()
    except IntegrityError:   # the twin request of a double click won the race
        existing = find_by_token(token)
        if existing is None:
            raise
        return existing, False
    log_event(complaint, None if filed_by_customer else actor, "registered", "web" if filed_by_customer else None)
    registration = deadlines.start_deadline(complaint, DeadlineKind.REGISTRATION, data.received_at)
    registration.met_at = now
    for kind in (DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION, DeadlineKind.FINAL_DECISION):
        deadlines.start_deadline(complaint, kind, now)
    # The number is taken this late so that what fails before it (the losing twin of a double
    # click, a database lost while the row and its clocks are written) leaves no gap in the day's
    # numbers; the notices from here on quote it.
    complaint.number = _next_number(clock.to_local(now).date())
    if not filed_by_customer:
        customer.accept(complaint)
    if data.solved_on_spot:
        _give_result(complaint, actor, data.solved_on_spot, ContactChannel.IN_PERSON, now)
    else:
        deadlines.start_deadline(complaint, DeadlineKind.DISPATCH, now)
    if complaint.is_major:
        _announce_major(complaint)
    detect_repeats(complaint)
    return complaint, True


def _incident_for(data: Registration, actor: User, now: datetime) -> Incident:
    if data.new_incident:
        incident = Incident(title=data.new_incident, opened_at=now, opened_by=actor)
        db.session.add(incident)
        return incident
    incident = db.session.get(Incident, data.incident_id) if data.incident_id else None
    if incident is None or incident.closed_at is not None:
        raise ActionRefused()
    return incident


def open_incidents() -> list[Incident]:
    return list(db.session.scalars(select(Incident).where(Incident.closed_at.is_(None))
                                   .order_by(Incident.id.desc()).limit(100)))


def incident_complaints(incident: Incident, user: User) -> list[Complaint]:
    return list(db.session.scalars(select(Complaint).where(
        Complaint.incident_id == incident.id, policy.visible_complaints(user)).order_by(Complaint.id)))


def _for_each_of_incident(incident: Incident, actor: User, allowed, transition) -> int:
    """Apply `transition` to every complaint of the incident that `actor` may apply it to now."""
    ready = [c for c in incident_complaints(incident, actor) if allowed(actor, c)]
    for complaint in ready:
        transition(complaint)
    return len(ready)


def dispatch_incident(incident: Incident, actor: User, unit: Unit) -> int:
    """Route every waiting complaint of the incident that `actor` may route to one department."""
    return _for_each_of_incident(incident, actor, policy.can_dispatch,
                                 lambda c: dispatch_complaint(c, actor, unit))


def answer_incident(incident: Incident, actor: User, cause: str, result: str, corrective_action: str,
                    preventive_action: str) -> int:
    """One answer for every complaint of the incident waiting for `actor`'s department."""
    return _for_each_of_incident(incident, actor, policy.can_answer, lambda c: answer_complaint(
        c, actor, cause, result, corrective_action, preventive_action))


def give_incident_result(incident: Incident, actor: User, result: str, channel: ContactChannel) -> int:
    """Tell every customer of the incident that `actor` answers for the same result."""
    return _for_each_of_incident(incident, actor, policy.can_give_result,
                                 lambda c: give_result(c, actor, result, channel))


def _same_complaint(complaint: Complaint) -> tuple:
    """The conditions for complaints about the same object in the same category within the repeat
    window around this one, left out those under an incident (their incident already links them)."""
    window = timedelta(days=current_app.config["REPEAT_WINDOW_DAYS"])
    return (Complaint.category_id == complaint.category_id, Complaint.object_text == complaint.object_text,
            Complaint.incident_id.is_(None), Complaint.registered_at >= complaint.registered_at - window,
            Complaint.registered_at <= complaint.registered_at + window)


REPEATS_NAMED = 20   # numbers a repeat's timeline entry lists


def detect_repeats(complaint: Complaint) -> list[Complaint]:
    """The same complaint (object and category) from 3 or more different complainants within the
    window makes every one of them major. Returns the complaints newly raised. Concentrated
    complaints are left out: their incident already links them. The complainants are counted in
    the database and only the complaints not yet marked are loaded: an object complained about
    hundreds of times costs the same as one complained about three times."""
    if complaint.incident_id is not None:
        return []
    same = _same_complaint(complaint)
    complainants = db.session.scalar(
        select(func.count(distinct(func.lower(Complaint.customer_contact)))).where(*same))
    if complainants < 3:
        return []
    numbers = db.session.scalars(select(Complaint.number).where(*same).order_by(Complaint.id)
                                 .limit(REPEATS_NAMED + 1)).all()
    raised = []
    for other in db.session.scalars(select(Complaint).where(*same, Complaint.repeated.is_(False))
                                    .order_by(Complaint.id)).all():
        was_major = other.is_major
        audit.remember(other)   # so its timeline records the change (and the severity it makes)
        other.repeated = True
        log_event(other, None, "repeat_detected", ", ".join([n for n in numbers if n != other.number][:REPEATS_NAMED]))
        if not was_major:
            _announce_major(other)
            raised.append(other)
    return raised


def similar_complaints(complaint: Complaint) -> list[Complaint]:
    """The other complaints counted with this one by the repeat detection."""
    if not complaint.repeated:
        return []
    return list(db.session.scalars(select(Complaint).where(*_same_complaint(complaint), Complaint.id != complaint.id)
                                   .order_by(Complaint.id).limit(50)))


def _announce_major(complaint: Complaint) -> None:
    """Major complaints go to the branch head and the leaders at once, and need progress notes."""
    if complaint.state != ComplaintState.CLOSED and complaint.open_deadline(DeadlineKind.PROGRESS) is None:
        deadlines.start_deadline(complaint, DeadlineKind.PROGRESS, clock.now())
    recipients = unit_members(complaint.unit_id, {Role.BRANCH_HEAD}) + leaders()
    for user in recipients:
        notify.queue_email(user, "major", complaint_id=complaint.id, complaint=complaint)
    log_event(complaint, None, "major_reported", ", ".join(u.name for u in recipients))


def _active_users(*conditions) -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True), *conditions).order_by(User.id)))


def with_role(role: Role) -> list[User]:
    return txcache.cached(f"role:{role.value}", User, lambda: _active_users(User.role == role))


def leaders() -> list[User]:
    return with_role(Role.LEADER)


def category_department(category_id: int) -> Optional[Unit]:
    """The category's routing department (its default), if it has one."""
    rule = db.session.scalar(select(RoutingRule).where(RoutingRule.category_id == category_id))
    return rule.unit if rule else None


def _specificity(rule: ObjectRoutingRule) -> tuple:
    """Sort key, most specific first: a rule naming the category before one for any category, one
    naming the unit complained about before a word only, a longer word before a shorter, then the oldest."""
    return (rule.category_id is None, rule.object_unit_id is None, rule.object_keyword is None,
            -len(rule.object_keyword or ""), rule.id)


def matching_object_rules(complaint: Complaint) -> list[ObjectRoutingRule]:
    """The routing rules by object that match the complaint, most specific first."""
    rules = db.session.scalars(select(ObjectRoutingRule).where(or_(
        ObjectRoutingRule.category_id.is_(None), ObjectRoutingRule.category_id == complaint.category_id)))
    about = (complaint.object_text or "").casefold()
    return sorted((rule for rule in rules
                   if (rule.object_unit_id is None or rule.object_unit_id == complaint.object_unit_id)
                   and (not rule.object_keyword or rule.object_keyword.casefold() in about)), key=_specificity)


@dataclass
class Suggestion:
    """Where dispatching a complaint is suggested to go, and why: a routing rule by object, or (rule
    None) the category's department."""
    unit: Unit
    rule: Optional[ObjectRoutingRule] = None


def suggested_department(complaint: Complaint) -> Optional[Suggestion]:
    """The unit of the most specific routing rule by object that matches the complaint, else its
    category's department. A deactivated department, or the unit the complaint is about (回避), is
    never suggested; the next candidate is."""
    candidates = [Suggestion(rule.unit, rule) for rule in matching_object_rules(complaint)]
    default = category_department(complaint.category_id)
    if default is not None:
        candidates.append(Suggestion(default))
    for candidate in candidates:
        unit = candidate.unit
        if unit.active and unit.kind == UnitKind.DEPARTMENT and unit.id != complaint.object_unit_id:
            return candidate
    return None


def dispatch_complaint(complaint: Complaint, actor: User, unit: Unit, assignee: Optional[User] = None,
                       note: str = "", expected_version: Optional[int] = None) -> None:
    """Route to a department, which becomes the handling unit; the owner stays the owner."""
    _check(policy.can_dispatch(actor, complaint), complaint, expected_version)
    if unit.kind != UnitKind.DEPARTMENT:
        raise ActionRefused()
    if assignee is not None and (assignee.unit_id != unit.id or assignee.role not in policy.DEPARTMENT_ROLES):
        raise ActionRefused()
    if unit.id == complaint.object_unit_id or (assignee is not None and assignee.id == complaint.object_user_id):
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
    detail = unit.name + (f" / {assignee.name}" if assignee else "") + (f": {note}" if note else "")
    log_event(complaint, actor, "dispatched", detail)
    for user in department_recipients(complaint):
        notify.queue_email(user, "routed", complaint_id=complaint.id, complaint=complaint,
                           deadline=answer_deadline)


def answer_complaint(complaint: Complaint, actor: User, cause: str, result: str, corrective_action: str,
                     preventive_action: str, expected_version: Optional[int] = None) -> Answer:
    _check(policy.can_answer(actor, complaint), complaint, expected_version)
    now = clock.now()
    answer = Answer(complaint=complaint, author=actor, unit_id=actor.unit_id, cause=cause, result=result,
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
            _announce_major(complaint)
    if complaint.is_major:
        plan.state = PlanState.PENDING
        deadlines.start_deadline(complaint, DeadlineKind.PLAN_APPROVAL, now)
        log_event(complaint, actor, "plan_submitted", steps)
        for user in plan_approvers(complaint):
            notify.queue_email(user, "plan_submitted", complaint_id=complaint.id, complaint=complaint, plan=plan)
    else:
        plan.state = PlanState.APPROVED
        log_event(complaint, actor, "plan_recorded", steps)
        customer.on_transition(complaint, NoticeKind.PLAN)
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
        customer.on_transition(complaint, NoticeKind.PLAN)
    notify.queue_email(plan.author, "plan_reviewed", complaint_id=complaint.id, complaint=complaint, plan=plan)
    return plan


def plan_approvers(complaint: Complaint) -> list[User]:
    role, unit_id = policy.plan_approver(complaint.unit.kind, complaint.unit_id)
    return unit_members(unit_id, {role}) if unit_id is not None else with_role(role)


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
        raise ActionRefused()
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
    customer.on_transition(complaint, NoticeKind.CLOSURE)


def give_result(complaint: Complaint, actor: User, result: str, channel: ContactChannel,
                expected_version: Optional[int] = None) -> None:
    """The owner tells the customer the result (the department's answer, or the branch's own
    handling); the return visit is due next."""
    _check(policy.can_give_result(actor, complaint), complaint, expected_version)
    _give_result(complaint, actor, result, channel, clock.now())


def _give_result(complaint: Complaint, actor: User, result: str, channel: ContactChannel, now: datetime) -> None:
    if complaint.valid is None:
        complaint.valid = True
    complaint.result = result
    complaint.result_given_at = now
    complaint.state = ComplaintState.AWAITING_VISIT
    db.session.add(ContactLog(complaint_id=complaint.id, at=now, actor=actor, channel=channel, content=result))
    for kind in (DeadlineKind.DISPATCH, DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION):
        deadlines.meet_deadline(complaint, kind, now)
    deadlines.start_deadline(complaint, DeadlineKind.RETURN_VISIT, now)
    log_event(complaint, actor, "result_given", result)
    customer.on_transition(complaint, NoticeKind.RESULT)


def log_contact(complaint: Complaint, actor: User, channel: ContactChannel, content: str) -> ContactLog:
    """A call, SMS, e-mail, letter or visit to the customer; the first one stops the first-response clock."""
    if not policy.can_log_contact(actor, complaint):
        raise ActionRefused()
    now = clock.now()
    contact = ContactLog(complaint_id=complaint.id, at=now, actor=actor, channel=channel, content=content)
    db.session.add(contact)
    deadlines.meet_deadline(complaint, DeadlineKind.FIRST_RESPONSE, now)
    log_event(complaint, actor, "contacted", content)
    return contact


def add_progress_note(complaint: Complaint, actor: User, text: str) -> ProgressNote:
    """A progress note; on an open major complaint it restarts the 30-working-minute clock."""
    if not policy.can_log_contact(actor, complaint):
        raise ActionRefused()
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
    return extension


def adjust_deadline(complaint: Complaint, actor: User, deadline_id: int, new_due: datetime, reason: str,
                    expected_version: Optional[int] = None) -> None:
    """Move one running clock of this case by hand, with the reason on the timeline."""
    _check(policy.can_adjust_deadline(actor, complaint), complaint, expected_version)
    deadline = next((d for d in complaint.deadlines if d.id == deadline_id and d.met_at is None), None)
    if deadline is None:
        raise ActionRefused()
    deadlines.check_adjustment(complaint, deadline, new_due)   # raises deadlines.BadAdjustment
    old = deadline.due_at
    deadlines.move_deadline(complaint, deadline, new_due)
    log_event(complaint, actor, "deadline_changed",
              f"{deadline.kind.value}: {clock.to_local(old):%Y-%m-%d %H:%M} → "
              f"{clock.to_local(new_due):%Y-%m-%d %H:%M}: {reason}",
              changes={f"deadline_{deadline.kind.value}": [old.isoformat(), new_due.isoformat()]})


def send_decision_notice(complaint: Complaint, actor: User) -> bool:
    """E-mail the decision notice to the customer when the contact is an e-mail address; otherwise
    it is printed and posted. Returns whether an e-mail was queued."""
    if not policy.can_send_notice(actor, complaint):
        raise ActionRefused()
    address = complaint.customer_contact if "@" in complaint.customer_contact else None
    if address:
        notify.queue_email_to(address, "zh_CN", "decision_notice", complaint_id=complaint.id, link=None,
                              complaint=complaint, organisation=current_app.config["ORGANISATION_NAME"])
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
        number=_next_number(clock.to_local(now).date()), submission_token=token, state=ComplaintState.REGISTERED,
        registered_at=now, received_at=now, owner=actor, handler=actor, unit_id=higher.id,
        customer_name=complaint.customer_name, customer_contact=complaint.customer_contact,
        customer_ref=complaint.customer_ref, channel=complaint.channel, content=reason,
        demand=complaint.demand, object_text=complaint.object_text, category_id=complaint.category_id,
        level=complaint.level, kind=complaint.kind, review_of=complaint)
    db.session.add(review)
    db.session.flush()
    deadlines.start_deadline(review, DeadlineKind.REVIEW, now)
    deadlines.start_deadline(review, DeadlineKind.DISPATCH, now)
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
        raise ActionRefused()
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
        deadlines.start_deadline(complaint, DeadlineKind.DISPATCH, now)
        deadlines.start_deadline(complaint, DeadlineKind.RESOLUTION, now)
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
    customer.on_transition(complaint, NoticeKind.CLOSURE)


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


def department_recipients(complaint: Complaint) -> list[User]:
    """Who acts for the handling unit: the assigned person, or else the department's staff."""
    if complaint.assignee is not None and complaint.assignee.active:
        return [complaint.assignee]
    return unit_members(complaint.handling_unit_id, {Role.DEPT_STAFF}) or \
        unit_members(complaint.handling_unit_id, {Role.DEPT_HEAD})


def unit_members(unit_id: Optional[int], roles: set[Role]) -> list[User]:
    if unit_id is None:
        return []
    # Cached for the transaction: a sweep notifies the same units' heads many times over.
    return txcache.cached(f"unit_members:{unit_id}:{sorted(roles)}", User,
                          lambda: _active_users(User.unit_id == unit_id, User.role.in_(roles)))


def center_staff() -> list[User]:
    return with_role(Role.CENTER)


def all_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).order_by(Unit.code)))


def colleagues(user: User) -> list[User]:
    """Staff a complaint registered by `user` may be about: the people of the same unit."""
    return list(db.session.scalars(select(User).where(User.unit_id == user.unit_id, User.active.is_(True))
                                   .order_by(User.id).limit(500)))


def department_choices() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.kind == UnitKind.DEPARTMENT, Unit.active.is_(True))
                                   .order_by(Unit.code)))


def active_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.id)))
