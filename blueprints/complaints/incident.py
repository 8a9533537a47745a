"""A concentrated incident's page (集中投诉): its complaints, and the actions taken on all of them at once."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from blueprints.complaints import bp
from blueprints.complaints.forms import AnswerFields, IncidentDispatchForm, ResultFields
from blueprints.complaints.routes import _conflict_message, _department_choices, _new
from extensions import db
from extensions import gettext as _
from models import Complaint, ContactChannel, Incident, Unit
from services import incidents, policy, routing
from services.complaints import ConflictOfInterest
from services.errors import Refused

# Who may take an incident's bulk action: whoever may take it on at least one of its complaints.
INCIDENT_POLICY = {"dispatch": policy.can_dispatch, "answer": policy.can_answer, "result": policy.can_give_result}


def _incident_allows(action: str, complaints: list[Complaint]) -> bool:
    return any(INCIDENT_POLICY[action](current_user, c) for c in complaints)


def _incident_forms(incident: Incident, complaints: list[Complaint], submitted: dict) -> dict:
    """The bulk actions the user may take on some complaint of the incident."""
    return {action: submitted.get(action) or _incident_form(action, submitted=False)
            for action in INCIDENT_POLICY if _incident_allows(action, complaints)}


def _incident_form(action: str, submitted: bool):
    form = _new(INCIDENT_ACTIONS[action][0], action, submitted)
    if action == "dispatch":
        form.unit.choices = _department_choices(routing.destinations(excluding=current_user.unit_id))
    return form


INCIDENT_ACTIONS = {
    "dispatch": (IncidentDispatchForm, lambda i, f: incidents.dispatch_incident(
        i, current_user, db.session.get(Unit, f.unit.data) or abort(400))),
    "answer": (AnswerFields, lambda i, f: incidents.answer_incident(
        i, current_user, f.cause.data.strip(), f.result.data.strip(), f.corrective_action.data.strip(),
        f.preventive_action.data.strip())),
    "result": (ResultFields, lambda i, f: incidents.give_incident_result(
        i, current_user, f.result.data.strip(), ContactChannel(f.channel.data))),
}


def _incident_or_404(incident_id: int) -> tuple[Incident, list[Complaint]]:
    incident = db.session.get(Incident, incident_id)
    complaints = incidents.incident_complaints(incident, current_user) if incident else []
    if not complaints:
        abort(404)
    return incident, complaints


def _render_incident(incident_id: int, status: int = 200, submitted: dict | None = None):
    incident, complaints = _incident_or_404(incident_id)
    return render_template("complaints/incident.html", incident=incident, complaints=complaints[:200],
                           total=len(complaints), forms=_incident_forms(incident, complaints, submitted or {})), status


@bp.get("/incidents/<int:incident_id>")
@login_required
def incident(incident_id: int):
    return _render_incident(incident_id)


@bp.post("/incidents/<int:incident_id>/<action>")
@login_required
def incident_act(incident_id: int, action: str):
    """One action for all the incident's complaints the user may act on, in one transaction."""
    if action not in INCIDENT_ACTIONS:
        abort(404)
    incident, complaints = _incident_or_404(incident_id)
    if not _incident_allows(action, complaints):
        abort(403)   # like a single complaint's action: refused before its form is read
    transition = INCIDENT_ACTIONS[action][1]
    form = _incident_form(action, submitted=True)
    if not form.validate():
        return _render_incident(incident_id, 422, {action: form})
    try:
        count = transition(incident, form)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone else changed one of these complaints meanwhile; nothing was saved. Please try again."),
              "error")
        return _render_incident(incident_id, 409, {action: form})   # what was typed stays in the form
    except ConflictOfInterest:
        db.session.rollback()
        form.unit.errors = [_conflict_message()]
        return _render_incident(incident_id, 422, {action: form})
    except Refused as refusal:   # one of the complaints may not take this step yet (its own message)
        db.session.rollback()
        if not (refusal.field and hasattr(form, refusal.field)):
            raise
        getattr(form, refusal.field).errors = [str(refusal.message)]
        return _render_incident(incident_id, 422, {action: form})
    flash(_("Done for %(count)s complaints.", count=count), "info")
    return redirect(url_for("complaints.incident", incident_id=incident_id), 303)
