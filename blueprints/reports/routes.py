from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy import select, true

from blueprints.reports import bp
from blueprints.reports.tables import DIMENSIONS, assessment_table, labels, report_tables
from blueprints.reports.excel import workbook
from blueprints.reports.forms import ActionForm, DoneForm
from blueprints.ui import bounds_message, current_locale, known_empty, role_required, visible_complaint_or_404
from extensions import db, gettext as _, lazy_gettext as _l
from models import CauseKind, Role, Unit, UnitKind, User
from services import bounds, clock, improvement, org_settings, penalties, periods, policy
from services import statistics as stats
from services.labels import CAUSE_LABELS

REPORT_ROLES = tuple(policy.BRANCH_ROLES | policy.DEPARTMENT_ROLES | policy.SEE_ALL_ROLES)
PERIODIC = {  # URL name: period kind, title
    "weekly": ("week", _l("Weekly statistics")),
    "monthly": ("month", _l("Monthly complaint report")),
    "quarterly": ("quarter", _l("Quarterly complaint analysis")),
    "annual": ("year", _l("Annual complaint report")),
}
WEEKLY_DIMENSIONS = ("unit", "department", "category", "channel")
ACTION_STATUSES = {"open": _l("Open"), "overdue": _l("Overdue"), "done": _l("Done"), "all": _l("All")}


@bp.app_template_global()
def corrective_actions_of(complaint):
    return [] if known_empty(complaint, "corrective_actions") else improvement.actions_of(complaint)


@bp.app_template_global()
def can_record_action(complaint):
    return improvement.can_record_action(current_user, complaint)


@bp.app_template_filter()
def local_date(utc):
    return clock.to_local(utc).date()


@bp.app_template_global()
def sees_reports(user) -> bool:
    return user.role in REPORT_ROLES


def _scope():
    """What the user counts: their unit's complaints, received or handled there, as the page's title
    says (_scope_label); everything for the center and leaders, or one unit when they ask for it.
    Not every complaint the user may open (policy.visible_complaints): its other cases (a plan that
    waits on this person alone) are no figure of the unit, and asking them of a year's complaints
    one by one took a department head's annual report 13 s at 1,000,000 complaints (measured)."""
    if current_user.role not in policy.SEE_ALL_ROLES:
        return policy.of_unit(current_user.unit_id)
    unit_id = bounds.database_id(request.args.get("unit"))
    return policy.of_unit(unit_id) if unit_id else true()


def _period(default_kind: str, latest: bool = False):
    """The period asked for in the URL; (None, message) when it makes no sense."""
    args = request.args
    if latest and not (args.get("period") or args.get("from") or args.get("to")):
        return periods.latest_complete(default_kind), None
    try:
        return periods.parse_period(args.get("period"), args.get("from"), args.get("to"), default_kind), None
    except periods.BadPeriod as error:
        if str(error) == "bounds":
            return None, bounds_message(error.__cause__)
        if str(error) == "range":
            return None, _("The end date must be on or after the start date, at most three years later.")
        return None, _("Give the period as 2026-W47 (week), 2026-11 (month), 2026-Q4 (quarter) or 2026 (year), "
                       "or a start and end date as YYYY-MM-DD.")


def _units_for_filter():
    if current_user.role not in policy.SEE_ALL_ROLES:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.kind != UnitKind.HEAD_OFFICE).order_by(Unit.code)))


def _quick_periods():
    today = periods.today()
    return [(_("This week"), periods.week(today)), (_("Last week"), periods.week(today).previous()),
            (_("This month"), periods.month(today)), (_("Last month"), periods.month(today).previous()),
            (_("This quarter"), periods.quarter(today)), (_("This year"), periods.year(today))]


def _filter_context(period, error):
    return {"period": period, "error": error, "units": _units_for_filter(), "quick": _quick_periods(),
            "args": request.args, "scope_label": _scope_label()}


def _scope_label() -> str:
    unit_id = bounds.database_id(request.args.get("unit"))
    if current_user.role in policy.SEE_ALL_ROLES:
        unit = db.session.get(Unit, unit_id) if unit_id else None
        return unit.display_name(current_locale()) if unit else _("All units")
    return current_user.unit.display_name(current_locale())


@bp.get("/")
@role_required(*REPORT_ROLES)
def statistics():
    period, error = _period("month")
    if error:
        return render_template("reports/statistics.html", report=None, **_filter_context(None, error)), 400
    report = stats.build_report(period, _scope(), current_locale(), labels(), org_settings.keeps("suggestions"))
    tables = {table.name: table for table in report_tables(report)}
    return render_template("reports/statistics.html", report=report, tables=tables, **_filter_context(period, None))


def _periodic(kind: str):
    if kind not in PERIODIC:
        abort(404)
    period_kind, title = PERIODIC[kind]
    period, error = _period(period_kind, latest=True)
    return title, period, error


def _report_tables(kind: str, period, locale: str):
    report = stats.build_report(period, _scope(), locale, labels(), org_settings.keeps("suggestions"))
    dimensions = WEEKLY_DIMENSIONS if kind == "weekly" else tuple(DIMENSIONS)
    return report, report_tables(report, dimensions)


@bp.get("/<kind>")
@role_required(*REPORT_ROLES)
def periodic(kind: str):
    title, period, error = _periodic(kind)
    if error:
        return render_template("reports/periodic.html", kind=kind, title=title, tables=[],
                               **_filter_context(None, error)), 400
    report, tables = _report_tables(kind, period, current_locale())
    return render_template("reports/periodic.html", kind=kind, title=title, report=report, tables=tables,
                           **_filter_context(period, None))


@bp.get("/<kind>/print")
@role_required(*REPORT_ROLES)
def periodic_print(kind: str):
    title, period, error = _periodic(kind)
    if error:
        abort(400)
    report, tables = _report_tables(kind, period, current_locale())
    return render_template("reports/print.html", title=title, tables=tables, period=period,
                           organisation=org_settings.display_name(), scope_label=_scope_label(),
                           made_at=clock.now(), back=url_for("reports.periodic", kind=kind, **request.args))


@bp.get("/<kind>.xlsx")
@role_required(*REPORT_ROLES)
def periodic_excel(kind: str):
    title, period, error = _periodic(kind)
    if error:
        abort(400)
    with force_locale("zh_CN"):
        report, tables = _report_tables(kind, period, "zh_CN")
        subtitle = f"{org_settings.display_name()} · {_scope_label()} · {period.code}"
        data = workbook(str(title), subtitle, tables)
    return _xlsx(data, f"{kind}-{period.code}.xlsx")


def _xlsx(data: bytes, filename: str):
    return current_app.response_class(data, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{filename}"'})


ASSESSORS = (Role.CENTER, Role.LEADER)


@bp.get("/assessment")
@role_required(*ASSESSORS)
def assessment():
    period, error = _period("month")
    if error:
        return render_template("reports/assessment.html", table=None, **_filter_context(None, error)), 400
    table = assessment_table(stats.assessment(period), current_locale(), penalties.enabled())
    return render_template("reports/assessment.html", table=table, **_filter_context(period, None))


@bp.get("/assessment.xlsx")
@role_required(*ASSESSORS)
def assessment_excel():
    period, error = _period("month")
    if error:
        abort(400)
    with force_locale("zh_CN"):
        table = assessment_table(stats.assessment(period), "zh_CN", penalties.enabled())
        data = workbook(str(_("Unit assessment")), f"{org_settings.display_name()} · {period.code}",
                        [table])
    return _xlsx(data, f"assessment-{period.code}.xlsx")


# Corrective and preventive actions


@bp.get("/actions")
@role_required(*REPORT_ROLES)
def actions():
    status = request.args.get("status", "open")
    if status not in ACTION_STATUSES:
        status = "open"
    page = db.paginate(improvement.actions_query(current_user, status), per_page=current_app.config["PAGE_SIZE"],
                       max_per_page=100, error_out=False)
    return render_template("reports/actions.html", page=page, status=status, statuses=ACTION_STATUSES,
                           today=periods.today(), CAUSE_LABELS=CAUSE_LABELS, done_form=DoneForm(formdata=None))


def _action_form(complaint, submitted: bool) -> ActionForm:
    form = ActionForm() if submitted else ActionForm(formdata=None)
    form.owner.choices = [(0, _("Choose…"))] + [(u.id, u.name) for u in improvement.owner_choices(complaint)]
    if not submitted:
        answer = complaint.latest_answer
        form.description.data = answer.corrective_action if answer else ""
    return form


@bp.route("/actions/new/<int:complaint_id>", methods=["GET", "POST"])
@role_required(*REPORT_ROLES)
def new_action(complaint_id: int):
    complaint = visible_complaint_or_404(complaint_id)
    if not improvement.can_record_action(current_user, complaint):
        abort(403)
    form = _action_form(complaint, request.method == "POST")
    if request.method == "POST":
        if not form.validate():
            return render_template("reports/new_action.html", complaint=complaint, form=form), 422
        owner = db.session.get(User, form.owner.data)
        improvement.record_action(complaint, current_user, CauseKind(form.cause_kind.data),
                                  form.description.data.strip(), form.preventive.data, owner, form.due_date.data)
        db.session.commit()
        flash(_("Corrective action recorded."))
        return redirect(url_for("complaints.show", complaint_id=complaint.id), 303)
    return render_template("reports/new_action.html", complaint=complaint, form=form)


@bp.post("/actions/<int:action_id>/done")
@role_required(*REPORT_ROLES)
def action_done(action_id: int):
    action = improvement.get_action(action_id, current_user)
    if action is None:
        abort(404)
    if not improvement.can_complete(current_user, action):
        abort(403)
    form = DoneForm()
    if not form.validate():
        page = db.paginate(improvement.actions_query(current_user, "open"), per_page=current_app.config["PAGE_SIZE"],
                           max_per_page=100, error_out=False)
        return render_template("reports/actions.html", page=page, status="open", statuses=ACTION_STATUSES,
                               today=periods.today(), CAUSE_LABELS=CAUSE_LABELS, done_form=form,
                               failed_id=action.id), 422
    improvement.complete_action(action, current_user, form.note.data.strip())
    db.session.commit()
    flash(_("Marked as done."))
    return redirect(url_for("reports.actions"), 303)
