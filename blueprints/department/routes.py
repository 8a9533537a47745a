from flask import render_template
from sqlalchemy import select

from blueprints.department import bp
from blueprints.ui import is_htmx, paginate, role_required
from models import Complaint, ComplaintState, Role


@bp.get("/")
@role_required(Role.DEPT_STAFF, Role.DEPT_HEAD)
def queue():
    """Complaints routed to my department and waiting for its answer, the nearest deadline first."""
    query = (select(Complaint).where(Complaint.state == ComplaintState.DISPATCHED)
             .order_by(Complaint.next_due_at, Complaint.id))
    page = paginate(query)
    return render_template("complaints/_table.html" if is_htmx() else "department/queue.html", page=page)
