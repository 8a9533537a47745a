"""纠正及预防措施记录表 (where the profile keeps `capa_signoff`): the department fills it from the
complaint, the 分管领导 signs it off or sends it back, everyone who sees the complaint reads and prints it.
Every look at a record is a view of its complaint (its timeline)."""
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.reports import bp
from blueprints.reports.forms import CapaForm, SendBackForm, SignOffForm
from blueprints.reports.routes import REPORT_ROLES
from blueprints.ui import role_required, visible_complaint_or_404
from extensions import db, gettext as _
from services import capa, clock, org_settings, timeline
from services.errors import Refused
from services.labels import CAPA_STATE_LABELS, CAPA_STATUS_LABELS as STATUS_LABELS



def _on():
    if not capa.enabled():
        abort(404)


@bp.app_template_global()
def capa_record_of(complaint):
    return capa.record_of(complaint) if capa.enabled() else None


@bp.app_template_global()
def can_fill_capa(complaint):
    return capa.can_fill(current_user, complaint)


@bp.app_template_global()
def capa_enabled():
    return capa.enabled()


@bp.get("/capa")
@role_required(*REPORT_ROLES)
def capa_records():
    _on()
    status = request.args.get("status", "submitted")
    if status not in STATUS_LABELS:
        status = "submitted"
    page = db.paginate(capa.records_query(current_user, status), per_page=current_app.config["PAGE_SIZE"],
                       max_per_page=100, error_out=False)
    return render_template("reports/capa_records.html", page=page, status=status, statuses=STATUS_LABELS,
                           CAPA_STATE_LABELS=CAPA_STATE_LABELS)


def _blank_form(complaint) -> CapaForm:
    form = CapaForm(formdata=None)
    record, answer = capa.record_of(complaint), complaint.latest_answer
    if record is not None:   # after a send-back: the department fixes what it sent
        form.cause.data, form.correction.data, form.preventive.data = record.cause, record.correction, record.preventive
        form.responsible.data, form.due_date.data = record.responsible, record.due_date
    else:
        if answer is not None:
            form.cause.data, form.correction.data = answer.cause, answer.corrective_action
            form.preventive.data = answer.preventive_action
        form.responsible.data = current_user.name
        form.due_date.data = clock.to_local(clock.now()).date() + timedelta(days=3)
    return form


@bp.route("/capa/new/<int:complaint_id>", methods=["GET", "POST"])
@role_required(*REPORT_ROLES)
def capa_fill(complaint_id: int):
    _on()
    complaint = visible_complaint_or_404(complaint_id)
    if not capa.can_fill(current_user, complaint):
        abort(403)
    record = capa.record_of(complaint)
    if request.method == "GET":
        return render_template("reports/capa_fill.html", complaint=complaint, record=record,
                               form=_blank_form(complaint))
    form = CapaForm()
    if not form.validate():
        return render_template("reports/capa_fill.html", complaint=complaint, record=record, form=form), 422
    try:
        saved = capa.submit_record(complaint, current_user, form.cause.data.strip(), form.correction.data.strip(),
                                   form.preventive.data.strip(), form.responsible.data.strip(), form.due_date.data)
    except Refused as refusal:
        db.session.rollback()
        if not (refusal.field and hasattr(form, refusal.field)):
            raise
        getattr(form, refusal.field).errors = [str(refusal.message)]
        return render_template("reports/capa_fill.html", complaint=complaint, record=record, form=form), 422
    db.session.commit()
    flash(_("The record was submitted to the leader in charge for sign-off."), "success")
    return redirect(url_for("reports.capa_show", record_id=saved.id), 303)


def _record_or_404(record_id: int):
    _on()
    record = capa.get_record(record_id, current_user)
    if record is None:
        abort(404)
    return record


def _show(record, status: int = 200, sign_form=None, back_form=None):
    timeline.record_view(record.complaint, current_user)
    page = render_template("reports/capa_show.html", record=record, complaint=record.complaint,
                           can_sign=capa.can_sign(current_user, record),
                           can_fix=capa.can_fill(current_user, record.complaint),
                           sign_form=sign_form or SignOffForm(formdata=None, prefix="signoff"),
                           back_form=back_form or SendBackForm(formdata=None, prefix="back"),
                           CAPA_STATE_LABELS=CAPA_STATE_LABELS)
    db.session.commit()
    return page, status


@bp.get("/capa/<int:record_id>")
@role_required(*REPORT_ROLES)
def capa_show(record_id: int):
    return _show(_record_or_404(record_id))


@bp.get("/capa/<int:record_id>/print")
@role_required(*REPORT_ROLES)
def capa_print(record_id: int):
    record = _record_or_404(record_id)
    timeline.record_view(record.complaint, current_user)
    page = render_template("reports/capa_print.html", record=record, complaint=record.complaint,
                           organisation=org_settings.display_name(), CAPA_STATE_LABELS=CAPA_STATE_LABELS)
    db.session.commit()
    return page


@bp.post("/capa/<int:record_id>/signoff")
@role_required(*REPORT_ROLES)
def capa_sign_off(record_id: int):
    record = _record_or_404(record_id)
    if not capa.can_sign(current_user, record):
        abort(403)
    form = SignOffForm(prefix="signoff")
    if not form.validate():
        return _show(record, 422, sign_form=form)
    capa.sign_off(record, current_user, (form.comment.data or "").strip())
    db.session.commit()
    flash(_("Signed off: the customer may now be told the result."), "success")
    return redirect(url_for("reports.capa_show", record_id=record.id), 303)


@bp.post("/capa/<int:record_id>/return")
@role_required(*REPORT_ROLES)
def capa_send_back(record_id: int):
    record = _record_or_404(record_id)
    if not capa.can_sign(current_user, record):
        abort(403)
    form = SendBackForm(prefix="back")
    if not form.validate():
        return _show(record, 422, back_form=form)
    capa.send_back(record, current_user, form.reason.data.strip())
    db.session.commit()
    flash(_("Sent back to the department with your reason."), "success")
    return redirect(url_for("reports.capa_show", record_id=record.id), 303)
