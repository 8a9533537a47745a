from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from blueprints.department import bp
from blueprints.listing import paginate, unassigned_first
from blueprints.ui import is_htmx, role_required
from models import Complaint, ComplaintState, Deadline, DeadlineKind, Role
from services import policy


@bp.get("/")
@role_required(Role.DEPT_STAFF, Role.DEPT_HEAD)
def queue():
    """Complaints routed to my department and waiting for its answer: those nobody was assigned first
    (the head assigns them), then the nearest answer deadline first."""
    query = (select(Complaint)
             .join(Deadline, (Deadline.complaint_id == Complaint.id) & (Deadline.kind == DeadlineKind.ANSWER)
                   & Deadline.met_at.is_(None))
             .where(Complaint.state == ComplaintState.DISPATCHED)
             .order_by(*unassigned_first(), Deadline.due_at, Complaint.id))
    page = paginate(query, visible=policy.dispatched_to_unit(current_user), clock_kind=DeadlineKind.ANSWER)
    return render_template("complaints/_table.html" if is_htmx() else "department/queue.html", page=page,
                           clock_kind=DeadlineKind.ANSWER, show_assignee=True)
