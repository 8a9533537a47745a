from flask import render_template
from sqlalchemy import Select, select

from blueprints.department import bp
from blueprints.listing import built_once, page_for, unassigned_first
from blueprints.ui import is_htmx, reads_only, role_required
from models import Complaint, ComplaintState, Deadline, DeadlineKind, Role
from services import policy
from services.my_work import Reader


@bp.get("/")
@reads_only
@role_required(Role.DEPT_STAFF, Role.DEPT_HEAD)
def queue():
    """Complaints routed to my department and waiting for its answer: those nobody was assigned first
    (the head assigns them), then the nearest answer deadline first."""
    page = page_for(_queue, clock_kind=DeadlineKind.ANSWER)
    return render_template("complaints/_table.html" if is_htmx() else "department/queue.html", page=page,
                           clock_kind=DeadlineKind.ANSWER, show_assignee=True)


@built_once
def _queue(reader: Reader) -> Select:
    """The queue's ids: of what the department's people may see, only what was dispatched to it."""
    return (select(Complaint.id)
            .join(Deadline, (Deadline.complaint_id == Complaint.id) & (Deadline.kind == DeadlineKind.ANSWER)
                  & Deadline.met_at.is_(None))
            .where(Complaint.state == ComplaintState.DISPATCHED, policy.dispatched_to_unit(reader))
            .order_by(*unassigned_first(reader), Deadline.due_at, Complaint.id))
