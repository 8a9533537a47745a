from flask import render_template
from sqlalchemy import func, select

from blueprints.center import bp
from blueprints.ui import is_htmx, paginate, role_required
from extensions import db
from models import Complaint, ComplaintState, Role
from services import clock


@bp.get("/")
@role_required(Role.CENTER, Role.LEADER)
def overview():
    """All open complaints across the organisation, the most urgent first, with counts by state."""
    query = (select(Complaint).where(Complaint.state != ComplaintState.CLOSED)
             .order_by(Complaint.next_due_at.is_(None), Complaint.next_due_at, Complaint.id))
    page = paginate(query)
    if is_htmx():
        return render_template("complaints/_table.html", page=page)
    by_state = dict(db.session.execute(
        select(Complaint.state, func.count()).where(Complaint.state != ComplaintState.CLOSED)
        .group_by(Complaint.state)).all())
    counts = [(state, by_state.get(state, 0)) for state in ComplaintState if state != ComplaintState.CLOSED]
    overdue = db.session.scalar(select(func.count()).select_from(Complaint).where(
        Complaint.state != ComplaintState.CLOSED, Complaint.next_due_at < clock.now()))
    return render_template("center/overview.html", page=page, counts=counts, overdue=overdue)
