"""The periodic reports' pages: my unit's reports and those of the units below, one report with its
generated figures (and the reports under it), its submission and its reading. Off (404, no menu
entry) where the organisation's profile keeps no such reports."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints.periodic import bp
from blueprints.periodic.forms import AnalysisForm, AnnualForm, MonthlyForm, ReadForm
from blueprints.ui import role_required
from extensions import db, gettext as _
from models import PeriodicReport, ReportKind, Role, Unit
from services import periodic, periods
from services.errors import Refused
from services.labels import (CAUSE_LABELS, REPORT_FIGURE_LABELS, REPORT_KIND_LABELS, REPORT_PART_LABELS,
                             REPORT_STATUS_LABELS, SATISFACTION_LABELS)

ROLES = tuple(periodic.WRITER_ROLES | {Role.LEADER})
LISTED = 60   # reports per list: five years of a unit's monthly and quarterly reports


@bp.app_template_global()
def sees_periodic_reports(user) -> bool:
    return user.role in ROLES and periodic.enabled()


def _enabled() -> None:
    if not periodic.enabled():
        abort(404)


def _report_or_404(report_id: int) -> PeriodicReport:
    _enabled()
    report = db.session.get(PeriodicReport, report_id)
    if report is None or not periodic.can_view(current_user, report):
        abort(404)
    return report


def _listed(*conditions):
    return list(db.session.scalars(
        select(PeriodicReport).join(Unit, Unit.id == PeriodicReport.unit_id)
        .where(periodic.visible_reports(current_user), *conditions)
        .order_by(PeriodicReport.due_date.desc(), PeriodicReport.level.desc(), Unit.code).limit(LISTED)))


@bp.get("/")
@role_required(*ROLES)
def index():
    _enabled()
    if periodic.ensure_reports():
        db.session.commit()
    mine = _listed(PeriodicReport.unit_id == current_user.unit_id)
    below = _listed(PeriodicReport.unit_id != current_user.unit_id)
    return render_template("periodic/index.html", mine=mine, below=below, today=periods.today(),
                           has_own=periodic.user_level(current_user) is not None, **_labels())


def _labels() -> dict:
    return {"REPORT_KINDS": REPORT_KIND_LABELS, "STATUS_LABELS": REPORT_STATUS_LABELS, "status": periodic.status,
            "on_time": periodic.on_time}


def _form(report: PeriodicReport, submitted: bool):
    form_class = {ReportKind.QUARTERLY: AnalysisForm, ReportKind.ANNUAL: AnnualForm}.get(report.kind, MonthlyForm)
    return form_class() if submitted else form_class(formdata=None)


def _page(report: PeriodicReport, form=None, error=None, status: int = 200):
    writable = periodic.can_write(current_user, report)
    if form is None and writable:
        form = _form(report, submitted=False)
    return render_template(
        "periodic/show.html", report=report, figures=periodic.figures_of(report), form=form if writable else None,
        error=error, read_form=ReadForm(formdata=None) if periodic.can_mark_read(current_user, report) else None,
        PARTS=periodic.PARTS, PART_LABELS=REPORT_PART_LABELS, FIGURE_LABELS=REPORT_FIGURE_LABELS,
        CAUSE_LABELS_BY_VALUE={kind.value: label for kind, label in CAUSE_LABELS.items()},
        RATING_LABELS={rating.value: label for rating, label in SATISFACTION_LABELS.items()},
        minimum=periodic.MIN_ANALYSIS, today=periods.today(), **_labels()), status


@bp.get("/<int:report_id>")
@role_required(*ROLES)
def show(report_id: int):
    return _page(_report_or_404(report_id))


@bp.post("/<int:report_id>/submit")
@role_required(*ROLES)
def submit(report_id: int):
    report = _report_or_404(report_id)
    if not periodic.can_write(current_user, report):
        abort(403)
    form = _form(report, submitted=True)
    if not form.validate():
        return _page(report, form, status=422)
    parts = {name: form[name].data or "" for name in (periodic.PARTS if report.kind == ReportKind.QUARTERLY
                                                        else ("comment",))}
    try:
        periodic.submit_report(report, current_user, parts)
    except Refused as refused:
        db.session.rollback()
        return _page(db.session.get(PeriodicReport, report_id), form, error=refused.message, status=422)
    db.session.commit()
    flash(_("Submitted. Its figures are frozen as they are now; the level above reads it."))
    return redirect(url_for("periodic.show", report_id=report_id), 303)


@bp.post("/<int:report_id>/read")
@role_required(*ROLES)
def read(report_id: int):
    report = _report_or_404(report_id)
    if not periodic.can_mark_read(current_user, report):
        abort(403)
    if not ReadForm().validate():
        abort(400)
    periodic.mark_read(report, current_user)
    db.session.commit()
    flash(_("Marked as read."))
    return redirect(url_for("periodic.show", report_id=report_id), 303)

