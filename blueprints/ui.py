"""What every blueprint's views share: role guards, the visible-complaint lookup, list pages,
and the labels of the domain's enums in the user's language."""
from __future__ import annotations

from datetime import datetime
from functools import wraps

from flask import abort, current_app, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import Select, select
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

from extensions import db
from models import (Category, Channel, Complaint, ComplaintState, ContactChannel, DeadlineKind, Incident, Kind,
                    PlanState, Role, Satisfaction, Unit, User)
from services import bounds, clock, deadlines, policy

ROLE_LABELS = {
    Role.STAFF: _l("First-contact staff"), Role.LOBBY_MANAGER: _l("Lobby manager"),
    Role.BRANCH_HEAD: _l("Branch head"), Role.DEPT_STAFF: _l("Department staff"),
    Role.DEPT_HEAD: _l("Department head"), Role.CENTER: _l("Customer service center"),
    Role.LEADER: _l("Leader"), Role.ADMIN: _l("Administrator"),
}
CHANNEL_LABELS = {
    Channel.PHONE: _l("Phone"), Channel.HOTLINE: _l("Hotline"), Channel.EMAIL: _l("E-mail"),
    Channel.WEB: _l("Web form"), Channel.COUNTER: _l("Counter / in person"), Channel.LETTER: _l("Letter"),
    Channel.SOCIAL_MEDIA: _l("Social media"), Channel.REGULATOR: _l("Regulator / consumer association"),
    Channel.MEDIA: _l("Media"), Channel.INTERNAL: _l("Internal discovery"),
}
STATE_LABELS = {
    ComplaintState.REGISTERED: _l("Registered"), ComplaintState.DISPATCHED: _l("With department"),
    ComplaintState.ANSWERED: _l("Answered"), ComplaintState.AWAITING_VISIT: _l("Awaiting return visit"),
    ComplaintState.WITH_LEADER: _l("Awaiting the leader's decision"), ComplaintState.CLOSED: _l("Closed"),
}
LEVEL_LABELS = {1: _l("Level 1 (serious)"), 2: _l("Level 2 (moderate)"), 3: _l("Level 3 (minor)")}
KIND_LABELS = {Kind.ROUTINE: _l("Routine"), Kind.DISCOVERED: _l("Discovered by staff"),
               Kind.CONCENTRATED: _l("Concentrated incident")}
SATISFACTION_LABELS = {Satisfaction.A: _l("A · very satisfied"), Satisfaction.B: _l("B · satisfied"),
                       Satisfaction.C: _l("C · basically satisfied"), Satisfaction.D: _l("D · unsatisfied")}
CONTACT_LABELS = {ContactChannel.PHONE: _l("Phone call"), ContactChannel.SMS: _l("SMS"),
                  ContactChannel.EMAIL: _l("E-mail"), ContactChannel.LETTER: _l("Letter"),
                  ContactChannel.IN_PERSON: _l("In person")}
DEADLINE_LABELS = {
    DeadlineKind.DISPATCH: _l("Dispatch"), DeadlineKind.ANSWER: _l("Department answer"),
    DeadlineKind.FIRST_RESPONSE: _l("First response to the customer"),
    DeadlineKind.RESOLUTION: _l("Plan or result to the customer"),
    DeadlineKind.RETURN_VISIT: _l("Return visit"), DeadlineKind.FINAL_DECISION: _l("Final decision (regulatory)"),
    DeadlineKind.PROGRESS: _l("Progress note (major complaint)"), DeadlineKind.REVIEW: _l("Review decision"),
    DeadlineKind.REGISTRATION: _l("Registration (15 minutes from receipt)"),
    DeadlineKind.PLAN_APPROVAL: _l("Plan approval"),
}
EVENT_LABELS = {
    "registered": _l("Registered the complaint"), "dispatched": _l("Dispatched to"),
    "answered": _l("Department answered"), "closed": _l("Closed the complaint"),
    "returned": _l("Sent the answer back"), "viewed": _l("Viewed"),
    "judged_invalid": _l("Judged not valid and answered the customer"),
    "result_given": _l("Told the customer the result"), "contacted": _l("Contacted the customer"),
    "visited": _l("Return visit"), "reopened": _l("Reopened for the second handling"),
    "sent_to_leader": _l("Sent to the leader for a final decision"),
    "leader_decided": _l("Final decision by the leader"),
    "major_reported": _l("Major complaint reported to"),
    "repeat_detected": _l("Same complaint from 3 or more customers; major. Linked with"),
    "plan_submitted": _l("Submitted a plan for approval"), "plan_recorded": _l("Recorded the plan"),
    "withdrawn": _l("The customer withdrew the complaint"),
    "deadline_changed": _l("Moved a clock by hand"),
    "visit_unreachable": _l("Return visit: the customer could not be reached"),
    "progress_note": _l("Progress note"), "extended": _l("Extended the final decision deadline"),
    "notice_sent": _l("Sent the decision notice"), "review_opened": _l("Review case opened for"),
    "review_requested": _l("The customer asked for a review:"),
    "escalated": _l("Escalated the handling to"), "taken_over": _l("Took over the handling"),
    "plan_approved": _l("Approved the plan"), "plan_rejected": _l("Rejected the plan"),
    "attachment_added": _l("Attached a file"), "attachment_downloaded": _l("Downloaded a file"),
}
PLAN_STATE_LABELS = {PlanState.PENDING: _l("Waiting for approval"), PlanState.APPROVED: _l("Approved"),
                     PlanState.REJECTED: _l("Rejected")}
for _kind in DeadlineKind:
    EVENT_LABELS[f"reminder_{_kind.value}"] = _l("Reminder, deadline near: %(deadline)s; sent to",
                                                 deadline=DEADLINE_LABELS[_kind])
    EVENT_LABELS[f"overdue_{_kind.value}"] = _l("Overdue: %(deadline)s; notice sent to",
                                                deadline=DEADLINE_LABELS[_kind])
    EVENT_LABELS[f"escalated_{_kind.value}"] = _l("Still overdue: %(deadline)s; escalated to",
                                                  deadline=DEADLINE_LABELS[_kind])


# The complaint's fields as its timeline names them (services.audit records them by column name).
FIELD_LABELS = {
    "number": _l("Complaint number"), "state": _l("State"), "customer_name": _l("Customer name"),
    "customer_contact": _l("Customer contact"), "customer_ref": _l("Customer or account reference"),
    "channel": _l("Channel"), "received_at": _l("Received on"), "registered_at": _l("Registered on"),
    "content": _l("What happened"), "demand": _l("What the customer asks for"),
    "object_text": _l("Complained about"), "object_unit_id": _l("Unit complained about"),
    "object_user_id": _l("Staff member complained about"), "withdrawn_at": _l("Withdrawn on"),
    "withdrawal_reason": _l("Reason for the withdrawal"), "category_id": _l("Category"), "level": _l("Level"),
    "kind": _l("Kind"), "severity": _l("Severity"), "collective": _l("Collective complaint (5 or more people)"),
    "litigation": _l("Litigation threatened or possible"), "media": _l("Exposed by media"),
    "compensation": _l("Compensation involved"), "repeated": _l("Same complaint from 3 or more customers"),
    "regulator_forwarded": _l("Forwarded by a regulator hotline"), "valid": _l("Valid"),
    "invalid_reason": _l("Why it is not valid"), "round": _l("Handling round"),
    "unreachable_attempts": _l("Return-visit calls not answered"), "result": _l("Result told to the customer"),
    "result_given_at": _l("Result told on"), "satisfaction": _l("Satisfaction"),
    "decision": _l("The leader's final decision"), "incident_id": _l("Incident"),
    "review_of_id": _l("Review of"), "external_channels_told": _l("Told of the external channels"),
    "owner_id": _l("First-responsible owner"), "unit_id": _l("Receiving unit"), "handler_id": _l("Handled by"),
    "handling_unit_id": _l("Handling department"), "assignee_id": _l("Assigned to"),
    "dispatched_at": _l("Dispatched on"), "answered_at": _l("Answered on"), "closed_at": _l("Closed on"),
}
SEVERITY_LABELS = {"major": _l("Major"), "general": _l("General")}
_ENUM_LABELS = {"state": (ComplaintState, STATE_LABELS), "channel": (Channel, CHANNEL_LABELS),
                "kind": (Kind, KIND_LABELS), "satisfaction": (Satisfaction, SATISFACTION_LABELS)}
_REFERENCES = {"unit_id": Unit, "handling_unit_id": Unit, "object_unit_id": Unit, "owner_id": User,
               "handler_id": User, "assignee_id": User, "object_user_id": User, "category_id": Category,
               "incident_id": Incident, "review_of_id": Complaint}
_LONGEST = 300


def describe_changes(events) -> dict[int, list[tuple[str, str, str]]]:
    """Per timeline entry, its recorded field changes in words: (field, before, after), with names
    instead of ids and labels instead of codes. The rows each entry names are read in one query per table."""
    wanted: dict = {}
    for event in events:
        for name, values in (event.changes or {}).items():
            if name in _REFERENCES:
                wanted.setdefault(_REFERENCES[name], set()).update(v for v in values if isinstance(v, int))
    names = {model: {row.id: _name_of(row) for row in db.session.scalars(select(model).where(model.id.in_(ids)))}
             for model, ids in wanted.items() if ids}
    return {event.id: [(str(FIELD_LABELS.get(name, name)), _value(name, before, names),
                        _value(name, after, names))
                       for name, (before, after) in event.changes.items()]
            for event in events if event.changes}


def _name_of(row) -> str:
    if isinstance(row, (Unit, Category)):
        return row.display_name(current_locale())
    if isinstance(row, Complaint):
        return row.number
    if isinstance(row, Incident):
        return row.title
    return row.name


def _value(name: str, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if name in _REFERENCES:
        return names.get(_REFERENCES[name], {}).get(value, f"#{value}")
    if name == "severity":
        return str(SEVERITY_LABELS.get(value, value))
    if name == "level":
        return str(LEVEL_LABELS.get(value, value))
    if name in _ENUM_LABELS:
        enum_class, labels = _ENUM_LABELS[name]
        try:
            return str(labels[enum_class(value)])
        except ValueError:
            return str(value)
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if name.endswith("_at") and isinstance(value, str):
        try:
            return local_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    text = str(value)
    return text if len(text) <= _LONGEST else text[:_LONGEST] + "…"


class DatabaseId(IntegerConverter):
    """`<int:...>` in every URL: a number larger than a database integer is a 404, not an overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", bounds.MAX_ID)
        super().__init__(map, *args, **kwargs)


def within_bounds(form, field):
    """WTForms validator for every date and date-time field: inside services.bounds' range, so that
    no year 1 or 9999 reaches the date arithmetic or the database."""
    if field.data is None:
        return
    try:
        if isinstance(field.data, datetime):
            bounds.check_local_moment(field.data)
        else:
            bounds.check_day(field.data)
    except bounds.OutOfBounds as error:
        raise ValidationError(bounds_message(error)) from None


def bounds_message(error: bounds.OutOfBounds) -> str:
    if error.what == "page":
        return _("There are at most %(count)s pages; narrow the filter instead.", count=f"{bounds.MAX_PAGE:,}")
    return _("Enter a date from %(earliest)s to %(latest)s.", earliest=f"{error.earliest:%Y-%m-%d}",
             latest=f"{error.latest:%Y-%m-%d}")


def check_page_number() -> None:
    """Before every request: a list's ?page= beyond services.bounds.MAX_PAGE is refused (400) with a
    message, whichever view pages (they all read the same parameter through db.paginate)."""
    if "page" in request.args:
        bounds.page_number(request.args.get("page"))


def role_required(*roles: Role):
    """Signed in, and one of `roles`; anyone else gets 403."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def visible_complaint_or_404(complaint_id: int) -> Complaint:
    """The complaint, if the current user may see it; otherwise 404, so nothing is revealed."""
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None or not policy.can_view(current_user, complaint):
        abort(404)
    return complaint


def open_by_urgency() -> Select:
    """Open complaints, the nearest deadline first (those without a running clock last)."""
    return (select(Complaint).where(Complaint.state != ComplaintState.CLOSED)
            .order_by(Complaint.next_due_at.asc().nulls_last(), Complaint.id))


def paginate(query: Select):
    """A page of `query`, restricted to what the current user may see."""
    query = query.where(policy.visible_complaints(current_user))
    return db.paginate(query, per_page=current_app.config["PAGE_SIZE"], max_per_page=100, error_out=False)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def home_url(user) -> str:
    if user.role in {Role.LOBBY_MANAGER, Role.BRANCH_HEAD}:
        return url_for("branch.queue")
    if user.role in policy.DEPARTMENT_ROLES:
        return url_for("department.queue")
    if user.role in policy.SEE_ALL_ROLES:
        return url_for("center.overview")
    if user.role == Role.ADMIN:
        return url_for("admin.index")
    return url_for("intake.mine")


def current_locale() -> str:
    return str(get_locale())


def local_datetime(value) -> str:
    """A moment (naive UTC, or aware) as the business time zone's yyyy-MM-dd HH:mm. The pattern is
    the same in every language, so this is strftime, not Babel's format_datetime (a queue page
    formats dozens, and Babel looks the locale up for each)."""
    if not value:
        return ""
    local = clock.to_local(value) if value.tzinfo is None else value.astimezone(clock.business_tz())
    return local.strftime("%Y-%m-%d %H:%M")


def waits_on(deadline) -> str:
    """Who must act for an open deadline, as the reminders address them."""
    from services.reminders import assignees   # here: reminders imports the services this module does
    return ", ".join(user.name for user in assignees(deadline))


def template_globals() -> dict:
    return {
        "ROLE_LABELS": ROLE_LABELS, "CHANNEL_LABELS": CHANNEL_LABELS, "STATE_LABELS": STATE_LABELS,
        "LEVEL_LABELS": LEVEL_LABELS, "DEADLINE_LABELS": DEADLINE_LABELS, "EVENT_LABELS": EVENT_LABELS,
        "KIND_LABELS": KIND_LABELS, "SATISFACTION_LABELS": SATISFACTION_LABELS, "CONTACT_LABELS": CONTACT_LABELS,
        "PLAN_STATE_LABELS": PLAN_STATE_LABELS, "DEADLINE_KINDS": DeadlineKind,
        "policy": policy, "current_locale": current_locale, "waits_on": waits_on,
        "is_overdue": deadlines.is_overdue, "now": clock.now, "home_url": home_url,
    }


def template_filters() -> dict:
    return {"local_dt": local_datetime}
