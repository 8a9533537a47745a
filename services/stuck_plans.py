"""Plans nobody may approve: policy.plan_approvers finds no one (every seat wrote the plan, is the person
complained about or is disabled, and the administrator named nobody for such plans, or disabled that
person). The administrators are e-mailed once per plan, when it is submitted or its approval clock
falls due, and their home page lists the complaints waiting until they name someone."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import and_, select, update
from sqlalchemy.orm import selectinload

from extensions import db
from models import Complaint, ComplaintState, Plan, PlanState, Role
from services import clock, notify
from services.recipients import plan_approvers, with_role
from services.timeline import log_event

RULES_PAGE = "/admin/rules#plan-approval"   # where the administrator names the person for such plans


def _waits_on_nobody(complaint: Complaint) -> bool:
    plan = complaint.current_plan
    return plan is not None and plan.state == PlanState.PENDING and not plan_approvers(complaint)


def tell_admins(complaint: Complaint) -> bool:
    """E-mail the administrators when the plan waiting on `complaint` has nobody to approve it. Once per
    plan: the plan is claimed with a conditional UPDATE in the caller's transaction, so its submission,
    each notice of its clock and two workers sweeping at once never tell them twice. Returns whether
    they were told now."""
    if not _waits_on_nobody(complaint):
        return False
    plan = complaint.current_plan
    if plan.id is None:
        db.session.flush()   # submitted in this transaction
    claimed = db.session.execute(update(Plan).where(Plan.id == plan.id, Plan.admins_told_at.is_(None))
                                 .values(admins_told_at=clock.now())).rowcount
    if not claimed:
        return False
    admins = with_role(Role.ADMIN)
    for admin in admins:   # the complaint's page is not theirs: the link is to where they act
        notify.queue_email(admin, "plan_without_approver", complaint_id=complaint.id, complaint=complaint,
                           plan=plan, link=current_app.config["PUBLIC_URL"] + RULES_PAGE)
    log_event(complaint, None, "plan_without_approver", ", ".join(admin.name for admin in admins))
    return True


def waiting_on_nobody() -> list[Complaint]:
    """The open complaints whose plan waits now for an approval nobody may give, the longest waiting
    first (the administrator's home page; pending plans are few, ix_plan_pending finds them)."""
    pending = db.session.scalars(
        select(Complaint).join(Plan, and_(Plan.complaint_id == Complaint.id, Plan.round == Complaint.round))
        .where(Plan.state == PlanState.PENDING, Complaint.state != ComplaintState.CLOSED)
        .order_by(Plan.submitted_at, Plan.id)
        .options(selectinload(Complaint.plans), selectinload(Complaint.unit), selectinload(Complaint.object_user)))
    return [complaint for complaint in pending if _waits_on_nobody(complaint)]
