"""纠正及预防措施记录表 and the 分管领导's sign-off, where the profile keeps `capa_signoff` (the
hotline): the responsible department submits its record, the leader signs it off or sends it back
with a reason, and the customer is told the result only once it is signed off. Every change of the
record's state happens here, on the complaint's timeline, with the sign-off's clock."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import ColumnElement, Select, select

from extensions import db, lazy_gettext as _l
from models import (CapaRecord, CapaState, Complaint, ComplaintState, DeadlineKind, Role, Unit, UnitKind, User)
from services import clock, deadlines, org_settings, policy
from services.errors import Refused
from services.timeline import log_event

KEY = "capa_signoff"
NOT_SUBMITTED = _l("Not yet: the leader in charge signs off the department's corrective and preventive action "
                   "record before the customer is told the result, and the department has not submitted it yet.")
NOT_SIGNED = _l("Not yet: the leader in charge signs off the department's corrective and preventive action "
                "record before the customer is told the result, and it is still waiting for the sign-off.")
RETURNED = _l("Not yet: the leader in charge signs off the department's corrective and preventive action "
              "record before the customer is told the result, and it was sent back to the department to fix.")


def enabled() -> bool:
    return org_settings.keeps(KEY)


def record_of(complaint: Complaint) -> Optional[CapaRecord]:
    """The record of the complaint's current handling round."""
    return db.session.scalar(select(CapaRecord).where(CapaRecord.complaint_id == complaint.id,
                                                      CapaRecord.round == complaint.round))


def records_of(complaint: Complaint) -> list[CapaRecord]:
    return list(db.session.scalars(select(CapaRecord).where(CapaRecord.complaint_id == complaint.id)
                                   .order_by(CapaRecord.round)))


def _department_handles(complaint: Complaint) -> bool:
    unit = complaint.handling_unit
    return unit is not None and unit.kind == UnitKind.DEPARTMENT


def can_fill(user: User, complaint: Complaint) -> bool:
    """The responsible department fills it (and fixes it after a send-back) while the case is open."""
    if not (enabled() and _department_handles(complaint)) or complaint.state == ComplaintState.CLOSED:
        return False
    if user.role not in policy.DEPARTMENT_ROLES or user.unit_id != complaint.handling_unit_id:
        return False
    if complaint.object_user_id == user.id:   # 回避
        return False
    record = record_of(complaint)
    return record is None or record.state == CapaState.RETURNED


def can_sign(user: User, record: CapaRecord) -> bool:
    """The 分管领导 (the leader role), on a record waiting for them, not about themselves."""
    return (enabled() and user.role == Role.LEADER and record.state == CapaState.SUBMITTED
            and record.complaint.object_user_id != user.id)


def result_refusal(complaint: Complaint):
    """Why the customer may not be told the result yet (None when nothing waits on the record): a
    complaint a department handled needs the department's record signed off first."""
    if not (enabled() and _department_handles(complaint) and complaint.latest_answer is not None):
        return None
    record = record_of(complaint)
    if record is None:
        return NOT_SUBMITTED
    return {CapaState.SUBMITTED: NOT_SIGNED, CapaState.RETURNED: RETURNED}.get(record.state)


def check_result(complaint: Complaint) -> None:
    refusal = result_refusal(complaint)
    if refusal is not None:
        raise Refused(refusal, "result")


def start_record_clock(complaint: Complaint, now: datetime) -> None:
    """The complaint is dispatched to a department: where the profile keeps
    the record, the department has 3 days, non-working days included, to submit it. A clock of an
    earlier dispatch stops; none starts once this round's record is in."""
    if not enabled():
        return
    deadlines.meet_deadline(complaint, DeadlineKind.CAPA_RECORD, now)
    if _department_handles(complaint) and record_of(complaint) is None:
        deadlines.start_deadline(complaint, DeadlineKind.CAPA_RECORD, now)


def submit_record(complaint: Complaint, actor: User, cause: str, correction: str, preventive: str,
                  responsible: str, due_date: date) -> CapaRecord:
    """The department submits (or, after a send-back, submits again) its record: it waits for the
    分管领导, whose sign-off clock starts now."""
    if not can_fill(actor, complaint):
        raise Refused()
    now = clock.now()
    if due_date < clock.to_local(now).date():
        raise Refused(_l("The date cannot be in the past."), "due_date")
    record = record_of(complaint)
    if record is None:
        record = CapaRecord(complaint_id=complaint.id, round=complaint.round, unit_id=complaint.handling_unit_id)
        db.session.add(record)
    record.cause, record.correction, record.preventive = cause, correction, preventive
    record.responsible, record.due_date = responsible, due_date
    record.state, record.submitted_at, record.submitted_by = CapaState.SUBMITTED, now, actor
    record.reviewed_at = record.reviewer_id = record.review_note = None
    deadlines.meet_deadline(complaint, DeadlineKind.CAPA_RECORD, now)
    deadlines.start_deadline(complaint, DeadlineKind.CAPA_SIGNOFF, now)
    complaint.updated_at = now
    db.session.flush()
    log_event(complaint, actor, "capa_submitted")
    return record


def _review(record: CapaRecord, actor: User, state: CapaState, note: Optional[str]) -> None:
    if not can_sign(actor, record):
        raise Refused()
    now = clock.now()
    record.state, record.reviewed_at, record.reviewer, record.review_note = state, now, actor, note or None
    deadlines.meet_deadline(record.complaint, DeadlineKind.CAPA_SIGNOFF, now)
    record.complaint.updated_at = now


def sign_off(record: CapaRecord, actor: User, comment: str = "") -> None:
    """The 分管领导 approves the record: the service center may now tell the customer the result."""
    _review(record, actor, CapaState.SIGNED_OFF, comment)
    log_event(record.complaint, actor, "capa_signed_off", comment or None)


def send_back(record: CapaRecord, actor: User, reason: str) -> None:
    """Back to the department with the reason, which it reads on the record and fixes."""
    if not reason.strip():
        raise Refused(_l("Say why it goes back."), "reason")
    _review(record, actor, CapaState.RETURNED, reason)
    log_event(record.complaint, actor, "capa_returned", reason)


def visible_records(user: User) -> ColumnElement[bool]:
    """A record is seen by whoever sees its complaint."""
    return CapaRecord.complaint_id.in_(select(Complaint.id).where(policy.visible_complaints(user)))


STATUSES = ("submitted", "returned", "signed_off", "all")


def records_query(user: User, status: str) -> Select:
    query = select(CapaRecord).join(Unit, Unit.id == CapaRecord.unit_id).where(visible_records(user))
    if status != "all":
        query = query.where(CapaRecord.state == CapaState(status))
    return query.order_by(CapaRecord.submitted_at.desc(), CapaRecord.id.desc())


def get_record(record_id: int, user: User) -> Optional[CapaRecord]:
    return db.session.scalar(select(CapaRecord).where(CapaRecord.id == record_id, visible_records(user)))
