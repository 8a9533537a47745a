from flask import current_app, render_template
from sqlalchemy import Select, bindparam, func, select

from blueprints.center import bp
from blueprints.listing import ListQuery, built_once, open_by_urgency, page_for, visible_to
from blueprints.ui import is_htmx, reads_only, role_required
from extensions import db
from models import Complaint, ComplaintState, Deadline, DeadlineKind, Incident, Role
from services import clock
from services.customer import to_tell_by_phone
from services.my_work import Reader


@bp.get("/")
@reads_only
@role_required(Role.CENTER, Role.LEADER)
def overview():
    """All open complaints across the organisation, the most urgent first, with counts by state."""
    page = page_for(_open_by_urgency)
    if is_htmx():
        return render_template("complaints/_table.html", page=page)
    rows = db.session.connection().execute(_BY_STATE, {"now": clock.now()}).all()
    by_state = {state: count for state, count, _ in rows}
    counts = [(state, by_state.get(state, 0)) for state in ComplaintState if state != ComplaintState.CLOSED]
    overdue = sum(late for _, _, late in rows)
    return render_template("center/overview.html", page=page, counts=counts, overdue=overdue,
                           phone_calls=to_tell_by_phone())


# Each state's open complaints and how many are overdue: one pass over the open ones (built once).
_BY_STATE = (select(Complaint.state, func.count(),
                    func.count().filter(Complaint.next_due_at < bindparam("now", type_=Complaint.next_due_at.type)))
             .where(Complaint.state != ComplaintState.CLOSED).group_by(Complaint.state))


@bp.get("/visits")
@reads_only
@role_required(Role.CENTER)
def visits():
    """The return-visit queue: results given to customers, the visit due soonest first."""
    end_of_today = clock.from_local(clock.to_local(clock.now()).replace(hour=23, minute=59, second=59))
    page = page_for(_awaiting_visit, clock_kind=DeadlineKind.RETURN_VISIT)
    due_today = db.session.scalar(
        select(func.count()).select_from(Deadline).where(
            Deadline.kind == DeadlineKind.RETURN_VISIT, Deadline.met_at.is_(None), Deadline.due_at <= end_of_today))
    template = "complaints/_table.html" if is_htmx() else "center/visits.html"
    return render_template(template, page=page, due_today=due_today, clock_kind=DeadlineKind.RETURN_VISIT)


@built_once
def _open_by_urgency(reader: Reader) -> ListQuery:
    """The overview's ids: an index gives the order, so the page is read from it and counted apart."""
    return ListQuery.of(open_by_urgency().where(visible_to(reader)), index_ordered=True)


@built_once
def _awaiting_visit(reader: Reader) -> Select:
    return (select(Complaint.id).join(Deadline, (Deadline.complaint_id == Complaint.id)
                                      & (Deadline.kind == DeadlineKind.RETURN_VISIT) & Deadline.met_at.is_(None))
            .where(Complaint.state == ComplaintState.AWAITING_VISIT, visible_to(reader))
            .order_by(Deadline.due_at, Complaint.id))


@bp.get("/incidents")
@role_required(Role.CENTER, Role.LEADER)
def incidents():
    """Incidents behind concentrated complaints, newest first, each with its number of complaints."""
    page = db.paginate(select(Incident).order_by(Incident.id.desc()),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    counts = dict(db.session.execute(
        select(Complaint.incident_id, func.count()).where(Complaint.incident_id.in_([i.id for i in page.items]))
        .group_by(Complaint.incident_id)).all())
    return render_template("center/incidents.html", page=page, counts=counts)
