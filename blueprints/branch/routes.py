from flask import render_template
from sqlalchemy import select

from blueprints.branch import bp
from blueprints.ui import is_htmx, paginate, role_required
from models import Complaint, ComplaintState, Role


@bp.get("/")
@role_required(Role.LOBBY_MANAGER, Role.BRANCH_HEAD)
def queue():
    """Every open complaint of the branch, the most urgent deadline first."""
    query = (select(Complaint).where(Complaint.state != ComplaintState.CLOSED)
             .order_by(Complaint.next_due_at.is_(None), Complaint.next_due_at, Complaint.id))
    page = paginate(query)
    return render_template("complaints/_table.html" if is_htmx() else "branch/queue.html", page=page)
