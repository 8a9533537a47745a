"""Reclassifying a registered complaint: level, category, kind and the severity criteria change with a
reason. The clocks follow the new level, and a complaint that becomes major is announced and its plan
waits for approval, as if it had been registered major."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from extensions import db
from extensions import lazy_gettext as _l
from models import Category, Complaint, ComplaintKind, DeadlineKind, PlanState, User
from services import clock, deadlines, notify, policy, stuck_plans
from services.complaints import _check
from services.errors import Refused
from services.recipients import plan_approvers
from services.severity import TICKED, announce_major, applies
from services.timeline import log_event


@dataclass
class Classification:
    level: int
    category_id: int
    kind: ComplaintKind
    collective: bool
    litigation: bool
    media: bool
    compensation: bool
    collective_count: Optional[int] = None

    @classmethod
    def of(cls, complaint: Complaint) -> "Classification":
        return cls(complaint.level, complaint.category_id, complaint.kind, complaint.collective,
                   complaint.litigation, complaint.media, complaint.compensation, complaint.collective_count)


def reclassify_complaint(complaint: Complaint, actor: User, new: Classification, reason: str,
                         expected_version: Optional[int] = None) -> None:
    _check(policy.can_reclassify(actor, complaint), complaint, expected_version)
    category = db.session.get(Category, new.category_id)
    if category is None or (not category.active and category.id != complaint.category_id):
        raise Refused(_l("Choose an active category."), "category")
    if new.level not in (1, 2, 3):
        raise Refused(_l("Choose a level."), "level")
    if new.kind != complaint.kind and ComplaintKind.CONCENTRATED in (new.kind, complaint.kind):
        # A concentrated complaint belongs to its incident; that link is made at registration.
        raise Refused(_l("A complaint joins or leaves an incident only at registration."), "kind")
    for name in TICKED:   # a criterion the organisation does not apply is not set (one held may stay)
        if getattr(new, name) and not getattr(complaint, name) and not applies(name):
            raise Refused(_l("This organisation does not count this as making a complaint major."), name)
    was_major = complaint.is_major
    major = any((new.collective, new.litigation, new.media, new.compensation, complaint.repeated))
    if (new.level > complaint.level or (was_major and not major)) and not policy.can_make_milder(actor, complaint):
        raise Refused(_l("A milder level or severity needs the branch head or the service center."), "level")
    level_changed = new.level != complaint.level
    complaint.collective, complaint.litigation = new.collective, new.litigation
    complaint.collective_count = new.collective_count
    complaint.media, complaint.compensation = new.media, new.compensation
    complaint.level, complaint.category, complaint.category_id = new.level, category, category.id
    complaint.kind = new.kind
    now = clock.now()
    if level_changed:
        deadlines.recompute_by_level(complaint, now)
    log_event(complaint, actor, "reclassified", reason)
    if complaint.is_major and not was_major:
        _became_major(complaint, now)
    elif was_major and not complaint.is_major:
        deadlines.meet_deadline(complaint, DeadlineKind.PROGRESS, now)   # progress notes are for major ones


def _became_major(complaint: Complaint, now) -> None:
    """As registered major: the branch head and the leaders told, progress notes due, and a plan that
    held without approval (a general complaint's) now waits for its approver."""
    announce_major(complaint)
    plan = complaint.current_plan
    if plan is not None and plan.state == PlanState.APPROVED and plan.reviewer_id is None:
        plan.state = PlanState.PENDING
        deadlines.start_deadline(complaint, DeadlineKind.PLAN_APPROVAL, now)
        for user in plan_approvers(complaint):
            notify.queue_email(user, "plan_submitted", complaint_id=complaint.id, complaint=complaint, plan=plan)
        stuck_plans.tell_admins(complaint)
