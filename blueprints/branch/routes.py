import functools

from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import aliased, contains_eager
from sqlalchemy.orm.exc import StaleDataError

from blueprints.branch import bp
from blueprints.branch.forms import ApprovalForm
from blueprints.listing import BoundPage, built_once, page_for, unassigned_first, visible_to
from blueprints.ui import allowed_if, is_htmx, reads_only, role_required
from extensions import db, gettext as _
from models import Complaint, ComplaintState, Plan, PlanState, Role, Unit, User
from services import clock, complaints, my_work, policy


@bp.get("/")
@reads_only
@role_required(Role.LOBBY_MANAGER, Role.BRANCH_HEAD)
def queue():
    """Every open complaint of the branch, those dispatched to it and not yet assigned first (the head
    assigns them), then the most urgent deadline first."""
    page = page_for(_queue)
    return render_template("complaints/_table.html" if is_htmx() else "branch/queue.html", page=page,
                           show_assignee=True)


@built_once
def _queue(reader: my_work.Reader) -> Select:
    return (select(Complaint.id).where(Complaint.state != ComplaintState.CLOSED, visible_to(reader))
            .order_by(*unassigned_first(reader), Complaint.next_due_at.asc().nulls_last(), Complaint.id))


def _approval_form(plan: Plan, submitted: bool = False) -> ApprovalForm:
    """The form of one card; its fields are prefixed with the plan, so the cards' ids never collide."""
    prefix = f"plan{plan.id}"
    form = ApprovalForm(prefix=prefix) if submitted else ApprovalForm(prefix=prefix, formdata=None)
    if form.version.data is None:
        form.version.data = plan.complaint.version
    return form


@bp.get("/approvals")
@allowed_if(policy.reviews_plans)   # the approving roles, and the person named for plans nobody else may approve
def approvals(submitted: dict | None = None, status: int = 200):
    """Plans of major complaints waiting for my approval, the oldest first (works on a phone); each
    approved or rejected on the spot."""
    statement, count = _plans_waiting(my_work.Reader.of(current_user))
    page = BoundPage(statement=statement, counting=count, values=my_work.Reader.values(current_user),
                     per_page=current_app.config["PAGE_SIZE"], error_out=False)
    forms = {plan.id: (submitted or {}).get(plan.id) or _approval_form(plan) for plan in page.items}
    return render_template("branch/approvals.html", page=page, now=clock.now(), forms=forms), status


@functools.cache
def _plans_waiting(reviewer: my_work.Reader) -> tuple[Select, Select]:
    """A page of the plans waiting for a reviewer of this shape, the oldest first, and how many there
    are: built once per shape, as 待我处理's groups are (the plan seats' 32 cases cost more to build
    than to run, 20 ms a request for the leader); the reviewer's id and unit are bound when they run."""
    author, about = aliased(User), aliased(User)
    waiting = (select(Plan).join(Plan.complaint).join(Unit, Unit.id == Complaint.unit_id)
               .join(author, author.id == Plan.author_id)
               .outerjoin(about, about.id == Complaint.object_user_id)
               .where(Plan.state == PlanState.PENDING, Plan.author_id != reviewer.id,
                      policy.plans_approved_by(reviewer, author, about, Unit, reviewer.leaders_plans,
                                               reviewer.named_for_plans)))
    page = (waiting.options(contains_eager(Plan.complaint).contains_eager(Complaint.unit))
            .order_by(Plan.submitted_at, Plan.id).limit(bindparam("page_limit")).offset(bindparam("page_offset")))
    count = select(func.count()).select_from(waiting.with_only_columns(Plan.id).subquery())
    return page, count


@bp.post("/approvals/<int:plan_id>")
@allowed_if(policy.reviews_plans)
def review(plan_id: int):
    """Approve or reject one plan from the approvals page. With HTMX the card is replaced by what
    happened and the response announces `work-changed` (the navigation's counts reload); without,
    back to the page with a message."""
    plan = db.session.get(Plan, plan_id)
    if plan is None or not policy.can_view(current_user, plan.complaint):
        abort(404)
    complaint = plan.complaint
    if plan is not complaint.current_plan or not policy.can_review_plan(current_user, complaint):
        if plan.state == PlanState.PENDING:
            abort(403)
        return _done(plan, _("This plan was already reviewed."), 409)
    form = _approval_form(plan, submitted=True)
    if not form.validate():
        if is_htmx():
            return render_template("branch/_approval.html", plan=plan, form=form, now=clock.now()), 422
        return approvals(submitted={plan.id: form}, status=422)
    try:
        complaints.review_plan(complaint, current_user, form.decision.data == "approve",
                               (form.comment.data or "").strip(), expected_version=form.version.data)
        db.session.commit()
    except (complaints.StaleComplaint, StaleDataError):
        db.session.rollback()
        return _done(db.session.get(Plan, plan_id), _("Someone else changed this complaint meanwhile; "
                                                      "open it to see its current state."), 409)
    approved = plan.state == PlanState.APPROVED
    message = (_("Plan of %(number)s approved; its author is told.", number=complaint.number) if approved
               else _("Plan of %(number)s rejected; its author is told and writes a new one.",
                      number=complaint.number))
    return _done(plan, message, 200)


def _done(plan: Plan, message: str, status: int):
    if not is_htmx():
        flash(message, "success" if status == 200 else "error")
        return redirect(url_for("branch.approvals"), 303)
    response = make_response(render_template("branch/_approval_done.html", plan=plan, message=message), status)
    response.headers["HX-Trigger"] = "work-changed"
    return response
