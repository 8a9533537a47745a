from flask import current_app, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from blueprints.branch import bp
from blueprints.ui import is_htmx, paginate, role_required, unassigned_first
from extensions import db
from models import Complaint, ComplaintState, Plan, PlanState, Role, Unit, User
from services import clock, policy


@bp.get("/")
@role_required(Role.LOBBY_MANAGER, Role.BRANCH_HEAD)
def queue():
    """Every open complaint of the branch, those dispatched to it and not yet assigned first (the head
    assigns them), then the most urgent deadline first."""
    query = (select(Complaint).where(Complaint.state != ComplaintState.CLOSED)
             .options(selectinload(Complaint.assignee))
             .order_by(*unassigned_first(), Complaint.next_due_at.asc().nulls_last(), Complaint.id))
    page = paginate(query)
    return render_template("complaints/_table.html" if is_htmx() else "branch/queue.html", page=page,
                           show_assignee=True)


@bp.get("/approvals")
@role_required(*policy.PLAN_APPROVER_ROLES)
def approvals():
    """Plans of major complaints waiting for my approval, the oldest first (works on a phone)."""
    author, about = aliased(User), aliased(User)
    query = (select(Plan).join(Plan.complaint).join(Unit, Unit.id == Complaint.unit_id)
             .join(author, author.id == Plan.author_id)
             .outerjoin(about, about.id == Complaint.object_user_id)
             .where(Plan.state == PlanState.PENDING, Plan.author_id != current_user.id,
                    policy.plans_approved_by(current_user, author.role, about.role, about.unit_id))
             .options(contains_eager(Plan.complaint).contains_eager(Complaint.unit))
             .order_by(Plan.submitted_at, Plan.id))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("branch/approvals.html", page=page, now=clock.now())

