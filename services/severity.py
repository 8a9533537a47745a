"""A complaint becoming major (重大): the organisation's criteria of a major complaint, the
announcement to the branch head and the leaders with its progress clock, and the repeat detection
(3 or more complainants) that makes complaints major.

The criteria are the product's (collective, litigation, media, compensation, repeated); a profile
names those the organisation applies, each with its own description (stored on the organisation's
row when the profile is applied). A criterion the organisation does not apply is never offered and
never set (the forms and the services refuse it, the repeat detection leaves it), so
models.Complaint.is_major, which reads every flag, follows the organisation's criteria."""
from __future__ import annotations

from datetime import timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import distinct, func, or_, select

from extensions import db
from models import Complaint, ComplaintState, DeadlineKind, Role, User
from services import audit, clock, deadlines, notify, org_settings, policy, similarity
from services.recipients import leaders, unit_members
from services.timeline import log_event

# The product's criteria, in the order the forms ask them; `repeated` is detected, never ticked.
CRITERIA = ("collective", "litigation", "media", "compensation", "repeated")
TICKED = ("collective", "litigation", "media", "compensation")


def criteria() -> dict[str, Optional[str]]:
    """The criteria the organisation applies, in the product's order, with its own description of each
    (None: the product's words only). Every one of the product's where no profile named them (a
    database set up before organisations had their own row)."""
    stored = org_settings.record_setting("severity")
    if stored is None:
        return dict.fromkeys(CRITERIA)
    described = {item["criterion"]: item.get("description") for item in stored}
    return {name: described[name] for name in CRITERIA if name in described}


def applies(criterion: str) -> bool:
    return criterion in criteria()


def announce_major(complaint: Complaint) -> None:
    """Major complaints go to the branch head and the leaders at once, and need progress notes."""
    if complaint.state != ComplaintState.CLOSED and complaint.open_deadline(DeadlineKind.PROGRESS) is None:
        deadlines.start_deadline(complaint, DeadlineKind.PROGRESS, clock.now())
    recipients = unit_members(complaint.unit_id, {Role.BRANCH_HEAD}) + leaders()
    for user in recipients:
        notify.queue_email(user, "major", complaint_id=complaint.id, complaint=complaint)
    log_event(complaint, None, "major_reported", ", ".join(u.name for u in recipients))


def _same_complaint(complaint: Complaint) -> tuple:
    """The conditions for complaints about the same object in the same category within the repeat
    window around this one, left out those under an incident (their incident already links them).
    With REPEAT_SIMILARITY set (0-1), complaints of the category written alike count too."""
    window = timedelta(days=current_app.config["REPEAT_WINDOW_DAYS"])
    same_issue = Complaint.object_text == complaint.object_text
    if current_app.config["REPEAT_SIMILARITY"]:   # also what is written alike (services.similarity)
        alike = similarity.alike_ids(complaint, current_app.config["REPEAT_SIMILARITY"], window)
        same_issue = or_(same_issue, Complaint.id.in_(alike)) if alike else same_issue
    return (Complaint.category_id == complaint.category_id, same_issue,
            Complaint.incident_id.is_(None), Complaint.registered_at >= complaint.registered_at - window,
            Complaint.registered_at <= complaint.registered_at + window)


def detect_repeats(complaint: Complaint) -> list[Complaint]:
    """The same complaint (object and category) from 3 or more different complainants within the
    window makes every one of them major. Returns the complaints newly raised. Concentrated
    complaints are left out: their incident already links them. The complainants are counted in
    the database and only the complaints not yet marked are loaded: an object complained about
    hundreds of times costs the same as one complained about three times."""
    if not applies("repeated"):
        return []   # the organisation does not count repeats as major
    if complaint.incident_id is not None or not complaint.object_text.strip():
        # No object yet (an e-mail, until the center assesses it): nothing to be the same as.
        return []
    same = _same_complaint(complaint)
    complainants = db.session.scalar(
        select(func.count(distinct(func.lower(Complaint.customer_contact)))).where(*same))
    if complainants < 3:
        return []
    # A count, not the numbers: the timeline is read in every unit, the others' numbers are theirs.
    counted = db.session.scalar(select(func.count()).select_from(Complaint).where(*same))
    raised = []
    for other in db.session.scalars(select(Complaint).where(*same, Complaint.repeated.is_(False))
                                    .order_by(Complaint.id)).all():
        was_major = other.is_major
        audit.remember(other)   # so its timeline records the change (and the severity it makes)
        other.repeated = True
        log_event(other, None, "repeat_detected", str(counted))
        if not was_major:
            announce_major(other)
            raised.append(other)
    return raised


def similar_complaints(complaint: Complaint, viewer: User) -> tuple[list[Complaint], int]:
    """The other complaints counted with this one by the repeat detection that `viewer` may open,
    and how many others there are."""
    if not complaint.repeated:
        return [], 0
    same = (*_same_complaint(complaint), Complaint.id != complaint.id)
    shown = list(db.session.scalars(select(Complaint).where(*same, policy.visible_complaints(viewer))
                                    .order_by(Complaint.id).limit(50)))
    return shown, db.session.scalar(select(func.count()).select_from(Complaint).where(*same)) - len(shown)
