"""Registration: a new complaint with its owner, its clocks and its number, joined to its incident
and checked for repeats; the customer hears of it through services.signals. A form submitted twice
registers once."""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db, lazy_gettext as _l
from models import (Channel, Complaint, ComplaintEvent, ComplaintKind, ComplaintNature, ComplaintState, ComplaintTerms,
                    CustomerAccess, CustomerMessage, DeadlineKind, Incident, OutboxMessage, User)
from services import clock, complaints, deadlines, notify, org_settings, policy, severity, signals, similarity, sql
from services.errors import Refused
from services.identity import mobile_in
from services.numbering import next_number
from services.recipients import leaders
from services.severity import announce_major, detect_repeats
from services.timeline import log_event


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
    customer_mobile: Optional[str] = None      # normalised (services.identity); else read from the contact
    customer_id_number: Optional[str] = None
    customer_account: Optional[str] = None
    kind: ComplaintKind = ComplaintKind.ROUTINE
    nature: ComplaintNature = ComplaintNature.COMPLAINT   # a suggestion (建议) takes the same flow, counted apart
    collective: bool = False
    collective_count: Optional[int] = None
    litigation: bool = False
    media: bool = False
    compensation: bool = False
    regulator_forwarded: bool = False
    solved_on_spot: Optional[str] = None   # the result given at the counter, when solved at once
    object_unit_id: Optional[int] = None   # the unit complained about, if one of ours
    object_user_id: Optional[int] = None   # the staff member complained about, if any
    incident_id: Optional[int] = None      # a concentrated complaint joins an open incident ...
    new_incident: Optional[str] = None     # ... or opens a new one with this title
    extra: Optional[dict] = None           # the organisation's own fields, checked (services.custom_fields)


@functools.cache
def _unless_token_is_in(dialect: str):
    """The complaint's INSERT, doing nothing when its submission token is in already."""
    table = Complaint.__table__
    return (sql.insert_on_conflict(table, dialect).on_conflict_do_nothing(index_elements=[table.c.submission_token])
            .returning(table.c.id))


# What makes a form sent again another complaint: its customer or what they complain of.
COMPARED_WHEN_SENT_AGAIN = ("customer_name", "customer_contact", "content", "demand", "object_text", "category_id")


def _changed(registered: Complaint, draft: Complaint) -> bool:
    return any(getattr(registered, name) != getattr(draft, name) for name in COMPARED_WHEN_SENT_AGAIN)


def _token_when_changed(token: str, draft: Complaint) -> str:
    said = "\x1f".join([token, *(str(getattr(draft, name)) for name in COMPARED_WHEN_SENT_AGAIN)])
    return hashlib.sha256(said.encode()).hexdigest()[:32]


def find_by_token(token: str) -> Optional[Complaint]:
    return db.session.scalar(select(Complaint).where(Complaint.submission_token == token))


def register_complaint(actor: User, token: str, data: Registration, filed_by_customer: bool = False,
                       new_if_changed: bool = False) -> tuple[Complaint, bool]:
    """Record a complaint with `actor` as its first-responsible owner. Returns (complaint, created);
    a form submitted twice (same token) returns the complaint of the first submission. With
    `new_if_changed`, a form sent again with its customer or words changed (the staff form reached
    by Back and filled in for the next complaint) is a complaint of its own. A complaint the
    customer filed on the web is registered by the system and acknowledged by the caller."""
    if not policy.can_register(actor):
        raise Refused()
    for name in severity.TICKED:
        if getattr(data, name) and not severity.applies(name):
            raise Refused(_l("This organisation does not count this as making a complaint major."), name)
    now = clock.now()
    # A draft, not added to the session: its clocks and its incident are worked out on it, then its
    # row goes in by one INSERT that does nothing when the token is in already (a form submitted
    # twice, or its twin racing it: the INSERT waits for the twin's transaction to end). No read of
    # the token before, no savepoint around it.
    draft = Complaint(
        number=token, submission_token=token,   # numbered below, once the row is in and its clocks run
        state=ComplaintState.REGISTERED, registered_at=now, owner_id=actor.id, handler_id=actor.id,
        unit_id=actor.unit_id, unit=actor.unit,   # (the clocks read its working hours)
        customer_name=data.customer_name, customer_contact=data.customer_contact,
        customer_ref=data.customer_ref or None, channel=data.channel, received_at=data.received_at,
        customer_mobile=data.customer_mobile or mobile_in(data.customer_contact),
        customer_id_number=data.customer_id_number or None, customer_account=data.customer_account or None,
        content=data.content, demand=data.demand, object_text=data.object_text,
        category_id=data.category_id, level=data.level, kind=data.kind, nature=data.nature, collective=data.collective,
        collective_count=data.collective_count,
        litigation=data.litigation, media=data.media, compensation=data.compensation,
        regulator_forwarded=data.regulator_forwarded, object_unit_id=data.object_unit_id,
        object_user_id=data.object_user_id, extra=data.extra or None, round=1,
        owner=actor, handler=actor, plans=[], answers=[], extensions=[],   # (a new complaint has none of these)
    )
    if data.kind == ComplaintKind.CONCENTRATED:
        incident = _incident_for(data, actor, now)
        db.session.flush()   # (a new incident: its id for the row)
        draft.incident_id = incident.id
    clocks = [DeadlineKind.REGISTRATION, DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION,
              DeadlineKind.FINAL_DECISION]
    if not data.solved_on_spot:
        clocks.append(DeadlineKind.DISPATCH)
    if draft.is_major:
        clocks.append(DeadlineKind.PROGRESS)
    # The clocks, and so the next due time, are known before the row is written: it goes in with
    # them, not updated after (an update rewrites the row's 26 index entries and, the row being new,
    # checks its foreign keys again).
    started = deadlines.start_deadlines(draft, clocks, now)
    # The row is written by a statement of its own, its clocks with its history by another, not by the
    # session's flush; from then on the draft is the session's complaint, as written.
    set_committed_value(draft, "deadlines", [])   # (they go in after the row, which they point at)
    with db.session.no_autoflush:
        while not sql.insert_as_loaded([draft], _unless_token_is_in(sql.dialect())):
            # The form was sent already (a double click, or Back and Send again): the first one stands,
            # unless what it says has changed since; then it is another complaint, under a token drawn
            # from the first and what it says, so that sending that again finds it in turn.
            existing = find_by_token(draft.submission_token)
            if existing is None:
                raise RuntimeError("the complaint of this submission token is gone")   # (its twin rolled back?)
            if not (new_if_changed and _changed(existing, draft)) or draft.submission_token != token:
                return existing, False
            draft.number = draft.submission_token = _token_when_changed(token, draft)
        for deadline in started:
            deadline.complaint_id = draft.id
    complaint = draft
    log_event(complaint, None if filed_by_customer else actor, "registered",
              data.channel.value if filed_by_customer else None)
    # The number is taken this late so that what fails before it (the losing twin of a double
    # click, a database lost while the row, its clocks and its history are written) leaves no gap in
    # the day's numbers; the notices from here on quote it. The clocks and the history go in by one
    # statement, and the number with the rows that follow (services.sql.insert_together).
    sql.insert_together([*started, *_new_rows()])
    set_committed_value(complaint, "deadlines", started)
    number = next_number(clock.to_local(now).date())
    numbered = (_NUMBERED, {"numbered_id": complaint.id, "numbered_number": number})
    set_committed_value(complaint, "number", number)
    signals.complaint_registered.send(complaint, filed_by_customer=filed_by_customer)
    if data.solved_on_spot:
        complaints.solve_on_spot(complaint, actor, data.solved_on_spot, now)
    if complaint.is_major:
        announce_major(complaint)   # its progress clock runs already
    elif org_settings.keeps("leader_told_of_every_complaint"):
        # The real estate's 总经理 hears of every complaint (a major one: by its announcement, once).
        told = leaders()
        for leader in told:
            notify.queue_email(leader, "new_complaint", complaint_id=complaint.id, complaint=complaint)
        if told:
            log_event(complaint, None, "leaders_told", ", ".join(u.name for u in told))
    terms = similarity.index_complaint(complaint)
    sql.insert_together(_new_rows(), also=(numbered,))
    detect_repeats(complaint, terms)
    return complaint, True


# What a registration writes that points only at rows written before it: written together, past the
# unit of work (services.sql.insert_together).
PLAIN_ROWS = (ComplaintEvent, ComplaintTerms, CustomerAccess, CustomerMessage, OutboxMessage)


def _new_rows() -> list:
    """The session's new rows of PLAIN_ROWS, in the order they were added (the timeline's order)."""
    return sorted((obj for obj in db.session.new if isinstance(obj, PLAIN_ROWS)),
                  key=lambda obj: inspect(obj).insert_order)


# The complaint's number, set once it is taken (built once).
_NUMBERED = (update(Complaint.__table__).where(Complaint.__table__.c.id == bindparam("numbered_id"))
             .values(number=bindparam("numbered_number")))


def _incident_for(data: Registration, actor: User, now: datetime) -> Incident:
    if data.new_incident:
        incident = Incident(title=data.new_incident, opened_at=now, opened_by=actor)
        db.session.add(incident)
        return incident
    incident = db.session.get(Incident, data.incident_id) if data.incident_id else None
    if incident is None or incident.closed_at is not None:
        raise Refused()
    return incident
