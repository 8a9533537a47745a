"""The penalty proposals' pages. Where the organisation keeps no penalties every page is 404; where it
does, the center and the departments propose, and only the assessment unit decides and executes."""
from functools import wraps

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.penalties import bp
from blueprints.penalties.forms import DecideForm, ExecuteForm, ProposeForm
from blueprints.ui import current_locale, visible_complaint_or_404
from extensions import db, gettext as _, lazy_gettext as _l
from models import Penalty, PenaltyState
from services import clock, penalties, policy
from services.errors import Refused
from services.labels import PENALTY_STATE_LABELS
from services.timeline import record_view

STATUSES = {"waiting": _l("Waiting on us"), "done": _l("Decided and done")}


def allowed(check):
    """Signed in; 404 where the organisation keeps no penalties; 403 for whom `check` refuses."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not penalties.enabled():
                abort(404)
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


@bp.app_template_global()
def penalties_of(complaint):
    return penalties.penalties_of(complaint)


@bp.app_template_global()
def can_propose_penalty(complaint):
    return penalties.can_propose(current_user, complaint)


@bp.app_template_global()
def penalty_counts():
    """For the assessment unit's navigation and its 待我处理: what waits on it."""
    return penalties.waiting_counts(current_user)


def _refused(form, refusal: Refused) -> None:
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is None:
        abort(403)
    field.errors = list(field.errors) + [str(refusal.message)]


def _propose_form(submitted: bool) -> ProposeForm:
    form = ProposeForm() if submitted else ProposeForm(formdata=None)
    locale = current_locale()
    form.unit.choices = [(0, _("Choose…"))] + [(u.id, u.display_name(locale)) for u in penalties.target_units()]
    form.person.choices = [(0, _("The unit itself"))] + [
        (u.id, _("%(label)s: %(value)s", label=u.unit.display_name(locale), value=u.name))
        for u in penalties.target_people()]
    return form


@bp.route("/new/<int:complaint_id>", methods=["GET", "POST"])
@allowed(penalties.is_proposer)
def propose(complaint_id: int):
    complaint = visible_complaint_or_404(complaint_id)
    form = _propose_form(request.method == "POST")
    if request.method == "POST":
        if form.validate():
            try:
                penalties.propose_penalty(complaint, current_user, form.unit.data, form.person.data,
                                          form.reason.data, form.penalty.data)
            except Refused as refusal:
                _refused(form, refusal)
            else:
                db.session.commit()
                flash(_("Penalty proposal sent to the assessment unit."))
                return redirect(url_for("complaints.show", complaint_id=complaint.id), 303)
        return render_template("penalties/new.html", complaint=complaint, form=form), 422
    return render_template("penalties/new.html", complaint=complaint, form=form)


@bp.get("/")
@allowed(penalties.is_assessor)
def index():
    status = request.args.get("status", "waiting")
    if status not in STATUSES:
        status = "waiting"
    page = db.paginate(penalties.listing(status), per_page=current_app.config["PAGE_SIZE"], max_per_page=100,
                       error_out=False)
    return render_template("penalties/index.html", page=page, status=status, statuses=STATUSES,
                           STATES=PENALTY_STATE_LABELS)


def _penalty_or_404(penalty_id: int) -> Penalty:
    penalty = db.session.get(Penalty, penalty_id)
    if penalty is None:
        abort(404)
    return penalty


def _show(penalty: Penalty, decide_form=None, execute_form=None, status: int = 200):
    if decide_form is None:
        decide_form = DecideForm(formdata=None, penalty=penalty.proposed_penalty)
    if execute_form is None:
        execute_form = ExecuteForm(formdata=None, executed_on=clock.to_local(clock.now()).date())
    return render_template("penalties/show.html", penalty=penalty, complaint=penalty.complaint,
                           decide_form=decide_form, execute_form=execute_form, STATES=PENALTY_STATE_LABELS,
                           opens_case=policy.can_view(current_user, penalty.complaint)), status


@bp.get("/<int:penalty_id>")
@allowed(penalties.is_assessor)
def show(penalty_id: int):
    penalty = _penalty_or_404(penalty_id)
    record_view(penalty.complaint, current_user)    # the page shows what the complaint is about
    db.session.commit()
    return _show(penalty)


@bp.post("/<int:penalty_id>/decide")
@allowed(penalties.is_assessor)
def decide(penalty_id: int):
    penalty = _penalty_or_404(penalty_id)
    return _act(penalty, DecideForm(), "decide_form", _("Decision recorded."),
                lambda form: penalties.decide_penalty(penalty, current_user, form.decision.data == "accept",
                                                      form.penalty.data, form.note.data))


@bp.post("/<int:penalty_id>/execute")
@allowed(penalties.is_assessor)
def execute(penalty_id: int):
    penalty = _penalty_or_404(penalty_id)
    return _act(penalty, ExecuteForm(), "execute_form", _("Execution recorded."),
                lambda form: penalties.execute_penalty(penalty, current_user, form.executed_on.data,
                                                       form.note.data))


def _act(penalty: Penalty, form, form_name: str, done: str, step):
    """One step on a proposal: a valid form runs `step`; a refusal about a field marks it (422), one
    about the proposal's state answers 409; done, the page says so."""
    if form.validate():
        try:
            step(form)
        except Refused as refusal:
            if not refusal.field:
                return _refused_page(penalty, refusal)
            _refused(form, refusal)
        else:
            db.session.commit()
            flash(done)
            return redirect(url_for("penalties.show", penalty_id=penalty.id), 303)
    return _show(penalty, status=422, **{form_name: form})


def _refused_page(penalty: Penalty, refusal: Refused):
    """A step the proposal's state does not allow (decided twice, executing a rejected one): 409 with why."""
    db.session.rollback()
    flash(str(refusal.message))
    return _show(penalty, status=409)


bp.add_app_template_global(PenaltyState, "PenaltyState")
bp.add_app_template_global(PENALTY_STATE_LABELS, "PENALTY_STATE_LABELS")
