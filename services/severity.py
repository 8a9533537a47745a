"""A complaint becoming major (重大): the organisation's criteria of a major complaint, the
announcement to the branch head and the leaders with its progress clock, and the repeat detection
(3 or more complainants) that makes complaints major.

The criteria are the product's (collective, litigation, media, compensation, repeated); a profile
names those the organisation applies, each with its own description (stored on the organisation's
row when the profile is applied). A criterion the organisation does not apply is never offered and
never set (the forms and the services refuse it, the repeat detection leaves it), so
models.Complaint.is_major, which reads every flag, follows the organisation's criteria."""
from __future__ import annotations

import functools
from datetime import timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import Integer, Row, Select, bindparam, distinct, func, or_, select

from extensions import db
from models import Complaint, ComplaintState, DeadlineKind, Role, RuleSetting, User
from services import audit, clock, deadlines, kept, notify, org_settings, policy, similarity, sql, textsim
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


REPEAT_SIMILARITY = "repeat_similarity"   # the administrator's setting (models.RuleSetting)


def repeat_similarity() -> float:
    """How alike (0-1) complaints of the category must be written for the repeat rule to count them
    as the same issue: the administrator's setting, else the deployment's REPEAT_SIMILARITY (0: the
    same object only). Kept between requests until a setting changes (services.kept)."""
    def load():
        row = db.session.get(RuleSetting, REPEAT_SIMILARITY)
        return row.value if row is not None else None
    stored = kept.kept(REPEAT_SIMILARITY, RuleSetting, load)
    return current_app.config["REPEAT_SIMILARITY"] if stored is None else stored


def set_repeat_similarity(value: float) -> None:
    """The administrator's threshold (0 < value <= 1; the caller validates, audits and commits)."""
    row = db.session.get(RuleSetting, REPEAT_SIMILARITY)
    if row is None:
        db.session.add(RuleSetting(key=REPEAT_SIMILARITY, value=value))
    else:
        row.value = value
    db.session.flush()


def _alike(complaint: Complaint, terms: Optional[frozenset[str]] = None) -> dict[int, tuple]:
    """The complaints written alike enough to count with this one (services.similarity): id → (score,
    shared terms); `terms`, the complaint's, when the caller has them."""
    threshold = repeat_similarity()
    if not threshold:
        return {}
    return similarity.alike(complaint, threshold, timedelta(days=current_app.config["REPEAT_WINDOW_DAYS"]),
                            found=terms)


def _same_complaint(complaint: Complaint, alike: Optional[dict] = None) -> tuple[tuple, dict]:
    """The conditions for complaints about the same issue in the same category within the repeat
    window around this one — the same object, or written alike (repeat_similarity) — left out those
    under an incident (their incident already links them); and their parameters, to be given with
    each statement that asks them."""
    window = timedelta(days=current_app.config["REPEAT_WINDOW_DAYS"])
    alike = _alike(complaint) if alike is None else alike
    values = {"same_category": complaint.category_id, "same_object": complaint.object_text,
              "same_since": complaint.registered_at - window, "same_until": complaint.registered_at + window}
    if alike:
        values["same_alike"] = list(alike)
    return _same_conditions(bool(alike), sql.dialect()), values


@functools.lru_cache(maxsize=4)
def _same_conditions(with_alike: bool, dialect_name: str) -> tuple:
    """_same_complaint's conditions, the complaint's values as parameters: built once (every
    registration counts the complainants, and building the statement cost as much as running it)."""
    same_issue = Complaint.object_text == bindparam("same_object", type_=Complaint.object_text.type)
    if with_alike:
        same_issue = or_(same_issue, sql.among_given(Complaint.id, "same_alike", dialect_name))
    moment = Complaint.registered_at.type
    return (Complaint.category_id == bindparam("same_category", type_=Integer), same_issue,
            Complaint.incident_id.is_(None), Complaint.registered_at >= bindparam("same_since", type_=moment),
            Complaint.registered_at <= bindparam("same_until", type_=moment))


@functools.lru_cache(maxsize=4)
def _complainants(with_alike: bool, dialect_name: str) -> Select:
    """How many different customers complain of the same complaint (_same_conditions): built once."""
    return select(func.count(distinct(func.lower(Complaint.customer_contact)))).where(
        *_same_conditions(with_alike, dialect_name))


def _why(complaint: Complaint, other: Complaint, alike: dict, same: tuple, values: dict) -> tuple[str, str]:
    """Why `other` is counted with the complaint just registered, as its timeline says it: the same
    object, or written alike (score, threshold and the words shared, from its own text). The complaint
    itself: by the same object if another has it, else by the counted complaint most like it."""
    if other.id == complaint.id:
        if db.session.scalar(select(func.count()).select_from(Complaint).where(
                *same, Complaint.id != complaint.id, Complaint.object_text == complaint.object_text), values):
            return "repeat_same_object", complaint.object_text
        counted = set(db.session.scalars(select(Complaint.id).where(*same, Complaint.id != complaint.id), values))
        best = max((entry for entry in alike.items() if entry[0] in counted), key=lambda e: e[1][0], default=None)
        if best is None:
            return "repeat_same_object", complaint.object_text
        score, shared = best[1]
    elif other.object_text == complaint.object_text or other.id not in alike:
        return "repeat_same_object", other.object_text
    else:
        score, shared = alike[other.id]
    words = "、".join(textsim.shared_words(shared, other.object_text, other.content, limit=4))
    return "repeat_alike", f"{score:.2f}|{repeat_similarity():.2f}|{words}"


def detect_repeats(complaint: Complaint, terms: Optional[frozenset[str]] = None) -> list[Complaint]:
    """The same complaint (the same object, or written alike, in the same category) from 3 or more
    different complainants within the window makes every one of them major; each one's timeline says
    why it was counted. Returns the complaints newly raised. Concentrated complaints are left out:
    their incident already links them. The complainants are counted in the database and only the
    complaints not yet marked are loaded: an object complained about hundreds of times costs the same
    as one complained about three times."""
    if not applies("repeated"):
        return []   # the organisation does not count repeats as major
    if complaint.incident_id is not None or not complaint.object_text.strip():
        # No object yet (an e-mail, until the center assesses it): nothing to be the same as.
        return []
    alike = _alike(complaint, terms)
    same, values = _same_complaint(complaint, alike)
    # Planned for the values: how many complaints an object or a set of alike ones has varies
    # from none to thousands, and a prepared statement's generic plan cannot tell.
    with sql.planned_each_time():
        if db.session.scalar(_complainants("same_alike" in values, sql.dialect()), values) < 3:
            return []
        # A count, not the numbers: the timeline is read in every unit, the others' numbers are theirs.
        counted = db.session.scalar(select(func.count()).select_from(Complaint).where(*same), values)
        raised = []
        for other in db.session.scalars(select(Complaint).where(*same, Complaint.repeated.is_(False))
                                        .order_by(Complaint.id), values).all():
            was_major = other.is_major
            audit.remember(other)   # so its timeline records the change (and the severity it makes)
            other.repeated = True
            log_event(other, None, "repeat_detected", str(counted))
            log_event(other, None, *_why(complaint, other, alike, same, values))
            if not was_major:
                announce_major(other)
                raised.append(other)
    return raised


def similar_complaints(complaint: Complaint, viewer: User) -> tuple[list[Row], int]:
    """The other complaints counted with this one by the repeat detection that `viewer` may open
    (their ids and numbers: what the page links), and how many others there are."""
    if not complaint.repeated:
        return [], 0
    same, values = _same_complaint(complaint)
    same = (*same, Complaint.id != complaint.id)
    with sql.planned_each_time():   # as detect_repeats
        shown = list(db.session.execute(select(Complaint.id, Complaint.number).where(*same, policy.visible_complaints(viewer))
                                        .order_by(Complaint.id).limit(50), values))
        return shown, db.session.scalar(select(func.count()).select_from(Complaint).where(*same), values) - len(shown)
