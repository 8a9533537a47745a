"""The administrator hands every open case of an account to someone who may take it (services.handover.colleagues)
before disabling it: services.organisation.set_user_active refuses while cases rest on it."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from blueprints.admin import bp
from blueprints.admin.organisation import _user_choices
from blueprints.admin.forms import UserFields
from blueprints.complaints.forms import HandOverFields
from blueprints.ui import role_required
from extensions import db, gettext as _
from models import Role, User
from services import handover
from services.errors import Refused


def _form(user: User, submitted: bool = False) -> HandOverFields:
    form = HandOverFields(prefix="handover") if submitted else HandOverFields(formdata=None, prefix="handover")
    form.new_owner.choices = [(0, _("Choose…"))] + [(u.id, u.name) for u in handover.colleagues(user)]
    return form


@bp.context_processor
def _handover_of():
    """The user's page shows the open cases resting on the account and the form that hands them over."""
    def handover_of(user: User):
        cases = handover.open_cases_of(user)
        return cases, (_form(user) if cases else None)
    return {"handover_of": handover_of}


@bp.post("/users/<int:user_id>/handover")
@role_required(Role.ADMIN)
def hand_over_all(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = _form(user, submitted=True)
    if form.validate():
        successor = db.session.get(User, form.new_owner.data)
        try:
            if successor is None:
                raise Refused(handover.NOT_A_SUCCESSOR, "new_owner")
            count = handover.hand_over_all(user, current_user, successor, form.reason.data.strip())
            db.session.commit()
            flash(_("%(count)s open cases handed over to %(name)s.", count=count, name=successor.name), "info")
            return redirect(url_for("admin.edit_user", user_id=user_id), 303)
        except Refused as refusal:
            db.session.rollback()
            form.new_owner.errors = [str(refusal.message)]
    user = db.session.get(User, user_id)
    fields = UserFields(formdata=None, name=user.name, email=user.email, role=user.role.value, unit=user.unit_id)
    _user_choices(fields)
    return render_template("admin/user.html", user=user, form=fields, handover_form=form), 422
