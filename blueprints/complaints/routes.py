from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from blueprints.complaints import bp
from blueprints.complaints.forms import AnswerForm, CloseForm, DispatchForm, ReturnForm
from blueprints.ui import current_locale, visible_complaint_or_404
from extensions import db
from models import Complaint, ComplaintEvent, Unit, User
from services import complaints as ops
from services import policy


def _dispatch_form(complaint: Complaint, submitted: bool = False) -> DispatchForm:
    form = DispatchForm() if submitted else DispatchForm(formdata=None)
    departments = ops.department_choices()
    form.unit.choices = [(0, _("Choose…"))] + [(u.id, u.display_name(current_locale())) for u in departments]
    people = db.session.scalars(select(User).where(User.unit_id.in_([u.id for u in departments]),
                                                   User.role.in_(policy.DEPARTMENT_ROLES),
                                                   User.active.is_(True)).order_by(User.unit_id, User.id))
    form.assignee.choices = [(0, _("Whole department"))] + [
        (u.id, f"{u.unit.display_name(current_locale())} · {u.name}") for u in people]
    if not submitted:
        suggestion = ops.suggested_department(complaint.category_id)
        form.unit.data = suggestion.id if suggestion else 0
    return form


def _forms(complaint: Complaint, submitted: dict) -> dict:
    """The action forms the current user may use on this complaint now; a submitted one is kept."""
    forms = {}
    if policy.can_dispatch(current_user, complaint):
        forms["dispatch"] = _dispatch_form(complaint)
    if policy.can_answer(current_user, complaint):
        forms["answer"] = AnswerForm(formdata=None)
    if policy.can_decide_answer(current_user, complaint):
        forms["close"] = CloseForm(formdata=None)
        forms["return"] = ReturnForm(formdata=None)
    forms.update((key, form) for key, form in submitted.items() if key in forms)
    for form in forms.values():
        if form.version.data is None:
            form.version.data = complaint.version
    return forms


def _render(complaint: Complaint, status: int = 200, submitted: dict | None = None):
    events = db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                     ComplaintEvent.action != "viewed").order_by(ComplaintEvent.id)).all()
    return render_template("complaints/show.html", complaint=complaint, events=events,
                           forms=_forms(complaint, submitted or {})), status


def _perform(complaint: Complaint, key: str, form, action):
    """Validate, run the transition, commit; a bad form or a concurrent change re-renders the page."""
    if not form.validate():
        return _render(complaint, 422, {key: form})
    try:
        action(form)
        db.session.commit()
    except (ops.StaleComplaint, StaleDataError):
        db.session.rollback()
        flash(_("Someone else changed this complaint while you had it open. Nothing of yours was "
                "saved over it: here is its current state, please check it and try again."), "error")
        return _render(db.session.get(Complaint, complaint.id), 409)
    return redirect(url_for("complaints.show", complaint_id=complaint.id), 303)


@bp.get("/<int:complaint_id>")
@login_required
def show(complaint_id: int):
    complaint = visible_complaint_or_404(complaint_id)
    ops.record_view(complaint, current_user)
    db.session.commit()
    return _render(complaint)


@bp.post("/<int:complaint_id>/dispatch")
@login_required
def dispatch(complaint_id: int):
    complaint = visible_complaint_or_404(complaint_id)

    def action(form):
        unit = db.session.get(Unit, form.unit.data)
        assignee = db.session.get(User, form.assignee.data) if form.assignee.data else None
        if unit is None:
            raise ops.ActionRefused()
        ops.dispatch_complaint(complaint, current_user, unit, assignee, (form.note.data or "").strip(),
                               expected_version=form.version.data)
    return _perform(complaint, "dispatch", _dispatch_form(complaint, submitted=True), action)


@bp.post("/<int:complaint_id>/answer")
@login_required
def answer(complaint_id: int):
    complaint = visible_complaint_or_404(complaint_id)
    return _perform(complaint, "answer", AnswerForm(), lambda form: ops.answer_complaint(
        complaint, current_user, form.cause.data.strip(), form.result.data.strip(),
        form.corrective_action.data.strip(), form.preventive_action.data.strip(),
        expected_version=form.version.data))


@bp.post("/<int:complaint_id>/close")
@login_required
def close(complaint_id: int):
    complaint = visible_complaint_or_404(complaint_id)
    return _perform(complaint, "close", CloseForm(), lambda form: ops.close_complaint(
        complaint, current_user, (form.comment.data or "").strip(), expected_version=form.version.data))


@bp.post("/<int:complaint_id>/return")
@login_required
def send_back(complaint_id: int):
    complaint = visible_complaint_or_404(complaint_id)
    return _perform(complaint, "return", ReturnForm(), lambda form: ops.return_answer(
        complaint, current_user, form.comment.data.strip(), expected_version=form.version.data))
